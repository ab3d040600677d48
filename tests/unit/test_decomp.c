/* test_decomp.c - unit tests of the content-coding decoders (gzip, deflate, br, zstd).
 * Vectors are compressed at test time with zlib and zstd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>
#include "decomp.h"

static const char *text = "deviceId=0123456789abcdef&lat=48.85&lon=2.35&deviceId=0123456789abcdef";

static size_t gz(const void *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

static void test_parse_names(void **state)
{
	(void)state;
	assert_int_equal(decomp_coding_parse("GZip", 4), DECOMP_GZIP);
	assert_int_equal(decomp_coding_parse("x-gzip", 6), DECOMP_GZIP);
	assert_int_equal(decomp_coding_parse("deflate", 7), DECOMP_DEFLATE);
	assert_int_equal(decomp_coding_parse("br", 2), DECOMP_BR);
	assert_int_equal(decomp_coding_parse("zstd", 4), DECOMP_ZSTD);
	assert_int_equal(decomp_coding_parse("identity", 8), DECOMP_IDENTITY);
	assert_int_equal(decomp_coding_parse("compress", 8), DECOMP_UNKNOWN);
	assert_int_equal(decomp_coding_parse("gzipx", 5), DECOMP_UNKNOWN);
	assert_string_equal(decomp_coding_name(DECOMP_BR), "br");
}

static void test_gzip_members_and_cut(void **state)
{
	struct decomp *d = decomp_new(1 << 20);
	uint8_t buf[1024], both[2048];
	size_t n = gz(text, strlen(text), buf, sizeof(buf)), outlen;
	enum decomp_coding c = DECOMP_GZIP;
	const uint8_t *out;

	(void)state;
	/* two gzip members decode as one body */
	memcpy(both, buf, n);
	memcpy(both + n, buf, n);
	assert_int_equal(decomp_chain(d, &c, 1, both, 2 * n, 0, &out, &outlen), 0);
	assert_int_equal(outlen, 2 * strlen(text));
	assert_memory_equal(out + strlen(text), text, strlen(text));
	/* cut short: fine when the input was cut, an error when it claims to be whole */
	assert_int_equal(decomp_chain(d, &c, 1, buf, n - 8, 1, &out, &outlen), 0);
	assert_int_equal(outlen, strlen(text));
	assert_int_equal(decomp_chain(d, &c, 1, buf, n - 8, 0, &out, &outlen), -1);
	assert_int_equal(outlen, strlen(text));
	decomp_free(d);
}

static void test_cap_and_errors(void **state)
{
	struct decomp *d = decomp_new(1000);
	size_t big = 1 << 20, cap = ZSTD_compressBound(big), n, outlen;
	uint8_t *zeros = calloc(1, big), *z = malloc(cap);
	enum decomp_coding c = DECOMP_ZSTD, u = DECOMP_UNKNOWN, b = DECOMP_BR;
	const uint8_t *out;

	(void)state;
	n = ZSTD_compress(z, cap, zeros, big, 1);
	assert_false(ZSTD_isError(n));
	assert_int_equal(decomp_chain(d, &c, 1, z, n, 0, &out, &outlen), 0);
	assert_int_equal(outlen, 1000);
	assert_int_equal(decomp_chain(d, &u, 1, z, n, 0, &out, &outlen), -1);
	assert_int_equal(decomp_chain(d, &b, 1, (const uint8_t *)"\xff\xff\xff\xff", 4, 0, &out, &outlen), -1);
	/* no codings: the input itself */
	assert_int_equal(decomp_chain(d, &c, 0, z, n, 0, &out, &outlen), 0);
	assert_ptr_equal(out, z);
	assert_int_equal(outlen, n);
	free(zeros);
	free(z);
	decomp_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_gzip_members_and_cut),
		cmocka_unit_test(test_cap_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
