/* reasm.h - one-direction TCP stream reassembly (RFC 9293 sequence space).
 * Delivers every byte once, in order, despite splits, reordering and overlap. */
#ifndef PH_REASM_H
#define PH_REASM_H
#include <stddef.h>
#include <stdint.h>

struct reasm_seg;                  /* private: a queued out-of-order segment (copied bytes) */

struct reasm {                     /* one TCP direction; embedded in the flow, zeroed = reasm_init */
	uint32_t next_seq;             /* next sequence number expected */
	uint64_t delivered;            /* bytes delivered in order so far */
	struct reasm_seg *ooo;         /* out-of-order queue, sorted by seq, never overlapping */
	uint32_t ooo_bytes;
	uint16_t ooo_segs;
	uint8_t started;               /* next_seq valid */
	uint8_t truncated;             /* a gap was skipped at least once */
	uint64_t gap_at;               /* bytes delivered when the first gap was skipped */
};

struct reasm_ctx {                 /* limits and counters shared by all flows (one per run) */
	size_t max_ooo_bytes;          /* per direction; default PH_REASM_MAX_OOO_BYTES */
	size_t max_ooo_segs;           /* per direction; default PH_REASM_MAX_OOO_SEGS */
	size_t memcap;                 /* all queued bytes of all flows; default PH_REASM_MEMCAP */
	size_t mem_in_use, mem_peak;   /* queued payload bytes, all flows */
	uint64_t ooo_segments;         /* pushes queued (at least partly) out of order */
	uint64_t retrans_bytes;        /* bytes below next_seq, already delivered */
	uint64_t overlap_bytes;        /* bytes already queued (first copy won) */
	uint64_t gaps, gap_bytes;      /* holes skipped (caps or flush) and their size */
	uint64_t memcap_drops;         /* segments dropped: could not be queued even after skipping */
};

/* Called with consecutive stream bytes; during the call r->next_seq is the seq of p[0]. */
typedef void (*reasm_deliver_fn)(void *ctx, const uint8_t *p, size_t len);

/* Defaults from config.h, counters zeroed. */
void reasm_ctx_init(struct reasm_ctx *c);
/* Empty direction, not started. */
void reasm_init(struct reasm *r);
/* SYN seen: data starts at isn+1 (ignored once data was delivered or queued). */
void reasm_set_isn(struct reasm *r, uint32_t isn);
/* Feed one segment; in-order bytes are delivered from p without a copy. */
void reasm_push(struct reasm_ctx *c, struct reasm *r, uint32_t seq, const uint8_t *p, size_t len,
		reasm_deliver_fn fn, void *arg);
/* Flow end: deliver what is queued in order, skipping holes (counted as gaps). */
void reasm_flush(struct reasm_ctx *c, struct reasm *r, reasm_deliver_fn fn, void *arg);
/* Drop the queue without delivering. */
void reasm_free(struct reasm_ctx *c, struct reasm *r);

#endif
