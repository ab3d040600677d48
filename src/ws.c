/* ws.c - WebSocket client frame decoder (RFC 6455 section 5): header, mask, fragments.
 * Control frames (close, ping, pong) are skipped; data frames become messages. */
#include "ws.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

/* Header bytes a frame needs, known from its first two bytes. */
static uint8_t header_len(const uint8_t *h)
{
	uint8_t n = 2, l7 = h[1] & 0x7f;
	n += l7 == 126 ? 2 : l7 == 127 ? 8 : 0;
	return (uint8_t)(n + ((h[1] & 0x80) ? 4 : 0));
}

/* Parse the held header into frame state; -1 when it cannot be a frame. */
static int header_done(struct ws_stream *w)
{
	const uint8_t *h = w->hdr;
	uint8_t l7 = h[1] & 0x7f, at = 2;
	if (h[0] & 0x70)
		return -1;  /* reserved bits: no extension was negotiated that we know of */
	w->fin = h[0] >> 7;
	w->opcode = h[0] & 0x0f;
	w->masked = h[1] >> 7;
	if (l7 == 126) {
		w->remain = rd_be16(h + 2);
		at = 4;
	} else if (l7 == 127) {
		w->remain = (uint64_t)rd_be32(h + 2) << 32 | rd_be32(h + 6);
		at = 10;
	} else {
		w->remain = l7;
	}
	if (w->masked)
		memcpy(w->mask, h + at, 4);
	w->pos = 0;
	if (w->opcode == 1 || w->opcode == 2) {
		w->mlen = 0;
		w->text = w->opcode == 1;
	} else if (w->opcode != 0 && w->opcode < 8) {
		return -1;  /* reserved data opcode */
	}
	return 0;
}

static void message_add(struct ws_stream *w, const uint8_t *p, size_t n)
{
	size_t room = WS_MAX_MESSAGE - w->mlen;
	if (n > room) {
		w->skipped += n - room;
		n = room;
	}
	if (w->mlen + n > w->mcap) {
		w->mcap = w->mcap ? 2 * w->mcap : 4096;
		if (w->mcap < w->mlen + n)
			w->mcap = w->mlen + n;
		if (w->mcap > WS_MAX_MESSAGE)
			w->mcap = WS_MAX_MESSAGE;
		w->msg = util_xrealloc(w->msg, w->mcap);
	}
	for (size_t i = 0; i < n; i++, w->pos++)
		w->msg[w->mlen + i] = p[i] ^ (w->masked ? w->mask[w->pos & 3] : 0);
	w->mlen += n;
}

int ws_stream_feed(struct ws_stream *w, const uint8_t *p, size_t len, ws_message_fn fn, void *arg)
{
	if (w->bad)
		return -1;
	while (len) {
		if (w->remain == 0 && w->need == 0) {  /* a new frame header */
			if (w->hlen < 2) {
				w->hdr[w->hlen++] = *p++;
				len--;
				if (w->hlen == 2)
					w->need = header_len(w->hdr);
				else
					continue;
			}
		}
		if (w->need) {
			while (len && w->hlen < w->need) {
				w->hdr[w->hlen++] = *p++;
				len--;
			}
			if (w->hlen < w->need)
				return 0;  /* header continues in the next piece */
			w->need = 0;
			w->hlen = 0;
			if (header_done(w) < 0) {
				w->bad = 1;
				return -1;
			}
			if (w->remain == 0 && w->opcode < 8 && w->fin && w->mlen)
				fn(arg, w->msg, w->mlen, w->text);
			continue;
		}
		size_t n = len < w->remain ? len : (size_t)w->remain;
		if (w->opcode >= 8)
			w->skipped += n;
		else
			message_add(w, p, n);
		p += n;
		len -= n;
		w->remain -= n;
		if (w->remain == 0 && w->opcode < 8 && w->fin) {
			fn(arg, w->msg, w->mlen, w->text);
			w->mlen = 0;
		}
	}
	return 0;
}

void ws_stream_free(struct ws_stream *w)
{
	free(w->msg);
	memset(w, 0, sizeof *w);
}
