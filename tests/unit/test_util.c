/* test_util.c - the per-thread free list of per-flow state (util_pool): blocks come back
 * zeroed, are reused, and past the bound are freed (ASan sees any leak). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util.h"

static int all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void test_pool_reuse_zeroed(void **state)
{
	(void)state;
	struct util_pool p = { .size = 100, .max = 2 };
	uint8_t *a = util_pool_get(&p), *b = util_pool_get(&p), *c = util_pool_get(&p);
	assert_true(all_zero(a, 100) && all_zero(b, 100) && all_zero(c, 100));
	memset(a, 0xa5, 100);
	memset(b, 0x5a, 100);
	memset(c, 0xff, 100);
	util_pool_put(&p, a);
	util_pool_put(&p, b);
	util_pool_put(&p, c);  /* over the bound: freed, not kept */
	util_pool_put(&p, NULL);
	assert_int_equal(p.n, 2);
	uint8_t *x = util_pool_get(&p), *y = util_pool_get(&p);
	assert_true((x == b && y == a));  /* the last given back comes first */
	assert_true(all_zero(x, 100) && all_zero(y, 100));
	assert_int_equal(p.n, 0);
	util_pool_put(&p, x);
	util_pool_put(&p, y);
	util_pool_drain(&p);
	assert_null(p.head);
	assert_int_equal(p.n, 0);
}

static void test_copy(void **state)
{
	(void)state;
	char b[5];
	util_copy(b, sizeof b, "TLS");
	assert_string_equal(b, "TLS");
	util_copy(b, sizeof b, "TLS.Google");  /* cut as snprintf cuts */
	assert_string_equal(b, "TLS.");
	util_copy(b, sizeof b, NULL);
	assert_string_equal(b, "");
	util_copy(b, 1, "x");
	assert_string_equal(b, "");
}

/* FNV-1a's published 64-bit vectors, whole and in two pieces. */
/* A second ^C removes the files still noted, and only them. */
static void test_tmp_noted(void **state)
{
	(void)state;
	char kept[] = "/tmp/ph-test-kept.XXXXXX", dropped[] = "/tmp/ph-test-dropped.XXXXXX";
	int a = util_mkstemp(kept), b = util_mkstemp(dropped);
	assert_true(a >= 0 && b >= 0);
	close(a);
	close(b);
	util_tmp_done(kept);  /* renamed into place, say */
	util_tmp_remove_all();
	assert_int_equal(access(dropped, F_OK), -1);
	assert_int_equal(access(kept, F_OK), 0);
	unlink(kept);
}

/* A noted tree goes with all it holds, not what a link in it points to; a noted child's group
 * is killed first. */
static void test_tmp_tree_and_child(void **state)
{
	(void)state;
	char dir[] = "/tmp/ph-test-tree.XXXXXX", outside[] = "/tmp/ph-test-outside.XXXXXX", p[256];
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(outside));
	static const char *sub[] = { "a", "a/b", "a/b/c" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	for (int i = 0; i < 300; i++) {  /* more entries than one getdents64 buffer */
		snprintf(p, sizeof p, "%s/a/b/c/file-with-a-long-name-%03d", dir, i);
		close(open(p, O_CREAT | O_WRONLY, 0600));
	}
	snprintf(p, sizeof p, "%s/keep", outside);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	snprintf(p, sizeof p, "%s/a/link", dir);
	assert_int_equal(symlink(outside, p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(pid, pid);
	util_tmp_note_tree(dir);
	util_tmp_child(pid);
	util_tmp_remove_all();
	assert_int_equal(access(dir, F_OK), -1);
	snprintf(p, sizeof p, "%s/keep", outside);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);  /* already reaped: killed and awaited */
	util_tmp_child(0);
	util_tmp_done(dir);
	unlink(p);
	rmdir(outside);
}

/* Rows found again under their hash, however many share it, across the index's growth. */
static void test_index(void **state)
{
	(void)state;
	struct util_index x = { 0 };
	for (size_t r = 0; r < 1000; r++)
		util_index_add(&x, r % 7 * 0x1000000000ull, r);  /* 7 hashes, on the same low bits */
	for (uint64_t h = 0; h < 7; h++) {
		size_t pos = 0, row, n = 0, sum = 0;
		while ((row = util_index_next(&x, h * 0x1000000000ull, &pos)) != SIZE_MAX) {
			assert_int_equal(row % 7, h);
			n++, sum += row;
		}
		assert_int_equal(n, h < 1000 % 7 ? 143 : 142);
		assert_int_equal(sum, n * h + 7 * n * (n - 1) / 2);
	}
	size_t pos = 0;
	assert_true(util_index_next(&x, 12345, &pos) == SIZE_MAX);
	util_index_free(&x);
	pos = 0;
	assert_true(util_index_next(&x, 0, &pos) == SIZE_MAX);  /* empty: nothing */
}

static void test_fnv(void **state)
{
	(void)state;
	assert_true(util_fnv(UTIL_FNV_BASIS, "", 0) == 0xcbf29ce484222325ull);
	assert_true(util_fnv(UTIL_FNV_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(util_fnv(UTIL_FNV_BASIS, "foobar", 6) == 0x85944171f73967e8ull);
	assert_true(util_fnv(util_fnv(UTIL_FNV_BASIS, "foo", 3), "bar", 3) == 0x85944171f73967e8ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_fnv),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_tmp_noted),
		cmocka_unit_test(test_tmp_tree_and_child),
		cmocka_unit_test(test_pool_reuse_zeroed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
