/* fuzz_h2.c - libFuzzer target: HTTP/2 framing (RFC 9113) and HPACK (RFC 7541) as the
 * decrypted client stream feeds them, cut into pieces at fuzzer-chosen points. */
#include "h2.h"
#include "hpack.h"
#include <string.h>

static void on_unit(void *arg, const struct http_unit *u)
{
	(void)arg;
	volatile uint8_t x = u->len ? u->p[0] ^ u->p[u->len - 1] : 0;
	(void)x;
}

static void on_field(void *arg, const char *name, size_t nl, const uint8_t *v, size_t vl)
{
	(void)arg;
	volatile uint8_t x = (nl ? (uint8_t)name[nl - 1] : 0) ^ (vl ? v[vl - 1] : 0);
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] % 64 + 1;  /* the piece size a TLS record boundary makes */
	data++;
	size--;
	struct h2_conn *h = h2_new(NULL);
	h2_feed(h, (const uint8_t *)preface, sizeof preface - 1, on_unit, NULL);
	for (size_t off = 0; off < size; off += step)
		h2_feed(h, data + off, size - off < step ? size - off : step, on_unit, NULL);
	h2_finish(h, on_unit, NULL);
	h2_free(h);
	struct hpack hp;  /* the same bytes as one header block */
	hpack_init(&hp, 4096);
	hpack_decode(&hp, data, size, on_field, NULL);
	hpack_free(&hp);
	return 0;
}
