/* test_community_id.c - Community ID v1 against the spec's baseline vectors
 * (corelight/community-id-spec, baseline/baseline_deflt.json and baseline_seed1.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>
#include "community_id.h"

struct vec { uint16_t seed; uint8_t proto; const char *s, *d; uint16_t sp, dp; const char *id; };

static const struct vec vecs[] = {
	{ 0, 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 0, 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 0, 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 0, 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 0, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 0, 46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ 1, 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 1, 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 1, 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
	  "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 1, 46, "10.1.12.2", "10.1.12.1", 0, 0, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

static void test_baseline(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		int fam = strchr(v->s, ':') ? 6 : 4;
		uint8_t s[16], d[16];
		assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, v->s, s), 1);
		assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, v->d, d), 1);
		char out[COMMUNITY_ID_LEN];
		community_id_v1(v->seed, fam, s, d, v->proto, v->sp, v->dp, out);
		assert_string_equal(out, v->id);
	}
}

/* Same addresses: the smaller port goes first, so both directions agree. */
static void test_same_address(void **state)
{
	(void)state;
	uint8_t a[4] = { 10, 0, 0, 1 };
	char x[COMMUNITY_ID_LEN], y[COMMUNITY_ID_LEN];
	community_id_v1(0, 4, a, a, 6, 1000, 80, x);
	community_id_v1(0, 4, a, a, 6, 80, 1000, y);
	assert_string_equal(x, y);
	assert_int_equal(strlen(x), COMMUNITY_ID_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline), cmocka_unit_test(test_same_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
