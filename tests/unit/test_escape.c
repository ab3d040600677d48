/* test_escape.c - context escaping of captured strings: HTML text and attributes, CSS,
 * Markdown cells; invalid UTF-8 and control bytes; truncation never splits an entity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include <jansson.h>
#include <stdlib.h>

static void test_html_specials(void **state)
{
	(void)state;
	char out[256];
	size_t n = escape_html("<script>alert(1)</script>", out, sizeof out);
	assert_string_equal(out, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_int_equal(n, strlen(out));
	escape_html("a\"b'c&d`e", out, sizeof out);
	assert_string_equal(out, "a&quot;b&#39;c&amp;d&#96;e");
	escape_html("x\"</style><img src=x onerror=alert(2)>", out, sizeof out);
	assert_null(strchr(out, '<'));
	assert_null(strchr(out, '>'));
	assert_null(strchr(out, '"'));
	assert_non_null(strstr(out, "&lt;/style&gt;"));
	escape_html("", out, sizeof out);
	assert_string_equal(out, "");
	escape_html("api.account.xiaomi.com", out, sizeof out);
	assert_string_equal(out, "api.account.xiaomi.com");
}

static void test_html_bytes(void **state)
{
	(void)state;
	char out[256];
	escape_html("a\x01\tb\x7f", out, sizeof out);
	assert_string_equal(out, "a\\x01\\x09b\\x7f");
	escape_html("caf\xc3\xa9 \xe4\xb8\xad", out, sizeof out);  /* valid UTF-8 kept */
	assert_string_equal(out, "caf\xc3\xa9 \xe4\xb8\xad");
	escape_html("\xc3(\xff\xfe\xc0\xaf\xed\xa0\x80", out, sizeof out);  /* invalid, overlong, surrogate */
	assert_string_equal(out, "\\xc3(\\xff\\xfe\\xc0\\xaf\\xed\\xa0\\x80");
	escape_html("\xe4\xb8", out, sizeof out);  /* cut sequence at the end */
	assert_string_equal(out, "\\xe4\\xb8");
}

static void test_truncation(void **state)
{
	(void)state;
	char out[8];
	size_t n = escape_html("ab<cd", out, 5);  /* "ab&lt;cd": &lt; does not fit in 5 */
	assert_int_equal(n, 8);
	assert_string_equal(out, "ab");
	n = escape_html("ab<cd", out, sizeof out);
	assert_string_equal(out, "ab&lt;c");  /* "d" would need 9 bytes with the NUL */
	assert_int_equal(n, 8);
	n = escape_html("abc", out, 1);
	assert_string_equal(out, "");
	assert_int_equal(n, 3);
	n = escape_html("abc", NULL, 0);
	assert_int_equal(n, 3);
}

static void test_css(void **state)
{
	(void)state;
	char out[256];
	escape_css("a-b_c9", out, sizeof out);
	assert_string_equal(out, "a-b_c9");
	escape_css("</style>", out, sizeof out);
	assert_string_equal(out, "\\3c \\2f style\\3e ");
	escape_css("x\"}body{", out, sizeof out);
	assert_null(strpbrk(out, "\"{}"));
	escape_css("\xc3\xa9", out, sizeof out);
	assert_string_equal(out, "\\e9 ");
}

static void test_md(void **state)
{
	(void)state;
	char out[256];
	escape_md("a|b`c*d_e[f]\\g", out, sizeof out);
	assert_string_equal(out, "a\\|b\\`c\\*d\\_e\\[f\\]\\\\g");
	escape_md("line1\r\nline2<script>", out, sizeof out);
	assert_string_equal(out, "line1  line2&lt;script&gt;");
}

static void test_stream(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	escape_html_put(f, "<b>&\xff");
	escape_md_put(f, "|");
	fclose(f);
	assert_string_equal(buf, "&lt;b&gt;&amp;\\xff\\|");
	free(buf);
}

/* JSON strings always parse, whatever bytes a capture put in a host name. */
static void test_json_and_term(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	escape_json_put(f, "a\"b\\c\x01\xc3\xa9\xf0\x9f\x98\x80\xff");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u0001\\u00e9\\ud83d\\ude00\\u00ff\"");
	json_error_t err;
	json_t *j = json_loads(buf, JSON_DECODE_ANY, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "a\"b\\c\x01\xc3\xa9\xf0\x9f\x98\x80\xc3\xbf");
	json_decref(j);
	free(buf);
	char t[16];
	assert_string_equal(escape_term("ho\x1b[2Jst\xc3", t, sizeof t), "ho?[2Jst?");
	assert_string_equal(escape_term("0123456789abcdefXYZ", t, sizeof t), "0123456789abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_specials), cmocka_unit_test(test_html_bytes),
		cmocka_unit_test(test_truncation), cmocka_unit_test(test_css),
		cmocka_unit_test(test_md), cmocka_unit_test(test_stream), cmocka_unit_test(test_json_and_term),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
