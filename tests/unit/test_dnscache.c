/* test_dnscache.c - unit tests of the bounded address -> name cache.
 * Checks lookups per family, overwrite, and that eviction keeps within the fixed capacity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "dnscache.h"
#include "config.h"

static void v4(uint8_t a[4], uint32_t x)
{
	a[0] = (uint8_t)(x >> 24);
	a[1] = (uint8_t)(x >> 16);
	a[2] = (uint8_t)(x >> 8);
	a[3] = (uint8_t)x;
}

static void test_put_get(void **state)
{
	struct dnscache *c = dnscache_new(PH_DNS_CACHE_SIZE);
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, z6[16] = { 10, 0, 0, 1 };

	(void)state;
	assert_int_equal(dnscache_capacity(c), PH_DNS_CACHE_SIZE);
	assert_null(dnscache_get(c, 4, a));
	dnscache_put(c, 4, a, "ads.example.com");
	dnscache_put(c, 6, a6, "v6.example.com");
	assert_string_equal(dnscache_get(c, 4, a), "ads.example.com");
	assert_string_equal(dnscache_get(c, 6, a6), "v6.example.com");
	assert_null(dnscache_get(c, 4, b));
	/* a v6 address whose first bytes equal a v4 one is another key */
	assert_null(dnscache_get(c, 6, z6));
	assert_null(dnscache_get(c, 5, a));
	dnscache_put(c, 5, a, "ignored");
	assert_string_equal(dnscache_get(c, 4, a), "ads.example.com");
	dnscache_free(c);
}

static void test_overwrite(void **state)
{
	struct dnscache *c = dnscache_new(16);
	uint8_t a[4] = { 1, 2, 3, 4 };

	(void)state;
	dnscache_put(c, 4, a, "old.example");
	dnscache_put(c, 4, a, "new.example");
	assert_string_equal(dnscache_get(c, 4, a), "new.example");
	dnscache_free(c);
}

static void test_eviction_bounded(void **state)
{
	struct dnscache *c = dnscache_new(64);
	size_t cap = dnscache_capacity(c), held = 0;
	uint8_t a[4];
	char name[32];

	(void)state;
	assert_true(cap <= 64 && cap >= 32);
	for (uint32_t i = 0; i < 10000; i++) {
		v4(a, 0x0a000000u + i);
		snprintf(name, sizeof(name), "h%u.example", i);
		dnscache_put(c, 4, a, name);
		/* the newest answer is always there */
		assert_string_equal(dnscache_get(c, 4, a), name);
	}
	for (uint32_t i = 0; i < 10000; i++) {
		const char *n;

		v4(a, 0x0a000000u + i);
		n = dnscache_get(c, 4, a);
		if (n) {
			snprintf(name, sizeof(name), "h%u.example", i);
			assert_string_equal(n, name);
			held++;
		}
	}
	assert_true(held <= cap);
	assert_true(held >= cap / 2);
	assert_int_equal(dnscache_capacity(c), cap);
	dnscache_free(c);
}

static void test_oldest_replaced(void **state)
{
	struct dnscache *c = dnscache_new(4);   /* one set of four */
	uint8_t a[6][4];

	(void)state;
	assert_int_equal(dnscache_capacity(c), 4);
	for (int i = 0; i < 6; i++)
		v4(a[i], 0xc0a80000u + (uint32_t)i);
	for (int i = 0; i < 4; i++)
		dnscache_put(c, 4, a[i], "n");
	dnscache_put(c, 4, a[0], "refreshed");  /* a[0] is now the newest */
	dnscache_put(c, 4, a[4], "four");       /* evicts a[1], the oldest put */
	assert_string_equal(dnscache_get(c, 4, a[0]), "refreshed");
	assert_null(dnscache_get(c, 4, a[1]));
	assert_non_null(dnscache_get(c, 4, a[2]));
	dnscache_put(c, 4, a[5], "five");       /* evicts a[2] */
	assert_null(dnscache_get(c, 4, a[2]));
	assert_non_null(dnscache_get(c, 4, a[3]));
	assert_string_equal(dnscache_get(c, 4, a[4]), "four");
	assert_string_equal(dnscache_get(c, 4, a[5]), "five");
	dnscache_free(c);
}

static void test_long_name_and_tiny(void **state)
{
	struct dnscache *c = dnscache_new(1);
	char big[600];
	uint8_t a[16] = { 0xfe, 0x80 }, b[16] = { 0xfe, 0x81 };

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(dnscache_capacity(c), 1);
	dnscache_put(c, 6, a, big);
	assert_int_equal(strlen(dnscache_get(c, 6, a)), PH_DNS_MAX_NAME - 1);
	dnscache_put(c, 6, b, "b");
	assert_null(dnscache_get(c, 6, a));
	assert_string_equal(dnscache_get(c, 6, b), "b");
	dnscache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_eviction_bounded),
		cmocka_unit_test(test_oldest_replaced),
		cmocka_unit_test(test_long_name_and_tiny),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
