/* audit.c - wires the stages for each packet and finishes each flow:
 * decode, flow, nDPI, DNS names, scan of what devices send, then geo and policy. */
#include "audit.h"
#include "classify.h"
#include "config.h"
#include "dns.h"
#include "dnscache.h"
#include "flow.h"
#include "geo.h"
#include "identity.h"
#include "match.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_flow_end(void *arg, struct flow *f);

int audit_open(struct audit *a, const struct audit_opts *o, char *errbuf, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->o = *o;
	a->rep = report_new();
	if (o->identity_path) {
		if (identity_load(o->identity_path, &a->id, errbuf, errlen) < 0)
			return -1;
		a->m = match_compile(a->id, errbuf, errlen);
		if (!a->m)
			return -1;
		for (size_t i = 0; i < a->id->nwarnings; i++)
			report_warn(a->rep, "%s", a->id->warnings[i]);
		a->rep->st.patterns = match_pattern_count(a->m);
	}
	if (o->geoip_path || o->asn_path) {
		a->geo = geo_open(o->geoip_path, o->asn_path, errbuf, errlen);
		if (!a->geo)
			return -1;
	}
	a->cls = classify_open(o->protos_path, errbuf, errlen);
	if (!a->cls)
		return -1;
	a->dns = dnscache_new(PH_DNS_CACHE_SIZE);
	a->ft = flow_table_new(o->max_flows ? o->max_flows : PH_MAX_FLOWS, on_flow_end, a);
	scan_init(&a->sc, a->m, a->id, a->rep);
	a->sc.show_identifiers = o->show_identifiers;
	return 0;
}

static void on_answer(void *arg, const char *qname, int family, const uint8_t *addr)
{
	struct audit *a = arg;
	dnscache_put(a->dns, family, addr, qname);
}

/* DNS responses teach us names for addresses (RFC 1035; TCP with its 2-byte length). */
static void learn_names(struct audit *a, const struct packet *p)
{
	const uint8_t *d = p->payload;
	size_t n = p->payload_len;
	if (p->sport != 53 && p->sport != 5353)
		return;
	if (p->proto == 6) {
		if (n < 2 || rd_be16(d) > n - 2)  /* only whole messages in one segment */
			return;
		n = rd_be16(d);
		d += 2;
	}
	if (!n)
		return;
	int r = dns_parse_response(d, n, on_answer, a);
	if (r == 0)
		a->rep->st.dns_responses++;
	else if (r < 0)
		a->rep->st.dns_malformed++;
}

/* Which sides are devices, decided once from the flow's first packet. */
static void mark_devices(struct audit *a, struct flow *f, const struct packet *p, int dir)
{
	f->dev[dir] = (uint8_t)policy_is_device(&a->o.policy, f->family, f->addr[dir], p->smac, p->has_mac);
	f->dev[!dir] = (uint8_t)policy_is_device(&a->o.policy, f->family, f->addr[!dir], p->dmac, p->has_mac);
}

void audit_packet(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen)
{
	struct report_stats *st = &a->rep->st;
	struct packet p;
	memset(&p, 0, sizeof p);
	p.ts_us = ts_us;
	st->packets++;
	st->bytes += caplen;
	enum decode_reason r = decode_packet(dlt, bytes, caplen, &p);
	if (r != DR_OK) {
		st->skipped[r]++;
		st->malformed += (uint64_t)decode_reason_malformed(r);
		return;
	}
	flow_expire(a->ft, ts_us);
	int dir;
	struct flow *f = flow_lookup(a->ft, &p, &dir);
	if (!f->pkts[0] && !f->pkts[1])
		mark_devices(a, f, &p, dir);
	flow_update(a->ft, f, &p, dir);
	classify_packet(a->cls, f, &p);
	learn_names(a, &p);
	if (!f->dev[dir])
		return;
	a->sc.now_us = ts_us;
	if (p.proto == 6)
		scan_tcp(&a->sc, f, dir, &p);
	else
		scan_udp(&a->sc, f, dir, &p);
}

/* The side whose country matters: the one that is not a device under test. */
static int remote_side(const struct flow *f)
{
	return f->dev[1] && !f->dev[0] ? 0 : 1;
}

static void on_flow_end(void *arg, struct flow *f)
{
	struct audit *a = arg;
	classify_finish(a->cls, f);
	scan_finish(&a->sc, f);
	int rs = remote_side(f);
	if (!f->host[0]) {
		const char *name = dnscache_get(a->dns, f->family, f->addr[rs]);
		if (name) {
			snprintf(f->host, sizeof f->host, "%s", name);
			f->host_source = HOST_DNS;
		}
	}
	struct report_flow *rf = report_add_flow(a->rep);
	rf->id = f->id;
	rf->family = f->family;
	rf->proto = f->proto;
	rf->remote = (uint8_t)rs;
	memcpy(rf->dev, f->dev, sizeof rf->dev);
	memcpy(rf->addr, f->addr, sizeof rf->addr);
	memcpy(rf->port, f->port, sizeof rf->port);
	rf->first_us = f->first_us;
	rf->last_us = f->last_us;
	memcpy(rf->pkts, f->pkts, sizeof rf->pkts);
	memcpy(rf->bytes, f->bytes, sizeof rf->bytes);
	memcpy(rf->app_proto, f->app_proto, sizeof rf->app_proto);
	memcpy(rf->category, f->category, sizeof rf->category);
	memcpy(rf->host, f->host, sizeof rf->host);
	rf->host_source = f->host_source;
	rf->nleaks = f->nleaks;
	if (a->geo)
		geo_lookup(a->geo, f->family, f->addr[rs], &rf->geo);
	else
		rf->geo.status = geo_is_reserved(f->family, f->addr[rs]) ? GEO_RESERVED : GEO_UNKNOWN;
	rf->foreign = (uint8_t)policy_is_foreign(&a->o.policy, rf->geo.country);
}

void audit_finish(struct audit *a)
{
	flow_flush(a->ft);
	struct report *r = a->rep;
	const struct flow_stats *fs = flow_table_stats(a->ft);
	r->st.flows = fs->created;
	r->st.evicted = fs->evicted;
	r->st.expired = fs->expired;
	r->st.flows_peak = fs->peak;
	r->st.http_requests = a->sc.hs.requests;
	r->st.http_bodies_truncated = a->sc.hs.bodies_truncated;
	r->st.http_decode_errors = a->sc.hs.decode_errors;
	r->st.http_parse_errors = a->sc.hs.parse_errors;
	r->st.reasm_gaps = a->sc.rc.gaps;
	r->st.reasm_gap_bytes = a->sc.rc.gap_bytes;
	r->st.reasm_ooo = a->sc.rc.ooo_segments;
	r->st.reasm_retrans_bytes = a->sc.rc.retrans_bytes;
	r->st.reasm_memcap_drops = a->sc.rc.memcap_drops;
	r->st.ndpi_unknown = classify_stats(a->cls)->unknown;
	report_sort(r);
	for (size_t i = 0; i < r->nleaks; i++) {
		struct report_leak *l = &r->leaks[i];
		const struct report_flow *rf = report_flow_by_id(r, l->flow_id);
		l->foreign = rf ? rf->foreign : 0;
		l->severity = (uint8_t)policy_severity(l->foreign, l->encrypted, l->kind != ID_CARRIER);
	}
}

void audit_close(struct audit *a)
{
	flow_table_free(a->ft);
	classify_free(a->cls);
	dnscache_free(a->dns);
	geo_free(a->geo);
	match_free(a->m);
	identity_free(a->id);
	scan_free(&a->sc);
	report_free(a->rep);
	memset(a, 0, sizeof *a);
}
