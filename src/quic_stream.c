/* quic_stream.c - QUIC stream reassembly (RFC 9000 2.2, 19.8): STREAM frames out of order,
 * overlapping and retransmitted become each stream's bytes in order, once, under caps. */
#include "quic_stream.h"
#include "config.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

struct qseg {                      /* out-of-order stream bytes */
	uint64_t off;
	size_t len;
	struct qseg *next;
	uint8_t data[];
};

struct qstream {
	uint64_t id;
	uint64_t next;                 /* bytes delivered in order */
	uint8_t fin_seen, done;
	uint64_t fin_off;
	struct qseg *ooo;              /* queued, sorted by offset */
};

static void stream_free(struct qstream *s)
{
	while (s->ooo) {
		struct qseg *n = s->ooo->next;
		free(s->ooo);
		s->ooo = n;
	}
}

void quic_streams_free(struct quic_streams *q)
{
	for (size_t i = 0; i < q->nst; i++)
		stream_free(&q->st[i]);
	free(q->st);
	memset(q, 0, sizeof *q);
}

static struct qstream *stream_get(struct quic_streams *q, uint64_t id)
{
	for (size_t i = 0; i < q->nst; i++)
		if (q->st[i].id == id)
			return &q->st[i];
	if (q->nst == PH_QUIC_MAX_STREAMS)
		return NULL;
	if (!q->st)
		q->st = util_xcalloc(PH_QUIC_MAX_STREAMS, sizeof *q->st);
	struct qstream *s = &q->st[q->nst++];
	memset(s, 0, sizeof *s);
	s->id = id;
	return s;
}

/* Delivers what follows s->next, in order: p[0,n) at off, then queued segments it reaches. */
static void stream_deliver(struct quic_streams *q, struct qstream *s, uint64_t off, const uint8_t *p, size_t n,
			   quic_stream_fn fn, void *arg)
{
	if (off + n > s->next) {
		size_t skip = (size_t)(s->next - off);  /* retransmitted or overlapping bytes */
		s->next = off + n;
		fn(arg, s->id, p + skip, n - skip, s->fin_seen && s->next == s->fin_off);
	}
	while (s->ooo && s->ooo->off <= s->next) {
		struct qseg *g = s->ooo;
		s->ooo = g->next;
		q->ooo_bytes -= g->len;
		if (g->off + g->len > s->next) {
			size_t skip = (size_t)(s->next - g->off);
			s->next = g->off + g->len;
			fn(arg, s->id, g->data + skip, g->len - skip, s->fin_seen && s->next == s->fin_off);
		}
		free(g);
	}
	if (s->fin_seen && s->next >= s->fin_off)
		s->done = 1;
}

/* Finished streams of type t leave the table in number order, so a long connection's streams
 * never fill it, and a retransmission of a stream that left is known by its number. */
static void stream_retire(struct quic_streams *q, unsigned t)
{
	for (size_t i = 0; i < q->nst; i++) {
		struct qstream *s = &q->st[i];
		if (!s->done || s->id != (q->lowest[t] << 2 | t))
			continue;
		stream_free(s);
		q->st[i] = q->st[--q->nst];
		q->lowest[t]++;
		i = (size_t)-1;  /* the next one may sit anywhere */
	}
}

/* Queues or delivers one frame's bytes; the stream, or NULL when the table is full. */
static struct qstream *stream_put(struct quic_streams *q, uint64_t id, uint64_t off, const uint8_t *p, size_t n, int fin,
				  quic_stream_fn fn, void *arg)
{
	struct qstream *s = stream_get(q, id);
	int client = (id & 3) != 3;  /* server streams are counted nowhere: nothing of the device's */
	if (!s) {
		q->dropped += client ? n : 0;  /* more streams than tracked */
		return NULL;
	}
	if (fin && !s->fin_seen) {
		s->fin_seen = 1;
		s->fin_off = off + n;
	}
	if (s->done || off + n <= s->next) {
		if (fin && !n && s->next == s->fin_off && !s->done) {
			s->done = 1;
			fn(arg, s->id, p, 0, 1);
		}
		return s;  /* all of it delivered before: a retransmission */
	}
	if (off <= s->next) {
		stream_deliver(q, s, off, p, n, fn, arg);
		return s;
	}
	if (q->ooo_bytes + n > PH_QUIC_MAX_OOO_BYTES) {
		q->dropped += client ? n : 0;  /* a hole that stays: later bytes of this stream wait for it */
		return s;
	}
	struct qseg *g = util_xmalloc(sizeof *g + n), **at = &s->ooo;
	g->off = off;
	g->len = n;
	memcpy(g->data, p, n);
	while (*at && (*at)->off <= off)
		at = &(*at)->next;
	g->next = *at;
	*at = g;
	q->ooo_bytes += n;
	return s;
}

void quic_streams_frame(struct quic_streams *q, uint64_t id, uint64_t off, const uint8_t *p, size_t n, int fin,
			quic_stream_fn fn, void *arg)
{
	if (id >> 2 < q->lowest[id & 3])
		return;  /* a stream done and gone: a retransmission */
	struct qstream *s = stream_put(q, id, off, p, n, fin, fn, arg);
	if (s && s->done)
		stream_retire(q, id & 3);
}
