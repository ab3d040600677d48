/* test_identity.c - identity loading: schema, errors, warnings, Luhn and masking.
 * Runs from the repository root (rules/identity-example.json). */
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
#include "util.h"

#define EXAMPLE "rules/identity-example.json"

static char tmp_path[64];

/* Write text to a fresh temporary file; returns its path. */
static const char *write_tmp(const char *text)
{
	snprintf(tmp_path, sizeof tmp_path, "/tmp/ph_identity_XXXXXX");
	int fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return tmp_path;
}

/* Load text expecting failure; errbuf gets the message. */
static void load_fails(const char *text, char *err, size_t errlen)
{
	struct identity *id = (void *)1;
	const char *p = write_tmp(text);
	assert_int_equal(identity_load(p, &id, err, errlen), -1);
	assert_null(id);
	assert_non_null(strstr(err, p));
	unlink(p);
}

/* Load text expecting success. */
static struct identity *load_ok(const char *text)
{
	struct identity *id = NULL;
	char err[256] = "";
	const char *p = write_tmp(text);
	int rc = identity_load(p, &id, err, sizeof err);
	unlink(p);
	if (rc)
		fail_msg("load failed: %s", err);
	return id;
}

static void test_example(void **state)
{
	(void)state;
	struct identity *id = NULL;
	char err[256] = "";
	if (identity_load(EXAMPLE, &id, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(id->nvalues, 13);
	assert_int_equal(id->nwarnings, 0);
	assert_int_equal(id->values[0].kind, ID_IMEI);
	assert_string_equal(id->values[0].value, "862345021234568");
	assert_int_equal(id->values[3].kind, ID_PHONE_NUMBER);
	assert_string_equal(id->values[3].value, "+919876543210");
	assert_null(id->values[3].field);
	assert_int_equal(id->values[11].kind, ID_CONTACT);
	assert_string_equal(id->values[11].field, "name");
	assert_string_equal(id->values[11].value, "Ravi Kumar");
	assert_string_equal(id->values[12].field, "phone");
	assert_int_equal(id->nlocations, 1);
	assert_string_equal(id->locations[0].lat_s, "28.613939");
	assert_string_equal(id->locations[0].lon_s, "77.209023");
	assert_true(id->locations[0].lat > 28.6139 && id->locations[0].lat < 28.614);
	char sha[65];
	assert_int_equal(util_sha256_file(EXAMPLE, sha), 0);
	assert_string_equal(id->sha256, sha);
	for (unsigned k = 0; k < ID__COUNT; k++)
		assert_string_not_equal(identity_kind_name((enum id_kind)k), "?");
	assert_string_equal(identity_kind_name(ID_ADVERTISING_ID), "advertising_id");
	identity_free(id);
}

static void test_single_strings_and_order(void **state)
{
	(void)state;
	struct identity *id = load_ok("{\"sms\":\"hello there\",\"imei\":\"862345021234568\","
				      "\"location\":[{\"lat\":\"-33.8688\",\"lon\":151}],"
				      "\"contacts\":[{\"email\":\"a@b.cd\",\"name\":\"Someone\"}]}");
	assert_int_equal(id->nvalues, 4);
	assert_int_equal(id->values[0].kind, ID_IMEI);  /* schema order, not file order */
	assert_int_equal(id->values[1].kind, ID_SMS);
	assert_string_equal(id->values[2].field, "name");
	assert_string_equal(id->values[3].field, "email");
	assert_string_equal(id->locations[0].lat_s, "-33.8688");
	assert_string_equal(id->locations[0].lon_s, "151");
	assert_true(id->locations[0].lat < -33.8);
	assert_int_equal(id->nwarnings, 0);
	identity_free(id);
}

static void test_errors(void **state)
{
	(void)state;
	char err[256];
	load_fails("{\n  \"imei\": [\"1\",\n}\n", err, sizeof err);
	assert_non_null(strstr(err, "line 3"));
	assert_non_null(strstr(err, "column"));
	load_fails("{\"imie\": \"862345021234568\"}", err, sizeof err);
	assert_non_null(strstr(err, "unknown key \"imie\""));
	load_fails("{\"contacts\": [{\"name\": \"Ravi Kumar\", \"nick\": \"R\"}]}", err, sizeof err);
	assert_non_null(strstr(err, "\"nick\""));
	load_fails("{\"location\": [{\"lat\": 1, \"lon\": 2, \"alt\": 3}]}", err, sizeof err);
	assert_non_null(strstr(err, "\"alt\""));
	load_fails("{\"imei\": 862345021234568}", err, sizeof err);
	assert_non_null(strstr(err, "\"imei\""));
	load_fails("{\"email\": [\"a@b.c\", 5]}", err, sizeof err);
	assert_non_null(strstr(err, "\"email\""));
	load_fails("{\"contacts\": {\"name\": \"x\"}}", err, sizeof err);
	assert_non_null(strstr(err, "contacts"));
	load_fails("{\"carrier\": [\"\"]}", err, sizeof err);
	assert_non_null(strstr(err, "\"carrier\""));
	assert_non_null(strstr(err, "empty"));
	load_fails("{\"contacts\": [{\"phone\": \"\"}]}", err, sizeof err);
	assert_non_null(strstr(err, "phone"));
	load_fails("{\"location\": [{\"lat\": 91, \"lon\": 0}]}", err, sizeof err);
	assert_non_null(strstr(err, "lat"));
	load_fails("{\"location\": [{\"lat\": 0, \"lon\": -180.5}]}", err, sizeof err);
	assert_non_null(strstr(err, "lon"));
	load_fails("{\"location\": [{\"lat\": \"north\", \"lon\": 0}]}", err, sizeof err);
	assert_non_null(strstr(err, "lat"));
	load_fails("{\"location\": [{\"lat\": 1}]}", err, sizeof err);
	assert_non_null(strstr(err, "lon"));
	load_fails("[1, 2]", err, sizeof err);
	char big[4096] = "{\"location\": [";
	for (int i = 0; i < 33; i++)
		strcat(big, i ? ",{\"lat\":1,\"lon\":2}" : "{\"lat\":1,\"lon\":2}");
	strcat(big, "]}");
	load_fails(big, err, sizeof err);
	assert_non_null(strstr(err, "location"));
	struct identity *id = (void *)1;
	assert_int_equal(identity_load("/nonexistent/identity.json", &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/identity.json"));
}

/* Is there a warning containing both a and b? */
static int has_warning(const struct identity *id, const char *a, const char *b)
{
	for (size_t i = 0; i < id->nwarnings; i++)
		if (strstr(id->warnings[i], a) && strstr(id->warnings[i], b))
			return 1;
	return 0;
}

static void test_warnings(void **state)
{
	(void)state;
	struct identity *id = load_ok("{\"imei\": [\"862345021234567\", \"86234502123456\"],"
				      "\"imsi\": \"4044501234\", \"phone_number\": \"9876543210\","
				      "\"sms\": [\"+91 98123-45678\", \"see you at 5\", \"12345\"],"
				      "\"contacts\": [{\"phone\": \"098123\"}]}");
	assert_int_equal(id->nvalues, 8);
	assert_true(has_warning(id, "Luhn", "\"8623xxxxxxxxx67\""));
	assert_true(has_warning(id, "not 15 digits", "8623"));
	assert_true(has_warning(id, "imsi", "14-15"));
	assert_true(has_warning(id, "phone_number", "E.164"));
	assert_true(has_warning(id, "contacts[0].phone", "E.164"));
	assert_true(has_warning(id, "sms", "E.164"));  /* "12345" */
	assert_int_equal(id->nwarnings, 6);             /* grouped +91 and text SMS are fine */
	for (size_t i = 0; i < id->nwarnings; i++)
		assert_null(strstr(id->warnings[i], "862345021234567"));
	identity_free(id);
}

static void test_luhn(void **state)
{
	(void)state;
	assert_true(identity_luhn_ok("862345021234568"));
	assert_true(identity_luhn_ok("79927398713"));
	assert_true(identity_luhn_ok("8991450012345678900"));
	assert_false(identity_luhn_ok("862345021234567"));
	assert_false(identity_luhn_ok("79927398710"));
	assert_false(identity_luhn_ok("7992739871a"));
	assert_false(identity_luhn_ok(""));
}

static void test_mask_e164(void **state)
{
	(void)state;
	char out[64];
	identity_mask("862345021234568", out, sizeof out);
	assert_string_equal(out, "8623xxxxxxx4568");
	identity_mask("+919876543210", out, sizeof out);
	assert_string_equal(out, "+919xxxxx3210");
	identity_mask("Airtel", out, sizeof out);
	assert_string_equal(out, "Aixxel");
	identity_mask("abcde", out, sizeof out);
	assert_string_equal(out, "xxxxx");
	identity_mask("", out, sizeof out);
	assert_string_equal(out, "");
	identity_mask("862345021234568", out, 5);
	assert_string_equal(out, "8623");
	assert_true(identity_is_e164("+919876543210"));
	assert_true(identity_is_e164("+91 98765-43210"));
	assert_false(identity_is_e164("919876543210"));
	assert_false(identity_is_e164("+9198"));
	assert_false(identity_is_e164("+91987654321012345"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_single_strings_and_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_mask_e164),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
