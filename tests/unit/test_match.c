/* test_match.c - the identifier matcher on rules/identity-example.json: every variant,
 * boundaries, stream splits, location pairing. Runs from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "identity.h"
#include "match.h"
#include "util.h"

#define EXAMPLE "rules/identity-example.json"
#define MAXH 64

/* Value indexes in the example file. */
enum { V_IMEI, V_IMSI, V_ICCID, V_PHONE, V_CARRIER, V_MAC, V_ANDROID, V_ADID, V_EMAIL, V_SERIAL,
       V_SMS, V_NAME, V_CPHONE };

struct hit {
	enum id_kind kind;
	size_t index, start, end;
	char variant[32];
	char text[128];
};
struct hits {
	struct hit h[MAXH];
	size_t n;
};

static struct identity *id;
static struct matcher *m;

static void collect(void *arg, const struct match_hit *h)
{
	struct hits *hs = arg;
	assert_true(h->start < h->end && h->end <= h->buflen);
	if (hs->n == MAXH)
		return;
	struct hit *x = &hs->h[hs->n++];
	x->kind = h->kind;
	x->index = h->value_index;
	x->start = h->start;
	x->end = h->end;
	snprintf(x->variant, sizeof x->variant, "%s", h->variant);
	snprintf(x->text, sizeof x->text, "%.*s", (int)(h->end - h->start), h->buf + h->start);
}

static struct hits scan(const char *s)
{
	struct hits hs = { .n = 0 };
	match_scan(m, (const uint8_t *)s, strlen(s), collect, &hs);
	return hs;
}

/* s must give exactly one hit: k/idx/var covering the text "needle" inside s. */
static void expect_one(const char *s, enum id_kind k, size_t idx, const char *var, const char *needle)
{
	struct hits hs = scan(s);
	if (hs.n != 1)
		fail_msg("%zu hits in \"%s\" (first: %s %s \"%s\")", hs.n, s, hs.n ? identity_kind_name(hs.h[0].kind) : "-",
			 hs.n ? hs.h[0].variant : "-", hs.n ? hs.h[0].text : "-");
	assert_int_equal(hs.h[0].kind, k);
	assert_int_equal(hs.h[0].index, idx);
	assert_string_equal(hs.h[0].variant, var);
	const char *at = strstr(s, needle);
	assert_non_null(at);
	assert_int_equal(hs.h[0].start, (size_t)(at - s));
	assert_int_equal(hs.h[0].end, (size_t)(at - s) + strlen(needle));
}

static void expect_none(const char *s)
{
	struct hits hs = scan(s);
	if (hs.n)
		fail_msg("unexpected hit in \"%s\": %s[%zu] %s \"%s\"", s, identity_kind_name(hs.h[0].kind),
			 hs.h[0].index, hs.h[0].variant, hs.h[0].text);
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	if (identity_load(EXAMPLE, &id, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	m = match_compile(id, err, sizeof err);
	if (!m)
		fprintf(stderr, "%s\n", err);
	return m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	match_free(m);
	identity_free(id);
	return 0;
}

static void test_pattern_count(void **state)
{
	(void)state;
	size_t n = match_pattern_count(m);
	printf("example identity: %zu patterns, %zu variants skipped\n", n, match_skipped_count(m));
	assert_in_range(n, 600, 1400);  /* encodings x up to two hash layers */
}

static void test_plain_each_kind(void **state)
{
	(void)state;
	char buf[256];
	for (size_t i = 0; i < id->nvalues; i++) {
		const struct identity_value *v = &id->values[i];
		snprintf(buf, sizeof buf, "GET /a?x=%s&y=1 HTTP/1.1", v->value);
		expect_one(buf, v->kind, i, "plain", v->value);
	}
	expect_one("op=AIRTEL;", ID_CARRIER, V_CARRIER, "plain", "AIRTEL");
	expect_one("carrier=Airtel&", ID_CARRIER, V_CARRIER, "plain", "Airtel");
	expect_none("carrier=AirtelXYZ&");
	expect_none("carrier=xAirtel&");
	expect_one("{\"name\":\"RAVI KUMAR\"}", ID_CONTACT, V_NAME, "plain", "RAVI KUMAR");
	expect_one("u=PRIYA.Sharma.test@GMAIL.com;", ID_EMAIL, V_EMAIL, "plain", "PRIYA.Sharma.test@GMAIL.com");
	expect_one("aid=3F2A9C41B7D05E68\n", ID_ANDROID_ID, V_ANDROID, "plain", "3F2A9C41B7D05E68");
	expect_none("aid=3f2a9c41b7d05e689\n");
	expect_none("serial=f3a9c2d1a");
}

static void test_mac_forms(void **state)
{
	(void)state;
	const char *forms[] = { "64:09:80:12:34:56", "64-09-80-12-34-56", "640980123456", "6409.8012.3456" };
	char buf[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(buf, sizeof buf, "mac=%s&", forms[i]);
		expect_one(buf, ID_MAC, V_MAC, "plain", forms[i]);
	}
	expect_one("MAC 64:09:80:AB:CD:EF / 64-09-80-12-34-56.", ID_MAC, V_MAC, "plain", "64-09-80-12-34-56");
	expect_none("wlan0 6409801234560");
	expect_none("wlan0 a640980123456");
	/* markup: decimal, hex in either case, named, with up to 6 leading zeros, mixed */
	const char *html = "64&#58;09&#x3A;80&#x00003a;12&colon;34&#00000058;56";
	snprintf(buf, sizeof buf, "<td>%s</td>", html);
	expect_one(buf, ID_MAC, V_MAC, "html", html);
	expect_none("<td>64&#000000058;09:80:12:34:56</td>");  /* 7 zeros: past the 12 bytes a byte may take */
}

static void test_phone_forms(void **state)
{
	(void)state;
	const char *forms[] = { "+919876543210", "919876543210", "00919876543210", "9876543210",
				"09876543210", "98765 43210", "+91 98765-43210", "+91-98765-43210",
				"0 98765 43210", "+91 9876 543 210", "0091-98765-43210" };
	char buf[128];
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		snprintf(buf, sizeof buf, "{\"tel\":\"%s\"}", forms[i]);
		expect_one(buf, ID_PHONE_NUMBER, V_PHONE, "plain", forms[i]);
	}
	expect_one("to=%2b919812345678&", ID_SMS, V_SMS, "url", "%2b919812345678");
	expect_one("c=%2B919812300001&", ID_CONTACT, V_CPHONE, "url", "%2B919812300001");
	expect_one("c=+919812300001;", ID_CONTACT, V_CPHONE, "plain", "+919812300001");
	expect_none("n=19876543210&");
	expect_none("n=98765432101&");
	expect_none("n=1919876543210&");
}

static void test_digit_boundaries(void **state)
{
	(void)state;
	expect_none("imei=862345021234567&");  /* another 15-digit number, Luhn fails */
	expect_none("id=1862345021234568");
	expect_none("id=8623450212345689");
	expect_none("id=98623450212345680");
	expect_one("862345021234568", ID_IMEI, V_IMEI, "plain", "862345021234568");
	expect_one("imei:862345021234568x", ID_IMEI, V_IMEI, "plain", "862345021234568");
	expect_none("0123456789abcdef0123456789abcdef");
	expect_none("d41d8cd98f00b204e9800998ecf8427e");
}

static void test_url_email(void **state)
{
	(void)state;
	expect_one("email=priya.sharma.test%40gmail.com&x=1", ID_EMAIL, V_EMAIL, "url",
		   "priya.sharma.test%40gmail.com");
	expect_one("m=64%3a09%3A80%3a12%3a34%3a56", ID_MAC, V_MAC, "url", "64%3a09%3A80%3a12%3a34%3a56");
	expect_one("n=Ravi+Kumar&", ID_CONTACT, V_NAME, "url", "Ravi+Kumar");
	expect_one("n=ravi%20kumar&", ID_CONTACT, V_NAME, "url", "ravi%20kumar");
}

/* Base64 of prefix + value + suffix; the value's fragment must be found. */
static void check_base64(size_t vi, size_t k, int url)
{
	const char *v = id->values[vi].value;
	uint8_t in[256];
	char out[512];
	size_t n = strlen(v);
	memcpy(in, "\xfb\xff\xfe", k);
	memcpy(in + k, v, n);
	memcpy(in + k + n, "\xff\xfe!", 3);
	EVP_EncodeBlock((unsigned char *)out, in, (int)(k + n + 3));
	size_t from = (8 * k + 5) / 6, to = 8 * (n + k) / 6;
	int special = 0;
	for (size_t i = 0; i < strlen(out); i++) {
		if (i >= from && i < to && (out[i] == '+' || out[i] == '/'))
			special = 1;
		if (url && (out[i] == '+' || out[i] == '/'))
			out[i] = out[i] == '+' ? '-' : '_';
	}
	char frag[512];
	snprintf(frag, sizeof frag, "%.*s", (int)(to - from), out + from);
	char buf[600];
	snprintf(buf, sizeof buf, "data=%s", out);
	expect_one(buf, id->values[vi].kind, vi, url && special ? "base64url" : "base64", frag);
}

static void test_base64(void **state)
{
	(void)state;
	size_t vals[] = { V_IMEI, V_IMSI, V_EMAIL, V_ADID, V_CARRIER, V_NAME, V_SERIAL, V_MAC };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		for (size_t k = 0; k < 3; k++)
			for (int url = 0; url < 2; url++)
				check_base64(vals[i], k, url);
	/* the phone as E.164 without '+' too */
	expect_one("p=OTE5ODc2NTQzMjEw", ID_PHONE_NUMBER, V_PHONE, "base64", "OTE5ODc2NTQzMjEw");
}

/* Hex digest of s, upper-cased when upper. */
static void hexdigest(const char *s, const EVP_MD *md, int upper, char *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_Digest(s, strlen(s), d, &n, md, NULL);
	util_hex(d, n, out);
	for (char *p = out; upper && *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
}

static void test_hashes(void **state)
{
	(void)state;
	struct { size_t vi; const char *form; } cases[] = {
		{ V_IMEI, "862345021234568" }, { V_EMAIL, "priya.sharma.test@gmail.com" },
		{ V_PHONE, "+919876543210" }, { V_PHONE, "919876543210" }, { V_PHONE, "9876543210" },
		{ V_MAC, "64:09:80:12:34:56" }, { V_MAC, "640980123456" },
		{ V_ADID, "5f1c2a9e-7b3d-4c8a-9e21-0d6b4f3a8c17" }, { V_CPHONE, "9812300001" },
	};
	struct { const EVP_MD *(*md)(void); const char *name; } algs[] = {
		{ EVP_md5, "md5" }, { EVP_sha1, "sha1" }, { EVP_sha256, "sha256" },
	};
	char hex[129], buf[200];
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (size_t a = 0; a < 3; a++)
			for (int up = 0; up < 2; up++) {
				hexdigest(cases[c].form, algs[a].md(), up, hex);
				snprintf(buf, sizeof buf, "{\"h\":\"%s\"}", hex);
				expect_one(buf, id->values[cases[c].vi].kind, cases[c].vi, algs[a].name, hex);
			}
	hexdigest("862345021234568", EVP_md5(), 0, hex);  /* no boundary check for digests */
	snprintf(buf, sizeof buf, "x%sX", hex);
	expect_one(buf, ID_IMEI, V_IMEI, "md5", hex);
}

/* Feed s in two pieces split at cut; collect everything, flush at the end. */
static struct hits stream2(const char *s, size_t cut)
{
	struct hits hs = { .n = 0 };
	struct match_stream st = { 0 };
	match_stream_scan(m, &st, (const uint8_t *)s, cut, collect, &hs);
	match_stream_scan(m, &st, (const uint8_t *)s + cut, strlen(s) - cut, collect, &hs);
	match_stream_scan(m, &st, NULL, 0, collect, &hs);
	match_stream_free(&st);
	return hs;
}

static void test_stream_split(void **state)
{
	(void)state;
	const char *s = "POST /x HTTP/1.1\r\n\r\nimei=862345021234568&mail=priya.sharma.test%40gmail.com";
	size_t len = strlen(s);
	for (size_t cut = 1; cut < len; cut++) {
		struct hits hs = stream2(s, cut);
		if (hs.n != 2)
			fail_msg("cut %zu: %zu hits", cut, hs.n);
		assert_int_equal(hs.h[0].kind, ID_IMEI);
		assert_string_equal(hs.h[0].text, "862345021234568");
		assert_int_equal(hs.h[1].kind, ID_EMAIL);
		assert_string_equal(hs.h[1].variant, "url");
	}
	/* a longer digit run split right after the IMEI is not the IMEI */
	const char *run = "id=8623450212345689&";
	for (size_t cut = 1; cut < strlen(run); cut++)
		assert_int_equal(stream2(run, cut).n, 0);
	/* the IMEI ends the stream: reported at the flush, once */
	struct hits hs = { .n = 0 };
	struct match_stream st = { 0 };
	match_stream_scan(m, &st, (const uint8_t *)"imei=8623450", 12, collect, &hs);
	match_stream_scan(m, &st, (const uint8_t *)"21234568", 8, collect, &hs);
	assert_int_equal(hs.n, 0);
	match_stream_scan(m, &st, NULL, 0, collect, &hs);
	assert_int_equal(hs.n, 1);
	assert_string_equal(hs.h[0].text, "862345021234568");
	match_stream_free(&st);
	/* byte by byte: still once */
	hs.n = 0;
	for (size_t i = 0; i < len; i++)
		match_stream_scan(m, &st, (const uint8_t *)s + i, 1, collect, &hs);
	match_stream_scan(m, &st, NULL, 0, collect, &hs);
	match_stream_free(&st);
	assert_int_equal(hs.n, 2);
}

static void test_location(void **state)
{
	(void)state;
	expect_none("lat=28.613939&lng=1.5");
	expect_none("lon=77.209023");
	expect_one("lat=28.613939&lon=77.209023&z=1", ID_LOCATION, 0, "plain", "28.613939&lon=77.209");
	expect_one("{\"lon\":77.209,\"lat\":28.614}", ID_LOCATION, 0, "plain", "77.209,\"lat\":28.614");
	expect_one("ll=28.6139,77.2090", ID_LOCATION, 0, "plain", "28.6139,77.209");
	expect_one("ll=28.61394,77.20902", ID_LOCATION, 0, "plain", "28.61394,77.209");
	expect_none("ll=128.613939,77.209023");
	expect_none("ll=-28.613939,77.209023");
	expect_none("ll=28.61,77.20");
	/* twice in one scan: one hit */
	struct hits hs = scan("a=28.613,77.209;b=28.614,77.209");
	assert_int_equal(hs.n, 1);
	/* across stream pieces: lat first, lon later, then again: one hit */
	struct match_stream st = { 0 };
	hs.n = 0;
	match_stream_scan(m, &st, (const uint8_t *)"lat=28.6139&", 12, collect, &hs);
	assert_int_equal(hs.n, 0);
	match_stream_scan(m, &st, (const uint8_t *)"lon=77.2090&", 12, collect, &hs);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.h[0].kind, ID_LOCATION);
	assert_string_equal(hs.h[0].text, "77.209");
	match_stream_scan(m, &st, (const uint8_t *)"28.6139,77.2090", 15, collect, &hs);
	match_stream_scan(m, &st, NULL, 0, collect, &hs);
	assert_int_equal(hs.n, 1);
	match_stream_free(&st);
}

static void test_dedup_and_empty(void **state)
{
	(void)state;
	struct hits hs = scan("+919876543210 and +919876543210");
	assert_int_equal(hs.n, 2);
	assert_int_equal(hs.h[0].start, 0);
	assert_int_equal(hs.h[1].start, 18);
	/* an identity with no patterns: compiles, finds nothing */
	char path[] = "/tmp/ph_match_XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *json = "{\"contacts\":[{\"name\":\"Bob\"}]}";
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	struct identity *e;
	assert_int_equal(identity_load(path, &e, err, sizeof err), 0);
	unlink(path);
	struct matcher *em = match_compile(e, err, sizeof err);
	assert_non_null(em);
	assert_int_equal(match_pattern_count(em), 0);
	assert_true(match_skipped_count(em) > 0);
	hs.n = 0;
	match_scan(em, (const uint8_t *)"Bob Bob", 7, collect, &hs);
	struct match_stream st = { 0 };
	match_stream_scan(em, &st, (const uint8_t *)"Bob Bob", 7, collect, &hs);
	match_stream_free(&st);
	assert_int_equal(hs.n, 0);
	match_free(em);
	identity_free(e);
}

/* The variant named var of one identity value is found in s. */
static void expect_variant(const char *s, enum id_kind k, const char *var)
{
	struct hits hs = scan(s);
	int found = 0;
	for (size_t i = 0; i < hs.n; i++)
		found |= hs.h[i].kind == k && !strcmp(hs.h[i].variant, var);
	if (!found) {
		for (size_t i = 0; i < hs.n; i++)
			printf("  hit %s %s\n", identity_kind_name(hs.h[i].kind), hs.h[i].variant);
		fail_msg("%s: no %s hit in %s", identity_kind_name(k), var, s);
	}
}

static void hexhash(const char *s, const EVP_MD *md, int upper, char *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_Digest(s, strlen(s), d, &n, md, NULL);
	util_hex(d, n, out);
	for (char *p = out; upper && *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
}

static void test_chains(void **state)
{
	(void)state;
	const char *imei = id->values[V_IMEI].value;
	char h1[160], h2[160], buf[400];
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	/* base64 of the raw MD5 digest */
	EVP_Digest(imei, strlen(imei), d, &n, EVP_md5(), NULL);
	char b64[64];
	EVP_EncodeBlock((unsigned char *)b64, d, (int)n);
	snprintf(buf, sizeof buf, "x=%s;", b64);
	expect_variant(buf, ID_IMEI, "base64>md5");
	/* sha1 over the md5 hex */
	hexhash(imei, EVP_md5(), 0, h1);
	hexhash(h1, EVP_sha1(), 0, h2);
	snprintf(buf, sizeof buf, "k=%s&", h2);
	expect_variant(buf, ID_IMEI, "sha1>md5");
	/* sha512, upper hex */
	hexhash(imei, EVP_sha512(), 1, h1);
	snprintf(buf, sizeof buf, "s=%s", h1);
	expect_variant(buf, ID_IMEI, "sha512");
	/* md5 of the IMEI without its check digit */
	char nocheck[15];
	memcpy(nocheck, imei, 14);
	nocheck[14] = 0;
	hexhash(nocheck, EVP_md5(), 0, h1);
	snprintf(buf, sizeof buf, "n=%s", h1);
	expect_variant(buf, ID_IMEI, "md5>nocheck");
	/* hex of the bytes, reversed */
	char hx[64], rev[32];
	util_hex((const uint8_t *)imei, strlen(imei), hx);
	snprintf(buf, sizeof buf, "v=%s&", hx);
	expect_variant(buf, ID_IMEI, "hex");
	size_t l = strlen(imei);
	for (size_t i = 0; i < l; i++)
		rev[i] = imei[l - 1 - i];
	rev[l] = 0;
	snprintf(buf, sizeof buf, "r=%s&", rev);
	expect_variant(buf, ID_IMEI, "reversed");
	/* e-mail: HTML entity and JSON escape of '@', ROT13 */
	const char *mail = id->values[V_EMAIL].value;
	const char *at = strchr(mail, '@');
	snprintf(buf, sizeof buf, "<b>%.*s&#64;%s</b>", (int)(at - mail), mail, at + 1);
	expect_variant(buf, ID_EMAIL, "html");
	snprintf(buf, sizeof buf, "\"%.*s\\u0040%s\"", (int)(at - mail), mail, at + 1);
	expect_variant(buf, ID_EMAIL, "jsonesc");
	/* a random 32-hex token is nothing */
	struct hits hs = scan("token=9f86d081884c7d659a2feaa0c55ad015&");
	assert_int_equal(hs.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_count),
		cmocka_unit_test(test_plain_each_kind),
		cmocka_unit_test(test_mac_forms),
		cmocka_unit_test(test_phone_forms),
		cmocka_unit_test(test_digit_boundaries),
		cmocka_unit_test(test_url_email),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_stream_split),
		cmocka_unit_test(test_location),
		cmocka_unit_test(test_dedup_and_empty),
		cmocka_unit_test(test_chains),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
