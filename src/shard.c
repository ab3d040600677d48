/* shard.c - flows sharded over worker threads, as Suricata's autofp runmode and ndpiReader's
 * -n do: the reader thread decodes a frame, a symmetric hash of its addresses and ports picks
 * the worker that owns the flow (all flows between two addresses), and the frame is copied into that worker's queue of batches.
 * A worker is a whole pipeline (flows, nDPI, reassembly, matching) over its own flows, so no
 * state is shared while packets flow. DNS answers are given to every worker: a flow is named
 * from the answers seen before its packets, as in one pipeline. Flow ids are frame numbers and
 * every list is sorted at the end, so the report does not depend on the number of workers. */
#include "shard.h"
#include "config.h"
#include "decode.h"
#include "util.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum rec_kind {
	REC_PACKET,                /* a frame of the worker's flows */
	REC_NAMES,                 /* a DNS answer of another worker's flow: names only */
	REC_SWEEP,                 /* a new window of capture time began: end idle flows now */
};

struct rec {                       /* a queued frame; its bytes follow, padded to 8 */
	uint64_t ts_us, num;
	uint32_t caplen;
	int32_t dlt;
	uint32_t kind;
	uint32_t devs;             /* 1: the sender is a device, 2: the receiver (the reader decided) */
	int32_t app_uid;           /* the app the reader found for the frame (app.c) */
	uint32_t app_source;
};

struct batch {
	uint8_t *data;
	size_t used, cap;
};

struct worker {
	struct shard_set *set;
	struct audit a;
	struct classifier *cls;    /* nDPI handed over by the reader's audit (the first worker), or NULL */
	pthread_t th;
	int started, failed;
	char err[512];
	struct batch q[PH_SHARD_QUEUE];
	size_t head, tail;         /* batches consumed, published (slot = count % PH_SHARD_QUEUE) */
	int done;                  /* no more batches */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct shard_set {
	struct audit *a;
	size_t n;
	struct worker *w;
	uint64_t window;           /* of the last sweep handed out (flow.c sweeps per window) */
};

size_t shard_default_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > PH_MAX_THREADS ? PH_MAX_THREADS : (size_t)n;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void run_batch(struct audit *a, const struct batch *b)
{
	for (size_t off = 0; off < b->used;) {
		struct rec r;
		memcpy(&r, b->data + off, sizeof r);
		const uint8_t *bytes = b->data + off + sizeof r;
		off += sizeof r + pad8(r.caplen);
		if (r.kind == REC_SWEEP) {
			audit_sweep(a, r.ts_us);
			continue;
		}
		struct packet p;
		memset(&p, 0, sizeof p);
		p.ts_us = r.ts_us;
		p.num = r.num;
		if (decode_packet(r.dlt, bytes, r.caplen, &p) != DR_OK)
			continue;  /* cannot happen: the reader decoded it the same way */
		p.src_dev = r.devs & 1;
		p.dst_dev = (r.devs >> 1) & 1;
		p.app_uid = r.app_uid;
		p.app_source = (uint8_t)r.app_source;
		if (r.kind == REC_NAMES)
			audit_learn_names(a, &p);
		else
			audit_ip(a, &p);
	}
}

/* The next published batch, or NULL once the reader is done and all are consumed. */
static struct batch *take(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->head == w->tail && !w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	struct batch *b = w->head == w->tail ? NULL : &w->q[w->head % PH_SHARD_QUEUE];
	pthread_mutex_unlock(&w->mu);
	return b;
}

static void give_back(struct worker *w, struct batch *b)
{
	b->used = 0;
	pthread_mutex_lock(&w->mu);
	w->head++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	/* opened here, so that the workers' nDPI set-up runs in parallel with the first reads */
	if (audit_open_shard(&w->a, w->set->a, w->set->n, w->cls, w->err, sizeof w->err) < 0)
		w->failed = 1;  /* batches are still consumed, so the reader never waits forever */
	struct batch *b;
	while ((b = take(w))) {
		if (!w->failed)
			run_batch(&w->a, b);
		give_back(w, b);
	}
	if (!w->failed) {
		audit_drain(&w->a);
		audit_release(&w->a);   /* the flow table's memory goes before the leaks come back */
		report_sort(w->a.rep);  /* here, on every core; the merge keeps the order */
	}
	return NULL;
}

/* Hands the filled batch to the worker and waits for a free one to fill next. */
static void publish(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->tail++;
	pthread_cond_broadcast(&w->cv);
	while (w->tail - w->head >= PH_SHARD_QUEUE)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

static void push(struct worker *w, const struct rec *r, const uint8_t *bytes)
{
	size_t need = sizeof *r + pad8(r->caplen);
	struct batch *b = &w->q[w->tail % PH_SHARD_QUEUE];
	if (b->used && b->used + need > b->cap) {
		publish(w);
		b = &w->q[w->tail % PH_SHARD_QUEUE];
	}
	if (need > b->cap) {  /* the slot is empty here: first use, or a frame bigger than a batch */
		b->cap = need > PH_SHARD_BATCH ? need : PH_SHARD_BATCH;
		b->data = util_xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->used, r, sizeof *r);
	if (r->caplen)
		memcpy(b->data + b->used + sizeof *r, bytes, r->caplen);
	b->used += need;
}

static uint32_t addr_hash(const uint8_t *addr, size_t alen)
{
	uint32_t h = 0x9e3779b1u;
	for (size_t i = 0; i < alen; i += 4)
		h = (h ^ rd_be32(addr + i)) * 0x85ebca6bu;
	return h ^ (h >> 15);
}

/* The worker of a pair of addresses, either way round. By addresses, not ports: nDPI keeps
 * caches by address (mining, bittorrent, STUN peers) that flows of one pair must share. */
static size_t owner(const struct packet *p, size_t n)
{
	size_t alen = p->family == 4 ? 4 : 16;
	uint32_t h = (addr_hash(p->src, alen) ^ addr_hash(p->dst, alen)) * 0xc2b2ae35u;
	return (h >> 16) % n;
}

void shard_dispatch(void *arg, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen)
{
	struct shard_set *s = arg;
	struct packet p;
	if (!audit_decode(s->a, dlt, ts_us, bytes, caplen, &p))
		return;
	size_t k = owner(&p, s->n);
	uint64_t window = ts_us / ((uint64_t)PH_FLOW_EXPIRE_EVERY_S * 1000000u);
	if (window > s->window) {  /* every worker sweeps here, as one pipeline would (flow.c) */
		s->window = window;
		struct rec t = { .ts_us = ts_us, .kind = REC_SWEEP };
		for (size_t i = 0; i < s->n; i++)
			push(&s->w[i], &t, NULL);
	}
	struct rec r = { .ts_us = ts_us, .num = p.num, .caplen = (uint32_t)caplen, .dlt = dlt,
			 .devs = (uint32_t)(p.src_dev | p.dst_dev << 1), .app_uid = p.app_uid, .app_source = p.app_source };
	push(&s->w[k], &r, bytes);
	if (p.sport == 53 || p.sport == 5353) {  /* what audit.c's learn_names reads */
		r.kind = REC_NAMES;
		for (size_t i = 0; i < s->n; i++)
			if (i != k)
				push(&s->w[i], &r, bytes);
	}
}

struct shard_set *shard_start(struct audit *a, size_t n)
{
	struct shard_set *s = util_xcalloc(1, sizeof *s);
	s->a = a;
	s->n = n;
	s->w = util_xcalloc(n, sizeof *s->w);
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &s->w[i];
		w->set = s;
		if (i == 0) {  /* the reader's nDPI would sit idle: the first worker takes it, one set-up less */
			w->cls = a->cls;
			a->cls = NULL;
		}
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->th, NULL, work, w) != 0) {
			w->a.cls = w->cls;  /* freed with the audit */
			w->failed = 1;
			snprintf(w->err, sizeof w->err, "cannot start worker thread %zu", i + 1);
		} else {
			char name[16];
			snprintf(name, sizeof name, "ph-worker-%u", (unsigned)(i + 1) % 100);
			pthread_setname_np(w->th, name);  /* for top -H and perf */
			w->started = 1;
		}
	}
	return s;
}

/* No more frames: the last batch is published and the worker told to finish. */
static void close_queue(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->q[w->tail % PH_SHARD_QUEUE].used)
		w->tail++;
	w->done = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int shard_finish(struct shard_set *s, char *errbuf, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < s->n; i++)
		close_queue(&s->w[i]);
	for (size_t i = 0; i < s->n; i++)
		if (s->w[i].started)
			pthread_join(s->w[i].th, NULL);
	audit_drain(s->a);  /* nothing of its own: its stats are zeroed, then the workers' added */
	for (size_t i = 0; i < s->n; i++) {
		struct worker *w = &s->w[i];
		if (w->failed && !rc) {
			snprintf(errbuf, errlen, "%s", w->err);
			rc = -1;
		}
		if (!w->failed)
			audit_merge(s->a, &w->a);
		audit_close(&w->a);
		for (size_t k = 0; k < PH_SHARD_QUEUE; k++)
			free(w->q[k].data);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	free(s->w);
	free(s);
	return rc;
}
