/* test_rotate.c - unit tests of the -w writer's rotation (-C, -G, -W) on a dead pcap handle:
 * names, every packet in exactly one file, sizes, hashes as written, the ring, the -G stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "rotate.h"
#include "util.h"

#define PKTLEN 100          /* a record is 116 bytes on disk */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/ph-test-rotate-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes n packets, one every step_us from t0; returns how many were written before a stop. */
static int write_n(struct rotate *r, int n, uint64_t t0, uint64_t step_us)
{
	static u_char data[PKTLEN];
	char err[256];
	for (int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = PKTLEN, .len = PKTLEN };
		uint64_t ts = t0 + (uint64_t)i * step_us;
		h.ts.tv_sec = (time_t)(ts / 1000000);
		h.ts.tv_usec = (suseconds_t)(ts % 1000000);
		data[0] = (u_char)i;
		int rc = rotate_write(r, &h, data, err, sizeof err);
		assert_int_not_equal(rc, -1);
		if (rc == 0)
			return i;
	}
	return n;
}

static struct rotate *open_rot(pcap_t *pc, const char *name, uint64_t max_bytes, uint64_t every_us, size_t count,
			       uint64_t now_us)
{
	static char path[128];
	char err[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct rotate_opts o = { path, max_bytes, every_us, count };
	struct rotate *r = rotate_open(pc, &o, now_us, err, sizeof err);
	assert_non_null(r);
	return r;
}

static const char *base(const char *p)
{
	return strrchr(p, '/') + 1;
}

static void test_size_rotation(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct rotate *r = open_rot(pc, "s.pcap", 1000, 0, 0, 0);  /* 24 + 8 * 116 = 952: 8 a file */
	assert_int_equal(write_n(r, 20, 1000000, 1000), 20);
	char err[256];
	assert_int_equal(rotate_close(r, err, sizeof err), 0);
	size_t n;
	const struct report_file *f = rotate_files(r, &n);
	assert_int_equal(n, 3);
	assert_string_equal(base(f[0].path), "s.pcap");
	assert_string_equal(base(f[1].path), "s.pcap1");
	assert_string_equal(base(f[2].path), "s.pcap2");
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		char hash[65];
		assert_int_equal(stat(f[i].path, &sb), 0);
		assert_int_equal((uint64_t)sb.st_size, f[i].size);
		assert_true(f[i].size <= 1000);
		assert_int_equal(util_sha256_file(f[i].path, hash), 0);
		assert_string_equal(hash, f[i].sha256);
		assert_false(f[i].overwritten);
		total += f[i].packets;
	}
	assert_int_equal(f[0].packets, 8);
	assert_int_equal(total, 20);
	rotate_free(r);
	pcap_close(pc);
}

static void test_one_packet_larger_than_limit(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct rotate *r = open_rot(pc, "big.pcap", 50, 0, 0, 0);  /* smaller than one record */
	assert_int_equal(write_n(r, 3, 0, 1), 3);
	size_t n;
	const struct report_file *f = rotate_files(r, &n);
	assert_int_equal(n, 3);  /* a file holds at least one packet */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f[i].packets, 1);
	rotate_free(r);
	pcap_close(pc);
}

static void test_ring_removes_oldest(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct rotate *r = open_rot(pc, "ring.pcap", 1000, 0, 2, 0);
	assert_int_equal(write_n(r, 40, 0, 1000), 40);  /* 5 files of 8 */
	char err[256];
	assert_int_equal(rotate_close(r, err, sizeof err), 0);
	size_t n;
	const struct report_file *f = rotate_files(r, &n);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(f[i].overwritten, i < 3);
		assert_int_equal(access(f[i].path, F_OK) == 0, i >= 3);
	}
	assert_string_equal(base(f[4].path), "ring.pcap4");  /* names are not reused */
	rotate_free(r);
	pcap_close(pc);
}

static void test_time_rotation_and_stop(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	uint64_t t0 = 1700000000ull * 1000000;
	/* -G 1 -W 3: packets every 0.4 s from t0 fill intervals [0,1), [1,2), [2,3): 3+2+3 packets,
	 * then the packet at 3.2 s would start a fourth file: the writer stops before it */
	struct rotate *r = open_rot(pc, "g-%s.pcap", 0, 1000000, 3, t0);
	assert_int_equal(write_n(r, 20, t0, 400000), 8);
	size_t n;
	const struct report_file *f = rotate_files(r, &n);
	assert_int_equal(n, 3);
	char want[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof want, "g-%llu.pcap", (unsigned long long)(t0 / 1000000 + i));
		assert_string_equal(base(f[i].path), want);
	}
	assert_int_equal(f[0].packets + f[1].packets + f[2].packets, 8);
	char err[256];
	assert_int_equal(rotate_close(r, err, sizeof err), 0);
	rotate_free(r);
	pcap_close(pc);
}

static void test_time_rotation_same_name_numbered(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct rotate *r = open_rot(pc, "plain.pcap", 0, 1000000, 0, 0);  /* no conversion in the name */
	assert_int_equal(write_n(r, 5, 0, 1000000), 5);
	size_t n;
	const struct report_file *f = rotate_files(r, &n);
	assert_int_equal(n, 5);
	assert_string_equal(base(f[0].path), "plain.pcap");
	assert_string_equal(base(f[4].path), "plain.pcap4");
	rotate_free(r);
	pcap_close(pc);
}

static void test_open_error(void **state)
{
	(void)state;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	char err[256] = "";
	struct rotate_opts o = { "/nonexistent-dir/x.pcap", 0, 0, 0 };
	assert_null(rotate_open(pc, &o, 0, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir/x.pcap"));
	pcap_close(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_packet_larger_than_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_removes_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_rotation_and_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_rotation_same_name_numbered, setup, teardown),
		cmocka_unit_test(test_open_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
