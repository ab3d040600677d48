/* test_policy.c - option parsing for --home/--allow/--device, device selection,
 * foreign decisions and the severity order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "policy.h"

static void test_home_allow(void **state)
{
	(void)state;
	struct policy p;
	char err[256];
	memset(&p, 0, sizeof p);
	assert_int_equal(policy_set_home(&p, "in", err, sizeof err), 0);
	assert_string_equal(p.home, "IN");
	assert_int_equal(policy_set_home(&p, "XX1", err, sizeof err), -1);
	assert_non_null(strstr(err, "--home"));
	assert_int_equal(policy_set_home(&p, "india", err, sizeof err), -1);
	assert_int_equal(policy_set_home(&p, "QQ", err, sizeof err), -1);
	assert_int_equal(policy_set_home(&p, "IN", err, sizeof err), 0);
	assert_int_equal(policy_add_allow(&p, "sg,US", err, sizeof err), 0);
	assert_int_equal(policy_add_allow(&p, "SG,", err, sizeof err), -1);
	assert_false(policy_is_foreign(&p, "IN"));
	assert_false(policy_is_foreign(&p, "SG"));
	assert_false(policy_is_foreign(&p, ""));
	assert_true(policy_is_foreign(&p, "CN"));
	struct policy none;
	memset(&none, 0, sizeof none);
	assert_false(policy_is_foreign(&none, "CN"));
}

static void test_devices(void **state)
{
	(void)state;
	struct policy p;
	char err[256];
	memset(&p, 0, sizeof p);
	uint8_t lan[4] = { 192, 168, 43, 100 }, pub[4] = { 220, 181, 111, 10 };
	uint8_t mac[6] = { 0x64, 0x09, 0x80, 0x12, 0x34, 0x56 }, other[6] = { 0 };
	assert_true(policy_is_device(&p, 4, lan, NULL, 0));  /* default: private addresses */
	assert_false(policy_is_device(&p, 4, pub, NULL, 0));
	assert_int_equal(policy_add_device(&p, "64:09:80:12:34:56", err, sizeof err), 0);
	assert_int_equal(policy_add_device(&p, "2001:db8::1", err, sizeof err), 0);
	assert_int_equal(policy_add_device(&p, "phone", err, sizeof err), -1);
	assert_non_null(strstr(err, "phone"));
	assert_true(policy_is_device(&p, 4, pub, mac, 1));
	assert_false(policy_is_device(&p, 4, lan, other, 1));
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	assert_true(policy_is_device(&p, 6, v6, NULL, 0));
}

static void test_severity_order(void **state)
{
	(void)state;
	for (int sens = 0; sens <= 1; sens++) {
		for (int enc = 0; enc <= 1; enc++)
			assert_true(policy_severity(1, enc, sens) > policy_severity(0, enc, sens));
		if (sens)
			for (int f = 0; f <= 1; f++)
				assert_true(policy_severity(f, 0, 1) > policy_severity(f, 1, 1));
	}
	assert_string_equal(policy_severity_name(policy_severity(1, 0, 1)), "critical");
	assert_string_equal(policy_severity_name(policy_severity(0, 1, 0)), "low");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_allow),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_severity_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
