/* test_country.c - country names for the verdict and the reports: every ISO 3166-1 code a
 * database can give has one; formal names are not shown; unknown codes get NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "country.h"

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(country_name("CN"), "China");
	assert_string_equal(country_name("US"), "the United States");
	assert_string_equal(country_name("DK"), "Denmark");   /* once shown as its code */
	assert_string_equal(country_name("KR"), "South Korea");
	assert_string_equal(country_name("TW"), "Taiwan");
	assert_string_equal(country_name("AD"), "Andorra");   /* first and last of the table */
	assert_string_equal(country_name("ZW"), "Zimbabwe");
	assert_string_equal(country_name("XK"), "Kosovo");    /* MaxMind's, not ISO's */
}

static void test_unknown(void **state)
{
	(void)state;
	assert_null(country_name(NULL));
	assert_null(country_name(""));
	assert_null(country_name("EU"));
	assert_null(country_name("cn"));
	assert_null(country_name("CNN"));
	assert_null(country_name("C"));
}

/* Every code of the alphabet: found ones read as prose (no "Korea, Republic of"). */
static void test_all_codes(void **state)
{
	(void)state;
	int found = 0;
	for (char a = 'A'; a <= 'Z'; a++)
		for (char b = 'A'; b <= 'Z'; b++) {
			char cc[3] = { a, b, 0 };
			const char *n = country_name(cc);
			if (!n)
				continue;
			found++;
			assert_null(strchr(n, '('));
			assert_true(!strchr(n, ',') || !strcmp(cc, "BQ"));
		}
	assert_int_equal(found, 250);  /* 249 ISO 3166-1 codes and XK */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names), cmocka_unit_test(test_unknown), cmocka_unit_test(test_all_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
