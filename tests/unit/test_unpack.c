/* test_unpack.c - structured decoding: form and query pairs with offsets, cookies, multipart parts,
 * JSON key paths and escapes, base64 / gzip blobs and their chains; WebSocket frames (ws.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <openssl/evp.h>
#include "json_scan.h"
#include "unpack.h"
#include "ws.h"

#define MAXE 32

struct seen {
	char what[MAXE][200];
	size_t n;
	const uint8_t *unit;
};

static void on_blob(void *arg, unsigned buf, const uint8_t *p, size_t n, const char *chain, const char *key)
{
	struct seen *s = arg;
	if (s->n < MAXE)
		snprintf(s->what[s->n++], 200, "blob %u %s [%s] %.*s", buf, chain, key, (int)n, (const char *)p);
}

static void on_pair(void *arg, unsigned buf, const char *key, size_t off, size_t rawlen, const uint8_t *v,
		    size_t vl, const char *chain)
{
	struct seen *s = arg;
	if (buf == 0 && s->unit)  /* offsets point at the value as sent */
		assert_true(rawlen == 0 || s->unit[off] != '=');
	if (s->n < MAXE)
		snprintf(s->what[s->n++], 200, "pair %u %s=%.*s @%zu+%zu [%s]", buf, key, (int)vl, (const char *)v,
			 off, rawlen, chain);
}

static const struct unpack_cb cb = { on_blob, on_pair };

static void has(const struct seen *s, const char *want)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->what[i], want))
			return;
	for (size_t i = 0; i < s->n; i++)
		printf("  %s\n", s->what[i]);
	fail_msg("missing: %s", want);
}

static struct seen run(enum unpack_type t, const char *ctype, const char *text, const char *chain)
{
	struct seen s = { .n = 0, .unit = (const uint8_t *)text };
	struct unpack *u = unpack_new();
	unpack_run(u, t, ctype, (const uint8_t *)text, strlen(text), chain, NULL, &cb, &s);
	unpack_free(u);
	return s;
}

static void test_query_form_cookie(void **state)
{
	(void)state;
	struct seen s = run(UNPACK_QUERY, NULL, "/a/b?imei=8623&ph=%2B91+98&x", NULL);
	has(&s, "pair 0 imei=8623 @10+4 []");
	has(&s, "pair 0 ph=+91 98 @18+8 []");
	s = run(UNPACK_COOKIE, NULL, "sid=1; did=abc; lang=en", NULL);
	has(&s, "pair 0 did=abc @11+3 []");
	s = run(UNPACK_FORM, NULL, "a=1&&=2&b=", "gzip");
	has(&s, "pair 0 a=1 @2+1 [gzip]");
	has(&s, "pair 0 b= @10+0 [gzip]");
}

static void test_json(void **state)
{
	(void)state;
	struct seen s = run(UNPACK_JSON, NULL,
			    "{\"deviceInfo\":{\"id\":\"x1\",\"n\":[1,{\"tel\":\"\\u0039\\u0038\"}]},\"lat\":28.6139}", NULL);
	has(&s, "pair 0 deviceInfo.id=x1 @21+2 []");
	has(&s, "pair 0 deviceInfo.n.tel=98 @40+12 []");
	has(&s, "blob 1 json [deviceInfo.n.tel] 98");
	has(&s, "pair 0 lat=28.6139 @63+7 []");
	uint8_t out[16];
	const char *esc = "a\\u00e9\\ud83d\\ude00\\n";
	size_t n = json_scan_unescape((const uint8_t *)esc, strlen(esc), out);
	assert_int_equal(n, 1 + 2 + 4 + 1);
	assert_memory_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n", n);
	/* truncated and hostile input end without reading past the end */
	s = run(UNPACK_JSON, NULL, "{\"a\":{\"b\":\"c", NULL);
	assert_int_equal(s.n, 0);
	char deep[200];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = 0;
	s = run(UNPACK_JSON, NULL, deep, NULL);
	assert_int_equal(s.n, 0);
}

static size_t gzip_of(const char *in, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)strlen(in);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	return n;
}

static void test_nested_blobs(void **state)
{
	(void)state;
	uint8_t gz[256];
	char b64[400], text[600];
	size_t n = gzip_of("{\"imei\":\"862345021234568\"}", gz, sizeof gz);
	EVP_EncodeBlock((unsigned char *)b64, gz, (int)n);
	struct seen s = run(UNPACK_VALUE, NULL, b64, NULL);
	has(&s, "blob 1 base64>gzip>json [] {\"imei\":\"862345021234568\"}");
	has(&s, "pair 1 imei=862345021234568 @9+15 [base64>gzip>json]");
	/* a base64 form field holding JSON, under its field name */
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)"{\"id\":\"abcdefgh\"}", 17);
	snprintf(text, sizeof text, "v=2&data=%s", b64);
	s = run(UNPACK_FORM, NULL, text, NULL);
	has(&s, "pair 1 data.id=abcdefgh @7+8 [base64>json]");
	/* base64-looking random bytes are not blobs */
	s = run(UNPACK_VALUE, NULL, "3f2a9c41b7d05e68aa0b", NULL);
	assert_int_equal(s.n, 0);
}

static void test_multipart(void **state)
{
	(void)state;
	const char *body = "--XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{\"imsi\":\"404\"}\r\n"
			   "--XyZ\r\nContent-Disposition: form-data; name=\"imei\"; filename=\"a\"\r\n\r\n8623\r\n--XyZ--\r\n";
	struct seen s = run(UNPACK_MULTIPART, "multipart/form-data; boundary=\"XyZ\"", body, NULL);
	has(&s, "pair 0 meta.imsi=404 @63+3 []");
	has(&s, "pair 0 imei=8623 @138+4 []");
	assert_int_equal(unpack_type_of("Multipart/Form-Data; boundary=a"), UNPACK_MULTIPART);
	assert_int_equal(unpack_type_of("application/json; charset=utf-8"), UNPACK_JSON);
}

struct msgs {
	char m[4][64];
	size_t n;
};

static void on_msg(void *arg, const uint8_t *p, size_t len, int text)
{
	struct msgs *ms = arg;
	assert_true(text);
	if (ms->n < 4)
		snprintf(ms->m[ms->n++], 64, "%.*s", (int)len, (const char *)p);
}

static size_t frame(uint8_t *o, int fin, int op, const char *s)
{
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t n = strlen(s), k = 0;
	o[k++] = (uint8_t)((fin ? 0x80 : 0) | op);
	o[k++] = (uint8_t)(0x80 | n);
	memcpy(o + k, mask, 4);
	k += 4;
	for (size_t i = 0; i < n; i++)
		o[k++] = (uint8_t)s[i] ^ mask[i & 3];
	return k;
}

static void test_websocket(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = 0;
	n += frame(buf + n, 0, 1, "{\"imei\":");
	n += frame(buf + n, 1, 9, "ping");                 /* control frame between fragments */
	n += frame(buf + n, 1, 0, "\"8623\"}");
	n += frame(buf + n, 1, 1, "second");
	for (size_t cut = 1; cut < n; cut += 3) {          /* every split of the byte stream */
		struct ws_stream w = { 0 };
		struct msgs ms = { .n = 0 };
		assert_int_equal(ws_stream_feed(&w, buf, cut, on_msg, &ms), 0);
		assert_int_equal(ws_stream_feed(&w, buf + cut, n - cut, on_msg, &ms), 0);
		assert_int_equal(ms.n, 2);
		assert_string_equal(ms.m[0], "{\"imei\":\"8623\"}");
		assert_string_equal(ms.m[1], "second");
		ws_stream_free(&w);
	}
	struct ws_stream w = { 0 };
	struct msgs ms = { .n = 0 };
	assert_int_equal(ws_stream_feed(&w, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, on_msg, &ms), -1);
	ws_stream_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_form_cookie),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_nested_blobs),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_websocket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
