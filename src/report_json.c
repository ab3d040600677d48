/* report_json.c - builds the JSON report with jansson and writes it atomically.
 * Times are ISO 8601 UTC from pcap timestamps; identifiers are masked unless asked. */
#include "report_json.h"
#include "app.h"
#include "config.h"
#include "custody.h"
#include "escape.h"
#include "findings.h"
#include "decode.h"
#include "identity.h"
#include "mask.h"
#include "quic.h"
#include "util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decimal digits of v at p; returns the end.  Used for every number of the flows array. */
static char *put_dec(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	return p;
}

void report_addr_str(int family, const uint8_t *addr, char *out, size_t outlen)
{
	if (family == 4 && outlen >= INET_ADDRSTRLEN) {  /* inet_ntop formats IPv4 with sprintf */
		char *p = out;
		for (int i = 0; i < 4; i++) {
			p = put_dec(p, addr[i]);
			*p++ = i < 3 ? '.' : 0;
		}
		return;
	}
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
}

static json_t *jtime(uint64_t us)
{
	char buf[40];
	util_iso8601(us, buf, sizeof buf);
	return json_string(buf);
}

static json_t *jstr_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static const char *host_source_name(int s)
{
	static const char *names[] = { NULL, "sni", "http", "dns" };
	return s > 0 && s < 4 ? names[s] : NULL;
}

/* The flows array is formatted by hand into one buffer and written in large pieces:
 * a report may hold a million flows, and fprintf per member cost more than the audit.
 * Two buffers: a thread writes one while the other is filled. 1 MiB each: with 256 KiB, the
 * handing over (a wake-up on a busy core) every 256 KiB cost 25 ms of the bench's 128 MB. */
#define FLOWS_BUF (1u << 20)

#define WRITEBACK_EVERY (16u << 20)

/* The thread that writes the filled buffers, in order. */
struct flows_out {
	FILE *f;
	pthread_t th;
	int apart;                   /* the thread runs; else put_flows writes itself */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *full;            /* handed over and not yet written, or NULL */
	size_t full_len;
	int done, ok;
	uint64_t written, synced;    /* bytes written, and handed to the disk's write-back */
};

struct flowbuf {
	char *b;                     /* FLOWS_BUF bytes: one of buf[2] */
	char *buf[2];
	size_t len;
	struct flows_out out;
	uint64_t hour;               /* capture hour whose "YYYY-MM-DDTHH:" is cached */
	char hour_s[32];
	size_t hour_len;             /* 0: nothing cached */
	const struct apps *apps;     /* app names (app.c) */
	struct mask *mask;           /* host names masked (mask.c) */
	char host[sizeof ((struct report_flow *)0)->host];  /* the last host name given ... */
	const char *host_out;        /* ... and what is written for it: host, or hostm masked */
	char hostm[sizeof ((struct report_flow *)0)->host];
};

/* Longest record flow_put writes: the strings escaped (6 bytes a byte at worst) plus
 * well under 1 KiB of names, numbers, addresses and times. */
#define FLOW_STRS(f) (sizeof (f)->app_proto + sizeof (f)->category + sizeof (f)->host + \
		      sizeof (f)->geo.country + sizeof (f)->geo.city + sizeof (f)->geo.asn_org)
#define FLOW_MAX(f) (1024 + 6 * FLOW_STRS(f) + APP_JSON_MAX)

static char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define LIT(p, s) put_lit(p, s, sizeof s - 1)

/* ,"key":"text" or ,"key":null; key is a literal. */
#define PUT_STR(p, key, v) put_str(LIT(p, ",\"" key "\":"), v)

static char *put_str(char *p, const char *v)
{
	if (v && v[0])
		return p + escape_json(v, p);
	return LIT(p, "null");
}

/* A name from a fixed table, which never needs escaping. */
static char *put_name(char *p, const char *v)
{
	if (!v)
		return LIT(p, "null");
	*p++ = '"';
	p = put_lit(p, v, strlen(v));
	*p++ = '"';
	return p;
}

static char *put_2d(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* "MM:SS" of a second within the hour. */
static char *put_mmss(char *p, unsigned s)
{
	p = put_2d(p, s / 60);
	*p++ = ':';
	return put_2d(p, s % 60);
}

/* util_iso8601 with "YYYY-MM-DDTHH:" cached for the hour: consecutive flows nearly always
 * share it, and gmtime + strftime per timestamp was a tenth of the report. */
static char *put_time(struct flowbuf *fb, char *p, uint64_t us)
{
	uint64_t t = us / 1000000, h = t / 3600;
	unsigned s = (unsigned)(t % 3600), frac = (unsigned)(us % 1000000);
	if (!fb->hour_len || fb->hour != h) {
		char buf[40], mmss[5];
		util_iso8601(us, buf, sizeof buf);
		size_t n = strlen(buf);  /* ends "MM:SS.uuuuuuZ" */
		put_mmss(mmss, s);
		if (n <= 13 || memcmp(buf + n - 13, mmss, 5))  /* a leap-second zone (TZ=right/...): no cache */
			return put_lit(p, buf, n);
		fb->hour = h;
		fb->hour_len = n - 13;
		memcpy(fb->hour_s, buf, n - 13);
	}
	p = put_mmss(put_lit(p, fb->hour_s, fb->hour_len), s);
	*p++ = '.';
	for (unsigned d = 100000; d; d /= 10)
		*p++ = (char)('0' + frac / d % 10);
	*p++ = 'Z';
	return p;
}

static char *put_bool(char *p, int v)
{
	return v ? LIT(p, "true") : LIT(p, "false");
}

/* Source and destination as EVE writes them. */
static char *put_endpoints(char *p, const struct report_flow *fl)
{
	char a[INET6_ADDRSTRLEN];
	p = LIT(p, ",\"src_ip\":\"");
	report_addr_str(fl->family, fl->addr[0], a, sizeof a);
	p = put_lit(p, a, strlen(a));
	p = put_dec(LIT(p, "\",\"src_port\":"), fl->port[0]);
	p = LIT(p, ",\"dest_ip\":\"");
	report_addr_str(fl->family, fl->addr[1], a, sizeof a);
	p = put_lit(p, a, strlen(a));
	p = put_dec(LIT(p, "\",\"dest_port\":"), fl->port[1]);
	return fl->proto == 6 ? LIT(p, ",\"proto\":\"TCP\"") : LIT(p, ",\"proto\":\"UDP\"");
}

/* A flow's host name masked, from the last flow's when it is the same (flows to one host
 * come in runs): one Hyperscan scan per run, not per flow. */
static const char *flow_host(struct flowbuf *fb, const char *host)
{
	if (!host[0])
		return host;
	if (fb->host_out && !strcmp(fb->host, host))
		return fb->host_out;
	snprintf(fb->host, sizeof fb->host, "%s", host);
	const char *m = mask_str(fb->mask, fb->host, fb->hostm, sizeof fb->hostm);
	fb->host_out = m == fb->host ? fb->host : fb->hostm;
	return fb->host_out;
}

/* One flow as a compact JSON object (same members as EVE's flow event where EVE has one). */
static char *flow_put(struct flowbuf *fb, char *p, const struct report_flow *fl)
{
	p = put_endpoints(put_dec(LIT(p, "{\"flow_id\":"), fl->id), fl);
	p = PUT_STR(p, "app_proto", fl->app_proto[0] ? fl->app_proto : "Unknown");
	p = PUT_STR(p, "category", fl->category);
	p = PUT_STR(p, "host", flow_host(fb, fl->host));
	p = put_name(LIT(p, ",\"host_source\":"), host_source_name(fl->host_source));
	p = put_name(LIT(p, ",\"device_side\":"), fl->dev[0] ? "src" : fl->dev[1] ? "dest" : "none");
	p = PUT_STR(p, "country", fl->geo.country);
	p = PUT_STR(p, "city", fl->geo.city);
	p = fl->geo.asn ? put_dec(LIT(p, ",\"asn\":"), fl->geo.asn) : LIT(p, ",\"asn\":null");
	p = PUT_STR(p, "asn_org", fl->geo.asn_org);
	p = put_bool(LIT(p, ",\"foreign\":"), fl->foreign);
	if (fl->quic_version) {
		char vb[16];
		p = put_name(LIT(p, ",\"quic_version\":"), quic_version_name(fl->quic_version, vb, sizeof vb));
	}
	if (fl->tls_keys) {  /* --keylog */
		static const char *const tk[] = { "", "decrypted", "encrypted, no key", "decryption failed" };
		p = put_name(LIT(p, ",\"tls_decryption\":"), tk[fl->tls_keys & 3]);
	}
	p = put_dec(LIT(p, ",\"pkts_toserver\":"), fl->pkts[0]);
	p = put_dec(LIT(p, ",\"pkts_toclient\":"), fl->pkts[1]);
	p = put_dec(LIT(p, ",\"bytes_toserver\":"), fl->bytes[0]);
	p = put_dec(LIT(p, ",\"bytes_toclient\":"), fl->bytes[1]);
	p = put_time(fb, LIT(p, ",\"first_seen\":\""), fl->first_us);
	p = put_time(fb, LIT(p, "\",\"last_seen\":\""), fl->last_us);
	p = put_bool(LIT(p, "\",\"truncated\":"), fl->truncated);
	if (fl->truncated)
		p = put_dec(LIT(p, ",\"scan_stopped_at\":"), fl->scan_stopped_at);
	p = put_dec(LIT(p, ",\"leaks\":"), fl->nleaks);
	p = apps_put_json(fb->apps, fl->app_uid, fl->app_source, LIT(p, ",\"app\":"));
	*p++ = '}';
	return p;
}

/* The identifier a leak matched, masked unless --show-identifiers. */
static json_t *identifier_json(const struct audit *a, const struct report_leak *l)
{
	char id[512];
	mask_identifier(a, l, id, sizeof id);
	return id[0] ? json_string(id) : json_null();
}

/* A captured string masked (mask.c), or null when empty. */
static json_t *jmasked(struct mask *k, const char *s)
{
	char b[1024];
	return s && s[0] ? json_string(mask_str(k, s, b, sizeof b)) : json_null();
}

void report_json_endpoints(json_t *o, const struct report_flow *f, int src)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	report_addr_str(f->family, f->addr[src], s, sizeof s);
	report_addr_str(f->family, f->addr[!src], d, sizeof d);
	json_object_set_new(o, "src_ip", json_string(s));
	json_object_set_new(o, "src_port", json_integer(f->port[src]));
	json_object_set_new(o, "dest_ip", json_string(d));
	json_object_set_new(o, "dest_port", json_integer(f->port[!src]));
	json_object_set_new(o, "proto", json_string(f->proto == 6 ? "TCP" : "UDP"));
	json_object_set_new(o, "app_proto", json_string(f->app_proto[0] ? f->app_proto : "Unknown"));
}

json_t *report_json_app(const struct report *r, const struct report_flow *f)
{
	char buf[APP_JSON_MAX + 1];
	if (!f || !f->app_source)
		return json_null();
	*apps_put_json(r->apps, f->app_uid, f->app_source, buf) = 0;
	return json_loads(buf, 0, NULL);
}

/* What the arrays' elements are built from: the audit, and the masker of the writing thread. */
struct jctx {
	const struct audit *a;
	struct mask *mask;
};

static json_t *leak_json(const struct jctx *c, const struct report_leak *l)
{
	const struct audit *a = c->a;
	const struct report_flow *f = report_flow_by_id(a->rep, l->flow_id);
	json_t *o = json_object();
	json_object_set_new(o, "flow_id", json_integer((json_int_t)l->flow_id));
	json_object_set_new(o, "kind", json_string(identity_kind_name(l->kind)));
	json_object_set_new(o, "identifier", identifier_json(a, l));
	json_object_set_new(o, "confidence", json_string(l->suspected ? "suspected" : "confirmed"));
	json_object_set_new(o, "subject", jstr_or_null(report_subject_name(report_leak_subject(l))));
	json_object_set_new(o, "finding", l->finding ? json_integer(l->finding) : json_null());
	json_object_set_new(o, "key", jmasked(c->mask, l->key));
	if (l->rule_id) {
		json_t *ru = json_object();
		json_object_set_new(ru, "id", json_string(l->rule_id));
		json_object_set_new(ru, "severity", json_string(l->rule_sev ? l->rule_sev : "medium"));
		json_object_set_new(ru, "description", json_string(l->rule_desc ? l->rule_desc : ""));
		json_object_set_new(o, "rule", ru);
	}
	json_object_set_new(o, "encoding", json_string(l->encoding));
	json_object_set_new(o, "chain", json_pack("s++", report_where_name(l->where), ":", l->encoding));
	json_object_set_new(o, "where", json_string(report_where_name(l->where)));
	json_object_set_new(o, "name", jmasked(c->mask, l->name));
	json_object_set_new(o, "timestamp", jtime(l->ts_us));
	if (f) {
		report_json_endpoints(o, f, l->dir);
		json_object_set_new(o, "host", jmasked(c->mask, f->host));
		json_object_set_new(o, "country", jstr_or_null(f->geo.country));
		json_object_set_new(o, "asn", f->geo.asn ? json_integer(f->geo.asn) : json_null());
		json_object_set_new(o, "asn_org", jstr_or_null(f->geo.asn_org));
	}
	json_object_set_new(o, "foreign", json_boolean(l->foreign));
	json_object_set_new(o, "encrypted", json_boolean(l->encrypted));
	if (l->decrypted) {
		json_object_set_new(o, "decrypted", json_true());
		json_object_set_new(o, "transport", json_string(l->transport[0] ? l->transport : "tls"));
		if (l->quic_version) {
			char vb[16];
			json_object_set_new(o, "quic_version", json_string(quic_version_name(l->quic_version, vb, sizeof vb)));
		}
		json_object_set_new(o, "tls_version", json_string(l->tls_version));
		json_object_set_new(o, "cipher", json_string(l->cipher));
	}
	json_object_set_new(o, "severity", json_string(policy_severity_name(l->severity)));
	json_object_set_new(o, "evidence", json_string(l->evidence ? l->evidence : ""));
	json_object_set_new(o, "app", report_json_app(a->rep, f));
	json_object_set_new(o, "accepted", accept_leak_json(&a->acc, l));
	return o;
}

/* A live input's -w files: path, hash, counts, and whether the -W ring removed it. */
static json_t *files_json(const struct report_input *in)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < in->nfiles; i++) {
		const struct report_file *f = &in->files[i];
		json_t *o = json_pack("{s:s,s:s}", "path", f->path, "sha256", f->sha256);
		json_object_set_new(o, "packets", json_integer((json_int_t)f->packets));
		json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
		json_object_set_new(o, "overwritten", json_boolean(f->overwritten));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *inputs_json(const struct report *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct report_input *in = &r->inputs[i];
		json_t *o = json_object();
		json_object_set_new(o, "path", json_string(in->path));
		json_object_set_new(o, "sha256", json_string(in->sha256));
		json_object_set_new(o, "link_type", jstr_or_null(in->link_type));
		json_object_set_new(o, "compression", jstr_or_null(in->compression));
		json_object_set_new(o, "packets", json_integer((json_int_t)in->packets));
		json_object_set_new(o, "bytes", json_integer((json_int_t)in->bytes));
		json_object_set_new(o, "first_seen", in->packets ? jtime(in->first_us) : json_null());
		json_object_set_new(o, "last_seen", in->packets ? jtime(in->last_us) : json_null());
		json_object_set_new(o, "warning", jstr_or_null(in->warning));
		if (in->nfiles)
			json_object_set_new(o, "files", files_json(in));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *options_json(const struct audit *a)
{
	const struct policy *p = &a->o.policy;
	json_t *o = json_object(), *allow = json_array(), *dev = json_array();
	for (size_t i = 0; i < p->nallow; i++)
		json_array_append_new(allow, json_string(p->allow[i]));
	for (size_t i = 0; i < p->ndev; i++)
		json_array_append_new(dev, json_string(p->dev[i].text));
	json_object_set_new(o, "home", jstr_or_null(p->home));
	json_object_set_new(o, "allow", allow);
	json_object_set_new(o, "devices", dev);
	json_object_set_new(o, "identity_sha256", a->id ? json_string(a->id->sha256) : json_null());
	json_object_set_new(o, "identity_patterns", json_integer((json_int_t)a->rep->st.patterns));
	json_object_set_new(o, "show_identifiers", json_boolean(a->o.show_identifiers));
	return o;
}

#define SET_U64(o, k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))

static json_t *stats_json(const struct report_stats *s)
{
	json_t *o = json_object(), *sk = json_object();
	SET_U64(o, "packets", s->packets);
	SET_U64(o, "bytes", s->bytes);
	for (int i = 1; i < DR__COUNT; i++)
		if (s->skipped[i])
			SET_U64(sk, decode_reason_name(i), s->skipped[i]);
	json_object_set_new(o, "skipped", sk);
	SET_U64(o, "malformed", s->malformed);
	SET_U64(o, "flows", s->flows);
	SET_U64(o, "flows_peak", s->flows_peak);
	SET_U64(o, "evicted", s->evicted);
	SET_U64(o, "expired", s->expired);
	SET_U64(o, "http_requests", s->http_requests);
	SET_U64(o, "http_bodies_truncated", s->http_bodies_truncated);
	SET_U64(o, "http_decode_errors", s->http_decode_errors);
	SET_U64(o, "http_parse_errors", s->http_parse_errors);
	SET_U64(o, "reasm_out_of_order", s->reasm_ooo);
	SET_U64(o, "reasm_retransmitted_bytes", s->reasm_retrans_bytes);
	SET_U64(o, "reasm_gaps", s->reasm_gaps);
	SET_U64(o, "reasm_gap_bytes", s->reasm_gap_bytes);
	SET_U64(o, "reasm_memcap_drops", s->reasm_memcap_drops);
	SET_U64(o, "dns_responses", s->dns_responses);
	SET_U64(o, "dns_malformed", s->dns_malformed);
	SET_U64(o, "ndpi_unknown", s->ndpi_unknown);
	SET_U64(o, "tls_encrypted_bytes_not_inspected", s->tls_bytes_skipped);
	if (s->tls_decrypted_flows || s->tls_nokey_flows || s->tls_failed_flows) {  /* --keylog */
		SET_U64(o, "tls_flows_decrypted", s->tls_decrypted_flows);
		SET_U64(o, "tls_flows_encrypted_no_key", s->tls_nokey_flows);
		SET_U64(o, "tls_flows_decryption_failed", s->tls_failed_flows);
		SET_U64(o, "tls_records_decrypted", s->tls_records_decrypted);
		SET_U64(o, "tls_records_failed_authentication", s->tls_records_failed);
		SET_U64(o, "tls_bytes_decrypted", s->tls_bytes_decrypted);
		SET_U64(o, "tls_key_updates", s->tls_key_updates);
	}
	if (s->quic_flows) {
		SET_U64(o, "quic_flows", s->quic_flows);
		SET_U64(o, "quic_packets_decrypted", s->quic_packets_decrypted);
		SET_U64(o, "quic_packets_failed_authentication", s->quic_packets_failed);
		SET_U64(o, "quic_bytes_decrypted", s->quic_bytes_decrypted);
		SET_U64(o, "quic_key_updates", s->quic_key_updates);
		SET_U64(o, "quic_stream_bytes_dropped", s->quic_stream_bytes_dropped);
		SET_U64(o, "quic_h3_server_settings", s->quic_h3_server_settings);
		SET_U64(o, "quic_h3_qpack_table_assumed", s->quic_h3_qpack_assumed);
	}
	SET_U64(o, "leaks_dropped", s->leaks_dropped);
	if (s->spill_bytes)  /* ended flows that waited in a temporary file */
		SET_U64(o, "spill_bytes", s->spill_bytes);
	if (s->live)
		SET_U64(o, "kernel_dropped", s->kernel_dropped);
	return o;
}

struct country_sum {
	char cc[8];
	uint64_t flows, bytes, leaks;
	int foreign;                 /* of the first flow */
};

/* A country's slot: its two letters (country[2] is the NUL), 0 local, 1 unknown. */
/* stats.apps: what the app attribution read (app.c), when any app or its trace was seen. */
static json_t *report_json_app_stats(json_t *o, const struct report *r)
{
	const struct app_stats *s = r->apps ? apps_stats(r->apps) : NULL;
	if (!s || !(s->trailers | s->trailers_malformed | s->custom_blocks | s->custom_blocks_malformed |
		    s->comments | s->nflog_uids | s->nflog_no_uid | s->csv_rows | s->hint_flows))
		return o;
	json_t *ap = json_object();
	SET_U64(ap, "packets_attributed", s->attributed);
	SET_U64(ap, "pcapdroid_trailers", s->trailers);
	SET_U64(ap, "pcapdroid_trailers_malformed", s->trailers_malformed);
	SET_U64(ap, "pcapng_custom_blocks", s->custom_blocks);
	SET_U64(ap, "pcapng_custom_blocks_malformed", s->custom_blocks_malformed);
	SET_U64(ap, "pcapng_uid_comments", s->comments);
	SET_U64(ap, "nflog_uids", s->nflog_uids);
	SET_U64(ap, "nflog_without_uid", s->nflog_no_uid);
	SET_U64(ap, "csv_rows", s->csv_rows);
	SET_U64(ap, "csv_rows_matched", s->csv_matched);
	SET_U64(ap, "csv_rows_unmatched", s->csv_unmatched);
	SET_U64(ap, "flows_by_hint", s->hint_flows);
	json_object_set_new(o, "apps", ap);
	return o;
}

static size_t country_slot(const struct report_flow *f)
{
	const unsigned char *c = (const unsigned char *)f->geo.country;
	return c[0] ? (size_t)c[0] << 8 | c[1] : f->geo.status == GEO_RESERVED ? 0 : 1;
}

/* Flows, bytes and leaks per destination country, in order of first flow; counted while the
 * flows are written, in a table indexed by the code: one jansson look-up per flow was a hash each. */
struct countries {
	uint32_t *slot;              /* index + 1 into sum */
	struct country_sum *sum;
	size_t n;
};

static void countries_open(struct countries *t, size_t nflows)
{
	t->slot = util_xcalloc(1u << 16, sizeof *t->slot);
	t->sum = util_xcalloc(nflows < (1u << 16) ? nflows + 1 : 1u << 16, sizeof *t->sum);
	t->n = 0;
}

static void countries_close(struct countries *t)
{
	free(t->slot);
	free(t->sum);
}

static void countries_add(struct countries *t, const struct report_flow *f)
{
	size_t k = country_slot(f);
	if (!t->slot[k]) {
		struct country_sum *c = &t->sum[t->n];
		*c = (struct country_sum){ .foreign = f->foreign };
		snprintf(c->cc, sizeof c->cc, "%s", f->geo.country[0] ? f->geo.country : k == 0 ? "local" : "unknown");
		t->slot[k] = (uint32_t)++t->n;
	}
	struct country_sum *c = &t->sum[t->slot[k] - 1];
	c->flows++;
	c->bytes += f->bytes[0] + f->bytes[1];
	c->leaks += f->nleaks;
}

/* Per destination country and per kind. */
static json_t *summary_json(const struct report *r, const struct countries *t)
{
	const struct country_sum *sum = t->sum;
	size_t n = t->n;
	json_t *countries = json_object(), *kinds = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(countries, sum[i].cc, json_pack("{s:I,s:I,s:I,s:b}", "flows", (json_int_t)sum[i].flows,
			"bytes", (json_int_t)sum[i].bytes, "leaks", (json_int_t)sum[i].leaks, "foreign", sum[i].foreign));
	for (size_t i = 0; i < r->nleaks; i++) {
		const char *k = identity_kind_name(r->leaks[i].kind);
		SET_U64(kinds, k, json_integer_value(json_object_get(kinds, k)) + 1);
	}
	json_t *o = json_object();
	json_object_set_new(o, "countries", countries);
	json_object_set_new(o, "kinds", kinds);
	SET_U64(o, "accepted_findings", accept_count_findings(r));  /* --accept: out of the verdict */
	return o;
}

static void mac_str(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* One address of a device: where it was first seen and how it was tied to the MAC. */
static json_t *device_addr_json(const struct device_addr *x)
{
	char s[INET6_ADDRSTRLEN];
	report_addr_str(x->family, x->addr, s, sizeof s);
	json_t *o = json_object();
	json_object_set_new(o, "address", json_string(s));
	json_object_set_new(o, "learned", json_string(devices_how_name(x->how)));
	json_object_set_new(o, "first_seen", jtime(x->first_us));
	return o;
}

/* Devices seen on the LAN (source MACs, DHCP, DHCPv6, ARP, NDP, --device), in order of
 * appearance; gateways and bystanders are not devices. */
static json_t *devices_json(const struct jctx *c)
{
	const struct audit *a = c->a;
	const struct devices *d = a->devs;
	json_t *arr = json_array();
	for (size_t i = 0; d && i < devices_count(d); i++) {
		const struct device *v = devices_get(d, i);
		if (!devices_is_device(v))
			continue;
		char mac[18], ip4[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
		mac_str(v->mac, mac);
		report_addr_str(4, v->ip4, ip4, sizeof ip4);
		report_addr_str(6, v->ip6, ip6, sizeof ip6);
		json_t *o = json_object(), *addrs = json_array();
		for (size_t k = 0; k < v->naddr; k++)
			json_array_append_new(addrs, device_addr_json(devices_addr(d, v, k)));
		json_object_set_new(o, "mac", json_string(mac));
		json_object_set_new(o, "ip", v->has_ip4 ? json_string(ip4) : json_null());
		json_object_set_new(o, "ipv6", v->has_ip6 ? json_string(ip6) : json_null());
		json_object_set_new(o, "addresses", addrs);
		if (v->unlisted)
			json_object_set_new(o, "addresses_not_listed", json_integer((json_int_t)v->unlisted));
		json_object_set_new(o, "hostname", jmasked(c->mask, v->hostname));  /* android-<Android ID> */
		json_object_set_new(o, "vendor_class", jmasked(c->mask, v->vendor));
		json_object_set_new(o, "source", json_string(v->source));
		json_object_set_new(o, "under_test", json_boolean(!a->o.policy.ndev || v->option));
		json_object_set_new(o, "first_seen", v->first_us ? jtime(v->first_us) : json_null());
		json_object_set_new(o, "last_seen", v->last_us ? jtime(v->last_us) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

/* How the devices under test were told, the gateways, and what no rule covered. */
static json_t *device_selection_json(const struct audit *a)
{
	const char *reason, *method = audit_device_method(a, &reason);
	const struct audit_unscanned *u = &a->unscanned;
	json_t *o = json_object(), *gw = json_array(), *un = json_object();
	for (size_t i = 0; a->devs && i < devices_count(a->devs); i++) {
		const struct device *v = devices_get(a->devs, i);
		char mac[18];
		if (v->role != DEV_ROLE_GATEWAY || v->option)
			continue;
		mac_str(v->mac, mac);
		json_array_append_new(gw, json_string(mac));
	}
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "reason", json_string(reason));
	json_object_set_new(o, "gateways", gw);
	SET_U64(un, "flows", u->flows);
	SET_U64(un, "packets", u->pkts);
	SET_U64(un, "bytes", u->bytes);
	SET_U64(un, "addresses", u->naddr);
	json_object_set_new(un, "addresses_more", json_boolean(u->full));
	json_object_set_new(o, "not_scanned", un);
	if (a->devs) {
		const struct devices_stats *ds = devices_stats(a->devs);
		SET_U64(o, "macs_dropped", ds->macs_dropped);
		SET_U64(o, "addresses_dropped", ds->addrs_dropped);
	}
	return o;
}

#define DUMP_FLAGS (JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

/* Writes "key": value (value consumed); first says whether a comma goes before it. */
static int put_member(FILE *f, const char *key, json_t *v, int first, size_t flags)
{
	int ok = fprintf(f, "%s\"%s\": ", first ? "" : ",\n", key) > 0 && json_dumpf(v, f, flags) == 0;
	json_decref(v);
	return ok;
}

/* "key": [ one element per line ], building each element only while it is written:
 * a report of a million flows never sits in memory as one JSON tree. */
static int put_array(FILE *f, const char *key, size_t n, json_t *(*elem)(const struct jctx *, size_t),
		     const struct jctx *c)
{
	if (fprintf(f, ",\n\"%s\": [", key) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = elem(c, i);
		int ok = fputs(i ? ",\n  " : "\n  ", f) >= 0 && json_dumpf(e, f, JSON_COMPACT | DUMP_FLAGS) == 0;
		json_decref(e);
		if (!ok)
			return 0;
	}
	return fputs(n ? "\n]" : "]", f) >= 0;
}

/* Writes n bytes of flows. Every WRITEBACK_EVERY bytes the disk is asked to start writing
 * what is done (sync_file_range, no wait): the report's closing fsync then waits for the
 * tail only, not for a hundred megabytes at once. Not a file (a pipe, /dev/null): no-op. */
static int flows_write(struct flows_out *o, const char *b, size_t n)
{
	int ok = fwrite(b, 1, n, o->f) == n;
	o->written += n;
	if (ok && o->written - o->synced >= WRITEBACK_EVERY && fflush(o->f) == 0) {
		sync_file_range(fileno(o->f), 0, 0, SYNC_FILE_RANGE_WRITE);
		o->synced = o->written;
	}
	return ok;
}

static void *flows_writer(void *arg)
{
	struct flows_out *o = arg;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->full && !o->done)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->full)
			break;
		const char *b = o->full;
		size_t n = o->full_len;
		pthread_mutex_unlock(&o->mu);
		int ok = flows_write(o, b, n);
		pthread_mutex_lock(&o->mu);
		o->ok = o->ok && ok;
		o->full = NULL;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* Hands the filled buffer over (once the previous one is written) and fills the other. */
static int flows_flush(struct flowbuf *fb)
{
	struct flows_out *o = &fb->out;
	if (!o->apart) {
		o->ok = o->ok && flows_write(o, fb->b, fb->len);
		fb->len = 0;
		return o->ok;
	}
	pthread_mutex_lock(&o->mu);
	while (o->full)
		pthread_cond_wait(&o->cv, &o->mu);
	o->full = fb->b;
	o->full_len = fb->len;
	pthread_cond_broadcast(&o->cv);
	int ok = o->ok;
	pthread_mutex_unlock(&o->mu);
	fb->b = fb->b == fb->buf[0] ? fb->buf[1] : fb->buf[0];
	fb->len = 0;
	return ok;
}

static void flows_out_start(struct flows_out *o, FILE *f)
{
	memset(o, 0, sizeof *o);
	o->f = f;
	o->ok = 1;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->apart = pthread_create(&o->th, NULL, flows_writer, o) == 0;
}

/* Waits for the last buffer to be written; 1 if all were. */
static int flows_out_end(struct flows_out *o)
{
	if (o->apart) {
		pthread_mutex_lock(&o->mu);
		o->done = 1;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->th, NULL);
	}
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	return o->ok;
}

static int put_flows(FILE *f, const struct report *r, struct mask *mk, struct countries *cs)
{
	struct flowbuf *fb = util_xmalloc(sizeof *fb);
	int ok = 1;
	fb->hour_len = 0;
	fb->buf[0] = util_xmalloc(FLOWS_BUF);
	fb->buf[1] = util_xmalloc(FLOWS_BUF);
	fb->b = fb->buf[0];
	fb->apps = r->apps;
	fb->mask = mk;
	fb->host_out = NULL;
	flows_out_start(&fb->out, f);
	fb->len = (size_t)(LIT(fb->b, ",\n\"flows\": [") - fb->b);
	struct report_iter *it = report_flows_begin(r);
	size_t i = 0;
	for (const struct report_flow *fl; ok && (fl = report_flows_next(it)); i++) {
		if (FLOWS_BUF - fb->len < FLOW_MAX(fl) + 8)
			ok = flows_flush(fb);
		char *p = fb->b + fb->len;
		p = i ? LIT(p, ",\n  ") : LIT(p, "\n  ");
		fb->len = (size_t)(flow_put(fb, p, fl) - fb->b);
		countries_add(cs, fl);
	}
	report_flows_end(it);
	char *p = fb->b + fb->len;
	fb->len = (size_t)(i ? LIT(p, "\n]") - fb->b : LIT(p, "]") - fb->b);
	ok = ok && flows_flush(fb);
	ok = flows_out_end(&fb->out) && ok;
	free(fb->buf[0]);
	free(fb->buf[1]);
	free(fb);
	return ok && !ferror(f);
}

static json_t *leak_elem(const struct jctx *c, size_t i)
{
	return leak_json(c, &c->a->rep->leaks[i]);
}

static void add_identifier(void *arg, const char *text, int confirmed)
{
	(void)confirmed;
	json_array_append_new(arg, json_string(text));
}

/* One finding: the hits of one kind and subject in one message, with its destination. */
static json_t *finding_elem(const struct jctx *c, size_t i)
{
	const struct audit *a = c->a;
	const struct report *r = a->rep;
	const struct report_finding *fd = &r->findings[i];
	const struct report_flow *f = report_flow_by_id(r, fd->flow_id);
	json_t *o = json_object(), *leaks = json_array(), *ids = json_array();
	char where[128];
	json_object_set_new(o, "id", json_integer(fd->id));
	json_object_set_new(o, "kind", json_string(identity_kind_name(fd->kind)));
	json_object_set_new(o, "subject", jstr_or_null(report_subject_name(fd->subject)));
	json_object_set_new(o, "count", json_integer(fd->count));
	json_object_set_new(o, "confirmed", json_integer(fd->confirmed));
	json_object_set_new(o, "hits", json_integer((json_int_t)fd->n));
	json_object_set_new(o, "flow_id", json_integer((json_int_t)fd->flow_id));
	json_object_set_new(o, "timestamp", jtime(fd->ts_us));
	if (f) {
		char d[INET6_ADDRSTRLEN];
		report_addr_str(f->family, f->addr[!fd->dir], d, sizeof d);
		json_object_set_new(o, "dest_ip", json_string(d));
		json_object_set_new(o, "dest_port", json_integer(f->port[!fd->dir]));
		json_object_set_new(o, "host", jmasked(c->mask, f->host));
		json_object_set_new(o, "country", jstr_or_null(f->geo.country));
	}
	findings_where(r, fd, where, sizeof where);
	json_object_set_new(o, "where", json_string(where));
	json_object_set_new(o, "foreign", json_boolean(fd->foreign));
	json_object_set_new(o, "encrypted", json_boolean(fd->encrypted));
	json_object_set_new(o, "decrypted", json_boolean(fd->decrypted));
	json_object_set_new(o, "severity", json_string(policy_severity_name(fd->severity)));
	json_object_set_new(o, "accepted", fd->accepted ? accept_leak_json(&a->acc, &r->leaks[r->fidx[fd->first]])
						       : json_null());
	for (size_t k = 0; k < fd->n; k++)
		json_array_append_new(leaks, json_integer((json_int_t)r->fidx[fd->first + k]));
	json_object_set_new(o, "leaks", leaks);
	findings_identifiers(r, a->id, a->o.show_identifiers, fd, add_identifier, ids);
	json_object_set_new(o, "identifiers", ids);
	return o;
}

static json_t *warnings_json(const struct report *r)
{
	json_t *warn = json_array();
	for (size_t i = 0; i < r->nwarnings; i++)
		json_array_append_new(warn, json_string(r->warnings[i]));
	for (size_t i = 0; i < r->ninputs; i++)
		if (r->inputs[i].warning)
			json_array_append_new(warn, json_string(r->inputs[i].warning));
	return warn;
}

/* The leaks and findings arrays rendered on another thread while the flows are written, into
 * a temporary file: in memory it would grow with the capture's leaks (30 MB at 10 GB of the
 * bench), and after the flows it would keep one core waiting (30 ms on the bench's 1 GB). */
struct leaks_job {
	const struct audit *a;
	FILE *tmp;
	int ok;
};

static void *render_leaks(void *arg)
{
	struct leaks_job *j = arg;
	char err[256];
	struct jctx c = { j->a, mask_open(j->a, err, sizeof err) };  /* this thread's own scratch */
	int fd = c.mask ? util_tmpfd("phonehome-leaks", err, sizeof err) : -1;
	j->tmp = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (!j->tmp && fd >= 0)
		close(fd);
	j->ok = j->tmp && put_array(j->tmp, "leaks", j->a->rep->nleaks, leak_elem, &c) &&
		put_array(j->tmp, "findings", j->a->rep->nfindings, finding_elem, &c) && fflush(j->tmp) == 0;
	mask_free(c.mask);
	return NULL;
}

static int copy_file(FILE *from, FILE *to)
{
	char buf[1 << 16];
	size_t n;
	rewind(from);
	while ((n = fread(buf, 1, sizeof buf, from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return 0;
	return !ferror(from);
}

/* The flows, then the leaks and the findings (rendered meanwhile when a thread can be had). */
static int put_flows_leaks_findings(FILE *f, const struct jctx *c, struct countries *cs)
{
	const struct audit *a = c->a;
	struct leaks_job j = { .a = a };
	pthread_t th;
	int apart = pthread_create(&th, NULL, render_leaks, &j) == 0;
	int ok = put_flows(f, a->rep, c->mask, cs);
	if (apart)
		pthread_join(th, NULL);
	else
		render_leaks(&j);
	ok = ok && j.ok && copy_file(j.tmp, f);
	if (j.tmp)
		fclose(j.tmp);
	return ok;
}

int report_json_dump(const struct audit *a, FILE *f)
{
	const struct report *r = a->rep;
	size_t ind = JSON_INDENT(2) | DUMP_FLAGS;
	struct custody c;
	char err[128];
	struct jctx jc = { a, mask_open(a, err, sizeof err) };  /* nothing unmasked is written without it */
	if (!jc.mask)
		return -1;
	custody_collect(a, &c);
	struct countries cs;
	countries_open(&cs, report_nflows(r));
	int ok = fputs("{\n", f) >= 0 &&
		 put_member(f, "tool", json_pack("{s:s,s:s,s:i}", "name", "phonehome", "version", PH_VERSION,
						  "report_format", REPORT_JSON_FORMAT), 1, ind) &&
		 put_member(f, "inputs", inputs_json(r), 0, ind) && put_member(f, "options", options_json(a), 0, ind) &&
		 put_member(f, "stats", report_json_app_stats(stats_json(&r->st), r), 0, ind) && put_member(f, "warnings", warnings_json(r), 0, ind) &&
		 put_member(f, "device_selection", device_selection_json(a), 0, ind) &&
		 put_member(f, "devices", devices_json(&jc), 0, ind) &&
		 put_flows_leaks_findings(f, &jc, &cs) &&
		 put_member(f, "summary", summary_json(r, &cs), 0, ind) && put_member(f, "custody", custody_json(a, &c), 0, ind) &&
		 fputs("\n}\n", f) >= 0;
	countries_close(&cs);
	mask_free(jc.mask);
	return ok ? 0 : -1;
}

int report_json_check_path(const char *path, char *errbuf, size_t errlen)
{
	if (!strcmp(path, "-"))
		return 0;
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "%s: is a directory", path);
		return -1;
	}
	if (util_special_file(path)) {  /* /dev/null: written into, its directory not needed */
		if (access(path, W_OK) == 0)
			return 0;
		snprintf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	char dir[PATH_MAX];
	if (util_parent_writable(path, dir, sizeof dir) == 0)
		return 0;
	snprintf(errbuf, errlen, "%s: cannot write in %s: %s", path, dir, strerror(errno));
	return -1;
}

int report_json_write(const struct audit *a, const char *path, char *errbuf, size_t errlen)
{
	if (!strcmp(path, "-")) {
		if (report_json_dump(a, stdout) < 0 || fflush(stdout) != 0) {
			snprintf(errbuf, errlen, "-: cannot write JSON to stdout: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (util_special_file(path)) {  /* --json /dev/null: renaming a file over it would replace it */
		FILE *f = fopen(path, "w");
		int ok = f && report_json_dump(a, f) == 0 && fflush(f) == 0;
		if ((f && fclose(f) != 0) || !ok) {
			snprintf(errbuf, errlen, "%s: cannot write report: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	size_t n = strlen(path) + 16;
	char *tmp = util_xmalloc(n);
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f)  /* a hundred megabytes: in 1 MiB writes, not 4 KiB */
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	int ok = f && report_json_dump(a, f) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	int err = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	} else if (!f && fd >= 0) {
		close(fd);
	}
	if (ok) {  /* mkstemp made it 0600: give it the mode any new file would get */
		mode_t um = umask(0);
		umask(um);
		chmod(tmp, 0666 & ~um);
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		unlink(tmp);
		snprintf(errbuf, errlen, "%s: cannot write report: %s", path, strerror(err));
	}
	free(tmp);
	return ok ? 0 : -1;
}
