/* tls.c - TLS record layer walker: plaintext handshake records (ClientHello with its
 * SNI and extensions) are scanned; application data and post-CCS records are not. */
#include "tls.h"
#include "util.h"

#define TLS_MAX_RECORD (16384 + 2048)  /* RFC 8446: 2^14 + 256, TLS 1.2 ciphertext + 2048 */

int tls_is_record(const uint8_t *p, size_t len)
{
	if (len < 3)
		return len && (p[0] < 20 || p[0] > 23) ? 0 : -1;
	return p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4;
}

int tls_stream_feed(struct tls_stream *t, const uint8_t *p, size_t len, tls_plain_fn fn, void *arg)
{
	while (len) {
		if (!t->remain) {  /* gather a 5-byte record header, possibly across pieces */
			size_t want = 5u - t->hdrlen, take = want < len ? want : len;
			for (size_t i = 0; i < take; i++)
				t->hdr[t->hdrlen++] = p[i];
			p += take;
			len -= take;
			if (t->hdrlen < 5)
				return 0;
			t->hdrlen = 0;
			uint32_t rl = rd_be16(t->hdr + 3);
			if (tls_is_record(t->hdr, 5) != 1 || rl == 0 || rl > TLS_MAX_RECORD)
				return -1;
			t->type = t->hdr[0];
			t->remain = rl;
			if (t->type == 20)
				t->encrypted = 1;
			continue;
		}
		size_t n = t->remain < len ? t->remain : len;
		if (t->type == 23 || t->encrypted)
			t->skipped += n;
		else
			fn(arg, p, n);
		t->remain -= (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}
