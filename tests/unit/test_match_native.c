/* test_match_native.c - the rules matched without Hyperscan (match.c: digit runs, e-mail) give
 * the same hits as Hyperscan on the same expression written differently (so that Hyperscan runs
 * it): random text rich in digits, letters, '@', '.', '-', in one block and split into pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "match.h"
#include "rules.h"

#define MAXH 512

/* The shipped expressions, and the same written so that match.c does not recognise them. */
static const char *native_rules =
	"{\"rules\": [{\"id\": \"d\", \"kind\": \"imei\", \"type\": \"pattern\", \"pattern\": \"[0-9]{14,16}\","
	" \"bound\": \"digit\", \"max_len\": 16, \"severity\": \"high\", \"description\": \"x\"},"
	"{\"id\": \"e\", \"kind\": \"email\", \"type\": \"pattern\", \"pattern\":"
	" \"[A-Za-z0-9._%+\\\\-]+@[A-Za-z0-9\\\\-]+(?:\\\\.[A-Za-z0-9\\\\-]+)*\\\\.[A-Za-z]{2,12}\","
	" \"bound\": \"alnum\", \"max_len\": 40, \"severity\": \"medium\", \"description\": \"x\"}]}";
static const char *hs_rules =
	"{\"rules\": [{\"id\": \"d\", \"kind\": \"imei\", \"type\": \"pattern\", \"pattern\": \"\\\\d{14,16}\","
	" \"bound\": \"digit\", \"max_len\": 16, \"severity\": \"high\", \"description\": \"x\"},"
	"{\"id\": \"e\", \"kind\": \"email\", \"type\": \"pattern\", \"pattern\":"
	" \"[A-Za-z0-9._%+\\\\-]+@[A-Za-z0-9\\\\-]+(?:\\\\.[A-Za-z0-9\\\\-]+)*\\\\.[a-zA-Z]{2,12}\","
	" \"bound\": \"alnum\", \"max_len\": 40, \"severity\": \"medium\", \"description\": \"x\"}]}";

struct hits {
	struct { size_t start, end; int rule; } h[MAXH];
	size_t n;
};

static void collect(void *arg, const struct match_hit *h)
{
	struct hits *hs = arg;
	if (hs->n < MAXH) {
		hs->h[hs->n].start = h->start;
		hs->h[hs->n].end = h->end;
		hs->h[hs->n++].rule = h->rule;
	}
}

static struct matcher *load(const char *json, struct rules **rs)
{
	char path[] = "/tmp/phonehome-rules-XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	int rc = rules_load(path, rs, err, sizeof err);
	unlink(path);
	if (rc < 0)
		fail_msg("%s", err);
	struct matcher *m = match_compile_rules(NULL, *rs, err, sizeof err);
	if (!m)
		fail_msg("%s", err);
	return m;
}

/* Hits of a stream of len bytes fed in pieces of at most piece bytes (0: one block scan). */
static struct hits run(struct matcher *m, const uint8_t *b, size_t len, size_t piece)
{
	struct hits hs = { .n = 0 };
	if (!piece) {
		match_scan(m, b, len, collect, &hs);
		return hs;
	}
	struct match_stream st = { 0 };
	for (size_t off = 0; off < len; off += piece)  /* hits are relative to each scan: compared by count */
		match_stream_scan(m, &st, b + off, len - off < piece ? len - off : piece, collect, &hs);
	match_stream_scan(m, &st, NULL, 0, collect, &hs);
	match_stream_free(&st);
	return hs;
}

static void test_same_hits(void **state)
{
	(void)state;
	struct rules *rn = NULL, *rh = NULL;
	struct matcher *mn = load(native_rules, &rn), *mh = load(hs_rules, &rh);
	static const char alpha[] = "0123456789012345678901234567890123456789abcxyzABZ@@..-_%+ \n";
	uint8_t b[600];
	srand(12345);
	size_t total = 0;
	for (int round = 0; round < 4000; round++) {
		size_t len = 1 + (size_t)rand() % sizeof b;
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)alpha[rand() % (sizeof alpha - 1)];
		size_t piece = round % 3 == 0 ? 0 : 1 + (size_t)rand() % 64;
		struct hits x = run(mn, b, len, piece), y = run(mh, b, len, piece);
		if (x.n != y.n)
			fail_msg("round %d (piece %zu): %zu native hits, %zu Hyperscan hits in \"%.*s\"", round, piece, x.n,
				 y.n, (int)len, b);
		for (size_t i = 0; i < x.n && !piece; i++) {
			assert_int_equal(x.h[i].start, y.h[i].start);
			assert_int_equal(x.h[i].end, y.h[i].end);
			assert_int_equal(x.h[i].rule, y.h[i].rule);
		}
		total += x.n;
	}
	assert_true(total > 1000);  /* the text does make hits of both kinds */
	match_free(mn);
	match_free(mh);
	rules_free(rn);
	rules_free(rh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_hits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
