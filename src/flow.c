/* flow.c - bidirectional 5-tuple flow table: seeded hash, LRU list for idle
 * expiry and evict-oldest at the cap (as p0f does); all time from pcap. */
#include "flow.h"
#include "config.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

struct flow_table {
	struct flow **buckets;
	size_t nbuckets, max_flows;
	/* each list in activity order, one per idle timeout, so that a sweep stops at the first
	 * flow of each that is not idle: open UDP (and other), open TCP, closed */
	struct lru { struct flow *head, *tail; } lru[3];
	struct flow *free_list;        /* ended flows kept for reuse: no malloc per flow at steady state */
	uint64_t last_sweep_us;
	uint32_t seed;
	flow_end_fn end;
	void *arg;
	struct flow_stats st;
};

struct flow_table *flow_table_new(size_t max_flows, flow_end_fn end, void *arg)
{
	struct flow_table *t = util_xcalloc(1, sizeof *t);
	t->max_flows = max_flows ? max_flows : 1;
	t->nbuckets = 1024;
	while (t->nbuckets < t->max_flows)
		t->nbuckets <<= 1;
	t->buckets = util_xcalloc(t->nbuckets, sizeof *t->buckets);
	t->seed = 0x9e3779b9u;  /* fixed: output order never depends on it, hash-flooding is capped by max_flows */
	t->end = end;
	t->arg = arg;
	return t;
}

enum { LRU_UDP, LRU_TCP, LRU_CLOSED };

static int lru_of(const struct flow *f)
{
	return f->closed ? LRU_CLOSED : f->proto == 6 ? LRU_TCP : LRU_UDP;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	struct lru *l = &t->lru[lru_of(f)];
	if (f->lprev) f->lprev->lnext = f->lnext; else l->head = f->lnext;
	if (f->lnext) f->lnext->lprev = f->lprev; else l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
	struct lru *l = &t->lru[lru_of(f)];
	f->lprev = l->tail;
	f->lnext = NULL;
	if (l->tail) l->tail->lnext = f; else l->head = f;
	l->tail = f;
}

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Symmetric hash: both directions of a flow land in one bucket. */
static size_t flow_hash(const struct flow_table *t, uint8_t proto, const uint8_t *a, uint16_t pa,
			const uint8_t *b, uint16_t pb, size_t alen)
{
	uint32_t ha = mix(2166136261u, a, alen) ^ pa, hb = mix(2166136261u, b, alen) ^ pb;
	uint32_t h = (ha ^ hb) + (ha + hb) * 31 + proto + t->seed;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h & (t->nbuckets - 1);
}

static size_t bucket_of(const struct flow_table *t, const struct flow *f)
{
	size_t alen = f->family == 4 ? 4 : 16;
	return flow_hash(t, f->proto, f->addr[0], f->port[0], f->addr[1], f->port[1], alen);
}

static void table_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[bucket_of(t, f)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	t->st.live--;
}

/* Hands f to the end callback and keeps its memory for the next flow. */
static void flow_end(struct flow_table *t, struct flow *f, int reason)
{
	table_remove(t, f);
	f->end_reason = (uint8_t)reason;
	t->end(t->arg, f);
	f->hnext = t->free_list;
	t->free_list = f;
}

static int side_match(const struct flow *f, int s, const struct packet *p, size_t alen)
{
	return f->port[s] == p->sport && f->port[!s] == p->dport &&
	       !memcmp(f->addr[s], p->src, alen) && !memcmp(f->addr[!s], p->dst, alen);
}

/* At the cap: a closed flow first, else the least recently active. */
static struct flow *evictee(const struct flow_table *t)
{
	const struct flow *u = t->lru[LRU_UDP].head, *c = t->lru[LRU_TCP].head;
	if (t->lru[LRU_CLOSED].head)
		return t->lru[LRU_CLOSED].head;
	return (struct flow *)(!c || (u && u->last_us <= c->last_us) ? u : c);
}

static struct flow *flow_create(struct flow_table *t, const struct packet *p, size_t b)
{
	if (t->st.live >= t->max_flows) {
		t->st.evicted++;
		flow_end(t, evictee(t), FLOW_END_FORCED);
	}
	struct flow *f = t->free_list;
	if (f)
		t->free_list = f->hnext;
	else
		f = util_xmalloc(sizeof *f);
	memset(f, 0, sizeof *f);
	f->id = p->num;
	f->family = p->family;
	f->proto = p->proto;
	size_t alen = p->family == 4 ? 4 : 16;
	/* a SYN+ACK first means we missed the SYN: its sender is the server; with no SYN at
	 * all, a well-known source port talking to an ephemeral one is the server too */
	int syn = p->proto == 6 && (p->tcp_flags & TCPF_SYN);
	int flip = syn ? (p->tcp_flags & TCPF_ACK) != 0 : p->sport < 1024 && p->dport >= 1024;
	memcpy(f->addr[flip], p->src, alen);
	memcpy(f->addr[!flip], p->dst, alen);
	f->port[flip] = p->sport;
	f->port[!flip] = p->dport;
	f->syn_seen = p->proto == 6 && (p->tcp_flags & TCPF_SYN);
	f->first_us = p->ts_us;
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	lru_append(t, f);
	t->st.created++;
	if (++t->st.live > t->st.peak)
		t->st.peak = t->st.live;
	return f;
}

struct flow *flow_find(const struct flow_table *t, const struct packet *p, int *dir)
{
	size_t alen = p->family == 4 ? 4 : 16;
	size_t b = flow_hash(t, p->proto, p->src, p->sport, p->dst, p->dport, alen);
	for (struct flow *f = t->buckets[b]; f; f = f->hnext) {
		if (f->family != p->family || f->proto != p->proto)
			continue;
		if (side_match(f, 0, p, alen)) { *dir = 0; return f; }
		if (side_match(f, 1, p, alen)) { *dir = 1; return f; }
	}
	return NULL;
}

struct flow *flow_lookup(struct flow_table *t, const struct packet *p, int *dir)
{
	struct flow *f = flow_find(t, p, dir);
	if (f)
		return f;
	size_t alen = p->family == 4 ? 4 : 16;
	size_t b = flow_hash(t, p->proto, p->src, p->sport, p->dst, p->dport, alen);
	f = flow_create(t, p, b);
	*dir = side_match(f, 0, p, alen) ? 0 : 1;
	return f;
}

void flow_update(struct flow_table *t, struct flow *f, const struct packet *p, int dir)
{
	f->pkts[dir]++;
	f->bytes[dir] += p->payload_len;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if ((p->has_mac & PKT_SMAC) && !f->has_mac[dir]) {
		memcpy(f->mac[dir], p->smac, 6);
		f->has_mac[dir] = 1;
	}
	lru_unlink(t, f);
	if (p->proto == 6) {
		if (p->tcp_flags & TCPF_FIN)
			f->fin[dir] = 1;
		if ((p->tcp_flags & TCPF_RST) || (f->fin[0] && f->fin[1]))
			f->closed = 1;  /* to the closed list, with its short grace */
	}
	lru_append(t, f);
}

void flow_expire(struct flow_table *t, uint64_t now_us)
{
	/* swept once per window of capture time, as of the window's start: the flows that end do
	 * not depend on which packet comes first in the window (nor on how flows are sharded) */
	uint64_t every = (uint64_t)PH_FLOW_EXPIRE_EVERY_S * 1000000u;
	now_us -= now_us % every;
	if (now_us <= t->last_sweep_us)
		return;
	t->last_sweep_us = now_us;
	static const uint64_t idle_s[] = { PH_FLOW_IDLE_UDP_S, PH_FLOW_IDLE_TCP_S, PH_FLOW_EXPIRE_EVERY_S };
	for (int l = LRU_CLOSED; l >= 0; l--) {
		uint64_t limit = idle_s[l] * 1000000u;  /* closed flows: one window of grace */
		struct flow *f;
		while ((f = t->lru[l].head) && f->last_us + limit <= now_us) {
			t->st.expired++;
			t->st.closed += f->closed;
			flow_end(t, f, FLOW_END_TIMEOUT);
		}
	}
}

void flow_flush(struct flow_table *t)
{
	for (int l = 0; l < 3; l++)
		while (t->lru[l].head)
			flow_end(t, t->lru[l].head, FLOW_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	flow_flush(t);
	while (t->free_list) {
		struct flow *f = t->free_list;
		t->free_list = f->hnext;
		free(f);
	}
	free(t->buckets);
	free(t);
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
	return &t->st;
}

void flow_foreach(struct flow_table *t, void (*fn)(void *arg, struct flow *f), void *arg)
{
	for (int l = 0; l < 3; l++)
		for (struct flow *f = t->lru[l].head; f; f = f->lnext)
			fn(arg, f);
}
