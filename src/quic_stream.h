/* quic_stream.h - QUIC stream reassembly (RFC 9000 2.2): per connection, STREAM frames in any
 * order handed on as each stream's bytes in order; at most PH_QUIC_MAX_STREAMS open at once. */
#ifndef PH_QUIC_STREAM_H
#define PH_QUIC_STREAM_H
#include <stddef.h>
#include <stdint.h>

struct qstream;

struct quic_streams {              /* zeroed: empty */
	struct qstream *st;            /* PH_QUIC_MAX_STREAMS, made at the first frame */
	size_t nst;
	uint64_t lowest[4];            /* per stream type (id & 3): streams numbered below are done and gone */
	size_t ooo_bytes;              /* queued out of order, at most PH_QUIC_MAX_OOO_BYTES */
	uint64_t dropped;              /* client stream bytes over the caps, never handed on */
};

/* In-order bytes of stream id; fin at its end (n may then be 0). */
typedef void (*quic_stream_fn)(void *arg, uint64_t id, const uint8_t *p, size_t n, int fin);

/* One STREAM frame: its bytes at off, fin when it carries the stream's end. */
void quic_streams_frame(struct quic_streams *q, uint64_t id, uint64_t off, const uint8_t *p, size_t n, int fin,
			quic_stream_fn fn, void *arg);
void quic_streams_free(struct quic_streams *q);

#endif
