/* fuzz_http.c - libFuzzer target: the HTTP/1.x request parser and its body decoders
 * (chunked, gzip, deflate, br, zstd through Content-Encoding), fed in pieces whose sizes
 * come from the first byte. Every unit handed out must be readable. */
#include "http.h"
#include <string.h>

static void on_unit(void *arg, const struct http_unit *u)
{
	volatile uint8_t x = 0;
	for (size_t i = 0; i < u->len; i++)
		x ^= u->p[i];
	(void)x;
	(*(size_t *)arg)++;
}

static void on_req(void *arg, const struct http_request *r)
{
	(void)arg;
	volatile size_t n = strlen(r->host) + strlen(r->uri) + strlen(r->method);
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t step = (size_t)data[0] * 7 + 1, units = 0;
	data++;
	size--;
	http_is_request(data, size);
	struct http_stats st;
	memset(&st, 0, sizeof st);
	struct http_parser *h = http_parser_new(&st);
	http_parser_on_request(h, on_req, NULL);
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;
		http_parser_feed(h, data + off, n, on_unit, &units);
	}
	http_parser_finish(h, on_unit, &units);
	http_parser_free(h);
	return 0;
}
