/* report_eve.c - EVE JSON lines after Suricata's eve.json, valid against its schema (etc/schema.json):
 * timestamp, flow_id, event_type, endpoints, community_id, then one object named by the type. */
#include "report_eve.h"
#include "quic.h"
#include "community_id.h"
#include "dns.h"
#include "flow.h"
#include "identity.h"
#include "mask.h"
#include "report_json.h"
#include "summary.h"
#include "util.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EVE_SID_BASE 9100000       /* alert signature ids: base + kind * 4 + subject */
#define EVE_DNS_VERSION 2          /* Suricata's EVE dns v2: flat query and answer records */

void report_eve_time(uint64_t us, char *out, size_t outlen)
{
	util_iso8601_zone(us, out, outlen, "+0000");  /* Suricata's form of UTC */
}

int report_eve_signature_id(int kind, enum report_subject subject)
{
	return EVE_SID_BASE + kind * 4 + (int)subject;
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
	mask_text(a, s, b, sizeof b);
	return json_string(b);
}

static void set(json_t *o, const char *k, json_t *v) { json_object_set_new(o, k, v); }

/* Common head of every event: time, flow, type, endpoints with side src first, Community ID. */
static json_t *head(uint64_t ts, const struct report_flow *f, uint64_t flow_id, const char *type, int src)
{
	json_t *o = json_object();
	set(o, "timestamp", jtime(ts));
	set(o, "flow_id", json_integer((json_int_t)flow_id));
	set(o, "event_type", json_string(type));
	if (!f)
		return o;
	report_json_endpoints(o, f, src);
	char cid[COMMUNITY_ID_LEN];
	community_id_v1(0, f->family, f->addr[0], f->addr[1], f->proto, f->port[0], f->port[1], cid);
	set(o, "community_id", json_string(cid));
	return o;
}

/* Suricata's flow.state: closed (FIN both ways or RST), established (both sides spoke), new. */
static const char *flow_state(const struct report_flow *f)
{
	return f->closed ? "closed" : f->pkts[0] && f->pkts[1] ? "established" : "new";
}

static const char *flow_reason(const struct report_flow *f)
{
	static const char *const names[] = { [FLOW_END_SHUTDOWN] = "shutdown", [FLOW_END_TIMEOUT] = "timeout",
					     [FLOW_END_FORCED] = "forced" };
	return f->end_reason <= FLOW_END_FORCED ? names[f->end_reason] : "shutdown";
}

/* phonehome's own per-flow fields: the one top-level member beyond Suricata's schema. */
static json_t *phonehome_obj(const struct audit *a, const struct report_flow *f)
{
	json_t *ph = json_object();
	set(ph, "host", f->host[0] ? jmasked(a, f->host) : json_null());
	set(ph, "category", f->category[0] ? json_string(f->category) : json_null());
	set(ph, "country", f->geo.country[0] ? json_string(f->geo.country) : json_null());
	set(ph, "asn", f->geo.asn ? json_integer(f->geo.asn) : json_null());
	set(ph, "asn_org", f->geo.asn_org[0] ? json_string(f->geo.asn_org) : json_null());
	set(ph, "foreign", json_boolean(f->foreign));
	set(ph, "leaks", json_integer(f->nleaks));
	set(ph, "app", report_json_app(a->rep, f));
	return ph;
}

/* Leak and alert records: the phonehome object carries the app that sent it. */
static json_t *phonehome_app(const struct audit *a, const struct report_flow *f)
{
	return json_pack("{s:o}", "app", report_json_app(a->rep, f));
}

static json_t *flow_event(const struct audit *a, const struct report_flow *f)
{
	json_t *o = head(f->last_us, f, f->id, "flow", 0), *fl = json_object();
	set(fl, "pkts_toserver", json_integer((json_int_t)f->pkts[0]));
	set(fl, "pkts_toclient", json_integer((json_int_t)f->pkts[1]));
	set(fl, "bytes_toserver", json_integer((json_int_t)f->bytes[0]));
	set(fl, "bytes_toclient", json_integer((json_int_t)f->bytes[1]));
	set(fl, "start", jtime(f->first_us));
	set(fl, "end", jtime(f->last_us));
	set(fl, "age", json_integer((json_int_t)(f->last_us / 1000000 - f->first_us / 1000000)));
	set(fl, "state", json_string(flow_state(f)));
	set(fl, "reason", json_string(flow_reason(f)));
	set(fl, "alerted", json_boolean(f->nleaks && !a->o.eve_no_alerts));
	set(o, "flow", fl);
	set(o, "phonehome", phonehome_obj(a, f));
	return o;
}

/* Suricata's names of TLS versions; NULL when unknown. */
static const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0200: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

/* A TLS flow: named by its SNI, or seen as TLS by --keylog. */
static int is_tls_flow(const struct report_flow *f)
{
	return (f->host_source == HOST_SNI && f->host[0]) || f->tls_keys;
}

/* A TLS flow's tls record, or a QUIC flow's quic record (Suricata's: sni, version "v1"). */
static json_t *tls_event(const struct audit *a, const struct report_flow *f)
{
	const char *type = f->quic_version ? "quic" : "tls";
	json_t *o = head(f->first_us, f, f->id, type, 0), *x = json_object();
	if (f->host_source == HOST_SNI)  /* else the name came from inside (decrypted HTTP): no SNI kept */
		set(x, "sni", jmasked(a, f->host));
	char qv[16];
	const char *v = f->quic_version ? quic_version_name(f->quic_version, qv, sizeof qv)
					: tls_version_name(f->tls_version);
	if (v)
		set(x, "version", json_string(v));
	set(o, type, x);
	return o;
}

/* Splits a Host header into name and port ("h:8080", "[::1]:80" keeps its brackets); port 0 when none. */
static void host_port(const char *host, char *name, size_t namelen, int *port)
{
	size_t n = strcspn(host, ":");
	if (host[0] == '[')  /* an IPv6 literal: the port follows the bracket */
		n = strcspn(host, "]") + (strchr(host, ']') ? 1 : 0);
	snprintf(name, namelen, "%.*s", (int)n, host);
	*port = 0;
	if (host[n] == ':' && host[n + 1]) {
		char *end;
		long v = strtol(host + n + 1, &end, 10);
		if (!*end && v > 0 && v < 65536)
			*port = (int)v;
	}
}

static json_t *http_event(const struct audit *a, const struct report_http *h)
{
	const struct report_flow *f = report_flow_listed(a->rep, h->flow_id);
	json_t *o = head(h->ts_us, f, h->flow_id, "http", 0), *x = json_object();
	char name[256];
	int port;
	host_port(h->host, name, sizeof name, &port);
	if (name[0])
		set(x, "hostname", jmasked(a, name));
	if (port)
		set(x, "http_port", json_integer(port));
	set(x, "url", jmasked(a, h->uri));
	if (h->user_agent[0])
		set(x, "http_user_agent", jmasked(a, h->user_agent));
	set(x, "http_method", jmasked(a, h->method));
	if (h->protocol[0])
		set(x, "protocol", json_string(h->protocol));
	if (h->status)
		set(x, "status", json_integer(h->status));
	if (h->length >= 0)
		set(x, "length", json_integer((json_int_t)h->length));
	set(o, "http", x);
	return o;
}

/* An RR type's name, or its number as Suricata writes an unnamed one. */
static json_t *jrrtype(uint16_t t)
{
	const char *n = dns_type_name(t);
	return n ? json_string(n) : json_sprintf("%u", t);
}

/* Records [i, end) that are one response's answers (same flow, time and id). */
static size_t dns_group_end(const struct report *r, size_t i)
{
	const struct report_dns *d = &r->dns[i];
	size_t e = i + 1;
	if (d->type != REPORT_DNS_ANSWER || !d->family)
		return e;
	while (e < r->ndns && r->dns[e].type == REPORT_DNS_ANSWER && r->dns[e].family && r->dns[e].flow_id == d->flow_id &&
	       r->dns[e].ts_us == d->ts_us && r->dns[e].id == d->id)
		e++;
	return e;
}

static json_t *dns_answers(const struct audit *a, size_t i, size_t end)
{
	json_t *arr = json_array();
	for (; i < end; i++) {
		const struct report_dns *d = &a->rep->dns[i];
		char addr[INET6_ADDRSTRLEN];
		report_addr_str(d->family, d->addr, addr, sizeof addr);
		json_t *x = json_object();
		set(x, "rrname", jmasked(a, d->rrname));
		set(x, "rrtype", json_string(d->family == 4 ? "A" : "AAAA"));
		set(x, "ttl", json_integer(d->ttl));
		set(x, "rdata", json_string(addr));
		json_array_append_new(arr, x);
	}
	return arr;
}

/* A query, or a response with its A/AAAA answers (EVE dns v2). */
static json_t *dns_event(const struct audit *a, size_t i, size_t end)
{
	const struct report_dns *d = &a->rep->dns[i];
	const struct report_flow *f = report_flow_listed(a->rep, d->flow_id);
	int answer = d->type == REPORT_DNS_ANSWER;
	json_t *o = head(d->ts_us, f, d->flow_id, "dns", answer && f), *x = json_object();
	set(x, "version", json_integer(EVE_DNS_VERSION));
	set(x, "type", json_string(answer ? "answer" : "query"));
	set(x, "id", json_integer(d->id));
	set(x, "rrname", jmasked(a, d->rrname));
	if (d->qtype)
		set(x, "rrtype", jrrtype(d->qtype));
	if (answer) {
		set(x, "qr", json_true());
		const char *rc = dns_rcode_name(d->rcode);
		set(x, "rcode", rc ? json_string(rc) : json_sprintf("%u", d->rcode));
		if (d->family)
			set(x, "answers", dns_answers(a, i, end));
	} else {
		set(x, "tx_id", json_integer(0));
	}
	set(o, "dns", x);
	return o;
}

static json_t *leak_event(const struct audit *a, const struct report_leak *l)
{
	const struct report_flow *f = report_flow_by_id(a->rep, l->flow_id);
	json_t *o = head(l->ts_us, f, l->flow_id, "leak", l->dir), *x = json_object();
	char id[512];
	mask_identifier(a, l, id, sizeof id);
	set(x, "kind", json_string(identity_kind_name(l->kind)));
	set(x, "identifier", id[0] ? json_string(id) : json_null());
	set(x, "confidence", json_string(l->suspected ? "suspected" : "confirmed"));
	const char *subject = report_subject_name(report_leak_subject(l));
	set(x, "subject", subject ? json_string(subject) : json_null());
	set(x, "encoding", json_string(l->encoding));
	set(x, "where", json_string(report_where_name(l->where)));
	set(x, "name", l->name[0] ? json_string(l->name) : json_null());
	set(x, "severity", json_string(policy_severity_name(l->severity)));
	set(x, "foreign", json_boolean(l->foreign));
	set(x, "encrypted", json_boolean(l->encrypted));
	if (f) {
		set(x, "host", f->host[0] ? jmasked(a, f->host) : json_null());
		set(x, "country", f->geo.country[0] ? json_string(f->geo.country) : json_null());
		set(x, "asn", f->geo.asn ? json_integer(f->geo.asn) : json_null());
		set(x, "asn_org", f->geo.asn_org[0] ? json_string(f->geo.asn_org) : json_null());
	}
	set(x, "evidence", json_string(l->evidence ? l->evidence : ""));
	set(o, "leak", x);
	set(o, "phonehome", phonehome_app(a, f));
	return o;
}

/* "phonehome: IMEI sent in cleartext to CN (api.account.xiaomi.com)", host masked. */
static void alert_signature(const struct audit *a, const struct report_leak *l, const struct report_flow *f,
			    char *out, size_t outlen)
{
	const char *how = !l->encrypted ? "in cleartext" : l->decrypted ? "over TLS (decrypted)" : "encrypted";
	char dest[300] = "", host[256] = "";
	if (f && f->host[0])
		mask_text(a, f->host, host, sizeof host);
	else if (f)
		report_addr_str(f->family, f->addr[!l->dir], host, sizeof host);
	if (f && f->geo.country[0])
		snprintf(dest, sizeof dest, " to %s", f->geo.country);
	if (host[0])
		snprintf(dest + strlen(dest), sizeof dest - strlen(dest), " (%s)", host);
	snprintf(out, outlen, "phonehome: %s sent %s%s", summary_kind_label(l->kind), how, dest);
}

/* Suricata's alert severity: 1 most severe. */
static int alert_severity(int sev)
{
	return sev >= SEV_HIGH ? 1 : sev == SEV_MEDIUM ? 2 : 3;
}

/* Each leak as a Suricata alert, for consoles that only show alerts. */
static json_t *alert_event(const struct audit *a, const struct report_leak *l)
{
	const struct report_flow *f = report_flow_by_id(a->rep, l->flow_id);
	json_t *o = head(l->ts_us, f, l->flow_id, "alert", l->dir), *x = json_object();
	char sig[600], chain[160];
	alert_signature(a, l, f, sig, sizeof sig);
	snprintf(chain, sizeof chain, "%s:%s", report_where_name(l->where), l->encoding);
	set(x, "action", json_string("allowed"));
	set(x, "gid", json_integer(1));
	set(x, "signature_id", json_integer(report_eve_signature_id(l->kind, report_leak_subject(l))));
	set(x, "rev", json_integer(1));
	set(x, "signature", json_string(sig));
	set(x, "category", json_string("Privacy leak"));
	set(x, "severity", json_integer(alert_severity(l->severity)));
	json_t *tags = json_pack("[s,s]", identity_kind_name(l->kind), chain);
	if (l->accepted)  /* --accept: judged and accepted */
		json_array_append_new(tags, json_string("accepted"));
	set(x, "metadata", json_pack("{s:o}", "tag", tags));
	set(o, "alert", x);
	set(o, "phonehome", phonehome_app(a, f));
	return o;
}

enum { EV_DNS, EV_TLS, EV_HTTP, EV_LEAK, EV_ALERT, EV_FLOW };

struct ev { uint64_t ts; int type; size_t idx, end; };

static int cmp_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->type != b->type)
		return a->type - b->type;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The events of the report's arrays (DNS, HTTP, leaks, alerts), unsorted; returns how many. */
static size_t collect(const struct audit *a, struct ev *ev)
{
	const struct report *r = a->rep;
	size_t k = 0;
	for (size_t i = 0, e; i < r->ndns; i = e) {
		e = dns_group_end(r, i);
		ev[k++] = (struct ev){ r->dns[i].ts_us, EV_DNS, i, e };
	}
	for (size_t i = 0; i < r->nhttp; i++)
		ev[k++] = (struct ev){ r->http[i].ts_us, EV_HTTP, i, 0 };
	for (size_t i = 0; i < r->nleaks; i++) {
		ev[k++] = (struct ev){ r->leaks[i].ts_us, EV_LEAK, i, 0 };
		if (!a->o.eve_no_alerts)
			ev[k++] = (struct ev){ r->leaks[i].ts_us, EV_ALERT, i, 0 };
	}
	return k;
}

static json_t *event(const struct audit *a, const struct ev *e)
{
	const struct report *r = a->rep;
	switch (e->type) {
	case EV_DNS: return dns_event(a, e->idx, e->end);
	case EV_HTTP: return http_event(a, &r->http[e->idx]);
	case EV_LEAK: return leak_event(a, &r->leaks[e->idx]);
	default: return alert_event(a, &r->leaks[e->idx]);
	}
}

/* The flows again in time order, through files of their own (flows can be many more than
 * memory holds): by end for flow events, the TLS ones by start for tls events. */
static int order_flows(const struct report *r, struct report_iter **by_end, struct report_iter **by_start)
{
	char err[256];
	struct report *end = report_order_new(0, err, sizeof err);
	struct report *start = end ? report_order_new(1, err, sizeof err) : NULL;
	if (!start) {
		report_flows_end(end ? report_order_begin(end) : NULL);  /* frees end */
		return -1;
	}
	struct report_iter *it = report_flows_begin(r);
	for (const struct report_flow *f; (f = report_flows_next(it));) {
		report_spill_flow(end, f);
		if (is_tls_flow(f))
			report_spill_flow(start, f);
	}
	report_flows_end(it);
	*by_end = report_order_begin(end);
	*by_start = report_order_begin(start);
	if (*by_end && *by_start)
		return 0;
	report_flows_end(*by_end);
	report_flows_end(*by_start);
	return -1;
}

/* 1 when an event at (ts, type) comes before one at (ts2, type2): flow and tls events of
 * one time go after and before the others as their types say. */
static int ev_before(uint64_t ts, int type, uint64_t ts2, int type2)
{
	return ts != ts2 ? ts < ts2 : type < type2;
}

/* One event as one line, in one write: jansson's own dump to a FILE writes each token apart. */
static int dump_line(const json_t *o, FILE *f, char **line, size_t *cap)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII;
	size_t n = json_dumpb(o, *line, *cap, flags);
	if (n + 1 > *cap) {
		*cap = 2 * (n + 1) > 4096 ? 2 * (n + 1) : 4096;
		*line = util_xrealloc(*line, *cap);
		n = json_dumpb(o, *line, *cap, flags);
	}
	if (!n)
		return -1;
	(*line)[n] = '\n';
	return fwrite(*line, 1, n + 1, f) == n + 1 ? 0 : -1;
}

int report_eve_write(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	size_t n = r->ndns + r->nhttp + 2 * r->nleaks;
	struct ev *ev = util_xmalloc((n ? n : 1) * sizeof *ev);
	size_t k = collect(a, ev);
	if (k)
		qsort(ev, k, sizeof *ev, cmp_ev);
	struct report_iter *by_end, *by_start;
	if (order_flows(r, &by_end, &by_start) < 0) {
		free(ev);
		return -1;
	}
	const struct report_flow *fe = report_flows_next(by_end), *ft = report_flows_next(by_start);
	int rc = 0;
	char *line = NULL;
	size_t cap = 0;
	for (size_t i = 0; rc == 0;) {  /* the three streams merged: each is in order */
		json_t *o;
		if (ft && (i == k || ev_before(ft->first_us, EV_TLS, ev[i].ts, ev[i].type)) &&
		    (!fe || ev_before(ft->first_us, EV_TLS, fe->last_us, EV_FLOW))) {
			o = tls_event(a, ft);
			ft = report_flows_next(by_start);
		} else if (fe && (i == k || ev_before(fe->last_us, EV_FLOW, ev[i].ts, ev[i].type))) {
			o = flow_event(a, fe);
			fe = report_flows_next(by_end);
		} else if (i < k) {
			o = event(a, &ev[i++]);
		} else {
			break;
		}
		if (dump_line(o, f, &line, &cap) < 0)
			rc = -1;
		json_decref(o);
	}
	free(line);
	report_flows_end(by_end);
	report_flows_end(by_start);
	free(ev);
	return rc;
}
