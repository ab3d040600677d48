/* test_capture_set.c - unit tests of the -r list: a pattern's matches in capture order (by
 * first packet, then version order, files without packets last), no match, the cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture_set.h"
#include "config.h"
#include "util.h"

/* A classic pcap with one record at time sec, or none (sec 0). */
static void write_pcap(const char *path, uint32_t sec)
{
	uint8_t b[24 + 16 + 60] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	b[16] = 0xff, b[17] = 0xff, b[20] = 1;
	size_t n = 24;
	if (sec) {
		memcpy(b + 24, &sec, 4);  /* little-endian, as the magic says */
		b[24 + 8] = b[24 + 12] = 60;
		n += 16 + 60;
	}
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void test_glob_capture_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/ph-test-set.XXXXXX", p[300];
	assert_non_null(mkdtemp(dir));
	static const struct { const char *name; uint32_t sec; } files[] = {
		{ "raw.pcap0", 3000 }, { "raw.pcap1", 1000 }, { "raw.pcap2", 2000 },  /* a wrapped ring */
		{ "raw.pcap10", 2000 }, { "raw.pcap9", 2000 },                       /* ties: by version */
		{ "raw.pcap3", 0 },                                                 /* no packet: last */
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i].name);
		write_pcap(p, files[i].sec);
	}
	struct capture_set s = { 0 };
	char err[256];
	assert_int_equal(capture_set_add(&s, "first.pcap", err, sizeof err), 0);
	snprintf(p, sizeof p, "%s/raw.pcap*", dir);
	assert_int_equal(capture_set_glob(&s, p, err, sizeof err), 0);
	static const char *want[] = { "raw.pcap1", "raw.pcap2", "raw.pcap9", "raw.pcap10", "raw.pcap0", "raw.pcap3" };
	assert_int_equal(s.n, 7);
	assert_string_equal(s.paths[0], "first.pcap");
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(strrchr(s.paths[i + 1], '/') + 1, want[i]);
	snprintf(p, sizeof p, "%s/none*", dir);
	assert_int_equal(capture_set_glob(&s, p, err, sizeof err), -1);
	assert_non_null(strstr(err, "no file matches"));
	capture_set_free(&s);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i].name);
		unlink(p);
	}
	rmdir(dir);
}

static void test_cap(void **state)
{
	(void)state;
	struct capture_set s = { 0 };
	char err[256];
	for (size_t i = 0; i < PH_MAX_INPUTS; i++)
		assert_int_equal(capture_set_add(&s, "a.pcap", err, sizeof err), 0);
	assert_int_equal(capture_set_add(&s, "a.pcap", err, sizeof err), -1);
	assert_string_equal(err, "-r: more than " PH_MAX_INPUTS_TEXT " inputs");
	capture_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_capture_order),
		cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
