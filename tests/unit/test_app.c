/* test_app.c - PCAPdroid trailer, pcapng uid-mapping Custom Block and comment, NFLOG TLVs:
 * found, absent, truncated and invalid, and no read past the given length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "app.h"
#include "decode.h"

/* IPv4 TCP 10.215.173.1:40000 -> 220.181.111.10:80, payload "GET /" (45 bytes) */
static const uint8_t ip4_tcp[] = {
	0x45, 0, 0, 45, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 215, 173, 1, 220, 181, 111, 10,
	0x9c, 0x40, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	'G', 'E', 'T', ' ', '/',
};

/* PCAPdroid frame: zero MACs, IPv4, the packet, padding to 4, trailer. */
static size_t droid_frame(uint8_t *f, int32_t uid, const char *name)
{
	memset(f, 0, 14);
	f[12] = 0x08;
	memcpy(f + 14, ip4_tcp, sizeof ip4_tcp);
	size_t n = 14 + sizeof ip4_tcp;
	while (n % 4)
		f[n++] = 0;
	f[n] = 0x01, f[n + 1] = 0x07, f[n + 2] = 0x20, f[n + 3] = 0x21;
	uint32_t u = (uint32_t)uid;
	f[n + 4] = u >> 24, f[n + 5] = u >> 16, f[n + 6] = u >> 8, f[n + 7] = u;
	memset(f + n + 8, 0, 20);
	memcpy(f + n + 8, name, strlen(name));
	uint32_t crc = (uint32_t)crc32(0L, f, (uInt)(n + 28));
	f[n + 28] = crc, f[n + 29] = crc >> 8, f[n + 30] = crc >> 16, f[n + 31] = crc >> 24;
	return n + 32;
}

static void test_trailer(void **s)
{
	(void)s;
	uint8_t f[256];
	size_t n = droid_frame(f, 10123, "Weather");
	int32_t uid = 0;
	char name[21];
	assert_int_equal(app_trailer_parse(f, n, 14 + sizeof ip4_tcp, &uid, name), APP_FOUND);
	assert_int_equal(uid, 10123);
	assert_string_equal(name, "Weather");
	/* decode stops at the IP total length: the trailer is never payload */
	struct packet p;
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(1, f, n, &p), DR_OK);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.l3_len, sizeof ip4_tcp);
	n = droid_frame(f, -1, "");
	assert_int_equal(app_trailer_parse(f, n, 14 + sizeof ip4_tcp, &uid, name), APP_FOUND);
	assert_int_equal(uid, -1);
	assert_string_equal(name, "");
}

static void test_trailer_bad(void **s)
{
	(void)s;
	uint8_t f[256];
	size_t n = droid_frame(f, 10123, "Weather"), ip_end = 14 + sizeof ip4_tcp;
	int32_t uid;
	char name[21];
	assert_int_equal(app_trailer_parse(f, ip_end, ip_end, &uid, name), APP_ABSENT);
	for (size_t cut = 1; cut < 32; cut++) {  /* every truncation: counted, never read past */
		uint8_t *c = malloc(n - cut);
		memcpy(c, f, n - cut);
		assert_true(app_trailer_parse(c, n - cut, ip_end, &uid, name) < 0);
		free(c);
	}
	f[n - 1] ^= 1;  /* CRC */
	assert_int_equal(app_trailer_parse(f, n, ip_end, &uid, name), APP_INVALID);
	f[n - 1] ^= 1;
	f[n - 32] = 0;  /* magic */
	assert_int_equal(app_trailer_parse(f, n, ip_end, &uid, name), APP_INVALID);
}

static size_t custom_body(uint8_t *b, int big, int32_t uid, const char *pkg, const char *name, int lie)
{
	size_t pl = strlen(pkg), nl = strlen(name);
	b[0] = big ? 0 : 1, b[1] = big ? 1 : 0, b[2] = 1, b[3] = 0;
	uint32_t u = (uint32_t)uid;
	for (int i = 0; i < 4; i++)
		b[4 + i] = big ? u >> (24 - 8 * i) : u >> (8 * i);
	b[8] = (uint8_t)(pl + (size_t)lie);
	b[9] = (uint8_t)nl;
	memcpy(b + 10, pkg, pl);
	memcpy(b + 10 + pl, name, nl);
	return 10 + pl + nl;
}

static void test_custom_block(void **s)
{
	(void)s;
	uint8_t b[256];
	int32_t uid;
	char pkg[APP_PACKAGE_MAX], name[APP_NAME_MAX];
	for (int big = 0; big < 2; big++) {
		size_t n = custom_body(b, big, 10145, "com.example.flashlight", "Flashlight", 0);
		assert_int_equal(app_custom_block_parse(b, n, big, &uid, pkg, name), APP_FOUND);
		assert_int_equal(uid, 10145);
		assert_string_equal(pkg, "com.example.flashlight");
		assert_string_equal(name, "Flashlight");
		for (size_t cut = 0; cut < n; cut++)
			assert_true(app_custom_block_parse(b, cut, big, &uid, pkg, name) < 0);
		n = custom_body(b, big, 10145, "com.example.flashlight", "Flashlight", 100);
		assert_int_equal(app_custom_block_parse(b, n, big, &uid, pkg, name), APP_TRUNCATED);
	}
	b[2] = 2;  /* another block type */
	assert_int_equal(app_custom_block_parse(b, 20, 0, &uid, pkg, name), APP_ABSENT);
}

static void test_comment(void **s)
{
	(void)s;
	int32_t uid = 0;
	assert_int_equal(app_comment_uid((const uint8_t *)"u-10123", 7, &uid), APP_FOUND);
	assert_int_equal(uid, 10123);
	assert_int_equal(app_comment_uid((const uint8_t *)"u--1", 4, &uid), APP_FOUND);
	assert_int_equal(uid, -1);
	assert_int_equal(app_comment_uid((const uint8_t *)"hello", 5, &uid), APP_ABSENT);
	assert_int_equal(app_comment_uid((const uint8_t *)"u-12x", 5, &uid), APP_INVALID);
	assert_int_equal(app_comment_uid((const uint8_t *)"u-99999999999", 13, &uid), APP_INVALID);
}

static size_t tlv(uint8_t *p, uint16_t type, const void *v, uint16_t len)
{
	uint16_t tl = (uint16_t)(4 + len);
	memcpy(p, &tl, 2);  /* host order, as libpcap hands it */
	memcpy(p + 2, &type, 2);
	memcpy(p + 4, v, len);
	size_t n = 4 + len;
	while (n % 4)
		p[n++] = 0;
	return n;
}

static void test_nflog(void **s)
{
	(void)s;
	uint8_t f[256] = { 2, 0, 0, 0 };
	size_t n = 4;
	const uint8_t uid_be[4] = { 0, 0, 0x27, 0x8b };  /* 10123 */
	n += tlv(f + n, 11, uid_be, 4);
	n += tlv(f + n, 9, ip4_tcp, sizeof ip4_tcp);
	const uint8_t *pl;
	size_t plen;
	int32_t uid;
	int has;
	assert_int_equal(app_nflog_parse(f, n, &pl, &plen, &uid, &has), APP_FOUND);
	assert_int_equal(has, 1);
	assert_int_equal(uid, 10123);
	assert_int_equal(plen, sizeof ip4_tcp);
	struct packet p;
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(239, f, n, &p), DR_OK);
	assert_int_equal(p.app_source, APP_SRC_NFLOG);
	assert_int_equal(p.app_uid, 10123);
	assert_int_equal(p.dport, 80);
	for (size_t cut = 0; cut < 4 + 8 + 4 + sizeof ip4_tcp; cut++) {  /* never past the frame; the last pad may go */
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, f, cut);
		memset(&p, 0, sizeof p);
		assert_int_not_equal(decode_packet(239, c, cut, &p), DR_OK);
		free(c);
	}
	/* no uid: payload only */
	n = 4 + tlv(f + 4, 9, ip4_tcp, sizeof ip4_tcp);
	assert_int_equal(app_nflog_parse(f, n, &pl, &plen, &uid, &has), APP_FOUND);
	assert_int_equal(has, 0);
}

static void test_fixed_names(void **s)
{
	(void)s;
	assert_string_equal(app_fixed_name(0), "root");
	assert_string_equal(app_fixed_name(1000), "Android system");
	assert_string_equal(app_fixed_name(1051), "netd / DNS resolver");
	assert_string_equal(app_fixed_name(-1), "unknown");
	assert_null(app_fixed_name(10123));
}

static void test_registry_json(void **s)
{
	(void)s;
	struct apps *a = apps_new();
	uint8_t f[256];
	size_t n = droid_frame(f, 10123, "Weather");
	struct packet p;
	memset(&p, 0, sizeof p);
	apps_begin_input(a, NULL);
	assert_int_equal(decode_packet(1, f, n, &p), DR_OK);
	apps_frame(a, 1, f, n, &p, 1);
	assert_int_equal(p.app_source, APP_SRC_PCAPDROID);
	assert_true(apps_pcapdroid(a));
	char out[APP_JSON_MAX + 1];
	*apps_put_json(a, 10123, APP_SRC_PCAPDROID, out) = 0;
	assert_string_equal(out, "{\"uid\":10123,\"package\":null,\"name\":\"Weather\",\"source\":\"pcapdroid\"}");
	*apps_put_json(a, 0, 0, out) = 0;
	assert_string_equal(out, "null");
	assert_true(apps_match(a, 10123, APP_SRC_PCAPDROID));
	apps_add_filter(a, "Weather");
	assert_true(apps_match(a, 10123, APP_SRC_PCAPDROID));
	assert_false(apps_match(a, 10124, APP_SRC_PCAPDROID));
	assert_false(apps_match(a, 0, 0));
	apps_free(a);
}

/* Hints: package-shaped values, a package in a User-Agent, the origin ranking. */
static void test_hints(void **s)
{
	(void)s;
	static const char *yes[] = { "com.miui.browser", "com.xiaomi.market", "org.a_b.c2" };
	static const char *no[] = { "XMLHttpRequest", "com.example", "Com.Miui.Browser", "com..x", "com.x.", "1com.a.b",
				    "okhttp", "com.a.b/4" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(app_hint_is_package((const uint8_t *)yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(app_hint_is_package((const uint8_t *)no[i], strlen(no[i])));
	char hint[APP_HINT_MAX] = "";
	uint8_t cur = 0;
	const char *ua = "Dalvik/2.1.0 (Linux; U; Android 13; M2101K6G Build/TKQ1.221114.001) com.xiaomi.market/4.2";
	app_hint_offer(hint, &cur, app_hint_header("User-Agent"), (const uint8_t *)ua, strlen(ua));
	assert_string_equal(hint, "com.xiaomi.market");
	assert_int_equal(cur, APP_HINT_UA);
	const char *key = "com.other.app";
	app_hint_offer(hint, &cur, app_hint_key("data.packageName"), (const uint8_t *)key, strlen(key));
	assert_string_equal(hint, "com.xiaomi.market");  /* a key ranks after the User-Agent */
	const char *xrw = "com.miui.browser";
	app_hint_offer(hint, &cur, app_hint_header("x-requested-with"), (const uint8_t *)xrw, strlen(xrw));
	assert_string_equal(hint, "com.miui.browser");
	assert_string_equal(app_hint_origin_name(cur), "X-Requested-With");
	assert_int_equal(app_hint_key("Host"), 0);
	assert_string_equal(app_hint_origin_name(app_hint_key("app_id")), "app_id");
	struct apps *a = apps_new();
	int32_t u1 = apps_hint_uid(a, "com.miui.browser", APP_HINT_XRW), u2 = apps_hint_uid(a, "com.miui.browser", APP_HINT_UA);
	assert_int_equal(u1, u2);
	char out[APP_JSON_MAX];
	*apps_put_json(a, u1, APP_SRC_HINT, out) = 0;
	assert_string_equal(out, "{\"uid\":null,\"package\":\"com.miui.browser\",\"name\":null,\"source\":\"hint\","
				 "\"hint\":\"X-Requested-With\"}");
	apps_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trailer), cmocka_unit_test(test_trailer_bad),
		cmocka_unit_test(test_custom_block), cmocka_unit_test(test_comment),
		cmocka_unit_test(test_nflog), cmocka_unit_test(test_fixed_names),
		cmocka_unit_test(test_registry_json), cmocka_unit_test(test_hints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
