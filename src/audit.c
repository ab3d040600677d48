/* audit.c - wires the stages for each packet and finishes each flow:
 * decode, flow, nDPI, DNS names, scan of what devices send, then geo and policy. */
#include "audit.h"
#include "app.h"
#include "classify.h"
#include "config.h"
#include "dns.h"
#include "dnscache.h"
#include "findings.h"
#include "flow.h"
#include "geo.h"
#include "http.h"
#include "identity.h"
#include "match.h"
#include "rules.h"
#include "util.h"
#include "keylog.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void on_flow_end(void *arg, struct flow *f);

static void keylog_note(struct audit *a, const char *path, const char *source, const struct keylog_input *in)
{
	a->keylogs = util_xrealloc(a->keylogs, (a->nkeylogs + 1) * sizeof *a->keylogs);
	struct audit_keylog *e = &a->keylogs[a->nkeylogs++];
	memset(e, 0, sizeof *e);
	e->path = util_xstrdup(path);
	e->source = source;
	if (in) {
		e->dsbs = in->dsbs;
		e->dsbs_malformed = in->dsbs_malformed;
		e->secrets = in->secrets;
	} else if (util_sha256_file(path, e->sha256) < 0) {
		snprintf(e->sha256, sizeof e->sha256, "unreadable");
	}
}

/* NSS key logs; the Decryption Secrets Blocks of pcapng inputs, all of them (a pre-pass over each
 * file's blocks); without --keylog, the key log PCAPdroid exports (sslkeylogfile.txt) beside an
 * input that PCAPdroid wrote. */
static int open_keylogs(struct audit *a, char *errbuf, size_t errlen)
{
	const struct audit_opts *o = &a->o;
	for (size_t i = 0; i < o->nkeylog; i++) {
		if (!a->sc.kl)
			a->sc.kl = keylog_new();
		if (keylog_add_file(a->sc.kl, o->keylog_paths[i], errbuf, errlen) < 0)
			return -1;
		keylog_note(a, o->keylog_paths[i], "--keylog", NULL);
	}
	for (size_t i = 0; i < o->ninputs; i++) {
		struct keylog *k = a->sc.kl ? a->sc.kl : keylog_new();
		struct keylog_input in;
		int n = keylog_add_pcapng(k, o->inputs[i], &in);
		if (in.dsbs || in.dsbs_malformed)
			keylog_note(a, o->inputs[i], "pcapng decryption secrets", &in);
		if (in.dsbs_malformed && !a->shard)
			report_warn(a->rep, "%s: %zu malformed decryption secrets block%s skipped or partly read", o->inputs[i],
				    in.dsbs_malformed, in.dsbs_malformed == 1 ? "" : "s");
		if (n >= 0 && in.pcapdroid && !o->nkeylog) {
			char beside[4096];
			const char *slash = strrchr(o->inputs[i], '/');
			int dl = slash ? (int)(slash - o->inputs[i]) + 1 : 0;
			snprintf(beside, sizeof beside, "%.*s%s", dl, o->inputs[i], PH_PCAPDROID_KEYLOG);
			struct stat sb;
			if (stat(beside, &sb) == 0 && S_ISREG(sb.st_mode)) {
				int dup = 0;
				for (size_t j = 0; j < a->nkeylogs; j++)
					dup |= !strcmp(a->keylogs[j].path, beside);
				char err[512];
				if (!dup && keylog_add_file(k, beside, err, sizeof err) < 0) {
					if (!a->shard)
						report_warn(a->rep, "key log beside the capture not used: %s", err);
				} else if (!dup) {
					keylog_note(a, beside, "beside input (PCAPdroid)", NULL);
					n = 1;
				}
			}
		}
		if (n > 0 || k == a->sc.kl)
			a->sc.kl = k;
		else
			keylog_free(k);
	}
	if (a->sc.kl && keylog_dropped(a->sc.kl) && !a->shard)
		report_warn(a->rep, "key logs: more than %zu client randoms, the secrets of %zu more dropped",
			    keylog_count(a->sc.kl), keylog_dropped(a->sc.kl));
	return 0;
}

/* What every shard has of its own: geo handle and cache, nDPI, DNS names, flows, scan state. */
static int open_pipeline(struct audit *a, size_t max_flows, char *errbuf, size_t errlen)
{
	const struct audit_opts *o = &a->o;
	if (o->geoip_path || o->asn_path) {
		a->geo = geo_open(o->geoip_path, o->asn_path, errbuf, errlen);
		if (!a->geo)
			return -1;
	}
	if (!a->cls)  /* a shard may have been given the reader's */
		a->cls = classify_open(o->protos_path, errbuf, errlen);
	if (!a->cls)
		return -1;
	a->dns = dnscache_new(PH_DNS_CACHE_SIZE);
	a->ft = flow_table_new(max_flows, on_flow_end, a);
	scan_init(&a->sc, a->m, a->id, a->rep);
	if (o->max_reassembly)
		a->sc.rc.max_ooo_bytes = o->max_reassembly;
	scan_set_rules(&a->sc, a->rules);
	a->sc.show_identifiers = o->show_identifiers;
	return open_keylogs(a, errbuf, errlen);
}

/* The Hyperscan compile (a tenth of a second for an identity's thousand variants) runs on a
 * thread of its own while nDPI and the rest are set up. */
struct compile_job {
	const struct identity *id;
	const struct rules *rules;
	struct matcher *m;
	char err[512];
};

static void *compile_thread(void *arg)
{
	struct compile_job *j = arg;
	j->m = match_compile_rules(j->id, j->rules, j->err, sizeof j->err);
	return NULL;
}

/* Everything of audit_open but the patterns. */
static int open_rest(struct audit *a, const struct audit_opts *o, char *errbuf, size_t errlen)
{
	a->devs = devices_new(PH_MAX_DEVICES);
	for (size_t i = 0; i < o->policy.ndev; i++)
		if (o->policy.dev[i].is_mac && devices_add_option(a->devs, o->policy.dev[i].mac) < 0) {
			snprintf(errbuf, errlen, "--device: more than %d devices", PH_MAX_DEVICES);
			return -1;
		}
	a->apps = apps_new();
	a->rep->apps = a->apps;
	for (size_t i = 0; i < o->napps; i++)
		apps_add_filter(a->apps, o->apps[i]);
	if (o->apps_csv && apps_load_csv(a->apps, o->apps_csv, errbuf, errlen) < 0)
		return -1;
	a->max_report_flows = o->max_report_flows;  /* 0: every flow */
	a->rep->max_quiet = a->max_report_flows;
	if (o->spill && report_spill_open(a->rep, errbuf, errlen) < 0)
		return -1;
	return open_pipeline(a, o->max_flows ? o->max_flows : PH_MAX_FLOWS, errbuf, errlen);
}

int audit_open(struct audit *a, const struct audit_opts *o, char *errbuf, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->o = *o;
	a->rep = report_new();
	a->rep->no_events = o->no_events;
	if (o->rules_path && rules_load(o->rules_path, &a->rules, errbuf, errlen) < 0)
		return -1;
	if (o->identity_path && identity_load(o->identity_path, &a->id, errbuf, errlen) < 0)
		return -1;
	for (size_t i = 0; i < o->naccept; i++)
		if (accept_load(&a->acc, o->accept_paths[i], errbuf, errlen) < 0)
			return -1;
	for (size_t i = 0; a->id && i < a->id->nwarnings; i++)
		report_warn(a->rep, "%s", a->id->warnings[i]);
	struct compile_job job = { a->id, a->rules, NULL, "" };
	pthread_t th;
	int patterns = o->identity_path || a->rules;
	int apart = patterns && pthread_create(&th, NULL, compile_thread, &job) == 0;
	int rc = open_rest(a, o, errbuf, errlen);
	if (apart)
		pthread_join(th, NULL);
	else if (patterns && rc == 0)
		compile_thread(&job);
	a->m = job.m;
	if (rc < 0)
		return -1;
	if (patterns && !a->m) {
		snprintf(errbuf, errlen, "%s", job.err);
		return -1;
	}
	a->sc.m = a->m;  /* scan_init ran before the patterns were ready */
	if (patterns)
		a->rep->st.patterns = match_pattern_count(a->m);
	return 0;
}

int audit_open_shard(struct audit *s, const struct audit *a, size_t nshards, struct classifier *cls,
		     char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->o = a->o;
	s->shard = 1;
	s->cls = cls;  /* owned from here: audit_close frees it on every path */
	s->rep = report_new();
	s->rep->no_events = a->o.no_events;
	s->id = a->id;
	s->rules = a->rules;
	if (a->m && !(s->m = match_clone(a->m, errbuf, errlen)))
		return -1;
	/* the caps are for the whole run: each of n shards gets its part, listed flows a quarter
	 * more (shards are not balanced exactly); audit_conclude trims the merged list */
	size_t max_flows = a->o.max_flows ? a->o.max_flows : PH_MAX_FLOWS;
	s->max_report_flows = a->max_report_flows / 4 * 5 / nshards + 1;
	if (s->max_report_flows > a->max_report_flows)
		s->max_report_flows = a->max_report_flows;
	if (a->o.spill && report_spill_open(s->rep, errbuf, errlen) < 0)
		return -1;
	return open_pipeline(s, max_flows / nshards ? max_flows / nshards : 1, errbuf, errlen);
}

static void on_answer(void *arg, const char *qname, int family, const uint8_t *addr, uint32_t ttl)
{
	struct audit *a = arg;
	dnscache_put(a->dns, family, addr, qname);
	if (!a->learn_only)  /* another shard's answer: its owner reports it */
		report_add_dns(a->rep, REPORT_DNS_ANSWER, qname, family, addr, ttl);
}

static int dns_port(uint16_t port) { return port == 53 || port == 5353; }

/* The DNS message in p (TCP: one whole message after its 2-byte length), or NULL. */
static const uint8_t *dns_message(const struct packet *p, size_t *n)
{
	const uint8_t *d = p->payload;
	*n = p->payload_len;
	if (p->proto == 6) {
		if (*n < 2 || rd_be16(d) > *n - 2)  /* only whole messages in one segment */
			return NULL;
		*n = rd_be16(d);
		d += 2;
	}
	return *n ? d : NULL;
}

/* DNS messages: queries and answers for the EVE output; responses teach us names for
 * addresses (RFC 1035; TCP with its 2-byte length). */
static void learn_names(struct audit *a, const struct packet *p)
{
	size_t n;
	const uint8_t *d;
	if (!dns_port(p->sport) && !dns_port(p->dport))
		return;
	if (!(d = dns_message(p, &n)))
		return;
	struct dns_head h;
	char q[PH_DNS_MAX_NAME];
	int head = a->learn_only ? -1 : dns_head(d, n, q, sizeof q, &h);
	if (!a->learn_only)  /* answers carry this message's id, never a previous one's */
		report_dns_head(a->rep, head == 0 ? h.id : 0, head == 0 ? h.qtype : 0, head == 0 ? h.rcode : 0);
	if (head == 0) {
		if (!h.qr && h.qtype) {
			report_add_dns(a->rep, REPORT_DNS_QUERY, q, 0, NULL, 0);
			return;
		}
	}
	if (!dns_port(p->sport))
		return;  /* responses come from the DNS port */
	int r = dns_parse_response(d, n, on_answer, a);
	if (a->learn_only)
		return;
	if (r == 0)
		a->rep->st.dns_responses++;
	else if (r < 0)
		a->rep->st.dns_malformed++;
	else if (head == 0 && h.qr)
		report_add_dns(a->rep, REPORT_DNS_ANSWER, q, 0, NULL, 0);  /* NXDOMAIN, no A/AAAA */
}

/* A server name from an earlier DNS answer, when nothing better names the flow. */
static void host_from_dns(struct audit *a, struct flow *f)
{
	if (f->host[0])
		return;
	const char *name = dnscache_get(a->dns, f->family, f->addr[f->remote]);
	if (name) {
		snprintf(f->host, sizeof f->host, "%s", name);
		f->host_source = HOST_DNS;
	}
}

/* PCAPdroid captures on the phone itself: without --device, the phone is the side that sent the
 * flow's first attributed packet (its VPN address), or received it when that was a SYN-ACK. */
static void audit_app_device(struct audit *a, struct flow *f, const struct packet *p, int dir)
{
	if (p->app_source != APP_SRC_PCAPDROID || a->o.policy.ndev)
		return;
	int phone = p->proto == 6 && (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK) ? !dir : dir;
	f->dev[phone] = 1;
	f->dev[!phone] = 0;
}

/* Which sides are devices (from the packet: audit_decode decided), and where the other side
 * is (one geo look-up per flow, so live output can say it at once). At the flow's first
 * packet, and again if a device turns up later in a flow that had none. */
/* A DNS or DHCP server's side of a flow: what it sends echoes what the phone asked. */
static int server_echoes(const struct flow *f, int side)
{
	uint16_t mine = f->port[side], other = f->port[!side];
	return (mine == 53 && other != 53) || (mine == 67 && other == 68);
}

static void flow_attribute(struct audit *a, struct flow *f, const struct packet *p, int dir)
{
	f->dev[dir] = p->src_dev;
	f->dev[!dir] = p->dst_dev;
	/* the hotspot's own resolver (192.168.43.1:53) is a private address, so it passes for a
	 * device; its answers repeat the phone's query names, which would be leaks "it" sent */
	for (int side = 0; side < 2; side++)
		if (f->dev[side] && f->dev[!side] && server_echoes(f, side))
			f->dev[side] = 0;
	audit_app_device(a, f, p, dir);
	f->remote = f->dev[1] && !f->dev[0] ? 0 : 1;
	if (a->geo)
		geo_lookup(a->geo, f->family, f->addr[f->remote], &f->geo);
	else
		f->geo.status = geo_is_reserved(f->family, f->addr[f->remote]) ? GEO_RESERVED : GEO_UNKNOWN;
	f->foreign = (uint8_t)policy_is_foreign(&a->o.policy, f->geo.country);
}

static const uint8_t *valid_mac(const uint8_t *m, int valid)
{
	static const uint8_t zero[6];
	return valid && !(m[0] & 1) && memcmp(m, zero, 6) ? m : NULL;
}

/* Is this side of a frame a device under test? mac: its MAC, NULL when the link layer does
 * not say. --device decides alone when given (a --device MAC also covers the addresses it was
 * seen sending from); else a learnt device's MAC, an address tied to a device (a public one
 * only to a confirmed device), and last the address ranges: private, CGNAT, ULA, link-local. */
static int is_device(const struct audit *a, int family, const uint8_t *addr, const uint8_t *mac)
{
	const struct policy *pol = &a->o.policy;
	if (!a->devs)
		return policy_is_device(pol, family, addr, mac, mac != NULL);
	const struct device *v = mac ? devices_by_mac(a->devs, mac) : NULL;
	const struct device *o = devices_by_addr(a->devs, family, addr);
	if (pol->ndev)
		return policy_is_device(pol, family, addr, mac, mac != NULL) || (o && o->option);
	if (v && v->role == DEV_ROLE_GATEWAY)  /* the internet's addresses are never devices behind it; */
		return geo_is_private(family, addr);  /* a private one is (one fake MAC on a tun capture) */
	if (v && v->role == DEV_ROLE_DEVICE)
		return 1;
	if (o && devices_is_device(o))
		return 1;
	return geo_is_private(family, addr);
}

const char *audit_device_method(const struct audit *a, const char **reason)
{
	if (a->o.policy.ndev) {
		*reason = "--device given: only its addresses, and every address its MACs send from";
		return "option";
	}
	if (!a->frames_nomac) {
		*reason = "a device is a MAC: one that sends from a private, CGNAT, ULA or link-local address "
			  "or does DHCP, DHCPv6 or neighbour discovery, with every address it sends from; "
			  "never the gateway MAC";
		return "link-layer";
	}
	if (!a->frames_mac) {
		*reason = "capture has no link layer: every private, CGNAT, ULA or link-local address is a "
			  "device, global addresses are not";
		return "address-ranges";
	}
	*reason = "some frames carry no MAC: for them, every private, CGNAT, ULA or link-local address is a "
		  "device, global addresses are not";
	return "mixed";
}

/* A cap (HTTP body) or a hole (reassembly) stopped the scan of side dir: the first stop is kept. */
static void scan_stopped(struct flow *f, int dir, int at_gap)
{
	const struct reasm *r = scan_dir_reasm(f, dir);
	if (f->scan_truncated || (!r && at_gap))
		return;
	f->scan_truncated = 1;  /* no reassembly (QUIC): the payload bytes seen from that side */
	f->scan_stopped_at = !r ? f->bytes[dir] : at_gap && r->truncated ? r->gap_at : r->delivered;
}

/* The app of a frame (app.c); a new input is told to apps when the report gains one. */
static void audit_app_frame(struct audit *a, int dlt, const uint8_t *bytes, size_t caplen, struct packet *p, int ok)
{
	if (!a->apps)
		return;
	if (a->apps_input != a->rep->ninputs) {
		a->apps_input = a->rep->ninputs;
		size_t i = a->apps_input - 1;
		int file = a->apps_input && i < a->o.ninputs && !strcmp(a->o.inputs[i], a->rep->inputs[i].path);
		apps_begin_input(a->apps, file ? a->o.inputs[i] : NULL);
	}
	apps_frame(a->apps, dlt, bytes, caplen, p, ok);
}

int audit_decode(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen, struct packet *p)
{
	struct report_stats *st = &a->rep->st;
	memset(p, 0, sizeof *p);
	p->ts_us = ts_us;
	p->num = ++st->packets;
	st->bytes += caplen;
	enum decode_reason r = decode_packet(dlt, bytes, caplen, p);
	audit_app_frame(a, dlt, bytes, caplen, p, r == DR_OK);
	if (a->devs) {  /* learnt from this very frame first: a device's first flow is its own */
		const struct device *d = devices_observe(a->devs, p);
		if (d && a->on_device)
			a->on_device(a->device_arg, d);
	}
	if (r != DR_OK) {
		st->skipped[r]++;
		st->malformed += (uint64_t)decode_reason_malformed(r);
		return 0;
	}
	if (p->has_mac & PKT_SMAC)
		a->frames_mac++;
	else
		a->frames_nomac++;
	p->src_dev = (uint8_t)is_device(a, p->family, p->src, valid_mac(p->smac, p->has_mac & PKT_SMAC));
	p->dst_dev = (uint8_t)is_device(a, p->family, p->dst, valid_mac(p->dmac, p->has_mac & PKT_DMAC));
	return 1;
}

/* A server's segment that starts an HTTP response: status and length for the EVE http record. */
static void http_response(struct audit *a, const struct flow *f, int dir, const struct packet *p)
{
	int status;
	int64_t length;
	if (dir != 1 || p->proto != 6 || p->payload_len < 12 || p->payload[0] != 'H')
		return;  /* only what a server sends can be a response */
	if (http_response_head(p->payload, p->payload_len, &status, &length) == 0)
		report_http_response(a->rep, f->id, status, length);
}

void audit_ip(struct audit *a, const struct packet *p)
{
	audit_sweep(a, p->ts_us);
	int dir;
	struct flow *f = p->proto == 17 ? flow_find(a->ft, p, &dir) : NULL;
	if (!f && p->proto == 17)
		f = scan_quic_flow(&a->sc, p, &dir);  /* a QUIC connection on a new 5-tuple: its flow goes on */
	if (!f)
		f = flow_lookup(a->ft, p, &dir);
	if (!f->app_source && p->app_source) {  /* the app of its first attributed packet */
		f->app_source = p->app_source;
		f->app_uid = p->app_uid;
	}
	if (!f->pkts[0] && !f->pkts[1]) {
		flow_attribute(a, f, p, dir);
		host_from_dns(a, f);
	} else if (!f->dev[0] && !f->dev[1] && (p->src_dev || p->dst_dev)) {
		flow_attribute(a, f, p, dir);  /* its device became known after the flow began */
	}
	flow_update(a->ft, f, p, dir);
	classify_packet(a->cls, f, p);
	report_dns_begin(a->rep, f->id, p->ts_us);
	learn_names(a, p);
	if (a->sc.kl && p->proto == 6)
		scan_tls_server(&a->sc, f, dir, p);  /* --keylog: the ServerHello names the keys */
	else if (p->proto == 17)
		scan_quic_server(&a->sc, f, dir, p);  /* QUIC: the server's suite and connection IDs */
	if (!f->dev[dir]) {
		http_response(a, f, dir, p);
		return;
	}
	a->sc.now_us = p->ts_us;
	if (p->proto == 6) {
		uint64_t cut = a->sc.hs.bodies_truncated;
		scan_tcp(&a->sc, f, dir, p);
		if (a->sc.hs.bodies_truncated != cut)
			scan_stopped(f, dir, 0);
	} else {
		uint64_t cut = a->sc.hs.bodies_truncated;
		scan_udp(&a->sc, f, dir, p);
		if (a->sc.hs.bodies_truncated != cut)  /* an HTTP/3 body over the cap */
			scan_stopped(f, dir, 0);
	}
}

void audit_learn_names(struct audit *a, const struct packet *p)
{
	a->learn_only = 1;
	learn_names(a, p);
	a->learn_only = 0;
}

void audit_packet(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen)
{
	struct packet p;
	if (audit_decode(a, dlt, ts_us, bytes, caplen, &p))
		audit_ip(a, &p);
}

/* The report's record of a flow (at its end, or live for an interim report). */
static void flow_record(const struct flow *f, struct report_flow *rf)
{
	rf->id = f->id;
	rf->family = f->family;
	rf->proto = f->proto;
	rf->remote = f->remote;
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
	rf->geo = f->geo;
	rf->foreign = f->foreign;
	rf->truncated = f->scan_truncated;
	rf->scan_stopped_at = f->scan_stopped_at;
	rf->closed = f->closed;
	rf->end_reason = f->end_reason;
	rf->tls_version = f->tls_version;
	rf->app_uid = f->app_uid;
	rf->app_source = f->app_source;
	rf->app_hint_origin = f->app_hint_origin;
	memcpy(rf->app_hint, f->app_hint, sizeof rf->app_hint);
	rf->quic_version = f->quic_version;
}

/* A client address into the set of unscanned ones (allocated at the first, bounded). */
static void unscanned_addr(struct audit_unscanned *u, const uint8_t key[17])
{
	size_t nslots = 2 * PH_MAX_UNSCANNED_ADDRS, h = 0x811c9dc5u;
	if (!u->addr)
		u->addr = util_xcalloc(nslots, sizeof *u->addr);
	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 0x01000193u;
	for (h %= nslots; u->addr[h][0]; h = (h + 1) % nslots)
		if (!memcmp(u->addr[h], key, 17))
			return;
	if (u->naddr == PH_MAX_UNSCANNED_ADDRS) {
		u->full = 1;
		return;
	}
	memcpy(u->addr[h], key, 17);
	u->naddr++;
}

/* A flow from a global address that no device rule covered: nothing it carried was scanned. */
static void unscanned_add(struct audit_unscanned *u, const struct flow *f)
{
	uint8_t key[17] = { f->family };
	memcpy(key + 1, f->addr[0], f->family == 4 ? 4 : 16);
	u->flows++;
	u->pkts += f->pkts[0] + f->pkts[1];
	u->bytes += f->bytes[0] + f->bytes[1];
	unscanned_addr(u, key);
}

static void on_flow_end(void *arg, struct flow *f)
{
	struct audit *a = arg;
	classify_finish(a->cls, f);
	for (int dir = 0; dir < 2; dir++) {
		const struct reasm *r = scan_dir_reasm(f, dir);
		if (r && (r->truncated || r->ooo))  /* a hole now, or one the flush will skip */
			scan_stopped(f, dir, 1);
	}
	int tls_keys = scan_tls_keys(f);
	a->sc.now_us = f->last_us;  /* what the flush finds was sent by then, whenever the flow ends */
	scan_finish(&a->sc, f);
	host_from_dns(a, f);
	if (!f->dev[0] && !f->dev[1] && !geo_is_reserved(f->family, f->addr[0]))
		unscanned_add(&a->unscanned, f);
	if (f->scan_truncated && (!a->truncated_flows++ || f->id < a->first_truncated)) {
		a->first_truncated = f->id;  /* the earliest, whatever order flows end in */
		a->first_truncated_at = f->scan_stopped_at;
	}
	if (!f->nleaks && !report_spill_keeps(a->rep, f->id)) {  /* no leak, no event: out of memory */
		struct report_flow rf;
		memset(&rf, 0, sizeof rf);
		flow_record(f, &rf);
		rf.tls_keys = (uint8_t)tls_keys;
		report_spill_flow(a->rep, &rf);
		return;
	}
	if (!f->nleaks && !a->rep->spill && a->max_report_flows && a->rep->nflows >= a->max_report_flows) {
		a->unlisted_flows++;  /* no spill (an embedding without one): counted in stats.flows, not listed */
		return;
	}
	struct report_flow *rf = report_add_flow(a->rep);
	flow_record(f, rf);
	rf->tls_keys = (uint8_t)tls_keys;
	if (f->nleaks)
		report_offload(a->rep);  /* now and then, ended flows' leaks to disk */
}

/* Run counters into the report's stats. */
static void fill_stats(struct audit *a, struct report *r)
{
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
	r->st.ndpi_unknown = a->cls ? classify_stats(a->cls)->unknown : 0;  /* none: given to a shard */
}

/* Foreign flag and severity of each leak, from its flow (after report_sort). */
static void rate_leaks(struct report *r)
{
	for (size_t i = 0; i < r->nleaks; i++) {
		struct report_leak *l = &r->leaks[i];
		const struct report_flow *rf = report_flow_by_id(r, l->flow_id);
		l->foreign = rf ? rf->foreign : 0;
		l->severity = (uint8_t)policy_severity(l->foreign, l->encrypted, l->kind != ID_CARRIER);
	}
}

void audit_sweep(struct audit *a, uint64_t ts_us)
{
	flow_expire(a->ft, ts_us);
}

void audit_drain(struct audit *a)
{
	a->drained = 1;
	flow_flush(a->ft);
	fill_stats(a, a->rep);
}

void audit_merge(struct audit *a, struct audit *shard)
{
	report_merge(a->rep, shard->rep);
	if (shard->truncated_flows && (!a->truncated_flows || shard->first_truncated < a->first_truncated)) {
		a->first_truncated = shard->first_truncated;
		a->first_truncated_at = shard->first_truncated_at;
	}
	a->truncated_flows += shard->truncated_flows;
	a->unlisted_flows += shard->unlisted_flows;
	struct audit_unscanned *u = &a->unscanned, *su = &shard->unscanned;
	u->flows += su->flows;
	u->pkts += su->pkts;
	u->bytes += su->bytes;
	u->full |= su->full;
	for (size_t i = 0; su->addr && i < 2 * PH_MAX_UNSCANNED_ADDRS; i++)
		if (su->addr[i][0])
			unscanned_addr(u, su->addr[i]);
}

/* "1.2 MB": a byte count for a warning. */
static void human_bytes(uint64_t n, char *out, size_t len)
{
	static const char *unit[] = { "bytes", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 4)
		v /= 1000, u++;
	if (u)
		snprintf(out, len, "%.1f %s", v, unit[u]);
	else
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
}

/* What no device rule covered was not scanned: the report says how much, and what to give. */
static void warn_unscanned(struct audit *a)
{
	const struct audit_unscanned *u = &a->unscanned;
	const char *reason, *method = audit_device_method(a, &reason), *why;
	char size[32];
	if (!u->flows)
		return;
	if (!strcmp(method, "option"))
		why = "not a --device";
	else if (!strcmp(method, "link-layer"))
		why = "no MAC that sent them is a device; give --device MAC or ADDR";
	else
		why = "no link layer to tell the device; give --device ADDR";
	human_bytes(u->bytes, size, sizeof size);
	report_warn(a->rep, "%llu flow%s (%llu packets, %s of payload) from %s%zu global address%s %s not scanned: %s",
		    (unsigned long long)u->flows, u->flows == 1 ? "" : "s", (unsigned long long)u->pkts, size,
		    u->full ? "more than " : "", u->naddr, u->naddr == 1 ? "" : "es", u->flows == 1 ? "was" : "were", why);
	a->unscanned_warning = a->rep->nwarnings;
}

/* Merged shards may list more flows without leaks than --max-report-flows: the latest go
 * (spilled: the flows are there, the readers' iterator leaves them out). */
static void trim_flows(struct audit *a)
{
	struct report *r = a->rep;
	size_t quiet = 0, k = 0;
	if (!a->max_report_flows)
		return;
	if (r->spill) {
		quiet = report_spill_quiet(r);
		for (size_t i = 0; i < r->nflows; i++)
			quiet += !r->flows[i].nleaks;
		if (quiet > a->max_report_flows) {
			a->unlisted_flows += quiet - a->max_report_flows;
			r->quiet_cut = report_spill_cut(r, a->max_report_flows);
		}
		return;
	}
	for (size_t i = 0; i < r->nflows; i++)
		quiet += !r->flows[i].nleaks;
	for (size_t i = r->nflows; i-- > 0 && quiet > a->max_report_flows;) {
		if (!r->flows[i].nleaks) {
			r->flows[i].id = 0;  /* marked: ids are frame numbers, never 0 */
			quiet--;
			a->unlisted_flows++;
		}
	}
	for (size_t i = 0; i < r->nflows; i++)
		if (r->flows[i].id)
			r->flows[k++] = r->flows[i];
	r->nflows = k;
}

/* Without a CSV only hints name apps, and with every flow listed a package's app is numbered
 * at its first flow by id: the flows in memory, merged by id with the first spilled flow of
 * each package (the others counted there), give what a walk of every flow back from the spill
 * would. 0, or -1 when this does not apply. */
static int app_late_hints(struct audit *a)
{
	struct report *r = a->rep;
	const struct report_hint *h;
	size_t nh, i = 0, j = 0;
	if (apps_csv_loaded(a->apps) || r->quiet_cut || report_spill_hints(r, &h, &nh) < 0)
		return -1;
	while (i < r->nflows || j < nh) {
		if (j == nh || (i < r->nflows && r->flows[i].id < h[j].first)) {
			struct report_flow *f = &r->flows[i++];
			if (!f->app_source && f->app_hint_origin && f->app_hint[0]) {
				f->app_uid = apps_hint_uid(a->apps, f->app_hint, f->app_hint_origin);
				f->app_source = APP_SRC_HINT;
			}
		} else {
			for (uint64_t k = 0; k < h[j].n; k++)  /* each flow counted, as a walk would */
				apps_hint_uid(a->apps, h[j].hint, h[j].origin);
			j++;
		}
	}
	return 0;
}

/* Flows no capture format attributed: their row of the --apps CSV, else a hint of their own.
 * In id order, the spilled flows too (hints number their apps in that order); a spilled flow
 * gets its app again as it is read back (apps_late), one in memory here. */
static void audit_app_late(struct audit *a)
{
	struct report *r = a->rep;
	r->apps_late = 0;  /* the flows as they ended */
	if (app_late_hints(a) == 0) {
		r->apps_late = 1;
		return;
	}
	struct report_iter *it = report_flows_begin(r);
	for (const struct report_flow *f; (f = report_flows_next(it));) {
		int32_t uid;
		uint8_t src = 0;
		if (f->app_source)
			continue;
		if (apps_csv_match(a->apps, f->proto, f->family, f->addr[0], f->port[0], f->addr[1], f->port[1],
				   f->first_us, &uid)) {
			src = APP_SRC_CSV;
		} else if (f->app_hint_origin && f->app_hint[0]) {
			uid = apps_hint_uid(a->apps, f->app_hint, f->app_hint_origin);
			src = APP_SRC_HINT;
		}
		struct report_flow *m = src ? (struct report_flow *)report_flow_by_id(r, f->id) : NULL;  /* r's own */
		if (m) {
			m->app_uid = uid;
			m->app_source = src;
		}
	}
	report_flows_end(it);
	r->apps_late = 1;
	char list[512];
	size_t n = apps_csv_loaded(a->apps) ? apps_csv_unmatched(a->apps, list, sizeof list) : 0;
	if (n)
		report_warn(r, "--apps %s: %zu connection%s matched no flow: %s", a->o.apps_csv, n, n == 1 ? "" : "s", list);
}

/* --app: only the named apps' flows and their leaks stay in the report. */
static void audit_app_filter(struct audit *a)
{
	struct report *r = a->rep;
	if (!apps_filtering(a->apps))
		return;
	size_t k = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_flow *f = report_flow_by_id(r, r->leaks[i].flow_id);
		if (f && apps_match(a->apps, f->app_uid, f->app_source))
			r->leaks[k++] = r->leaks[i];
		else
			free(r->leaks[i].evidence);
	}
	r->nleaks = k;
	k = 0;
	for (size_t i = 0; i < r->nflows; i++)
		if (apps_match(a->apps, r->flows[i].app_uid, r->flows[i].app_source))
			r->flows[k++] = r->flows[i];
	r->nflows = k;
}

void audit_conclude(struct audit *a)
{
	report_sort(a->rep);
	trim_flows(a);
	if (a->truncated_flows)
		report_warn(a->rep, "scan stopped early in %llu flow(s), first flow %llu after %llu bytes "
			    "(HTTP body cap, --max-reassembly or a hole in the capture)",
			    (unsigned long long)a->truncated_flows, (unsigned long long)a->first_truncated,
			    (unsigned long long)a->first_truncated_at);
	if (a->unlisted_flows)
		report_warn(a->rep, "%llu flows without leaks not listed (--max-report-flows %zu); stats count them",
			    (unsigned long long)a->unlisted_flows, a->max_report_flows);
	warn_unscanned(a);
	rate_leaks(a->rep);
	audit_app_late(a);
	audit_app_filter(a);
	findings_build(a->rep, a->id, !a->o.show_identifiers);  /* after the merge: the same for any number of workers */
	accept_apply(&a->acc, a->rep, 1);
}

void audit_finish(struct audit *a)
{
	if (!a->drained)
		audit_drain(a);
	audit_conclude(a);
}

static void snap_flow(void *arg, struct flow *f)
{
	struct report *r = arg;
	flow_record(f, report_add_flow(r));
}

int audit_snapshot(struct audit *a, struct report *snap)
{
	*snap = *a->rep;  /* inputs and warnings are shared, not copied */
	snap->flows = util_xmalloc((a->rep->nflows + 1) * sizeof *snap->flows);
	if (a->rep->nflows)  /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(snap->flows, a->rep->flows, a->rep->nflows * sizeof *snap->flows);
	snap->capflows = a->rep->nflows + 1;
	snap->leaks = util_xmalloc((a->rep->nleaks + 1) * sizeof *snap->leaks);
	if (a->rep->nleaks)
		memcpy(snap->leaks, a->rep->leaks, a->rep->nleaks * sizeof *snap->leaks);
	for (size_t i = 0; i < snap->nleaks; i++)  /* its own: the findings mask them in place */
		if (snap->leaks[i].evidence)
			snap->leaks[i].evidence = util_xstrdup(snap->leaks[i].evidence);
	snap->capleaks = a->rep->nleaks + 1;
	report_offload_copy(a->rep, snap);  /* the leaks of ended flows that went to disk */
	flow_foreach(a->ft, snap_flow, snap);
	fill_stats(a, snap);
	report_sort(snap);
	rate_leaks(snap);
	snap->findings = NULL, snap->fidx = NULL;
	findings_build(snap, a->id, !a->o.show_identifiers);
	accept_apply(&a->acc, snap, 0);  /* warnings are shared with the live report: none added */
	return 0;
}

void audit_snapshot_free(struct report *snap)
{
	for (size_t i = 0; i < snap->nleaks; i++)
		free(snap->leaks[i].evidence);
	free(snap->flows);
	free(snap->leaks);
	free(snap->findings);
	free(snap->fidx);
}

void audit_release(struct audit *a)
{
	flow_table_free(a->ft);
	classify_free(a->cls);
	dnscache_free(a->dns);
	geo_free(a->geo);
	match_free(a->m);
	keylog_free(a->sc.kl);
	scan_free(&a->sc);
	a->ft = NULL, a->cls = NULL, a->dns = NULL, a->geo = NULL, a->m = NULL, a->sc.kl = NULL;
}

void audit_close(struct audit *a)
{
	audit_release(a);
	devices_free(a->devs);
	free(a->unscanned.addr);
	apps_free(a->apps);
	for (size_t i = 0; i < a->nkeylogs; i++)
		free(a->keylogs[i].path);
	free(a->keylogs);
	if (!a->shard) {  /* a shard borrows them */
		rules_free(a->rules);
		identity_free(a->id);
		accept_free(&a->acc);
	}
	report_free(a->rep);
	memset(a, 0, sizeof *a);
}
