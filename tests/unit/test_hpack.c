/* test_hpack.c - unit tests of the HPACK decoder against RFC 7541 Appendix C: C.3 and C.4
 * (requests, without and with Huffman coding), C.5 and C.6 (responses with a 256-byte table,
 * eviction); each example's header list and dynamic table size are checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hpack.h"
#include "h2.h"

static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

struct fields {
	char text[2048];               /* "name: value\n" per field */
};

static void on_field(void *arg, const char *name, size_t nl, const uint8_t *v, size_t vl)
{
	struct fields *f = arg;
	size_t l = strlen(f->text);
	snprintf(f->text + l, sizeof f->text - l, "%.*s: %.*s\n", (int)nl, name, (int)vl, (const char *)v);
}

static void block(struct hpack *h, const char *hx, const char *want, size_t size)
{
	uint8_t b[512];
	struct fields f = { { 0 } };
	size_t n = hex(hx, b);
	assert_int_equal(hpack_decode(h, b, n, on_field, &f), 0);
	assert_string_equal(f.text, want);
	assert_int_equal(h->size, size);
}

static const char *REQ1 = ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n";
static const char *REQ2 = ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\ncache-control: no-cache\n";
static const char *REQ3 =
	":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\ncustom-key: custom-value\n";

static void test_c3_requests(void **state)
{
	(void)state;
	struct hpack h;
	hpack_init(&h, 4096);
	block(&h, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", REQ1, 57);
	block(&h, "8286 84be 5808 6e6f 2d63 6163 6865", REQ2, 110);
	block(&h, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", REQ3, 164);
	hpack_free(&h);
}

static void test_c4_requests_huffman(void **state)
{
	(void)state;
	struct hpack h;
	hpack_init(&h, 4096);
	block(&h, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", REQ1, 57);
	block(&h, "8286 84be 5886 a8eb 1064 9cbf", REQ2, 110);
	block(&h, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", REQ3, 164);
	hpack_free(&h);
}

static const char *RSP1 = ":status: 302\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\n"
			  "location: https://www.example.com\n";
static const char *RSP2 = ":status: 307\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\n"
			  "location: https://www.example.com\n";
static const char *RSP3 = ":status: 200\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n"
			  "location: https://www.example.com\ncontent-encoding: gzip\n"
			  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n";

static void test_c5_responses(void **state)
{
	(void)state;
	struct hpack h;
	hpack_init(&h, 256);
	block(&h, "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32"
		  " 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", RSP1, 222);
	block(&h, "4803 3330 37c1 c0bf", RSP2, 222);
	block(&h, "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970"
		  " 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61"
		  " 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31", RSP3, 215);
	assert_int_equal(h.n, 3);
	hpack_free(&h);
}

static void test_c6_responses_huffman(void **state)
{
	(void)state;
	struct hpack h;
	hpack_init(&h, 256);
	block(&h, "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad"
		  " 1718 63c7 8f0b 97c8 e9ae 82ae 43d3", RSP1, 222);
	block(&h, "4883 640e ffc1 c0bf", RSP2, 222);
	block(&h, "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2"
		  " e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
	      RSP3, 215);
	hpack_free(&h);
}

/* Malformed blocks fail without reading past the end: every prefix of a block, bad indexes,
 * padding that is not the EOS prefix, a size update above the limit. */
static void test_malformed(void **state)
{
	(void)state;
	uint8_t b[64];
	struct fields f;
	size_t n = hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", b);
	for (size_t i = 0; i < n; i++) {
		struct hpack h;
		hpack_init(&h, 4096);
		uint8_t *cut = malloc(i ? i : 1);
		memcpy(cut, b, i);
		f.text[0] = 0;
		hpack_decode(&h, cut, i, on_field, &f);  /* ASan checks the bounds */
		free(cut);
		hpack_free(&h);
	}
	struct hpack h;
	hpack_init(&h, 4096);
	f.text[0] = 0;
	assert_int_equal(hpack_decode(&h, (const uint8_t *)"\xbe", 1, on_field, &f), -1);  /* index 62: empty table */
	assert_int_equal(hpack_decode(&h, (const uint8_t *)"\x80", 1, on_field, &f), -1);  /* index 0 */
	assert_int_equal(hpack_decode(&h, (const uint8_t *)"\x3f\xe1\xff\x03", 4, on_field, &f), -1);  /* size > limit */
	uint8_t out[8];
	assert_int_equal(hpack_huffman_decode((const uint8_t *)"\x1f", 1, out, 8), 1);   /* 'a' + 111 */
	assert_int_equal(hpack_huffman_decode((const uint8_t *)"\x1e", 1, out, 8), -1);  /* padding with a 0 */
	assert_int_equal(hpack_huffman_decode((const uint8_t *)"\xff\xff\xff\xff", 4, out, 8), -1);  /* EOS */
	hpack_free(&h);
}

struct units {
	char text[4096];
	int requests;
};

static void on_unit(void *arg, const struct http_unit *u)
{
	struct units *s = arg;
	static const char *w[] = { "url", "header", "body", "payload" };
	size_t l = strlen(s->text);
	snprintf(s->text + l, sizeof s->text - l, "%s %s %s [%.*s]\n", w[u->where], u->name ? u->name : "-",
		 u->encoding ? u->encoding : "-", (int)u->len, (const char *)u->p);
}

static void on_req(void *arg, const struct http_request *r)
{
	struct units *s = arg;
	s->requests++;
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->host, "www.example.com");
}

/* HTTP/2 frames: a HEADERS block split by CONTINUATION, DATA across two frames (one padded),
 * fed one byte at a time. */
static void test_h2_frames(void **state)
{
	(void)state;
	uint8_t s[512];
	size_t n = 0;
	memcpy(s, H2_PREFACE, H2_PREFACE_LEN);
	n = H2_PREFACE_LEN;
	uint8_t settings[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	memcpy(s + n, settings, 9);
	n += 9;
	/* :method POST (3), :scheme https (7), :path /a?imei=1 (literal, index 4), :authority (literal 1) */
	uint8_t hb[] = { 0x83, 0x87, 0x04, 9, '/', 'a', '?', 'i', 'm', 'e', 'i', '=', '1',
			 0x01, 15, 'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
			 0x00, 5, 'x', '-', 'i', 'd', 'x', 3, 'a', 'b', 'c' };
	size_t cut = 13;
	uint8_t h1[] = { 0, 0, (uint8_t)cut, 1, 0, 0, 0, 0, 1 };  /* HEADERS, no END_HEADERS, stream 1 */
	memcpy(s + n, h1, 9), n += 9;
	memcpy(s + n, hb, cut), n += cut;
	uint8_t h2[] = { 0, 0, (uint8_t)(sizeof hb - cut), 9, 4, 0, 0, 0, 1 };  /* CONTINUATION, END_HEADERS */
	memcpy(s + n, h2, 9), n += 9;
	memcpy(s + n, hb + cut, sizeof hb - cut), n += sizeof hb - cut;
	uint8_t d1[] = { 0, 0, 9, 0, 8, 0, 0, 0, 1, 3, 'i', 'm', 's', 'i', '=', 0, 0, 0 };  /* PADDED, pad 3 */
	memcpy(s + n, d1, sizeof d1), n += sizeof d1;
	uint8_t d2[] = { 0, 0, 3, 0, 1, 0, 0, 0, 1, '4', '0', '4' };  /* END_STREAM */
	memcpy(s + n, d2, sizeof d2), n += sizeof d2;
	struct h2_conn *c = h2_new(NULL);
	struct units u = { { 0 }, 0 };
	h2_on_request(c, on_req, &u);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h2_feed(c, s + i, 1, on_unit, &u), 0);
	h2_finish(c, on_unit, &u);
	h2_free(c);
	assert_int_equal(u.requests, 1);
	assert_string_equal(u.text, "url - - [/a?imei=1]\nheader :authority - [www.example.com]\nheader x-idx - [abc]\n"
				    "body - - [imsi=404]\n");
}

static void discard(void *arg, const struct http_unit *u)
{
	(void)arg;
	volatile uint8_t x = 0;
	for (size_t i = 0; i < u->len; i++)  /* ASan checks every unit byte is readable */
		x ^= u->p[i];
}

/* Random bytes after the preface, and random header blocks: no crash, no read past the end. */
static void test_random_input(void **state)
{
	(void)state;
	uint32_t seed = 12345;
	uint8_t buf[4096];
	for (int round = 0; round < 200; round++) {
		size_t n = 0;
		for (; n < sizeof buf; n++) {
			seed = seed * 1103515245u + 12345u;
			buf[n] = (uint8_t)(seed >> 16);
		}
		if (round % 2) {  /* frames with small lengths so that many are parsed */
			for (size_t i = 0; i + 9 < n; i += 9 + buf[i + 2] % 64) {
				buf[i] = 0;
				buf[i + 1] = 0;
				buf[i + 2] %= 64;
				buf[i + 3] %= 10;
			}
		}
		struct h2_conn *c = h2_new(NULL);
		h2_feed(c, (const uint8_t *)H2_PREFACE, H2_PREFACE_LEN, discard, NULL);
		h2_feed(c, buf, (size_t)(round * 20) % n + 1, discard, NULL);
		h2_finish(c, discard, NULL);
		h2_free(c);
		struct hpack h;
		hpack_init(&h, 4096);
		struct fields f;
		f.text[0] = 0;
		uint8_t *exact = malloc(64);
		memcpy(exact, buf + round, 64);
		hpack_decode(&h, exact, 64, on_field, &f);
		free(exact);
		hpack_free(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c3_requests),
		cmocka_unit_test(test_c4_requests_huffman),
		cmocka_unit_test(test_c5_responses),
		cmocka_unit_test(test_c6_responses_huffman),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_h2_frames),
		cmocka_unit_test(test_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
