/* fuzz_h3.c - libFuzzer target: HTTP/3 streams (RFC 9114) and QPACK (RFC 9204, libnghttp3) as the
 * QUIC side feeds them: records of (stream id, fin and direction, length, bytes) on one connection. */
#include "h3.h"
#include <string.h>

static void on_unit(void *arg, const struct http_unit *u)
{
	(void)arg;
	volatile uint8_t x = u->len ? u->p[0] ^ u->p[u->len - 1] : 0;
	(void)x;
}

static void on_req(void *arg, const struct http_request *r)
{
	(void)arg;
	volatile size_t x = strlen(r->uri) + strlen(r->host) + strlen(r->user_agent);
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h3_conn *h = h3_new(NULL);
	h3_on_request(h, on_req, NULL);
	size_t off = 0;
	while (off + 4 <= size) {  /* id, flags (1 fin, 2 server->client), 16-bit length */
		uint64_t sid = data[off];
		int fin = data[off + 1] & 1, dir = data[off + 1] >> 1 & 1;
		size_t n = (size_t)data[off + 2] << 8 | data[off + 3];
		off += 4;
		if (n > size - off)
			n = size - off;
		h3_stream(h, dir, sid, data + off, n, fin, on_unit, NULL);
		off += n;
	}
	h3_finish(h, on_unit, NULL);
	h3_free(h);
	h = h3_new(NULL);  /* the same bytes as one request stream, with static-table header blocks */
	h3_stream(h, 0, 0, data, size, 1, on_unit, NULL);
	h3_finish(h, on_unit, NULL);
	h3_free(h);
	return 0;
}
