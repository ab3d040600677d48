/* fuzz_decomp.c - libFuzzer target: content-coding chains (gzip, deflate, br, zstd) on any
 * bytes, with a small output cap so a bomb stops there. */
#include "decomp.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decomp *d;
	if (!d)
		d = decomp_new(1u << 20);
	if (size < 2)
		return 0;
	enum decomp_coding cod[DECOMP_MAX_CHAIN];
	int n = 1 + (data[0] >> 6) % DECOMP_MAX_CHAIN;
	for (int i = 0; i < n; i++)
		cod[i] = (enum decomp_coding)((data[0] >> (2 * (i % 3))) % DECOMP_UNKNOWN);
	const uint8_t *out;
	size_t outlen;
	decomp_chain(d, cod, n, data + 2, size - 2, data[1] & 1, &out, &outlen);
	volatile uint8_t x = 0;
	for (size_t i = 0; i < outlen; i++)
		x ^= out[i];
	(void)x;
	if (outlen > (1u << 20))
		abort();
	return 0;
}
