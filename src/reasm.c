/* reasm.c - one-direction TCP stream reassembly (RFC 9293 sequence space).
 * In-order bytes go straight through; out-of-order bytes wait in a capped queue. */
#include "reasm.h"
#include "config.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

/* Pushes longer than this are fed in pieces so offsets stay far from 2^31. */
#define REASM_CHUNK (1u << 30)

struct reasm_seg {
	struct reasm_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/* Limits and counters at their defaults. */
void reasm_ctx_init(struct reasm_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->max_ooo_bytes = PH_REASM_MAX_OOO_BYTES;
	c->max_ooo_segs = PH_REASM_MAX_OOO_SEGS;
	c->memcap = PH_REASM_MEMCAP;
}

/* An empty, not yet started direction. */
void reasm_init(struct reasm *r)
{
	memset(r, 0, sizeof(*r));
}

/* The stream starts after the SYN; a late or repeated SYN must not rewind it. */
void reasm_set_isn(struct reasm *r, uint32_t isn)
{
	if (r->started && (r->delivered || r->ooo))
		return;
	r->next_seq = isn + 1;
	r->started = 1;
}

/* Distance of a queued segment ahead of next_seq (queue invariant: ahead). */
static uint32_t seg_off(const struct reasm *r, const struct reasm_seg *s)
{
	return s->seq - r->next_seq;
}

/* Hand bytes at next_seq to the consumer, then advance. */
static void emit(struct reasm *r, const uint8_t *p, size_t n, reasm_deliver_fn fn, void *arg)
{
	fn(arg, p, n);
	r->next_seq += (uint32_t)n;
	r->delivered += n;
}

/* Unlink and free the queue head. */
static void seg_pop(struct reasm_ctx *c, struct reasm *r)
{
	struct reasm_seg *s = r->ooo;

	r->ooo = s->next;
	r->ooo_bytes -= s->len;
	r->ooo_segs--;
	c->mem_in_use -= s->len;
	free(s);
}

/* Deliver p (which starts at next_seq) merged with the queue; queued bytes came
 * first so they win where both cover a byte. Ends with the queue ahead of next_seq. */
static void deliver_inorder(struct reasm_ctx *c, struct reasm *r, const uint8_t *p, size_t len,
			    reasm_deliver_fn fn, void *arg)
{
	for (;;) {
		struct reasm_seg *q = r->ooo;

		if (q && (int32_t)(q->seq - r->next_seq) <= 0) {
			uint32_t skip = r->next_seq - q->seq;

			if (skip < q->len) {
				size_t n = q->len - skip;
				size_t cover = n < len ? n : len;

				if (cover) {
					c->overlap_bytes += cover;
					p += cover;
					len -= cover;
				}
				emit(r, q->data + skip, n, fn, arg);
			}
			seg_pop(c, r);
			continue;
		}
		if (!len)
			break;
		size_t n = len;
		if (q && seg_off(r, q) < n)
			n = seg_off(r, q);
		emit(r, p, n, fn, arg);
		p += n;
		len -= n;
	}
}

/* Walk the queue for the parts of [off, off+len) not yet queued: count them
 * (bytes, pieces) and, if commit, copy them in as new segments. */
static void ooo_walk(struct reasm_ctx *c, struct reasm *r, uint32_t off, const uint8_t *p, size_t len,
		     int commit, size_t *nbytes, size_t *nsegs)
{
	struct reasm_seg **link = &r->ooo;
	uint64_t cur = off, end = (uint64_t)off + len;

	*nbytes = *nsegs = 0;
	while (cur < end) {
		struct reasm_seg *q = *link;
		uint64_t qs = q ? seg_off(r, q) : end;
		uint64_t qe = q ? qs + q->len : end;

		if (q && qe <= cur) {
			link = &q->next;
			continue;
		}
		if (qs <= cur) {
			/* already queued: first copy wins */
			cur = qe < end ? qe : end;
			link = &q->next;
			continue;
		}
		uint32_t n = (uint32_t)((qs < end ? qs : end) - cur);
		*nbytes += n;
		(*nsegs)++;
		if (commit) {
			struct reasm_seg *s = util_xmalloc(sizeof(*s) + n);
			s->seq = r->next_seq + (uint32_t)cur;
			s->len = n;
			memcpy(s->data, p + (cur - off), n);
			s->next = q;
			*link = s;
			link = &s->next;
			r->ooo_bytes += n;
			r->ooo_segs++;
			c->mem_in_use += n;
		}
		cur += n;
	}
	if (commit && c->mem_in_use > c->mem_peak)
		c->mem_peak = c->mem_in_use;
}

/* Would queuing nb more bytes in ns more segments stay under every cap? */
static int ooo_fits(const struct reasm_ctx *c, const struct reasm *r, size_t nb, size_t ns)
{
	size_t max_b = c->max_ooo_bytes < UINT32_MAX ? c->max_ooo_bytes : UINT32_MAX;
	size_t max_s = c->max_ooo_segs < UINT16_MAX ? c->max_ooo_segs : UINT16_MAX;

	return r->ooo_bytes <= max_b && nb <= max_b - r->ooo_bytes &&
	       r->ooo_segs <= max_s && ns <= max_s - r->ooo_segs &&
	       c->mem_in_use <= c->memcap && nb <= c->memcap - c->mem_in_use;
}

/* Give up on the bytes before seq: count the hole, then deliver what became contiguous. */
static void skip_hole(struct reasm_ctx *c, struct reasm *r, uint32_t seq, reasm_deliver_fn fn, void *arg)
{
	c->gaps++;
	c->gap_bytes += seq - r->next_seq;
	if (!r->truncated)
		r->gap_at = r->delivered;
	r->truncated = 1;
	r->next_seq = seq;
	deliver_inorder(c, r, NULL, 0, fn, arg);
}

/* One push of at most REASM_CHUNK bytes. */
static void push_one(struct reasm_ctx *c, struct reasm *r, uint32_t seq, const uint8_t *p, size_t len,
		     reasm_deliver_fn fn, void *arg)
{
	for (;;) {
		int32_t off = (int32_t)(seq - r->next_seq);
		size_t nb, ns;

		if (off <= 0) {
			uint32_t back = r->next_seq - seq;

			if (back >= len) {
				c->retrans_bytes += len;
				return;
			}
			c->retrans_bytes += back;
			deliver_inorder(c, r, p + back, len - back, fn, arg);
			return;
		}
		if ((uint64_t)off + len > INT32_MAX) {
			/* bytes 2 GiB ahead have no place in the sequence space: drop the tail */
			c->memcap_drops++;
			len = INT32_MAX - (uint32_t)off;
			if (!len)
				return;
		}
		ooo_walk(c, r, (uint32_t)off, p, len, 0, &nb, &ns);
		if (!nb) {
			c->overlap_bytes += len;
			return;
		}
		if (ooo_fits(c, r, nb, ns)) {
			ooo_walk(c, r, (uint32_t)off, p, len, 1, &nb, &ns);
			c->overlap_bytes += len - nb;
			c->ooo_segments++;
			return;
		}
		if (!r->ooo) {
			c->memcap_drops++;
			return;
		}
		/* skip to whichever comes first, the queue head or this segment; retry */
		skip_hole(c, r, seg_off(r, r->ooo) < (uint32_t)off ? r->ooo->seq : seq, fn, arg);
	}
}

/* Feed one segment of this direction. */
void reasm_push(struct reasm_ctx *c, struct reasm *r, uint32_t seq, const uint8_t *p, size_t len,
		reasm_deliver_fn fn, void *arg)
{
	if (!len)
		return;
	if (!r->started) {
		/* capture began mid-connection: the stream starts here */
		r->next_seq = seq;
		r->started = 1;
	}
	while (len) {
		size_t n = len < REASM_CHUNK ? len : REASM_CHUNK;

		push_one(c, r, seq, p, n, fn, arg);
		seq += (uint32_t)n;
		p += n;
		len -= n;
	}
}

/* Deliver the whole queue in order, jumping over holes. */
void reasm_flush(struct reasm_ctx *c, struct reasm *r, reasm_deliver_fn fn, void *arg)
{
	while (r->ooo) {
		if ((int32_t)(r->ooo->seq - r->next_seq) > 0)
			skip_hole(c, r, r->ooo->seq, fn, arg);
		else
			deliver_inorder(c, r, NULL, 0, fn, arg);
	}
}

/* Release the queue; nothing is delivered. */
void reasm_free(struct reasm_ctx *c, struct reasm *r)
{
	while (r->ooo)
		seg_pop(c, r);
}
