/* ws.h - WebSocket frames (RFC 6455) from the client: unmasked, fragments joined into messages.
 * Streaming: frames may be split anywhere across pieces. */
#ifndef PH_WS_H
#define PH_WS_H
#include <stddef.h>
#include <stdint.h>

#define WS_MAX_MESSAGE (256u << 10)    /* message bytes kept; the rest of a longer one is skipped */

struct ws_stream {                     /* all zero = initialised */
	uint8_t hdr[14];                   /* frame header being read */
	uint8_t hlen, need;                /* bytes held, bytes the header needs */
	uint8_t mask[4], masked, opcode, fin, bad;
	uint64_t remain, pos;              /* payload bytes left in the frame, and read */
	uint8_t *msg;                      /* message being assembled, grown up to WS_MAX_MESSAGE */
	size_t mlen, mcap;
	int text;
	uint64_t skipped;                  /* bytes of control frames and over-long messages */
};

/* A complete text (text=1) or binary message; valid during the call. */
typedef void (*ws_message_fn)(void *arg, const uint8_t *p, size_t len, int text);

/* Feed client bytes; 0 ok, -1 once the stream is not WebSocket framing (later bytes ignored). */
int ws_stream_feed(struct ws_stream *w, const uint8_t *p, size_t len, ws_message_fn fn, void *arg);
void ws_stream_free(struct ws_stream *w);

#endif
