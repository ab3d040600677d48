/* test_mask.c - identifiers masked in report text: mask_str (the JSON writer's, one masker per
 * thread) against mask_text (the other writers'), on rules/identity-example.json and detector
 * rule values. Runs from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mask.h"
#include "match.h"
#include "util.h"

#define EXAMPLE "rules/identity-example.json"

static struct audit a;

static void add_suspected(const char *v)
{
	struct report *r = a.rep;
	r->leaks = realloc(r->leaks, (r->nleaks + 1) * sizeof *r->leaks);
	memset(&r->leaks[r->nleaks], 0, sizeof *r->leaks);
	r->leaks[r->nleaks].suspected = 1;
	snprintf(r->leaks[r->nleaks].found, sizeof r->leaks[r->nleaks].found, "%s", v);
	r->capleaks = ++r->nleaks;
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	memset(&a, 0, sizeof a);
	if (identity_load(EXAMPLE, &a.id, err, sizeof err) < 0 || !(a.m = match_compile(a.id, err, sizeof err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	a.rep = report_new();
	add_suspected("a1b2c3d4e5f60718");  /* a rule's value, in no identity */
	add_suspected("a1b2c3d4e5f60718");  /* found twice: masked once over */
	add_suspected("zz9");               /* shorter than 4: left alone, as mask_text does */
	add_suspected("a1b2ffff");          /* the same first 4 bytes as the first */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	report_free(a.rep);
	match_free(a.m);
	identity_free(a.id);
	return 0;
}

/* mask_str gives s, masked, and exactly what mask_text gives. */
static void check(struct mask *k, const char *s, const char *want)
{
	char out[256], ref[1024];
	const char *got = mask_str(k, s, out, sizeof out);
	assert_string_equal(got, want);
	mask_text(&a, s, ref, sizeof ref);
	assert_string_equal(got, ref);
	if (!strcmp(s, want))  /* nothing masked: no copy */
		assert_ptr_equal(got, s);
}

static void test_host_names(void **state)
{
	(void)state;
	char err[128];
	struct mask *k = mask_open(&a, err, sizeof err);
	assert_non_null(k);
	check(k, "862345021234568.api.example.cn", "8623xxxxxxx4568.api.example.cn");
	check(k, "api.example.cn", "api.example.cn");
	check(k, "", "");
	check(k, "t-a1b2c3d4e5f60718.cdn.example", "t-a1b2xxxxxxxx0718.cdn.example");
	check(k, "a1b2ffff.x.a1b2c3d4e5f60718", "a1xxxxff.x.a1b2xxxxxxxx0718");
	check(k, "a1b2c3d4e5f60718a1b2c3d4e5f60718", "a1b2xxxxxxxx0718a1b2xxxxxxxx0718");
	check(k, "zz9.example", "zz9.example");
	check(k, "q=3f2a9c41b7d05e68&e=priya.sharma.test%40gmail.com",
	      "q=3f2axxxxxxxx5e68&e=priyxxxxxxxxxxxxxxxxxxxxx.com");
	mask_free(k);
}

/* Longer than out: cut first, then masked; an identifier in the cut-off tail is not returned. */
static void test_cut(void **state)
{
	(void)state;
	char err[128], out[20];
	struct mask *k = mask_open(&a, err, sizeof err);
	const char *s = "aaaaaaaaaaaaaaaaaa.862345021234568";
	const char *got = mask_str(k, s, out, sizeof out);
	assert_ptr_equal(got, out);
	assert_string_equal(got, "aaaaaaaaaaaaaaaaaa.");
	got = mask_str(k, "862345021234568.example", out, sizeof out);
	assert_string_equal(got, "8623xxxxxxx4568.exa");
	mask_free(k);
}

static void test_show_identifiers(void **state)
{
	(void)state;
	char err[128], out[64];
	a.o.show_identifiers = 1;
	struct mask *k = mask_open(&a, err, sizeof err);
	a.o.show_identifiers = 0;
	const char *s = "862345021234568.api.example.cn";
	assert_ptr_equal(mask_str(k, s, out, sizeof out), s);
	mask_free(k);
}

/* Two maskers scan at once (the JSON writer's flows and leaks threads): each its own scratch. */
static void test_two_maskers(void **state)
{
	(void)state;
	char err[128], o1[64], o2[64];
	struct mask *k1 = mask_open(&a, err, sizeof err), *k2 = mask_open(&a, err, sizeof err);
	assert_string_equal(mask_str(k1, "x.862345021234568", o1, sizeof o1), "x.8623xxxxxxx4568");
	assert_string_equal(mask_str(k2, "y.404450123456789", o2, sizeof o2), "y.4044xxxxxxx6789");
	mask_free(k1);
	mask_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_names),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_show_identifiers),
		cmocka_unit_test(test_two_maskers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
