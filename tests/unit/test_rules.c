/* test_rules.c - detector rules: the shipped rules/detectors.json loads; value checks (IMEI Luhn
 * and reporting body, phone forms, coordinates, e-mail); errors name the file and the line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "identity.h"
#include "rules.h"

static const struct rule *by_id(const struct rules *rs, const char *rid)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->r[i].id, rid))
			return &rs->r[i];
	fail_msg("no rule %s", rid);
	return NULL;
}

static int ok(const struct rule *r, const char *v, int keyed)
{
	return rules_check_value(r, (const uint8_t *)v, strlen(v), keyed);
}

static void test_shipped(void **state)
{
	(void)state;
	struct rules *rs = NULL;
	char err[256];
	assert_int_equal(rules_load("rules", &rs, err, sizeof err), 0);  /* the directory */
	assert_true(rs->n >= 10);
	const struct rule *imei = by_id(rs, "imei-shaped");
	assert_int_equal(imei->kind, ID_IMEI);
	assert_true(ok(imei, "356938035643809", 0));        /* Luhn, RBI 35 */
	assert_false(ok(imei, "356938035643808", 0));       /* Luhn fails */
	assert_false(ok(imei, "123456789012347", 0));       /* Luhn ok, no reporting body 12 */
	assert_false(ok(imei, "35693803564380", 0));        /* 14 digits only under a key */
	assert_true(ok(imei, "35693803564380", 1));
	const struct rule *ph = by_id(rs, "phone-key");
	assert_true(ok(ph, "+14155550123", 1));
	assert_true(ok(ph, "9876501234", 1));
	assert_true(ok(ph, "09876501234", 1));
	assert_true(ok(ph, "+91 98765-01234", 1));
	assert_false(ok(ph, "5876501234", 1));              /* Indian mobiles start 6-9 */
	assert_false(ok(ph, "12345", 1));
	const struct rule *loc = by_id(rs, "latlon-pair");
	assert_true(ok(loc, "28.61394, 77.20902", 0));
	assert_false(ok(loc, "28.61, 77.20", 0));           /* fewer than 4 decimals */
	assert_false(ok(loc, "128.61394,77.20902", 0));     /* latitude beyond 90 */
	const struct rule *em = by_id(rs, "email");
	assert_true(ok(em, "a.b@example.org", 0));
	assert_false(ok(em, "icon@2x.png", 0));
	const struct rule *dev = by_id(rs, "device-id-key");
	assert_false(ok(dev, "000000000000", 1));           /* placeholder */
	assert_false(ok(dev, "null", 1));
	assert_true(ok(dev, "a1b2c3d4e5f6", 1));
	char nk[64];
	rules_norm_key("Device_ID", 9, nk, sizeof nk);
	assert_string_equal(nk, "deviceid");
	assert_true(rules_find_key(rs, "deviceid") >= 0);
	assert_true(rules_find_key(rs, "deviceinfo.id") >= 0);
	assert_true(rules_find_key(rs, "user.tel") >= 0);
	assert_int_equal(rules_find_key(rs, "orderid"), -1);
	assert_int_equal(rules_find_key(rs, "txnid"), -1);
	/* the key index answers as a walk of every key rule would: the first rule naming the path
	 * itself or what follows one of its dots */
	static const char *pre[] = { "", "a.", "data.user.", "x", "x.y" }, *post[] = { "", ".id", "x", "." };
	size_t tried = 0;
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->r[i].nkeys; k++)
			for (size_t a = 0; a < 5; a++)
				for (size_t b = 0; b < 4; b++) {
					char path[160];
					snprintf(path, sizeof path, "%s%s%s", pre[a], rs->r[i].keys[k], post[b]);
					int want = -1;
					for (size_t j = 0; j < rs->n && want < 0; j++)
						if (rs->r[j].type == RULES_KEY && rules_key_listed(&rs->r[j], path))
							want = (int)j;
					if (rules_find_key(rs, path) != want)
						fail_msg("%s: rule %d, want %d", path, rules_find_key(rs, path), want);
					tried++;
				}
	assert_true(tried > 100);
	rules_free(rs);
}

static void load_text(const char *text, char *err, size_t errlen, int want)
{
	char path[] = "/tmp/test_rules_XXXXXX.json";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct rules *rs = NULL;
	assert_int_equal(rules_load(path, &rs, err, errlen), want);
	rules_free(rs);
	unlink(path);
	assert_non_null(strstr(err, "/tmp/test_rules_"));
}

static void test_errors(void **state)
{
	(void)state;
	char err[256] = "/tmp/test_rules_";
	load_text("{\"rules\": [\n{\"id\": \"a\",\n \"kind\": \"imei\", \"type\": \"key\", \"keys\": [\"x\"],\n"
		  " \"severity\": \"high\", \"description\": \"d\"},\n{\"id\": \"bad\", \"kind\": \"shoe_size\",\n"
		  " \"type\": \"key\", \"keys\": [\"y\"], \"severity\": \"low\", \"description\": \"d\"}]}\n",
		  err, sizeof err, -1);
	assert_non_null(strstr(err, ":5: rule bad: unknown kind \"shoe_size\""));
	load_text("{\"rules\": [\n{\"id\": \"p\", \"kind\": \"email\", \"type\": \"pattern\",\n"
		  " \"pattern\": \"a(b\", \"severity\": \"low\", \"description\": \"d\"}]}\n", err, sizeof err, -1);
	assert_non_null(strstr(err, ":2: rule p: pattern:"));
	load_text("{\"rules\": [\n  {\"id\": 1,\n", err, sizeof err, -1);
	assert_non_null(strstr(err, ":3:"));  /* JSON syntax: the parser's line */
	load_text("{\"rules\": [{\"id\": \"k\", \"kind\": \"imei\", \"type\": \"key\", \"keys\": [\"x\"],"
		  " \"severity\": \"high\", \"description\": \"d\", \"colour\": 1}]}", err, sizeof err, -1);
	assert_non_null(strstr(err, "unknown key \"colour\""));
	strcpy(err, "/tmp/test_rules_");
	load_text("{\"rules\": [{\"id\": \"k\", \"kind\": \"imei\", \"type\": \"key\", \"keys\": [\"x\"],"
		  " \"severity\": \"high\", \"description\": \"d\"}]}", err, sizeof err, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
