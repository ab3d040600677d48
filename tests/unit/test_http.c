/* test_http.c - unit tests of the streaming HTTP/1.x request parser and body decoding.
 * Compressed vectors are made at test time with zlib and zstd; brotli is embedded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>
#include "http.h"
#include "decomp.h"

#define MAXU 400

struct unit {
	enum http_where where;
	char name[64];
	char enc[32];
	int has_name, has_enc;
	uint8_t *p;
	size_t len;
	uint32_t index;
};

struct col {
	struct unit u[MAXU];
	int n;
	struct http_request reqs[8];
	int nreq;
};

static void on_unit(void *arg, const struct http_unit *u)
{
	struct col *c = arg;
	struct unit *x;

	assert_true(c->n < MAXU);
	assert_true(u->len > 0);
	assert_true((u->where == HTTP_WHERE_PAYLOAD) == (u->req == NULL));
	x = &c->u[c->n++];
	x->where = u->where;
	x->has_name = u->name != NULL;
	x->has_enc = u->encoding != NULL;
	snprintf(x->name, sizeof(x->name), "%s", u->name ? u->name : "");
	snprintf(x->enc, sizeof(x->enc), "%s", u->encoding ? u->encoding : "");
	x->p = malloc(u->len);
	memcpy(x->p, u->p, u->len);
	x->len = u->len;
	x->index = u->req ? u->req->index : 0;
}

static void on_req(void *arg, const struct http_request *r)
{
	struct col *c = arg;

	assert_true(c->nreq < 8);
	c->reqs[c->nreq++] = *r;
}

static void col_free(struct col *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->u[i].p);
	memset(c, 0, sizeof(*c));
}

/* Feed buf in pieces of step bytes; returns the last feed's result. */
static int feed(struct http_parser *h, const uint8_t *buf, size_t len, size_t step, struct col *c)
{
	int r = 0;

	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		r = http_parser_feed(h, buf + off, n, on_unit, c);
	}
	return r;
}

static int unit_is(const struct unit *u, enum http_where w, const char *s)
{
	return u->where == w && u->len == strlen(s) && memcmp(u->p, s, u->len) == 0;
}

/* Index of the first unit of a kind, -1 when none. */
static int find(const struct col *c, enum http_where w, int from)
{
	for (int i = from; i < c->n; i++)
		if (c->u[i].where == w)
			return i;
	return -1;
}

static int count(const struct col *c, enum http_where w)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		n += c->u[i].where == w;
	return n;
}

/* A request with the given extra headers and body (Content-Length added). */
static uint8_t *mkreq(const char *hdrs, const uint8_t *body, size_t blen, size_t *outlen)
{
	char head[512];
	int hl = snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: h.example\r\n%sContent-Length: %zu\r\n\r\n",
			  hdrs, blen);
	uint8_t *r = malloc((size_t)hl + blen);

	memcpy(r, head, (size_t)hl);
	memcpy(r + hl, body, blen);
	*outlen = (size_t)hl + blen;
	return r;
}

/* zlib deflate with the given windowBits (31 gzip, 15 zlib, -15 raw). */
static uint8_t *zcomp(const uint8_t *in, size_t len, int wbits, size_t *outlen)
{
	z_stream z;
	size_t cap = deflateBound(NULL, len) + 64;
	uint8_t *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static const char *secret = "imei=358240051111110&android_id=9774d56d682e549c&msg=hello+hello+hello+hello";

/* Run one request whose body is enc-coded; expect one decoded BODY unit equal to secret. */
static void check_coded(const uint8_t *body, size_t blen, const char *ce, const char *expect_enc)
{
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	char hdr[128];
	size_t rl;
	uint8_t *r;
	int b;

	snprintf(hdr, sizeof(hdr), "Content-Encoding: %s\r\n", ce);
	r = mkreq(hdr, body, blen, &rl);
	assert_int_equal(feed(h, r, rl, 7, &c), 0);
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, secret));
	assert_string_equal(c.u[b].enc, expect_enc);
	assert_int_equal(st.decode_errors, 0);
	assert_int_equal(st.requests, 1);
	free(r);
	col_free(&c);
	http_parser_free(h);
}

static void test_get_query(void **state)
{
	const char *req = "GET /track?imei=358240051111110&x=%2F HTTP/1.1\r\nHost: ads.example:8080\r\n"
			  "User-Agent: Dalvik/2.1\r\nX-Id:  abc  \r\nAccept: */*\r\n\r\n";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };

	(void)state;
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(http_parser_feed(h, (const uint8_t *)req, strlen(req), on_unit, &c), 0);
	assert_int_equal(c.n, 5);
	assert_true(unit_is(&c.u[0], HTTP_WHERE_URL, "/track?imei=358240051111110&x=%2F"));
	assert_false(c.u[0].has_name);
	assert_false(c.u[0].has_enc);
	assert_true(unit_is(&c.u[1], HTTP_WHERE_HEADER, "ads.example:8080"));
	assert_string_equal(c.u[1].name, "Host");
	assert_string_equal(c.u[2].name, "User-Agent");
	assert_true(unit_is(&c.u[3], HTTP_WHERE_HEADER, "abc"));
	assert_string_equal(c.u[3].name, "X-Id");
	assert_string_equal(c.u[4].name, "Accept");
	assert_int_equal(c.nreq, 1);
	assert_string_equal(c.reqs[0].method, "GET");
	assert_string_equal(c.reqs[0].host, "ads.example:8080");
	assert_string_equal(c.reqs[0].uri, "/track?imei=358240051111110&x=%2F");
	assert_string_equal(c.reqs[0].user_agent, "Dalvik/2.1");
	assert_int_equal(c.reqs[0].index, 0);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.parse_errors, 0);
	http_parser_finish(h, on_unit, &c);
	assert_int_equal(c.n, 5);
	col_free(&c);
	http_parser_free(h);
}

static void test_post_bytewise(void **state)
{
	const char *req = "\r\nPOST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
			  "Expect: 100-continue\r\nContent-Length: 25\r\n\r\nimsi=310150123456789&a=b1";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int b;

	(void)state;
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(feed(h, (const uint8_t *)req, strlen(req), 1, &c), 0);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(b > 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, "imsi=310150123456789&a=b1"));
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	assert_false(c.u[b].has_enc);
	assert_string_equal(c.reqs[0].method, "POST");
	assert_string_equal(c.reqs[0].content_type, "application/x-www-form-urlencoded");
	assert_int_equal(count(&c, HTTP_WHERE_PAYLOAD), 0);
	col_free(&c);
	http_parser_free(h);
}

static void test_chunked_ext_trailer(void **state)
{
	const char *req = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "5;name=val\r\nhello\r\nA ; q=\"x\"\r\n world 123\r\n0\r\nX-Trailer: tv\r\n\r\n"
			  "GET /next HTTP/1.1\r\n\r\n";
	size_t len = strlen(req);

	(void)state;
	for (size_t step = 1; step <= len; step++) {
		struct http_stats st = { 0 };
		struct http_parser *h = http_parser_new(&st);
		struct col c = { 0 };
		int b, t;

		assert_int_equal(feed(h, (const uint8_t *)req, len, step, &c), 0);
		b = find(&c, HTTP_WHERE_BODY, 0);
		assert_true(b >= 0);
		assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, "hello world 123"));
		assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
		t = find(&c, HTTP_WHERE_HEADER, b);
		assert_true(t > b);
		assert_string_equal(c.u[t].name, "X-Trailer");
		assert_true(unit_is(&c.u[t], HTTP_WHERE_HEADER, "tv"));
		assert_true(unit_is(&c.u[c.n - 1], HTTP_WHERE_URL, "/next"));
		assert_int_equal(c.u[c.n - 1].index, 1);
		assert_int_equal(st.requests, 2);
		col_free(&c);
		http_parser_free(h);
	}
}

static void test_gzip(void **state)
{
	size_t n;
	uint8_t *z = zcomp((const uint8_t *)secret, strlen(secret), 31, &n);

	(void)state;
	check_coded(z, n, "gzip", "gzip");
	check_coded(z, n, "x-gzip", "gzip");
	free(z);
}

static void test_deflate_raw_and_zlib(void **state)
{
	size_t n;
	uint8_t *z = zcomp((const uint8_t *)secret, strlen(secret), 15, &n);

	(void)state;
	check_coded(z, n, "deflate", "deflate");
	free(z);
	z = zcomp((const uint8_t *)secret, strlen(secret), -15, &n);
	check_coded(z, n, "deflate", "deflate");
	free(z);
}

static void test_brotli(void **state)
{
	/* BrotliEncoderCompress(11, 22) of the JSON below, made with libbrotlienc */
	static const uint8_t br[] = {
		0x1b, 0x4e, 0x00, 0xf8, 0x8d, 0xd4, 0x62, 0x4d, 0x99, 0xee, 0x04, 0xa5,
		0x1b, 0x2a, 0x7f, 0x42, 0x3d, 0xa3, 0x09, 0xce, 0x96, 0x21, 0x2a, 0x08,
		0x04, 0x4b, 0xea, 0xb0, 0xf4, 0xb5, 0x24, 0xb2, 0x4c, 0xc4, 0x94, 0x04,
		0x00, 0x01, 0x5f, 0xc2, 0x27, 0xf6, 0x0a, 0x50, 0xac, 0xe5, 0x2a, 0x59,
		0x4a, 0x22, 0xc6, 0xf9, 0xee, 0xa0, 0x3f, 0xe2, 0xfa, 0x04, 0x0e, 0x06,
	};
	const char *plain = "{\"imei\":\"358240051111110\",\"coding\":\"br\",\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	size_t rl;
	uint8_t *r = mkreq("Content-Encoding: br\r\n", br, sizeof(br), &rl);
	int b;

	(void)state;
	assert_int_equal(feed(h, r, rl, 3, &c), 0);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(b >= 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, plain));
	assert_string_equal(c.u[b].enc, "br");
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	free(r);
	col_free(&c);
	http_parser_free(h);
}

static void test_zstd_multiframe(void **state)
{
	size_t half = strlen(secret) / 2, cap = ZSTD_compressBound(strlen(secret)) * 2;
	uint8_t *z = malloc(cap);
	size_t n1 = ZSTD_compress(z, cap, secret, half, 3);
	size_t n2;

	(void)state;
	assert_false(ZSTD_isError(n1));
	n2 = ZSTD_compress(z + n1, cap - n1, secret + half, strlen(secret) - half, 19);
	assert_false(ZSTD_isError(n2));
	check_coded(z, n1 + n2, "zstd", "zstd");
	free(z);
}

static void test_stacked(void **state)
{
	size_t n1, cap, n2;
	uint8_t *g = zcomp((const uint8_t *)secret, strlen(secret), 31, &n1), *gg, *zs;

	(void)state;
	gg = zcomp(g, n1, 31, &n2);
	check_coded(gg, n2, "gzip, gzip", "gzip>gzip");
	free(gg);
	cap = ZSTD_compressBound(n1);
	zs = malloc(cap);
	n2 = ZSTD_compress(zs, cap, g, n1, 3);
	check_coded(zs, n2, "gzip, zstd", "zstd>gzip");
	check_coded(zs, n2, "gzip,identity, ZSTD", "zstd>gzip");
	free(zs);
	free(g);
}

static void test_gzip_chunked(void **state)
{
	size_t n, off = 0, cl = 0;
	uint8_t *z = zcomp((const uint8_t *)secret, strlen(secret), 31, &n);
	uint8_t buf[2048];
	const char *head = "POST /g HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int b;

	(void)state;
	memcpy(buf, head, strlen(head));
	cl = strlen(head);
	while (off < n) {
		size_t k = n - off < 9 ? n - off : 9;

		cl += (size_t)sprintf((char *)buf + cl, "%zx\r\n", k);
		memcpy(buf + cl, z + off, k);
		cl += k;
		memcpy(buf + cl, "\r\n", 2);
		cl += 2;
		off += k;
	}
	memcpy(buf + cl, "0\r\n\r\n", 5);
	cl += 5;
	assert_int_equal(feed(h, buf, cl, 5, &c), 0);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(b >= 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, secret));
	assert_string_equal(c.u[b].enc, "gzip");
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	free(z);
	col_free(&c);
	http_parser_free(h);
}

static void test_pipelined(void **state)
{
	const char *req = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
			  "POST /2 HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nxyz"
			  "GET /3 HTTP/1.0\r\nHost: c\r\n\r\n";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int u, b;

	(void)state;
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(feed(h, (const uint8_t *)req, strlen(req), strlen(req), &c), 0);
	assert_int_equal(st.requests, 3);
	assert_int_equal(c.nreq, 3);
	assert_string_equal(c.reqs[0].host, "a");
	assert_string_equal(c.reqs[1].host, "b");
	assert_string_equal(c.reqs[2].host, "c");
	assert_int_equal(c.reqs[2].index, 2);
	u = find(&c, HTTP_WHERE_URL, 0);
	assert_true(unit_is(&c.u[u], HTTP_WHERE_URL, "/1"));
	u = find(&c, HTTP_WHERE_URL, u + 1);
	assert_true(unit_is(&c.u[u], HTTP_WHERE_URL, "/2"));
	assert_int_equal(c.u[u].index, 1);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, "xyz"));
	assert_int_equal(c.u[b].index, 1);
	u = find(&c, HTTP_WHERE_URL, u + 1);
	assert_true(unit_is(&c.u[u], HTTP_WHERE_URL, "/3"));
	assert_int_equal(c.u[u].index, 2);
	col_free(&c);
	http_parser_free(h);
}

static void test_body_cap(void **state)
{
	size_t blen = PH_HTTP_MAX_BODY + 1000, rl;
	uint8_t *body = malloc(blen), *r;
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	const char *next = "GET /after HTTP/1.1\r\n\r\n";
	int b;

	(void)state;
	memset(body, 'q', blen);
	r = mkreq("", body, blen, &rl);
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(feed(h, r, rl, 4096, &c), 0);
	assert_int_equal(feed(h, (const uint8_t *)next, strlen(next), 1, &c), 0);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_int_equal(c.u[b].len, PH_HTTP_MAX_BODY);
	assert_int_equal(st.bodies_truncated, 1);
	assert_int_equal(st.requests, 2);
	assert_true(unit_is(&c.u[c.n - 1], HTTP_WHERE_URL, "/after"));
	free(r);
	free(body);
	col_free(&c);
	http_parser_free(h);
}

/* The request seen by the body unit carries the truncation flag and full length. */
static const struct http_request *last_body_req;
static uint64_t seen_body_len;
static int seen_trunc;
static void on_body_req(void *arg, const struct http_unit *u)
{
	(void)arg;
	if (u->where == HTTP_WHERE_BODY) {
		last_body_req = u->req;
		seen_body_len = u->req->body_len;
		seen_trunc = u->req->body_truncated;
	}
}

static void test_body_cap_flags(void **state)
{
	size_t blen = PH_HTTP_MAX_BODY + 5, rl;
	uint8_t *body = calloc(1, blen), *r = mkreq("", body, blen, &rl);
	struct http_parser *h = http_parser_new(NULL);

	(void)state;
	assert_int_equal(http_parser_feed(h, r, rl, on_body_req, NULL), 0);
	assert_non_null(last_body_req);
	assert_int_equal(seen_body_len, blen);
	assert_int_equal(seen_trunc, 1);
	free(r);
	free(body);
	http_parser_free(h);
}

static void test_bomb(void **state)
{
	size_t zlen = 50u << 20, n, rl;
	uint8_t *zeros = calloc(1, zlen), *z = zcomp(zeros, zlen, 31, &n), *r;
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int b;

	(void)state;
	free(zeros);
	assert_true(n < PH_HTTP_MAX_BODY);
	r = mkreq("Content-Encoding: gzip\r\n", z, n, &rl);
	assert_int_equal(feed(h, r, rl, 65536, &c), 0);
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_int_equal(c.u[b].len, PH_HTTP_MAX_DECODED);
	assert_string_equal(c.u[b].enc, "gzip");
	assert_int_equal(st.decode_errors, 0);
	free(r);
	free(z);
	col_free(&c);
	http_parser_free(h);
}

static void test_corrupt_gzip(void **state)
{
	static const uint8_t bad[] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03,
				       0xff, 0xfe, 0xfd, 'i', 'm', 'e', 'i', 0x00, 0x13 };
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	size_t rl;
	uint8_t *r = mkreq("Content-Encoding: gzip\r\n", bad, sizeof(bad), &rl);
	int b;

	(void)state;
	assert_int_equal(feed(h, r, rl, 2, &c), 0);
	assert_int_equal(st.decode_errors, 1);
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 1);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_false(c.u[b].has_enc);
	assert_int_equal(c.u[b].len, sizeof(bad));
	assert_memory_equal(c.u[b].p, bad, sizeof(bad));
	free(r);
	col_free(&c);
	http_parser_free(h);
}

/* All PAYLOAD bytes concatenated must equal exp. */
static void check_payload(const struct col *c, const uint8_t *exp, size_t len)
{
	size_t off = 0;

	for (int i = 0; i < c->n; i++) {
		if (c->u[i].where != HTTP_WHERE_PAYLOAD)
			continue;
		assert_true(off + c->u[i].len <= len);
		assert_memory_equal(c->u[i].p, exp + off, c->u[i].len);
		off += c->u[i].len;
	}
	assert_int_equal(off, len);
}

static void test_not_http(void **state)
{
	uint8_t tls[300];
	struct http_stats st = { 0 };
	struct http_parser *h;
	struct col c = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(tls); i++)
		tls[i] = (uint8_t)(0x16 + i * 7);
	for (size_t step = 1; step < 40; step += 3) {
		h = http_parser_new(&st);
		assert_int_equal(feed(h, tls, sizeof(tls), step, &c), -1);
		http_parser_finish(h, on_unit, &c);
		check_payload(&c, tls, sizeof(tls));
		assert_int_equal(c.n, count(&c, HTTP_WHERE_PAYLOAD));
		col_free(&c);
		http_parser_free(h);
	}
	/* "GE" then binary: held bytes come out too */
	h = http_parser_new(&st);
	assert_int_equal(http_parser_feed(h, (const uint8_t *)"GE", 2, on_unit, &c), 0);
	assert_int_equal(http_parser_feed(h, (const uint8_t *)"Tx\x01\x02", 4, on_unit, &c), -1);
	check_payload(&c, (const uint8_t *)"GETx\x01\x02", 6);
	assert_int_equal(st.parse_errors, 0);
	col_free(&c);
	http_parser_free(h);
}

static void test_garbage_after_request(void **state)
{
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n\x01\x02garbage\r\nmore";
	const char *bad = "\x01\x02garbage\r\nmore";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };

	(void)state;
	assert_int_equal(feed(h, (const uint8_t *)req, strlen(req), 3, &c), -1);
	assert_int_equal(http_parser_feed(h, (const uint8_t *)"tail", 4, on_unit, &c), -1);
	assert_int_equal(st.parse_errors, 1);
	check_payload(&c, (const uint8_t *)"\x01\x02garbage\r\nmoretail", strlen(bad) + 4);
	col_free(&c);
	http_parser_free(h);
	/* a bad chunk size and a bad request line also fall back */
	h = http_parser_new(&st);
	req = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc";
	assert_int_equal(feed(h, (const uint8_t *)req, strlen(req), 1, &c), -1);
	check_payload(&c, (const uint8_t *)"zz\r\nabc", 7);
	assert_int_equal(st.parse_errors, 2);
	col_free(&c);
	http_parser_free(h);
	h = http_parser_new(&st);
	req = "GET /nover\r\nHost: a\r\n\r\n";
	assert_int_equal(feed(h, (const uint8_t *)req, strlen(req), 1, &c), -1);
	check_payload(&c, (const uint8_t *)req, strlen(req));
	assert_int_equal(st.parse_errors, 3);
	col_free(&c);
	http_parser_free(h);
}

static void test_connect_tunnel(void **state)
{
	static const char req[] = "CONNECT api.example:443 HTTP/1.1\r\nHost: api.example:443\r\n\r\n\x16\x03\x01\x00\x05hello";
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };

	(void)state;
	assert_int_equal(feed(h, (const uint8_t *)req, sizeof(req) - 1, 10, &c), -1);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(st.requests, 1);
	check_payload(&c, (const uint8_t *)"\x16\x03\x01\x00\x05hello", 10);
	col_free(&c);
	http_parser_free(h);
}

static void test_long_header(void **state)
{
	size_t vl = PH_HTTP_MAX_HEADER + 5000, len;
	char *req = malloc(vl + 256);
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int u;

	(void)state;
	len = (size_t)sprintf(req, "GET /l HTTP/1.1\r\nCookie: ");
	memset(req + len, 'c', vl);
	len += vl;
	len += (size_t)sprintf(req + len, "\r\nHost: late\r\nContent-Length: 2\r\n\r\nokGET /n HTTP/1.1\r\n\r\n");
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(feed(h, (const uint8_t *)req, len, 1000, &c), 0);
	assert_int_equal(st.headers_truncated, 1);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(c.nreq, 2);
	assert_string_equal(c.reqs[0].host, "late");
	u = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(unit_is(&c.u[u], HTTP_WHERE_BODY, "ok"));
	assert_true(unit_is(&c.u[c.n - 1], HTTP_WHERE_URL, "/n"));
	free(req);
	col_free(&c);
	http_parser_free(h);
}

static void test_finish_cut(void **state)
{
	size_t n, rl;
	uint8_t *z = zcomp((const uint8_t *)secret, strlen(secret), 31, &n);
	uint8_t *r = mkreq("Content-Encoding: gzip\r\n", z, n, &rl);
	struct http_stats st = { 0 };
	struct http_parser *h = http_parser_new(&st);
	struct col c = { 0 };
	int b;

	(void)state;
	/* the whole request but the last 8 bytes (gzip trailer) */
	assert_int_equal(feed(h, r, rl - 8, 5, &c), 0);
	assert_int_equal(count(&c, HTTP_WHERE_BODY), 0);
	http_parser_finish(h, on_unit, &c);
	b = find(&c, HTTP_WHERE_BODY, 0);
	assert_true(b >= 0);
	assert_true(unit_is(&c.u[b], HTTP_WHERE_BODY, secret));
	assert_int_equal(st.decode_errors, 0);
	free(r);
	free(z);
	col_free(&c);
	http_parser_free(h);
	/* headers cut short still give their units */
	h = http_parser_new(&st);
	http_parser_on_request(h, on_req, &c);
	assert_int_equal(feed(h, (const uint8_t *)"GET /q?id=7 HTTP/1.1\r\nHost: z\r\nX-A: 1", 37, 4, &c), 0);
	assert_int_equal(c.n, 0);
	http_parser_finish(h, on_unit, &c);
	assert_int_equal(c.nreq, 1);
	assert_true(unit_is(&c.u[0], HTTP_WHERE_URL, "/q?id=7"));
	assert_true(unit_is(&c.u[2], HTTP_WHERE_HEADER, "1"));
	col_free(&c);
	http_parser_free(h);
}

static void test_is_request(void **state)
{
	(void)state;
	assert_int_equal(http_is_request((const uint8_t *)"GET / HTTP/1.1", 14), 1);
	assert_int_equal(http_is_request((const uint8_t *)"POST ", 5), 1);
	assert_int_equal(http_is_request((const uint8_t *)"PO", 2), -1);
	assert_int_equal(http_is_request((const uint8_t *)"", 0), -1);
	assert_int_equal(http_is_request((const uint8_t *)"GETX /", 6), 0);
	assert_int_equal(http_is_request((const uint8_t *)"\x16\x03\x01", 3), 0);
	assert_int_equal(http_is_request((const uint8_t *)"get / ", 6), 0);
	assert_int_equal(http_is_request((const uint8_t *)"PRI * HTTP/2.0", 14), 0);
}

/* A response's status and Content-Length from its first segment; anything else is not one. */
static void test_response_head(void **state)
{
	(void)state;
	int st;
	int64_t len;
	const char *ok = "HTTP/1.1 200 OK\r\nServer: x\r\ncontent-LENGTH:  63\r\n\r\n{}";
	assert_int_equal(http_response_head((const uint8_t *)ok, strlen(ok), &st, &len), 0);
	assert_int_equal(st, 200);
	assert_int_equal(len, 63);
	const char *nolen = "HTTP/1.0 404 Not Found\r\n\r\nContent-Length: 5\r\n";  /* in the body: not a header */
	assert_int_equal(http_response_head((const uint8_t *)nolen, strlen(nolen), &st, &len), 0);
	assert_int_equal(st, 404);
	assert_int_equal(len, -1);
	assert_int_equal(http_response_head((const uint8_t *)"HTTP/1.1 20", 11, &st, &len), -1);
	assert_int_equal(http_response_head((const uint8_t *)"HTTP/1.1 2x0 OK\r\n", 17, &st, &len), -1);
	assert_int_equal(http_response_head((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &st, &len), -1);
	const char *cut = "HTTP/1.1 204 No Content\r\nContent-Length";  /* cut inside the name */
	assert_int_equal(http_response_head((const uint8_t *)cut, strlen(cut), &st, &len), 0);
	assert_int_equal(len, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_query),
		cmocka_unit_test(test_post_bytewise),
		cmocka_unit_test(test_chunked_ext_trailer),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_deflate_raw_and_zlib),
		cmocka_unit_test(test_brotli),
		cmocka_unit_test(test_zstd_multiframe),
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_gzip_chunked),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_body_cap_flags),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_corrupt_gzip),
		cmocka_unit_test(test_not_http),
		cmocka_unit_test(test_garbage_after_request),
		cmocka_unit_test(test_connect_tunnel),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_finish_cut),
		cmocka_unit_test(test_is_request),
		cmocka_unit_test(test_response_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
