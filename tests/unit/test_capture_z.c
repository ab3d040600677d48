/* test_capture_z.c - unit tests of the compressed capture reader: gzip and zstd compressed here
 * with zlib and libzstd and read back in odd-sized pieces, members and frames one after another,
 * streams cut short or corrupt, stdio's seeks, and the compressions that are named, not read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>
#include "capture.h"
#include "capture_z.h"
#include "config.h"
#include "util.h"

#define PLAIN (3 << 20)    /* three windows' worth */

static uint8_t *plain_bytes(void)
{
	uint8_t *p = util_xmalloc(PLAIN);
	uint32_t x = 12345;
	for (size_t i = 0; i < PLAIN; i++) {  /* compressible but not uniform: every window differs */
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(i % 251 < 200 ? i / 4096 : x >> 24);
	}
	return p;
}

static size_t gzip_of(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream s = { 0 };
	assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = (Bytef *)p, s.avail_in = (uInt)n, s.next_out = out, s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	size_t len = s.total_out;
	deflateEnd(&s);
	return len;
}

static size_t zstd_of(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	size_t len = ZSTD_compress(out, cap, p, n, 3);
	assert_false(ZSTD_isError(len));
	return len;
}

/* A source over a buffer, giving at most step bytes a call. */
struct src {
	const uint8_t *p;
	size_t len, off, step;
};

static ssize_t src_read(void *arg, char *buf, size_t size)
{
	struct src *s = arg;
	size_t n = s->len - s->off;
	if (n > size)
		n = size;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Everything z gives, read in pieces of 7 to 70,000 bytes; *len its length. */
static uint8_t *drain(struct capture_z *z, size_t *len, ssize_t *last)
{
	size_t cap = 8 << 20, n = 0, piece = 7;
	uint8_t *out = util_xmalloc(cap);
	ssize_t r;
	while ((r = capture_z_read(z, (char *)out + n, cap - n < piece ? cap - n : piece)) > 0) {
		n += (size_t)r;
		piece = piece * 3 % 70001 + 1;
	}
	*len = n;
	*last = r;
	return out;
}

static void round_trip(size_t (*compress)(const uint8_t *, size_t, uint8_t *, size_t), const char *name)
{
	uint8_t *p = plain_bytes(), *c = util_xmalloc(2 * PLAIN);
	size_t half = compress(p, PLAIN / 2, c, 2 * PLAIN);  /* two members or frames, one file */
	size_t len = half + compress(p + PLAIN / 2, PLAIN - PLAIN / 2, c + half, 2 * PLAIN - half);
	struct src s = { c, len, 0, 4097 };
	char err[256];
	struct capture_z *z = capture_z_open(src_read, &s, err, sizeof err);
	assert_non_null(z);
	assert_string_equal(capture_z_name(z), name);
	size_t n;
	ssize_t last;
	uint8_t *out = drain(z, &n, &last);
	assert_int_equal(last, 0);
	assert_int_equal(n, PLAIN);
	assert_memory_equal(out, p, PLAIN);
	assert_null(capture_z_error(z));
	capture_z_free(z);
	free(out), free(c), free(p);
}

static void test_gzip_members(void **state)
{
	(void)state;
	round_trip(gzip_of, "gzip");
}

static void test_zstd_frames(void **state)
{
	(void)state;
	round_trip(zstd_of, "zstd");
}

/* Not compressed: the bytes pass through, the sniffed ones first. */
static void test_plain_passes(void **state)
{
	(void)state;
	uint8_t *p = plain_bytes();
	p[0] = 0xd4, p[1] = 0xc3, p[2] = 0xb2, p[3] = 0xa1;
	struct src s = { p, PLAIN, 0, 3 };  /* the magic arrives in two reads */
	char err[256];
	struct capture_z *z = capture_z_open(src_read, &s, err, sizeof err);
	assert_non_null(z);
	assert_int_equal(capture_z_kind(z), CAPTURE_Z_NONE);
	assert_null(capture_z_name(z));
	const uint8_t *peek;
	size_t npeek;
	capture_z_peek(z, &peek, &npeek);  /* what was read to sniff, not yet given */
	assert_int_equal(npeek, 6);
	assert_memory_equal(peek, p, 6);
	size_t n;
	ssize_t last;
	uint8_t *out = drain(z, &n, &last);
	assert_int_equal(n, PLAIN);
	assert_memory_equal(out, p, PLAIN);
	capture_z_free(z);
	free(out), free(p);
}

/* Cut short: every byte before the cut, then the end, and why. */
static void test_cut_short(void **state)
{
	(void)state;
	uint8_t *p = plain_bytes(), *c = util_xmalloc(2 * PLAIN);
	size_t len = zstd_of(p, PLAIN, c, 2 * PLAIN);
	for (int k = 0; k < 2; k++) {
		if (k)
			len = gzip_of(p, PLAIN, c, 2 * PLAIN);
		struct src s = { c, len * 2 / 3, 0, 65536 };
		char err[256];
		struct capture_z *z = capture_z_open(src_read, &s, err, sizeof err);
		size_t n;
		ssize_t last;
		uint8_t *out = drain(z, &n, &last);
		assert_int_equal(last, 0);
		assert_true(n > PLAIN / 3 && n < PLAIN);
		assert_memory_equal(out, p, n);
		assert_non_null(capture_z_error(z));
		assert_non_null(strstr(capture_z_error(z), "cut short"));
		capture_z_free(z);
		free(out);
	}
	free(c), free(p);
}

/* A corrupt byte: -1 with EBADMSG, the error says where; later reads say the same. */
static void test_corrupt(void **state)
{
	(void)state;
	uint8_t *p = plain_bytes(), *c = util_xmalloc(2 * PLAIN);
	size_t len = gzip_of(p, PLAIN, c, 2 * PLAIN);
	for (size_t i = len / 2; i < len / 2 + 64; i++)
		c[i] ^= 0x5a;
	struct src s = { c, len, 0, 65536 };
	char err[256];
	struct capture_z *z = capture_z_open(src_read, &s, err, sizeof err);
	size_t n;
	ssize_t last;
	uint8_t *out = drain(z, &n, &last);
	assert_int_equal(last, -1);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(capture_z_error(z), "gzip: corrupt data near byte"));
	char b[16];
	assert_int_equal(capture_z_read(z, b, sizeof b), -1);
	capture_z_free(z);
	free(out), free(c), free(p);
}

/* Bytes after the last member that are not gzip: what came before is read, the rest named. */
static void test_trailing_garbage(void **state)
{
	(void)state;
	uint8_t *p = plain_bytes(), *c = util_xmalloc(2 * PLAIN);
	size_t len = gzip_of(p, 100000, c, 2 * PLAIN);
	memcpy(c + len, "garbage", 7);
	struct src s = { c, len + 7, 0, 65536 };
	char err[256];
	struct capture_z *z = capture_z_open(src_read, &s, err, sizeof err);
	size_t n;
	ssize_t last;
	uint8_t *out = drain(z, &n, &last);
	assert_int_equal(last, 0);
	assert_int_equal(n, 100000);
	assert_non_null(strstr(capture_z_error(z), "not gzip were ignored"));
	capture_z_free(z);
	free(out), free(c), free(p);
}

/* The compressions that are not read are named, with the way to read them. */
static void test_other_named(void **state)
{
	(void)state;
	static const struct { const char *magic; size_t len; const char *name; } t[] = {
		{ "BZh9", 4, "bzip2" }, { "\xfd" "7zXZ\0", 6, "xz" }, { "\x04\x22\x4d\x18", 4, "lz4" },
		{ "PK\3\4", 4, "zip" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *name;
		assert_int_equal(capture_z_sniff((const uint8_t *)t[i].magic, t[i].len, &name), CAPTURE_Z_OTHER);
		assert_string_equal(name, t[i].name);
		struct src s = { (const uint8_t *)t[i].magic, t[i].len, 0, 1 };
		char err[256] = "";
		assert_null(capture_z_open(src_read, &s, err, sizeof err));
		assert_non_null(strstr(err, t[i].name));
		assert_non_null(strstr(err, "-r <("));
	}
	static const uint8_t pcap[] = { 0xd4, 0xc3, 0xb2, 0xa1 }, ng[] = { 0x0a, 0x0d, 0x0d, 0x0a }, gz[] = { 0x1f };
	assert_int_equal(capture_z_sniff(pcap, 4, NULL), CAPTURE_Z_NONE);
	assert_int_equal(capture_z_sniff(ng, 4, NULL), CAPTURE_Z_NONE);
	assert_int_equal(capture_z_sniff(gz, 1, NULL), CAPTURE_Z_NONE);  /* too short to say */
}

static char *write_tmp(const uint8_t *p, size_t n)
{
	char *path = util_xstrdup("/tmp/ph-test-capz-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
	return path;
}

/* stdio over the decompressed bytes: reads, ftell, seeks ahead and back over its buffer; a
 * seek back beyond what is kept fails, not silently. */
static void test_fopen_seeks(void **state)
{
	(void)state;
	uint8_t *p = plain_bytes(), *c = util_xmalloc(2 * PLAIN);
	char *path = write_tmp(c, gzip_of(p, PLAIN, c, 2 * PLAIN));
	char err[256];
	FILE *f = capture_z_fopen(path, err, sizeof err);
	assert_non_null(f);
	uint8_t b[16];
	assert_int_equal(fread(b, 1, 12, f), 12);
	assert_memory_equal(b, p, 12);
	assert_int_equal(ftell(f), 12);
	assert_int_equal(fseek(f, -4, SEEK_CUR), 0);
	assert_int_equal(fread(b, 1, 4, f), 4);
	assert_memory_equal(b, p + 8, 4);
	assert_int_equal(fseek(f, 2000000, SEEK_CUR), 0);  /* ahead, beyond a window */
	assert_int_equal(fread(b, 1, 16, f), 16);
	assert_memory_equal(b, p + 2000012, 16);
	assert_int_equal(ftell(f), 2000028);
	assert_int_equal(fseek(f, 10, SEEK_CUR), 0);  /* stdio seeks back over its buffer for this */
	assert_int_equal(fread(b, 1, 16, f), 16);
	assert_memory_equal(b, p + 2000038, 16);
	assert_int_equal(fseek(f, 0, SEEK_SET), -1);
	assert_int_equal(errno, ESPIPE);
	fclose(f);
	unlink(path);
	free(path);

	p[0] = 0xd4;  /* not compressed: the file itself, seekable anywhere */
	path = write_tmp(p, 4096);
	f = capture_z_fopen(path, err, sizeof err);
	assert_non_null(f);
	assert_int_equal(fseek(f, 100, SEEK_SET), 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, 1, f), 1);
	assert_int_equal(b[0], 0xd4);
	fclose(f);
	unlink(path);
	free(path);

	path = write_tmp((const uint8_t *)"\xfd" "7zXZ\0\0\0", 8);
	assert_null(capture_z_fopen(path, err, sizeof err));
	assert_non_null(strstr(err, "xz-compressed"));
	unlink(path);
	free(path);
	free(c), free(p);
}

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	(void)dlt, (void)ts_us, (void)p, (void)caplen;
	++*(uint64_t *)arg;
}

/* A .pcap.gz through the capture reader: every record, the custody hash of the file as it is on
 * disk, the compression named; cut short, the input says so. */
static void test_capture_gzip(void **state)
{
	(void)state;
	size_t nrec = 2000, len = 24 + nrec * (16 + 500);
	uint8_t *p = util_xcalloc(1, len), *c = util_xmalloc(2 * len);
	static const uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	memcpy(p, hdr, 24);
	for (size_t i = 0; i < nrec; i++) {
		uint8_t *r = p + 24 + i * 516;
		r[0] = (uint8_t)i, r[1] = (uint8_t)(i >> 8), r[8] = r[12] = 500 & 0xff, r[9] = r[13] = 500 >> 8;
		r[16 + 12] = 0x08, r[16 + 40] = (uint8_t)i;
	}
	size_t clen = gzip_of(p, len, c, 2 * len);
	for (int cut = 0; cut < 2; cut++) {
		char *path = write_tmp(c, cut ? clen / 2 : clen);
		char err[256] = "", want[65];
		struct report_input in;
		memset(&in, 0, sizeof in);
		uint64_t n = 0;
		assert_int_equal(capture_check_file(path, err, sizeof err), 0);
		assert_int_equal(capture_read_file(path, on_packet, &n, &in, NULL, err, sizeof err), 0);
		assert_int_equal(util_sha256_file(path, want), 0);
		assert_string_equal(in.sha256, want);
		assert_string_equal(in.compression, "gzip");
		if (!cut) {
			assert_int_equal(n, nrec);
			assert_null(in.warning);
		} else {
			assert_true(n > 100 && n < nrec);
			assert_non_null(in.warning);
			assert_non_null(strstr(in.warning, "gzip: the file ends inside its compressed data (cut short)"));
			free(in.warning);
		}
		unlink(path);
		free(path);
	}
	free(c), free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_members),
		cmocka_unit_test(test_zstd_frames),
		cmocka_unit_test(test_plain_passes),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_other_named),
		cmocka_unit_test(test_fopen_seeks),
		cmocka_unit_test(test_capture_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
