/* test_capture_ng.c - unit tests of the reader for pcapng files whose interfaces have different
 * link types: files built here block by block, in both byte orders, with time resolutions and
 * offsets, simple packet blocks, a second section, interfaces not read, and damage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "capture_ng.h"
#include "util.h"

struct file {
	uint8_t b[8192];
	size_t n;
	int big;
};

static void put32(struct file *f, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		f->b[f->n++] = (uint8_t)(f->big ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(struct file *f, uint16_t v)
{
	f->b[f->n++] = (uint8_t)(f->big ? v >> 8 : v);
	f->b[f->n++] = (uint8_t)(f->big ? v : v >> 8);
}

/* A block of type t whose body is body (padded); returns where its length field is. */
static size_t block(struct file *f, uint32_t t, const uint8_t *body, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3, at;
	put32(f, t);
	at = f->n;
	put32(f, (uint32_t)(padded + 12));
	memcpy(f->b + f->n, body, len);
	memset(f->b + f->n + len, 0, padded - len);
	f->n += padded;
	put32(f, (uint32_t)(padded + 12));
	return at;
}

static void shb(struct file *f, int big)
{
	f->big = big;
	struct file body = { .big = big };
	put32(&body, 0x1A2B3C4D);
	put16(&body, 1), put16(&body, 0), put32(&body, 0xffffffff), put32(&body, 0xffffffff);
	block(f, 0x0A0D0D0A, body.b, body.n);
}

/* An interface of link type lt; tsresol 0xff for none; offset in seconds. */
static void idb(struct file *f, uint16_t lt, uint8_t tsresol, int64_t offset)
{
	struct file body = { .big = f->big };
	put16(&body, lt), put16(&body, 0), put32(&body, 262144);
	if (tsresol != 0xff) {
		put16(&body, 9), put16(&body, 1);
		body.b[body.n++] = tsresol, body.n += 3;
	}
	if (offset) {
		put16(&body, 14), put16(&body, 8);
		put32(&body, (uint32_t)((uint64_t)offset >> (f->big ? 32 : 0)));
		put32(&body, (uint32_t)((uint64_t)offset >> (f->big ? 0 : 32)));
	}
	put16(&body, 0), put16(&body, 0);
	block(f, 1, body.b, body.n);
}

static void epb(struct file *f, uint32_t ifid, uint64_t ts, uint8_t mark)
{
	struct file body = { .big = f->big };
	put32(&body, ifid), put32(&body, (uint32_t)(ts >> 32)), put32(&body, (uint32_t)ts);
	put32(&body, 24), put32(&body, 24);
	memset(body.b + body.n, mark, 24);
	body.n += 24;
	block(f, 6, body.b, body.n);
}

static void spb(struct file *f, uint8_t mark)
{
	struct file body = { .big = f->big };
	put32(&body, 24);
	memset(body.b + body.n, mark, 24);
	body.n += 24;
	block(f, 3, body.b, body.n);
}

struct seen {
	int n;
	int dlt[16];
	uint64_t ts[16];
	uint8_t mark[16];
};

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	struct seen *s = arg;
	assert_int_equal(caplen, 24);
	if (s->n < 16)
		s->dlt[s->n] = dlt, s->ts[s->n] = ts_us, s->mark[s->n] = p[0];
	s->n++;
}

static void read_file(struct file *f, struct seen *s, struct report_input *in)
{
	memset(s, 0, sizeof *s);
	memset(in, 0, sizeof *in);
	FILE *fp = fmemopen(f->b, f->n, "rb");
	capture_ng_read(fp, "t.pcapng", on_packet, s, in, NULL);
	fclose(fp);
}

static int mixed(struct file *f)
{
	FILE *fp = fmemopen(f->b, f->n, "rb");
	int m = capture_ng_mixed(fp);
	fclose(fp);
	return m;
}

static void test_mixed_detected(void **state)
{
	(void)state;
	struct file f = { 0 };
	shb(&f, 0), idb(&f, 1, 0xff, 0), idb(&f, 1, 0xff, 0), epb(&f, 0, 0, 1);
	assert_int_equal(mixed(&f), 0);  /* one link type: libpcap's */
	f.n = 0;
	shb(&f, 1), idb(&f, 1, 0xff, 0), idb(&f, 101, 0xff, 0), epb(&f, 0, 0, 1);
	assert_int_equal(mixed(&f), 1);
	struct file pcap = { .b = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 }, .n = 24 };
	assert_int_equal(mixed(&pcap), 0);
	f.n = 0, f.big = 0;  /* blocks that would be mixed, but no section header first: not pcapng */
	idb(&f, 1, 0xff, 0), idb(&f, 101, 0xff, 0), epb(&f, 0, 0, 1);
	assert_int_equal(mixed(&f), 0);
}

/* Each packet with its interface's link type and time: microseconds by default, nanoseconds
 * (10^-9), 2^-10 s with an offset; a simple packet block takes interface 0 and the time before. */
static void test_link_types_and_times(void **state)
{
	(void)state;
	for (int big = 0; big < 2; big++) {
		struct file f = { 0 };
		shb(&f, big);
		idb(&f, 1, 0xff, 0);           /* EN10MB, us */
		idb(&f, 101, 9, 0);            /* RAW, ns */
		idb(&f, 113, 0x80 | 10, 100);  /* LINUX_SLL, 1/1024 s, +100 s */
		epb(&f, 0, 1500000000123456ull, 'a');
		epb(&f, 1, 1500000000123456789ull, 'b');
		epb(&f, 2, 1024ull * 1500000000 + 512, 'c');
		spb(&f, 'd');
		struct seen s;
		struct report_input in;
		read_file(&f, &s, &in);
		assert_int_equal(s.n, 4);
		assert_int_equal(s.dlt[0], DLT_EN10MB);
		assert_int_equal(s.dlt[1], DLT_RAW);
		assert_int_equal(s.dlt[2], DLT_LINUX_SLL);
		assert_int_equal(s.dlt[3], DLT_EN10MB);
		assert_true(s.ts[0] == 1500000000123456ull);
		assert_true(s.ts[1] == 1500000000123456ull);
		assert_true(s.ts[2] == 1500000100500000ull);
		assert_true(s.ts[3] == s.ts[2]);
		assert_memory_equal(s.mark, "abcd", 4);
		assert_string_equal(in.link_type, "EN10MB+RAW+LINUX_SLL");
		assert_int_equal(in.packets, 4);
		assert_int_equal(in.bytes, 96);
		assert_null(in.warning);
	}
}

/* A second section declares its own interfaces; packets of an interface not read (a link type
 * decode.c does not know, or not declared) are counted in a warning, not given. */
static void test_sections_and_skipped(void **state)
{
	(void)state;
	struct file f = { 0 };
	shb(&f, 0), idb(&f, 1, 0xff, 0), idb(&f, 147, 0xff, 0);
	epb(&f, 0, 1, 'a'), epb(&f, 1, 2, 'x'), epb(&f, 7, 3, 'x');
	shb(&f, 1), idb(&f, 101, 0xff, 0);
	epb(&f, 0, 4, 'b');
	struct seen s;
	struct report_input in;
	read_file(&f, &s, &in);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.dlt[1], DLT_RAW);
	assert_int_equal(s.mark[1], 'b');
	assert_non_null(in.warning);
	assert_non_null(strstr(in.warning, "2 packets not read"));
	free(in.warning);
}

/* Damage ends the read after the packets before it, with a warning: a block's length that is
 * impossible, a captured length past its block, a file cut inside a block. */
static void test_damage(void **state)
{
	(void)state;
	static const struct { int what; const char *why; } t[] = {
		{ 0, "a block with an impossible length" },
		{ 1, "a packet block whose captured length runs past it" },
		{ 2, "the file ends inside a block" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct file f = { 0 };
		shb(&f, 0), idb(&f, 1, 0xff, 0), idb(&f, 101, 0xff, 0);
		epb(&f, 0, 1, 'a');
		size_t at = f.n;
		epb(&f, 1, 2, 'b');
		if (t[i].what == 0)
			f.b[at + 4] = 13;  /* not a multiple of 4 */
		else if (t[i].what == 1)
			f.b[at + 8 + 12] = 200;  /* caplen 200 in a 24-byte packet */
		else
			f.n -= 10;
		struct seen s;
		struct report_input in;
		read_file(&f, &s, &in);
		assert_int_equal(s.n, 1);
		assert_non_null(in.warning);
		assert_non_null(strstr(in.warning, "read stopped after 1 packets"));
		assert_non_null(strstr(in.warning, t[i].why));
		free(in.warning);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_detected),
		cmocka_unit_test(test_link_types_and_times),
		cmocka_unit_test(test_sections_and_skipped),
		cmocka_unit_test(test_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
