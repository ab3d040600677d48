/* test_capture.c - unit tests of the offline capture reader on files written here.
 * Checks that the custody hash (a thread's for a file, the read's own for a pipe) is the whole
 * file's, however the read ends (end, a stop, a bad record, a record cut short), that a file
 * growing while read is warned, and the open errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture.h"
#include "util.h"

#define NREC 3000          /* 3 MB: more than the reader's 1 MiB buffer is left after a stop */
#define RECLEN 1000

struct sink {
	uint64_t packets;
	volatile int stop;
	int stop_after;        /* sets stop once this many packets arrived; 0 never */
	const char *grow;      /* appends a record to this file at the first packet */
};

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	struct sink *s = arg;
	(void)dlt, (void)ts_us, (void)p, (void)caplen;
	if (++s->packets == (uint64_t)s->stop_after)
		s->stop = 1;
	if (s->packets == 1 && s->grow) {  /* a capture still being written */
		FILE *f = fopen(s->grow, "ab");
		uint8_t rec[16 + 60] = { 0 };
		rec[8] = rec[12] = 60;
		fwrite(rec, 1, sizeof rec, f);
		fclose(f);
	}
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static char *tmp_path(void)
{
	char *path = util_xstrdup("/tmp/ph-test-capture-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

/* A classic pcap of NREC records; the record numbered bad (if < NREC) gets an impossible caplen. */
static char *write_pcap(uint32_t dlt, int bad, long cut)
{
	char *path = tmp_path();
	FILE *f = fopen(path, "wb");
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	le32(hdr + 16, 65535);
	le32(hdr + 20, dlt);
	fwrite(hdr, 1, sizeof hdr, f);
	uint8_t rec[16 + RECLEN];
	for (int i = 0; i < NREC; i++) {
		memset(rec, 0, sizeof rec);
		le32(rec, 1400000000u + (uint32_t)i);
		le32(rec + 8, i == bad ? 0xfffffff0u : RECLEN);
		le32(rec + 12, RECLEN);
		rec[16 + 12] = 0x08;  /* IPv4 ethertype, bytes varied so the hash sees them all */
		rec[16 + 20] = (uint8_t)i;
		fwrite(rec, 1, sizeof rec, f);
	}
	fclose(f);
	if (cut > 0)
		assert_int_equal(truncate(path, cut), 0);
	return path;
}

/* Reads path, returns its report input; the hash must equal a separate read's. */
static struct report_input read_checked(const char *path, struct sink *s)
{
	struct report_input in;
	char err[256] = "", want[65];
	memset(&in, 0, sizeof in);
	assert_int_equal(capture_read_file(path, on_packet, s, &in, &s->stop, err, sizeof err), 0);
	assert_int_equal(util_sha256_file(path, want), 0);
	assert_string_equal(in.sha256, want);
	return in;
}

static void test_whole_file(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0);
	struct sink s = { 0 };
	struct report_input in = read_checked(path, &s);
	assert_int_equal(in.packets, NREC);
	assert_int_equal(s.packets, NREC);
	assert_null(in.warning);
	assert_string_equal(in.link_type, "EN10MB");
	unlink(path);
	free(path);
}

static void test_stop_hashes_rest(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0);
	struct sink s = { .stop_after = 1 };
	struct report_input in = read_checked(path, &s);
	assert_int_equal(in.packets, 1);
	assert_null(in.warning);
	unlink(path);
	free(path);
}

static void test_bad_record_hashes_rest(void **state)
{
	(void)state;
	char *path = write_pcap(1, 10, 0);
	struct sink s = { 0 };
	struct report_input in = read_checked(path, &s);
	assert_int_equal(in.packets, 10);
	assert_non_null(in.warning);
	assert_non_null(strstr(in.warning, "read stopped after 10 packets"));
	free(in.warning);
	unlink(path);
	free(path);
}

static void test_cut_record(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 24 + 5 * (16 + RECLEN) + 16 + 100);
	struct sink s = { 0 };
	struct report_input in = read_checked(path, &s);
	assert_int_equal(in.packets, 5);
	assert_non_null(in.warning);
	assert_non_null(strstr(in.warning, "truncated dump file"));
	free(in.warning);
	unlink(path);
	free(path);
}

static void test_pcapng(void **state)
{
	(void)state;
	static const uint8_t ng[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,  /* SHB */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,             /* IDB, EN10MB */
		6, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,              /* EPB */
		14, 0, 0, 0, 14, 0, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0, 0, 0, 48, 0, 0, 0,
	};
	char *path = tmp_path();
	FILE *f = fopen(path, "wb");
	fwrite(ng, 1, sizeof ng, f);
	fclose(f);
	struct sink s = { 0 };
	struct report_input in = read_checked(path, &s);
	assert_int_equal(in.packets, 1);
	assert_null(in.warning);
	unlink(path);
	free(path);
}

/* A file that grows while read: its hash is of the file at the end, and it is said. */
static void test_changed_while_read(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0);
	struct sink s = { .grow = path };
	struct report_input in = read_checked(path, &s);
	assert_non_null(in.warning);
	assert_non_null(strstr(in.warning, "changed while it was read"));
	free(in.warning);
	unlink(path);
	free(path);
}

/* The hash given back pending, finished later into the same input. */
static void test_pending_hash(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0);
	struct sink s = { 0 };
	struct report_input in;
	struct capture_hash *h = NULL;
	char err[256], want[65];
	memset(&in, 0, sizeof in);
	assert_int_equal(capture_read_file_async(path, on_packet, &s, &in, NULL, &h, err, sizeof err), 0);
	assert_non_null(h);
	assert_int_equal(in.packets, NREC);
	assert_int_equal(capture_hash_finish(h, &in), 0);
	assert_int_equal(util_sha256_file(path, want), 0);
	assert_string_equal(in.sha256, want);
	assert_null(in.warning);
	unlink(path);
	free(path);
}

/* The hash started before the read (main.c: while the pipeline is set up), handed to the read:
 * the same hash; and one abandoned before its file is read leaves nothing behind (ASan). */
static void test_early_hash(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0);
	struct sink s = { 0 };
	struct report_input in;
	char err[256], want[65];
	memset(&in, 0, sizeof in);
	struct capture_hash *h = capture_hash_start(path);
	assert_non_null(h);
	assert_int_equal(capture_read_file_async(path, on_packet, &s, &in, NULL, &h, err, sizeof err), 0);
	assert_non_null(h);
	assert_int_equal(in.packets, NREC);
	assert_int_equal(capture_hash_finish(h, &in), 0);
	assert_int_equal(util_sha256_file(path, want), 0);
	assert_string_equal(in.sha256, want);
	capture_hash_abandon(capture_hash_start(path));
	capture_hash_abandon(NULL);
	assert_null(capture_hash_start("/nonexistent/capture.pcap"));
	unlink(path);
	free(path);
}

/* A capture through a FIFO cannot be read twice: hashed in the read itself. */
static void test_fifo(void **state)
{
	(void)state;
	char *path = write_pcap(1, NREC, 0), fifo[64], want[65];
	snprintf(fifo, sizeof fifo, "%s.fifo", path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	if (pid == 0) {  /* the writer */
		FILE *in = fopen(path, "rb"), *out = fopen(fifo, "wb");
		char b[4096];
		size_t n;
		while ((n = fread(b, 1, sizeof b, in)) > 0)
			fwrite(b, 1, n, out);
		fclose(out);
		_exit(0);
	}
	struct sink s = { 0 };
	struct report_input in;
	char err[256];
	memset(&in, 0, sizeof in);
	assert_int_equal(capture_read_file(fifo, on_packet, &s, &in, NULL, err, sizeof err), 0);
	waitpid(pid, NULL, 0);
	assert_int_equal(in.packets, NREC);
	assert_int_equal(util_sha256_file(path, want), 0);
	assert_string_equal(in.sha256, want);
	assert_null(in.warning);
	unlink(fifo);
	unlink(path);
	free(path);
}

/* The open errors name the file and keep libpcap's words, as capture_check_file does. */
static void test_open_errors(void **state)
{
	(void)state;
	struct report_input in;
	struct sink s = { 0 };
	char err[256], want[512];
	memset(&in, 0, sizeof in);
	char *path = tmp_path();
	FILE *f = fopen(path, "wb");
	fputs("this is not a capture file\n", f);
	fclose(f);
	assert_int_equal(capture_read_file(path, on_packet, &s, &in, NULL, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: cannot read capture: unknown file format", path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);

	path = write_pcap(105, NREC, 0);
	assert_int_equal(capture_read_file(path, on_packet, &s, &in, NULL, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: unsupported link type 105 (IEEE802_11)", path);
	assert_string_equal(err, want);
	char err2[256];
	assert_int_equal(capture_check_file(path, err2, sizeof err2), -1);
	assert_string_equal(err, err2);
	unlink(path);

	assert_int_equal(capture_read_file(path, on_packet, &s, &in, NULL, err, sizeof err), -1);
	assert_int_equal(capture_check_file(path, err2, sizeof err2), -1);
	assert_string_equal(err, err2);
	free(path);
	assert_int_equal(s.packets, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_file),
		cmocka_unit_test(test_stop_hashes_rest),
		cmocka_unit_test(test_bad_record_hashes_rest),
		cmocka_unit_test(test_cut_record),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_changed_while_read),
		cmocka_unit_test(test_pending_hash),
		cmocka_unit_test(test_early_hash),
		cmocka_unit_test(test_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
