/* fuzz_tls.c - libFuzzer target: the TLS record walker (RFC 8446 5.1) over a sender's
 * stream, in fuzzer-chosen pieces; plaintext records reach the callback in bounds. */
#include "tls.h"
#include <string.h>

static void on_plain(void *arg, const uint8_t *p, size_t len)
{
	size_t *total = arg;
	volatile uint8_t x = len ? p[0] ^ p[len - 1] : 0;
	(void)x;
	*total += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] % 32 + 1;
	data++;
	size--;
	struct tls_stream t;
	memset(&t, 0, sizeof t);
	size_t total = 0;
	tls_is_record(data, size);
	for (size_t off = 0; off < size; off += step)
		if (tls_stream_feed(&t, data + off, size - off < step ? size - off : step, on_plain, &total) < 0)
			break;
	if (total + t.skipped > size)
		__builtin_trap();  /* more bytes handed on than were fed */
	return 0;
}
