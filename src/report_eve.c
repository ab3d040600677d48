/* report_eve.c - EVE JSON lines after Suricata's eve.json (timestamp, flow_id, event_type,
 * src_ip, src_port, dest_ip, dest_port, proto, app_proto, then one object named by the type). */
#include "report_eve.h"
#include "identity.h"
#include "match.h"
#include "flow.h"
#include "report_html.h"
#include "report_json.h"
#include "util.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void report_eve_time(uint64_t us, char *out, size_t outlen)
{
	util_iso8601_zone(us, out, outlen, "+0000");  /* Suricata's form of UTC */
}

static void mask_hit(void *arg, const struct match_hit *h)
{
	char *buf = arg, v[PH_MATCH_MAX_PATTERN + 1], m[PH_MATCH_MAX_PATTERN + 1];
	size_t n = h->end - h->start > PH_MATCH_MAX_PATTERN ? PH_MATCH_MAX_PATTERN : h->end - h->start;
	memcpy(v, buf + h->start, n);
	v[n] = 0;
	identity_mask(v, m, sizeof m);
	memcpy(buf + h->start, m, strlen(m));
}

#define EVE_MASK_MAX_SUSPECTED 4096  /* suspected values (detector rules) masked in free text */

void report_eve_mask(const struct audit *a, const char *s, char *out, size_t outlen)
{
	if (!outlen)
		return;
	snprintf(out, outlen, "%s", s);
	if (a->o.show_identifiers || !out[0])
		return;
	if (a->m)
		match_scan(a->m, (const uint8_t *)out, strlen(out), mask_hit, out);
	const struct report *r = a->rep;  /* values found by rules, not in the identity */
	for (size_t i = 0; i < r->nleaks && i < EVE_MASK_MAX_SUSPECTED; i++) {
		const char *v = r->leaks[i].found;
		size_t n = strlen(v);
		if (!r->leaks[i].suspected || n < 4)
			continue;
		char m[sizeof r->leaks[i].found];
		identity_mask(v, m, sizeof m);
		for (char *p = strstr(out, v); p; p = strstr(p + n, v))
			memcpy(p, m, n);
	}
}

static json_t *jtime(uint64_t us)
{
	char b[40];
	report_eve_time(us, b, sizeof b);
	return json_string(b);
}

static json_t *jmasked(const struct audit *a, const char *s)
{
	char b[1024];
	report_eve_mask(a, s, b, sizeof b);
	return json_string(b);
}

/* Common head of every event: time, flow, type, endpoints with side src first. */
static json_t *head(uint64_t ts, const struct report_flow *f, uint64_t flow_id, const char *type, int src)
{
	json_t *o = json_object();
	json_object_set_new(o, "timestamp", jtime(ts));
	json_object_set_new(o, "flow_id", json_integer((json_int_t)flow_id));
	json_object_set_new(o, "event_type", json_string(type));
	if (!f)
		return o;
	report_json_endpoints(o, f, src);
	return o;
}

static json_t *flow_event(const struct audit *a, const struct report_flow *f)
{
	json_t *o = head(f->last_us, f, f->id, "flow", 0), *fl = json_object();
	json_object_set_new(fl, "pkts_toserver", json_integer((json_int_t)f->pkts[0]));
	json_object_set_new(fl, "pkts_toclient", json_integer((json_int_t)f->pkts[1]));
	json_object_set_new(fl, "bytes_toserver", json_integer((json_int_t)f->bytes[0]));
	json_object_set_new(fl, "bytes_toclient", json_integer((json_int_t)f->bytes[1]));
	json_object_set_new(fl, "start", jtime(f->first_us));
	json_object_set_new(fl, "end", jtime(f->last_us));
	json_object_set_new(o, "flow", fl);
	json_t *ph = json_object();
	json_object_set_new(ph, "host", f->host[0] ? jmasked(a, f->host) : json_null());
	json_object_set_new(ph, "category", f->category[0] ? json_string(f->category) : json_null());
	json_object_set_new(ph, "country", f->geo.country[0] ? json_string(f->geo.country) : json_null());
	json_object_set_new(ph, "asn", f->geo.asn ? json_integer(f->geo.asn) : json_null());
	json_object_set_new(ph, "asn_org", f->geo.asn_org[0] ? json_string(f->geo.asn_org) : json_null());
	json_object_set_new(ph, "foreign", json_boolean(f->foreign));
	json_object_set_new(ph, "leaks", json_integer(f->nleaks));
	json_object_set_new(o, "phonehome", ph);
	return o;
}

static json_t *tls_event(const struct audit *a, const struct report_flow *f)
{
	json_t *o = head(f->first_us, f, f->id, "tls", 0);
	json_object_set_new(o, "tls", json_pack("{s:o}", "sni", jmasked(a, f->host)));
	return o;
}

static json_t *http_event(const struct audit *a, const struct report_http *h)
{
	const struct report_flow *f = report_flow_by_id(a->rep, h->flow_id);
	json_t *o = head(h->ts_us, f, h->flow_id, "http", 0), *x = json_object();
	json_object_set_new(x, "hostname", jmasked(a, h->host));
	json_object_set_new(x, "url", jmasked(a, h->uri));
	json_object_set_new(x, "http_user_agent", jmasked(a, h->user_agent));
	json_object_set_new(x, "http_method", jmasked(a, h->method));
	json_object_set_new(o, "http", x);
	return o;
}

static json_t *dns_event(const struct audit *a, const struct report_dns *d)
{
	const struct report_flow *f = report_flow_by_id(a->rep, d->flow_id);
	int src = f && (f->port[1] == 53 || f->port[1] == 5353);  /* answers come from the server */
	json_t *o = head(d->ts_us, f, d->flow_id, "dns", src), *x = json_object();
	char addr[INET6_ADDRSTRLEN];
	report_addr_str(d->family, d->addr, addr, sizeof addr);
	json_object_set_new(x, "type", json_string("answer"));
	json_object_set_new(x, "rrname", jmasked(a, d->rrname));
	json_object_set_new(x, "rrtype", json_string(d->family == 4 ? "A" : "AAAA"));
	json_object_set_new(x, "rdata", json_string(addr));
	json_object_set_new(o, "dns", x);
	return o;
}

static json_t *leak_event(const struct audit *a, const struct report_leak *l)
{
	const struct report_flow *f = report_flow_by_id(a->rep, l->flow_id);
	json_t *o = head(l->ts_us, f, l->flow_id, "leak", l->dir), *x = json_object();
	char id[512];
	report_html_identifier(a, l, id, sizeof id);
	json_object_set_new(x, "kind", json_string(identity_kind_name(l->kind)));
	json_object_set_new(x, "identifier", id[0] ? json_string(id) : json_null());
	json_object_set_new(x, "confidence", json_string(l->suspected ? "suspected" : "confirmed"));
	json_object_set_new(x, "subject", report_subject_name(report_leak_subject(l)) ? json_string(report_subject_name(report_leak_subject(l))) : json_null());
	json_object_set_new(x, "encoding", json_string(l->encoding));
	json_object_set_new(x, "where", json_string(report_where_name(l->where)));
	json_object_set_new(x, "name", l->name[0] ? json_string(l->name) : json_null());
	json_object_set_new(x, "severity", json_string(policy_severity_name(l->severity)));
	json_object_set_new(x, "foreign", json_boolean(l->foreign));
	json_object_set_new(x, "encrypted", json_boolean(l->encrypted));
	if (f) {
		json_object_set_new(x, "host", f->host[0] ? jmasked(a, f->host) : json_null());
		json_object_set_new(x, "country", f->geo.country[0] ? json_string(f->geo.country) : json_null());
		json_object_set_new(x, "asn", f->geo.asn ? json_integer(f->geo.asn) : json_null());
		json_object_set_new(x, "asn_org", f->geo.asn_org[0] ? json_string(f->geo.asn_org) : json_null());
	}
	json_object_set_new(x, "evidence", json_string(l->evidence ? l->evidence : ""));
	json_object_set_new(o, "leak", x);
	return o;
}

enum { EV_DNS, EV_TLS, EV_HTTP, EV_LEAK, EV_FLOW };

struct ev { uint64_t ts; int type; size_t idx; };

static int cmp_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->type != b->type)
		return a->type - b->type;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int report_eve_write(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	size_t n = r->ndns + r->nhttp + r->nleaks + 2 * r->nflows, k = 0;
	struct ev *ev = util_xmalloc((n ? n : 1) * sizeof *ev);
	for (size_t i = 0; i < r->ndns; i++)
		ev[k++] = (struct ev){ r->dns[i].ts_us, EV_DNS, i };
	for (size_t i = 0; i < r->nhttp; i++)
		ev[k++] = (struct ev){ r->http[i].ts_us, EV_HTTP, i };
	for (size_t i = 0; i < r->nleaks; i++)
		ev[k++] = (struct ev){ r->leaks[i].ts_us, EV_LEAK, i };
	for (size_t i = 0; i < r->nflows; i++) {
		ev[k++] = (struct ev){ r->flows[i].last_us, EV_FLOW, i };
		if (r->flows[i].host_source == HOST_SNI && r->flows[i].host[0])
			ev[k++] = (struct ev){ r->flows[i].first_us, EV_TLS, i };
	}
	if (k)
		qsort(ev, k, sizeof *ev, cmp_ev);
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++) {
		json_t *o = NULL;
		switch (ev[i].type) {
		case EV_DNS: o = dns_event(a, &r->dns[ev[i].idx]); break;
		case EV_TLS: o = tls_event(a, &r->flows[ev[i].idx]); break;
		case EV_HTTP: o = http_event(a, &r->http[ev[i].idx]); break;
		case EV_LEAK: o = leak_event(a, &r->leaks[ev[i].idx]); break;
		default: o = flow_event(a, &r->flows[ev[i].idx]); break;
		}
		if (json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0 || fputc('\n', f) == EOF)
			rc = -1;
		json_decref(o);
	}
	free(ev);
	return rc;
}
