/* test_reasm.c - unit tests for one-direction TCP reassembly.
 * Byte arrays in, delivered stream checked byte for byte, counters asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reasm.h"

/* What the consumer saw; seq of each chunk taken from r->next_seq during the call. */
struct sink {
	struct reasm *r;
	uint8_t buf[1 << 17];
	size_t len;
	size_t calls;
	/* fuzz: each chunk checked against the original stream at its seq */
	const uint8_t *ref;
	uint32_t ref_seq0;
	size_t ref_len;
	uint64_t last_end;
	int check_ref;
};

/* Append delivered bytes; with a reference, check them at their stream offset. */
static void sink_fn(void *arg, const uint8_t *p, size_t len)
{
	struct sink *s = arg;

	assert_true(len > 0);
	assert_true(s->len + len <= sizeof(s->buf));
	if (s->check_ref) {
		uint64_t off = (uint32_t)(s->r->next_seq - s->ref_seq0);
		assert_true(off >= s->last_end);
		assert_true(off + len <= s->ref_len);
		assert_memory_equal(p, s->ref + off, len);
		s->last_end = off + len;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	s->calls++;
}

static struct reasm_ctx ctx;
static struct reasm rs;
static struct sink *snk;

static int setup(void **state)
{
	(void)state;
	reasm_ctx_init(&ctx);
	reasm_init(&rs);
	snk = calloc(1, sizeof(*snk));
	snk->r = &rs;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	reasm_free(&ctx, &rs);
	assert_int_equal(ctx.mem_in_use, 0);
	free(snk);
	return 0;
}

/* Push a C string at seq. */
static void push_s(uint32_t seq, const char *str)
{
	reasm_push(&ctx, &rs, seq, (const uint8_t *)str, strlen(str), sink_fn, snk);
}

static void assert_stream(const char *want)
{
	assert_int_equal(snk->len, strlen(want));
	assert_memory_equal(snk->buf, want, strlen(want));
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(ctx.max_ooo_bytes, 262144);
	assert_int_equal(ctx.max_ooo_segs, 256);
	assert_int_equal(ctx.memcap, 256u << 20);
	assert_int_equal(rs.started, 0);
}

static void test_in_order(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 1000);
	push_s(1001, "hello");
	push_s(1006, " world");
	assert_stream("hello world");
	assert_int_equal(snk->calls, 2);
	assert_int_equal(rs.delivered, 11);
	assert_int_equal(rs.next_seq, 1012);
	assert_int_equal(ctx.retrans_bytes, 0);
	assert_int_equal(ctx.ooo_segments, 0);
	assert_int_equal(ctx.mem_peak, 0);
	/* zero-length push is a no-op */
	reasm_push(&ctx, &rs, 5, NULL, 0, sink_fn, snk);
	assert_int_equal(rs.next_seq, 1012);
	assert_int_equal(snk->calls, 2);
}

static const uint8_t *seen_ptr;

/* Remember where the delivered bytes live. */
static void ptr_fn(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)len;
	seen_ptr = p;
}

static void test_in_order_no_copy(void **state)
{
	static const uint8_t data[] = "abcdef";
	(void)state;
	reasm_set_isn(&rs, 0);
	reasm_push(&ctx, &rs, 1, data, 6, ptr_fn, NULL);
	assert_ptr_equal(seen_ptr, data);
	assert_int_equal(ctx.mem_peak, 0);
}

static void test_split(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 99);
	push_s(100, "imei=3512");
	push_s(109, "3456789");
	push_s(116, "0123&x=1");
	assert_stream("imei=351234567890123&x=1");
	assert_int_equal(rs.ooo_segs, 0);
}

static void test_reorder_321(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	push_s(9, "ijk");
	push_s(5, "efgh");
	assert_int_equal(snk->len, 0);
	assert_int_equal(rs.ooo_segs, 2);
	assert_int_equal(rs.ooo_bytes, 7);
	assert_int_equal(ctx.mem_in_use, 7);
	push_s(1, "abcd");
	assert_stream("abcdefghijk");
	assert_int_equal(rs.ooo_segs, 0);
	assert_int_equal(rs.ooo_bytes, 0);
	assert_null(rs.ooo);
	assert_int_equal(ctx.mem_in_use, 0);
	assert_int_equal(ctx.mem_peak, 7);
	assert_int_equal(ctx.ooo_segments, 2);
	assert_int_equal(rs.next_seq, 12);
}

static void test_retrans_exact(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	push_s(1, "abcd");
	push_s(1, "abcd");
	push_s(5, "efgh");
	push_s(5, "efgh");
	assert_stream("abcdefgh");
	assert_int_equal(ctx.retrans_bytes, 8);
	/* retransmission of a queued out-of-order segment */
	push_s(20, "xyz");
	push_s(20, "xyz");
	assert_int_equal(ctx.overlap_bytes, 3);
	assert_int_equal(rs.ooo_segs, 1);
	assert_int_equal(ctx.mem_in_use, 3);
}

static void test_overlap_both_ways(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	/* in order: new segment starts below next_seq */
	push_s(1, "0123456789");
	push_s(6, "56789ABCDE");
	assert_int_equal(ctx.retrans_bytes, 5);
	/* out of order: queued [21,31), then one overlapping its tail, one its head */
	push_s(21, "KLMNOPQRST");
	push_s(26, "PQRSTUVWXY");
	assert_int_equal(ctx.overlap_bytes, 5);
	push_s(18, "HIJKLM");
	assert_int_equal(ctx.overlap_bytes, 8);
	assert_int_equal(rs.ooo_bytes, 18);
	assert_int_equal(rs.ooo_segs, 3);
	/* a segment spanning everything fills the single hole [16,18) */
	push_s(11, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	assert_stream("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	assert_int_equal(ctx.retrans_bytes, 10);
	assert_int_equal(ctx.overlap_bytes, 8 + 18);
	assert_int_equal(ctx.mem_in_use, 0);
	assert_int_equal(rs.delivered, 36);
}

static void test_overlap_conflict_first_wins(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	push_s(11, "AAAA");           /* [11,15) */
	push_s(9, "BBBBBBBB");        /* [9,17): only [9,11) and [15,17) are new */
	assert_int_equal(rs.ooo_segs, 3);
	assert_int_equal(ctx.overlap_bytes, 4);
	/* in-order data over queued bytes: the queued (earlier) copy wins */
	push_s(1, "0123456789");      /* [1,11): [9,11) already queued */
	assert_stream("01234567BBAAAABB");
	assert_int_equal(ctx.overlap_bytes, 6);
	assert_int_equal(ctx.mem_in_use, 0);
}

static void test_wraparound(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0xfffffff0u);         /* data at 0xfffffff1 */
	push_s(0xfffffffau, "JKLMNOPQ");           /* crosses 2^32 */
	push_s(0x00000002u, "RSTU");
	push_s(0xfffffff1u, "ABCDEFGHI");
	assert_stream("ABCDEFGHIJKLMNOPQRSTU");
	assert_int_equal(rs.next_seq, 6);
	/* old data just below the wrap is a retransmission */
	push_s(0xfffffff8u, "HIJ");
	assert_int_equal(ctx.retrans_bytes, 3);
	push_s(6, "V");
	assert_stream("ABCDEFGHIJKLMNOPQRSTUV");
	assert_int_equal(ctx.mem_in_use, 0);
}

static void test_mid_stream_start(void **state)
{
	(void)state;
	push_s(5000, "GET /x");
	assert_int_equal(rs.started, 1);
	assert_stream("GET /x");
	push_s(4990, "0123456789GE");  /* all before 5000 or already delivered */
	assert_int_equal(ctx.retrans_bytes, 12);
	push_s(5010, "tail");
	assert_int_equal(rs.ooo_segs, 1);
	push_s(5006, "?a=1");
	assert_stream("GET /x?a=1tail");
	/* a late SYN does not rewind a started stream */
	reasm_set_isn(&rs, 1);
	assert_int_equal(rs.next_seq, 5014);
}

static void test_flush_hole(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	push_s(1, "0123456789");
	push_s(21, "KLMNOPQRST");
	push_s(41, "klmnopqrst");
	push_s(31, "abc");
	reasm_flush(&ctx, &rs, sink_fn, snk);
	assert_stream("0123456789KLMNOPQRSTabcklmnopqrst");
	assert_int_equal(ctx.gaps, 2);
	assert_int_equal(ctx.gap_bytes, 10 + 7);
	assert_int_equal(rs.truncated, 1);
	assert_int_equal(rs.gap_at, 10);  /* the report says: scanning stopped after 10 bytes */
	assert_int_equal(rs.next_seq, 51);
	assert_int_equal(ctx.mem_in_use, 0);
	assert_int_equal(rs.ooo_segs, 0);
	assert_int_equal(rs.ooo_bytes, 0);
}

static void test_huge_jump_queued(void **state)
{
	(void)state;
	reasm_set_isn(&rs, 0);
	push_s(1, "a");
	push_s(1u + (1u << 30) + 5, "far");  /* > 1 GiB ahead: out of order, queued */
	assert_int_equal(rs.ooo_segs, 1);
	assert_stream("a");
	reasm_flush(&ctx, &rs, sink_fn, snk);
	assert_stream("afar");
	assert_int_equal(ctx.gap_bytes, (1u << 30) + 4);
}

static void test_cap_bytes(void **state)
{
	uint8_t a[60], b[60];
	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	ctx.max_ooo_bytes = 100;
	reasm_set_isn(&rs, 0);
	reasm_push(&ctx, &rs, 101, a, 60, sink_fn, snk);
	assert_int_equal(rs.ooo_bytes, 60);
	/* 120 > 100: skip the hole [1,101), deliver the queue, then queue b */
	reasm_push(&ctx, &rs, 301, b, 60, sink_fn, snk);
	assert_int_equal(ctx.gaps, 1);
	assert_int_equal(ctx.gap_bytes, 100);
	assert_int_equal(rs.truncated, 1);
	assert_int_equal(snk->len, 60);
	assert_memory_equal(snk->buf, a, 60);
	assert_int_equal(rs.next_seq, 161);
	assert_int_equal(rs.ooo_bytes, 60);
	assert_int_equal(ctx.memcap_drops, 0);
	/* a lone segment larger than the cap cannot be queued at all: dropped */
	reasm_free(&ctx, &rs);
	uint8_t big[101] = { 0 };
	reasm_push(&ctx, &rs, 1000, big, sizeof(big), sink_fn, snk);
	assert_int_equal(ctx.memcap_drops, 1);
	assert_null(rs.ooo);
	assert_true(ctx.mem_peak <= 100);
}

static void test_cap_bytes_new_before_queue(void **state)
{
	(void)state;
	ctx.max_ooo_bytes = 10;
	reasm_set_isn(&rs, 0);
	push_s(1, "01");
	push_s(21, "KLMNOP");        /* [21,27) queued */
	push_s(11, "ABCDEFGHIJKL");  /* [11,23): 10 new bytes, 16 > 10 */
	/* skipped only to the new segment: the queued copy still wins on [21,23) */
	assert_stream("01ABCDEFGHIJKLMNOP");
	assert_int_equal(ctx.gaps, 1);
	assert_int_equal(ctx.gap_bytes, 8);
	assert_int_equal(ctx.overlap_bytes, 2);
	assert_int_equal(ctx.mem_in_use, 0);
}

static void test_cap_segs(void **state)
{
	(void)state;
	ctx.max_ooo_segs = 2;
	reasm_set_isn(&rs, 0);
	push_s(11, "b");
	push_s(21, "c");
	assert_int_equal(rs.ooo_segs, 2);
	push_s(31, "d");             /* third segment: skip holes until it fits */
	assert_int_equal(ctx.gaps, 1);
	assert_int_equal(ctx.gap_bytes, 10);
	assert_stream("b");
	assert_int_equal(rs.ooo_segs, 2);
	/* bridging both queued ones needs 3 pieces: skip [12,15) and deliver through */
	push_s(15, "xxxxxxxxxxxxxxxxxxxxxxxxx"); /* [15,40) */
	assert_int_equal(ctx.gaps, 2);
	assert_int_equal(ctx.gap_bytes, 13);
	assert_stream("b" "xxxxxx" "c" "xxxxxxxxx" "d" "xxxxxxxx");
	assert_int_equal(ctx.overlap_bytes, 2);
	assert_int_equal(rs.next_seq, 40);
	assert_int_equal(ctx.mem_in_use, 0);
}

static void test_memcap(void **state)
{
	struct reasm other;
	uint8_t x[80];
	(void)state;
	memset(x, 'x', sizeof(x));
	ctx.memcap = 100;
	reasm_init(&other);
	reasm_set_isn(&other, 0);
	reasm_push(&ctx, &other, 50, x, 80, sink_fn, snk);
	assert_int_equal(ctx.mem_in_use, 80);
	reasm_set_isn(&rs, 0);
	push_s(11, "0123456789");    /* 90 <= 100 */
	assert_int_equal(ctx.mem_in_use, 90);
	push_s(31, "abcdefghijklmnopqrst"); /* 110 > 100: skip own hole, then fits */
	assert_int_equal(ctx.gaps, 1);
	assert_int_equal(ctx.mem_in_use, 100);
	assert_stream("0123456789");
	push_s(61, "ZZZZZZZZZZZZZZZZZZZZZ"); /* 21: still full after own skip: dropped */
	assert_int_equal(ctx.memcap_drops, 1);
	assert_int_equal(ctx.gaps, 2);
	assert_int_equal(ctx.mem_in_use, 80);
	assert_stream("0123456789abcdefghijklmnopqrst");
	assert_int_equal(ctx.mem_peak, 100);
	reasm_free(&ctx, &other);
	assert_int_equal(ctx.mem_in_use, 0);
	assert_null(other.ooo);
}

/* xorshift64: deterministic randomness for the fuzz tests. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct piece {
	uint32_t off, len;
};

/* Cut a random stream, add duplicates and overlaps, shuffle, push, flush. */
static void fuzz_one(uint64_t seed, int tight)
{
	enum { N = 65536, MAXP = 2048 };
	static uint8_t data[N];
	static struct piece pc[MAXP];
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t np = 0;

	reasm_ctx_init(&ctx);
	reasm_init(&rs);
	memset(snk, 0, sizeof(*snk));
	snk->r = &rs;
	for (size_t i = 0; i < N; i++)
		data[i] = (uint8_t)rnd(&s);
	/* every other seed starts near 2^32 so the stream wraps */
	uint32_t isn = (seed & 1) ? (uint32_t)(0u - 1 - rnd(&s) % 40000) : (uint32_t)rnd(&s);
	for (uint32_t off = 0; off < N;) {
		uint32_t l = 1 + rnd(&s) % 1500;
		if (off + l > N)
			l = N - off;
		pc[np++] = (struct piece){ off, l };
		off += l;
	}
	size_t base = np;
	for (size_t i = 0; i < base / 2; i++)
		pc[np++] = pc[rnd(&s) % base];             /* duplicates */
	for (size_t i = 0; i < base / 2; i++) {          /* arbitrary overlaps */
		uint32_t a = rnd(&s) % N, l = 1 + rnd(&s) % 3000;
		pc[np++] = (struct piece){ a, a + l > N ? N - a : l };
	}
	for (size_t i = np - 1; i > 0; i--) {
		size_t j = rnd(&s) % (i + 1);
		struct piece t = pc[i];
		pc[i] = pc[j];
		pc[j] = t;
	}
	if (tight) {
		ctx.max_ooo_bytes = 4096;
		ctx.max_ooo_segs = 4;
		ctx.memcap = 6000;
	} else {
		ctx.max_ooo_segs = 4096;
	}
	snk->ref = data;
	snk->ref_seq0 = isn + 1;
	snk->ref_len = N;
	snk->check_ref = 1;
	reasm_set_isn(&rs, isn);
	for (size_t i = 0; i < np; i++) {
		reasm_push(&ctx, &rs, isn + 1 + pc[i].off, data + pc[i].off, pc[i].len, sink_fn, snk);
		assert_true(rs.ooo_bytes <= ctx.max_ooo_bytes);
		assert_true(rs.ooo_segs <= ctx.max_ooo_segs);
		assert_true(ctx.mem_in_use <= ctx.memcap);
		assert_int_equal(ctx.mem_in_use, rs.ooo_bytes);
	}
	reasm_flush(&ctx, &rs, sink_fn, snk);
	assert_int_equal(ctx.mem_in_use, 0);
	assert_null(rs.ooo);
	if (!tight) {
		assert_int_equal(ctx.gaps, 0);
		assert_int_equal(snk->len, N);
		assert_memory_equal(snk->buf, data, N);
		assert_int_equal(rs.next_seq, isn + 1 + N);
	} else {
		/* bytes lost only to counted gaps; each chunk was checked at its offset */
		assert_int_equal(rs.delivered + ctx.gap_bytes, (uint32_t)(rs.next_seq - isn - 1));
		assert_true(ctx.gaps > 0);
		assert_true(ctx.mem_peak <= 6000);
	}
	assert_int_equal(rs.delivered, snk->len);
}

static void test_fuzz(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 16; seed++)
		fuzz_one(seed, 0);
}

static void test_fuzz_tight_caps(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 16; seed++)
		fuzz_one(seed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order_no_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder_321, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retrans_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_conflict_first_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mid_stream_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_jump_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_bytes_new_before_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_segs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_tight_caps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
