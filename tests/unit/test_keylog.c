/* test_keylog.c - unit tests of the NSS key log reader: labels of TLS 1.2 and 1.3, comments and
 * unknown labels, lines that are not key log lines, look-up by client random, and re-reading a
 * file that grows (a live capture's key log), a line at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>
#include "keylog.h"

#define R1 "1111111111111111111111111111111111111111111111111111111111111111"
#define R2 "2222222222222222222222222222222222222222222222222222222222222222"
#define S32 "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define S48 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"

static void rnd(uint8_t *r, uint8_t v)
{
	memset(r, v, 32);
}

static void test_labels(void **state)
{
	(void)state;
	struct keylog *k = keylog_new();
	const char *t = "# comment\n\n"
			"CLIENT_RANDOM " R1 " " S48 "\n"
			"CLIENT_HANDSHAKE_TRAFFIC_SECRET " R2 " " S32 "\r\n"
			"SERVER_HANDSHAKE_TRAFFIC_SECRET " R2 " " S32 "\n"
			"CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "\n"
			"SERVER_TRAFFIC_SECRET_0 " R2 " " S32 "\n"
			"EXPORTER_SECRET " R2 " " S32 "\n"
			"SOME_FUTURE_LABEL " R2 " " S32 "\n"
			"CLIENT_TRAFFIC_SECRET_0 " R2 " " S32;  /* no final newline */
	assert_int_equal(keylog_add_text(k, t, strlen(t)), 0);
	assert_int_equal(keylog_count(k), 2);
	uint8_t r[32];
	rnd(r, 0x11);
	const struct keylog_entry *e = keylog_find(k, r);
	assert_non_null(e);
	assert_int_equal(e->len[KEYLOG_MASTER], 48);
	assert_int_equal(e->secret[KEYLOG_MASTER][47], 0x2f);
	assert_int_equal(e->len[KEYLOG_CLIENT_HS], 0);
	rnd(r, 0x22);
	e = keylog_find(k, r);
	assert_non_null(e);
	for (int l = KEYLOG_CLIENT_HS; l <= KEYLOG_SERVER_APP; l++)
		assert_int_equal(e->len[l], 32);
	assert_int_equal(e->secret[KEYLOG_CLIENT_APP][0], 0xb3);
	rnd(r, 0x33);
	assert_null(keylog_find(k, r));
	keylog_free(k);
}

static void test_bad_lines(void **state)
{
	(void)state;
	struct keylog *k = keylog_new();
	const char *bad[] = {
		"hello world\n",
		"CLIENT_RANDOM " R1 "\n",                       /* no secret */
		"CLIENT_RANDOM " R1 " 0g\n",                    /* not hex */
		"CLIENT_RANDOM " R1 " 123\n",                   /* odd digits */
		"CLIENT_RANDOM 11 " S48 " extra\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(keylog_add_text(k, bad[i], strlen(bad[i])), 1);
	assert_int_equal(keylog_count(k), 0);
	keylog_free(k);
}

static void test_many_entries(void **state)
{
	(void)state;
	struct keylog *k = keylog_new();
	char line[256];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(line, sizeof line, "CLIENT_RANDOM %064x %s\n", i, S48);
		assert_int_equal(keylog_add_text(k, line, (size_t)n), 0);
	}
	assert_int_equal(keylog_count(k), 5000);
	uint8_t r[32] = { 0 };
	r[30] = 4999 >> 8;
	r[31] = 4999 & 0xff;
	assert_non_null(keylog_find(k, r));
	r[31] ^= 0xff;
	r[30] = 0x20;
	assert_null(keylog_find(k, r));
	keylog_free(k);
}

static void wait_refresh(void)
{
	struct timespec ts = { 0, 120 * 1000000 };
	nanosleep(&ts, NULL);
}

static void test_file_grows(void **state)
{
	(void)state;
	char path[] = "/tmp/ph-keylog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("CLIENT_RANDOM " R1 " " S48 "\n", f);
	fflush(f);
	struct keylog *k = keylog_new();
	char err[256];
	assert_int_equal(keylog_add_file(k, path, err, sizeof err), 0);
	assert_int_equal(keylog_count(k), 1);
	/* a writer in the middle of a line: nothing is taken until its newline */
	fputs("CLIENT_TRAFFIC_SECRET_0 " R2 " b3eddb12", f);
	fflush(f);
	wait_refresh();
	assert_int_equal(keylog_refresh(k, 0), 0);
	fputs("6e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n", f);
	fflush(f);
	wait_refresh();
	assert_int_equal(keylog_refresh(k, 0), 1);
	uint8_t r[32];
	rnd(r, 0x22);
	const struct keylog_entry *e = keylog_find(k, r);
	assert_non_null(e);
	assert_int_equal(e->len[KEYLOG_CLIENT_APP], 32);
	assert_int_equal(e->secret[KEYLOG_CLIENT_APP][31], 0x21);
	fclose(f);
	keylog_free(k);
	/* errors name the file: missing, a directory, not a key log */
	k = keylog_new();
	assert_int_equal(keylog_add_file(k, "/nonexistent/keylog", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/keylog"));
	assert_int_equal(keylog_add_file(k, "/tmp", err, sizeof err), -1);
	f = fopen(path, "w");
	fputs("CLIENT_RANDOM " R1 " " S48 "\nGET / HTTP/1.1\n", f);
	fclose(f);
	assert_int_equal(keylog_add_file(k, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(keylog_add_pcapng(k, path, NULL), 0);  /* not pcapng */
	assert_int_equal(keylog_add_pcapng(k, "/nonexistent/x.pcapng", NULL), -1);
	keylog_free(k);
	unlink(path);
}

/* pcapng blocks, little-endian: type, total length, body padded to 4, total length again. */
static size_t blk(uint8_t *out, uint32_t type, const void *body, size_t n)
{
	uint32_t len = (uint32_t)(12 + (n + 3) / 4 * 4);
	memcpy(out, &type, 4);
	memcpy(out + 4, &len, 4);
	memset(out + 8, 0, len - 12);
	memcpy(out + 8, body, n);
	memcpy(out + len - 4, &len, 4);
	return len;
}

static size_t dsb(uint8_t *out, const char *text, uint32_t claimed)
{
	uint8_t b[512];
	uint32_t st = 0x544c534b, sl = claimed;
	memcpy(b, &st, 4);
	memcpy(b + 4, &sl, 4);
	memcpy(b + 8, text, strlen(text));
	return blk(out, 0x0000000A, b, 8 + strlen(text));
}

/* PCAPdroid writes its secrets after the packets they open: every DSB of the file is read; one
 * whose secrets run past the block and one cut short by the end of the file are counted. */
static void test_pcapng_dsb_after_packets(void **state)
{
	(void)state;
	uint8_t f[4096];
	size_t n = 0;
	uint8_t shb[16] = { 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	n += blk(f + n, 0x0A0D0D0A, shb, sizeof shb);
	uint8_t idb[8] = { 101, 0, 0, 0, 0xff, 0xff, 0, 0 };  /* LINKTYPE_RAW */
	n += blk(f + n, 1, idb, sizeof idb);
	uint8_t epb[20 + 40] = { 0 };
	epb[12] = epb[16] = 40;
	epb[20] = 0x45;
	n += blk(f + n, 6, epb, sizeof epb);  /* a packet before the secrets */
	n += dsb(f + n, "CLIENT_RANDOM " R1 " " S48 "\n", (uint32_t)strlen("CLIENT_RANDOM " R1 " " S48 "\n"));
	uint8_t cb[16] = { 0xbc, 0xf4, 0, 0, 1, 0, 0, 0 };  /* PEN 62652: PCAPdroid */
	n += blk(f + n, 0x40000BAD, cb, sizeof cb);
	n += blk(f + n, 6, epb, sizeof epb);
	n += dsb(f + n, "CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "\n", 4000);  /* longer than its block */
	n += dsb(f + n, "CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "\n",
		 (uint32_t)strlen("CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "\n"));
	n -= 20;  /* the last DSB is cut short */
	char path[] = "/tmp/test_keylog_dsb_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, n), (ssize_t)n);
	close(fd);
	struct keylog *k = keylog_new();
	struct keylog_input in;
	assert_int_equal(keylog_add_pcapng(k, path, &in), 1);
	assert_int_equal(in.secrets, 1);
	assert_int_equal(in.dsbs, 2);
	assert_int_equal(in.dsbs_malformed, 2);
	assert_int_equal(in.pcapdroid, 1);
	uint8_t r[32];
	rnd(r, 0x11);
	assert_non_null(keylog_find(k, r));
	assert_int_equal(keylog_find(k, r)->len[KEYLOG_MASTER], 48);
	rnd(r, 0x22);
	assert_null(keylog_find(k, r));
	keylog_free(k);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_file_grows),
		cmocka_unit_test(test_pcapng_dsb_after_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
