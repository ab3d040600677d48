/* test_intern.c - the shared string pool: one copy per distinct string, from any thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "intern.h"

static void test_same_copy(void **state)
{
	char a[16] = "base64>md5", b[16] = "base64>md5";

	(void)state;
	const char *x = intern_str(a), *y = intern_str(b);
	assert_ptr_equal(x, y);
	assert_ptr_not_equal(x, a);
	assert_string_equal(x, "base64>md5");
	a[0] = 'B';  /* the pool keeps its own copy */
	assert_string_equal(x, "base64>md5");
	assert_ptr_not_equal(intern_str(a), x);
	assert_string_equal(intern_str(NULL), "");
	assert_string_equal(intern_str(""), "");
	intern_free();
	assert_int_equal(intern_count(), 0);
}

static void test_growth(void **state)
{
	char buf[32];
	const char *first[5000];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof buf, "key%d", i);
		first[i] = intern_str(buf);
	}
	assert_int_equal(intern_count(), 5000);
	for (int i = 0; i < 5000; i++) {  /* the same copies after the set grew */
		snprintf(buf, sizeof buf, "key%d", i);
		assert_ptr_equal(intern_str(buf), first[i]);
		assert_string_equal(first[i], buf);
	}
	assert_string_equal(intern_str("key"), "key");  /* a prefix of others is its own string */
	assert_int_equal(intern_count(), 5001);
	intern_free();
}

static void *worker(void *arg)
{
	const char **out = arg;
	char buf[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(buf, sizeof buf, "name%d", i % 300);
		out[i % 300] = intern_str(buf);
	}
	return NULL;
}

static void test_threads(void **state)
{
	static const char *got[4][300];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, got[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(intern_count(), 300);
	for (int k = 0; k < 300; k++)
		for (int i = 1; i < 4; i++)
			assert_ptr_equal(got[i][k], got[0][k]);
	intern_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_copy),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
