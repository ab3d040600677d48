/* test_h3.c - unit tests of the HTTP/3 stream parser (RFC 9114) on streams built with
 * libnghttp3's QPACK encoder (RFC 9204, dynamic table in use): requests, bodies split at every
 * byte, blocked header blocks, SETTINGS, skipped frames and streams, truncated and oversized input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <nghttp3/nghttp3.h>
#include <zlib.h>
#include "h3.h"

#define IMEI "356938035643809"

struct log {
	char text[65536];              /* "URL /x\n", "HEADER name: v\n", "BODY(enc) ...\n" per unit */
	char reqs[1024];               /* "method host path ua #index\n" per request */
	int nurl, nbody;
	uint8_t raw[4096];             /* PAYLOAD units' bytes, one after the other */
	size_t nraw;
};

static void on_unit(void *arg, const struct http_unit *u)
{
	struct log *l = arg;
	size_t n = strlen(l->text);
	const char *w = u->where == HTTP_WHERE_URL ? "URL" : u->where == HTTP_WHERE_HEADER ? "HEADER" :
			u->where == HTTP_WHERE_BODY ? "BODY" : "PAYLOAD";
	assert_true(u->req || u->where == HTTP_WHERE_PAYLOAD);  /* PAYLOAD: bytes salvaged as sent */
	if (u->req)
		assert_string_equal(u->req->protocol, "HTTP/3");
	l->nurl += u->where == HTTP_WHERE_URL;
	l->nbody += u->where == HTTP_WHERE_BODY;
	if (u->where == HTTP_WHERE_PAYLOAD && l->nraw + u->len <= sizeof l->raw)
		memcpy(l->raw + l->nraw, u->p, u->len), l->nraw += u->len;
	snprintf(l->text + n, sizeof l->text - n, "%s%s%s%s%s%s %.*s\n", w, u->encoding ? "(" : "",
		 u->encoding ? u->encoding : "", u->encoding ? ")" : "", u->name ? " " : "", u->name ? u->name : "",
		 (int)u->len, (const char *)u->p);
}

static void on_req(void *arg, const struct http_request *r)
{
	struct log *l = arg;
	size_t n = strlen(l->reqs);
	snprintf(l->reqs + n, sizeof l->reqs - n, "%s %s %s %s #%u\n", r->method, r->host, r->uri, r->user_agent,
		 r->index);
}

struct bytes {
	uint8_t b[8192];
	size_t n;
};

static void put(struct bytes *s, const void *p, size_t n)
{
	assert_true(s->n + n <= sizeof s->b);
	if (n)
		memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put_varint(struct bytes *s, uint64_t v)
{
	uint8_t b[8];
	if (v < 64) {
		b[0] = (uint8_t)v;
		put(s, b, 1);
	} else if (v < 16384) {
		b[0] = (uint8_t)(0x40 | v >> 8), b[1] = (uint8_t)v;
		put(s, b, 2);
	} else {
		b[0] = (uint8_t)(0x80 | v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
		put(s, b, 4);
	}
}

static void put_frame(struct bytes *s, uint64_t type, const void *p, size_t n)
{
	put_varint(s, type);
	put_varint(s, n);
	put(s, p, n);
}

static nghttp3_qpack_encoder *enc_new(size_t cap)
{
	nghttp3_qpack_encoder *e;
	assert_int_equal(nghttp3_qpack_encoder_new(&e, cap, nghttp3_mem_default()), 0);
	nghttp3_qpack_encoder_set_max_dtable_capacity(e, cap);
	nghttp3_qpack_encoder_set_max_blocked_streams(e, 16);
	return e;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP3_NV_FLAG_NONE }

/* A header block (appended to blk as a HEADERS frame) and its encoder-stream bytes (to es). */
static void encode(nghttp3_qpack_encoder *e, int64_t sid, const nghttp3_nv *nva, size_t n, struct bytes *blk,
		   struct bytes *es)
{
	nghttp3_buf pb, rb, eb;
	nghttp3_buf_init(&pb);
	nghttp3_buf_init(&rb);
	nghttp3_buf_init(&eb);
	assert_int_equal(nghttp3_qpack_encoder_encode(e, &pb, &rb, &eb, sid, nva, n), 0);
	struct bytes hb = { .n = 0 };
	put(&hb, pb.pos, nghttp3_buf_len(&pb));
	put(&hb, rb.pos, nghttp3_buf_len(&rb));
	put_frame(blk, 0x01, hb.b, hb.n);
	put(es, eb.pos, nghttp3_buf_len(&eb));
	nghttp3_buf_free(&pb, nghttp3_mem_default());
	nghttp3_buf_free(&rb, nghttp3_mem_default());
	nghttp3_buf_free(&eb, nghttp3_mem_default());
}

/* PH_H3_SEEDS=DIR: each connection's feeds are written to DIR/test-N as fuzz_h3 records
 * (stream id byte, flags: 1 fin 2 server->client, 16-bit length, bytes), its seed corpus. */
static FILE *seed;
static int nseed;

static void seed_next(void)
{
	const char *dir = getenv("PH_H3_SEEDS");
	if (seed)
		fclose(seed);
	seed = NULL;
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof path, "%s/test-%d", dir, nseed++);
	seed = fopen(path, "wb");
}

static void seed_feed(int dir, uint64_t sid, const uint8_t *p, size_t n, int fin)
{
	if (!seed || sid > 255 || n > 65535)
		return;
	uint8_t h[4] = { (uint8_t)sid, (uint8_t)(fin | dir << 1), (uint8_t)(n >> 8), (uint8_t)n };
	fwrite(h, 1, 4, seed);
	fwrite(p, 1, n, seed);
}

/* Bytes fed from an exact-size copy, so a read past len is caught by the sanitizer. */
static int feed(struct h3_conn *h, int dir, uint64_t sid, const uint8_t *p, size_t n, int fin, struct log *l)
{
	uint8_t *c = malloc(n ? n : 1);
	if (n)
		memcpy(c, p, n);
	seed_feed(dir, sid, c, n, fin);
	int r = h3_stream(h, dir, sid, c, n, fin, on_unit, l);
	free(c);
	return r;
}

static struct h3_conn *conn(struct http_stats *st, struct log *l)
{
	struct h3_conn *h = h3_new(st);
	h3_on_request(h, on_req, l);
	seed_next();
	return h;
}

/* The client's encoder stream (id 2): type 0x02, then the instructions. */
static void encoder_stream(struct h3_conn *h, const struct bytes *es, struct log *l)
{
	static const uint8_t t = 0x02;
	assert_int_equal(feed(h, 0, 2, &t, 1, 0, l), 0);
	assert_int_equal(feed(h, 0, 2, es->b, es->n, 0, l), 0);
}

static void test_get_imei(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(4096);
	const nghttp3_nv nva[] = { NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "api.example.com"),
				   NV(":path", "/v1/track?imei=" IMEI), NV("user-agent", "Dalvik/2.1.0") };
	struct bytes req = { .n = 0 }, es = { .n = 0 };
	encode(e, 0, nva, 5, &req, &es);
	assert_true(es.n > 0);  /* the dynamic table is in use */
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	encoder_stream(h, &es, &l);
	assert_int_equal(feed(h, 0, 0, req.b, req.n, 1, &l), 0);
	h3_finish(h, on_unit, &l);
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
	assert_string_equal(l.reqs, "GET api.example.com /v1/track?imei=" IMEI " Dalvik/2.1.0 #0\n");
	assert_non_null(strstr(l.text, "URL /v1/track?imei=" IMEI "\n"));
	assert_non_null(strstr(l.text, "HEADER :authority api.example.com\n"));
	assert_non_null(strstr(l.text, "HEADER user-agent Dalvik/2.1.0\n"));
	assert_null(strstr(l.text, ":method"));
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.parse_errors, 0);
}

static size_t gz(const char *s, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = z.total_out;
	deflateEnd(&z);
	return n;
}

static const char JSON[] = "{\"device\":{\"imei\":\"" IMEI "\",\"model\":\"Redmi 1S\"},\"events\":[1,2,3]}";

/* A POST whose gzip body is in two DATA frames: HEADERS, DATA, DATA. */
static void post_stream(nghttp3_qpack_encoder *e, int64_t sid, struct bytes *s, struct bytes *es)
{
	const nghttp3_nv nva[] = { NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "log.example.net"),
				   NV(":path", "/collect"), NV("user-agent", "okhttp/4.9"),
				   NV("content-type", "application/json"), NV("content-encoding", "gzip") };
	encode(e, sid, nva, 7, s, es);
	uint8_t z[512];
	size_t zn = gz(JSON, z, sizeof z);
	put_frame(s, 0x00, z, zn / 2);
	put_frame(s, 0x00, z + zn / 2, zn - zn / 2);
}

static void test_post_gzip_every_split(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(4096);
	struct bytes s = { .n = 0 }, es = { .n = 0 };
	post_stream(e, 0, &s, &es);
	static struct log l;
	for (size_t cut = 0; cut <= s.n; cut++) {
		struct http_stats st = { 0 };
		memset(&l, 0, sizeof l);
		struct h3_conn *h = conn(&st, &l);
		encoder_stream(h, &es, &l);
		assert_int_equal(feed(h, 0, 0, s.b, cut, 0, &l), 0);
		assert_int_equal(feed(h, 0, 0, s.b + cut, s.n - cut, 1, &l), 0);
		assert_int_equal(l.nbody, 1);  /* emitted at the stream's end, before h3_finish */
		h3_finish(h, on_unit, &l);
		h3_free(h);
		assert_string_equal(l.reqs, "POST log.example.net /collect okhttp/4.9 #0\n");
		char want[256];
		snprintf(want, sizeof want, "BODY(gzip) %s\n", JSON);
		assert_non_null(strstr(l.text, want));
		assert_int_equal(st.parse_errors + st.decode_errors, 0);
	}
	nghttp3_qpack_encoder_del(e);
}

static void test_blocked_until_encoder_stream(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(4096);
	struct bytes s = { .n = 0 }, es = { .n = 0 };
	post_stream(e, 0, &s, &es);
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	assert_int_equal(feed(h, 0, 0, s.b, 5, 0, &l), 0);
	assert_int_equal(feed(h, 0, 0, s.b + 5, s.n - 5, 1, &l), 0);  /* the whole stream, blocked */
	assert_string_equal(l.text, "");
	static const uint8_t t = 0x02;
	assert_int_equal(feed(h, 0, 2, &t, 1, 0, &l), 0);
	assert_int_equal(feed(h, 0, 2, es.b, es.n - 1, 0, &l), 0);  /* one instruction short */
	assert_string_equal(l.text, "");
	assert_int_equal(feed(h, 0, 2, es.b + es.n - 1, 1, 0, &l), 0);
	assert_string_equal(l.reqs, "POST log.example.net /collect okhttp/4.9 #0\n");
	assert_non_null(strstr(l.text, "URL /collect\n"));
	assert_non_null(strstr(l.text, IMEI));
	assert_int_equal(l.nbody, 1);  /* its fin came while blocked: the body is out */
	h3_finish(h, on_unit, &l);
	assert_int_equal(l.nbody, 1);
	assert_int_equal(st.parse_errors, 0);
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

/* The server's SETTINGS sizes the table; 60 requests, acknowledged, wrap the Required Insert Count. */
static void test_settings_and_table_wrap(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(256);  /* 8 entries */
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	struct bytes c = { .n = 0 }, set = { .n = 0 };
	put_varint(&c, 0x00);                   /* control stream */
	put_varint(&set, 0x01), put_varint(&set, 256);
	put_varint(&set, 0x07), put_varint(&set, 16);
	put_varint(&set, 0x21), put_varint(&set, 7);  /* a reserved setting */
	put_frame(&c, 0x04, set.b, set.n);
	assert_int_equal(h3_settings_seen(h, 1), 0);
	assert_int_equal(feed(h, 1, 3, c.b, c.n, 0, &l), 0);
	assert_int_equal(h3_settings_seen(h, 1), 1);
	static const uint8_t t = 0x02;
	assert_int_equal(feed(h, 0, 2, &t, 1, 0, &l), 0);
	for (int i = 0; i < 60; i++) {
		char path[64], ua[64];
		snprintf(path, sizeof path, "/p/%d", i);
		snprintf(ua, sizeof ua, "agent-%d", i);
		const nghttp3_nv nva[] = { NV(":method", "GET"), NV(":authority", "a.example"),
					   { (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
					   { (uint8_t *)"user-agent", (uint8_t *)ua, 10, strlen(ua), 0 } };
		struct bytes s = { .n = 0 }, es = { .n = 0 };
		encode(e, 4 * i, nva, 4, &s, &es);
		assert_int_equal(feed(h, 0, 2, es.b, es.n, 0, &l), 0);
		assert_int_equal(feed(h, 0, 4 * (uint64_t)i, s.b, s.n, 1, &l), 0);
		nghttp3_qpack_encoder_ack_everything(e);
		char want[64];
		snprintf(want, sizeof want, "HEADER user-agent agent-%d\n", i);
		assert_non_null(strstr(l.text, want));
	}
	assert_int_equal(l.nurl, 60);
	assert_int_equal(st.parse_errors, 0);
	assert_int_equal(h3_table_assumed(h), 0);  /* sized by the server's SETTINGS */
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

static void test_skipped_frames_and_streams(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(4096);
	struct bytes s = { .n = 0 }, es = { .n = 0 };
	static const uint8_t junk[] = { 0xff, 0x00, 0x41, 0x80, 0x02, 0x01 };
	put_frame(&s, 0x21, junk, sizeof junk);           /* reserved frame type 0x21 + 0x1f * 0 */
	put_frame(&s, 0x21 + 0x1f * 1000, junk, 3);       /* reserved, two-byte type */
	const nghttp3_nv nva[] = { NV(":method", "PUT"), NV(":authority", "x.example"), NV(":path", "/u"),
				   NV("x-imei", IMEI) };
	encode(e, 0, nva, 4, &s, &es);
	put_frame(&s, 0x00, "abc", 3);
	put_frame(&s, 0x2a, junk, sizeof junk);           /* unknown frame type between DATA frames */
	put_frame(&s, 0x00, "def", 3);
	put_frame(&s, 0x00, "", 0);                       /* an empty DATA frame */
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	struct bytes r = { .n = 0 };
	put_varint(&r, 0x21 + 0x1f * 3);                  /* a reserved stream type: skipped */
	put(&r, junk, sizeof junk);
	assert_int_equal(feed(h, 0, 6, r.b, r.n, 1, &l), 0);
	static const uint8_t push[] = { 0x01, 0x00, 0x01, 0x07 }, dec[] = { 0x03, 0x80, 0xff };
	assert_int_equal(feed(h, 1, 7, push, sizeof push, 0, &l), 0);  /* server push stream */
	assert_int_equal(feed(h, 0, 10, dec, sizeof dec, 0, &l), 0);   /* client's decoder stream */
	assert_int_equal(feed(h, 1, 0, junk, sizeof junk, 0, &l), 0);  /* a response: not read */
	encoder_stream(h, &es, &l);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(feed(h, 0, 0, s.b + i, 1, i + 1 == s.n, &l), 0);
	assert_string_equal(l.reqs, "PUT x.example /u  #0\n");
	assert_non_null(strstr(l.text, "HEADER x-imei " IMEI "\n"));
	assert_non_null(strstr(l.text, "BODY abcdef\n"));
	assert_int_equal(st.parse_errors, 0);
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

static void test_truncated_and_oversized(void **state)
{
	(void)state;
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	static const uint8_t cut[] = { 0x01, 0x80, 0x00 };  /* HEADERS, a 4-byte length cut after 2 */
	assert_int_equal(feed(h, 0, 0, cut, sizeof cut, 1, &l), 0);
	assert_int_equal(st.parse_errors, 1);
	static const uint8_t cut_type[] = { 0x40 };          /* a stream type cut inside its varint */
	assert_int_equal(feed(h, 0, 2, cut_type, 1, 1, &l), 0);
	assert_int_equal(st.parse_errors, 2);
	struct bytes big = { .n = 0 };
	put_varint(&big, 0x01);
	put_varint(&big, 65537);                              /* over PH_H3_MAX_FRAME */
	put(&big, "\x00\x00", 2);
	assert_int_equal(feed(h, 0, 4, big.b, big.n, 0, &l), 0);
	assert_int_equal(st.parse_errors, 3);
	assert_int_equal(st.headers_truncated, 1);
	uint8_t more[100] = { 0 };
	assert_int_equal(feed(h, 0, 4, more, sizeof more, 1, &l), 0);  /* the stopped stream's rest */
	struct bytes sc = { .n = 0 };
	put_varint(&sc, 0x00);
	put_varint(&sc, 0x04);
	put_varint(&sc, 1u << 20);                            /* an oversized SETTINGS */
	assert_int_equal(feed(h, 1, 3, sc.b, sc.n, 0, &l), 0);
	assert_int_equal(st.parse_errors, 4);
	assert_string_equal(l.text, "");
	/* the connection still parses: a request with literals only (no dynamic table) */
	nghttp3_qpack_encoder *e = enc_new(0);
	const nghttp3_nv nva[] = { NV(":method", "GET"), NV(":path", "/after") };
	struct bytes s = { .n = 0 }, es = { .n = 0 };
	encode(e, 8, nva, 2, &s, &es);
	assert_int_equal(feed(h, 0, 8, s.b, s.n, 1, &l), 0);
	assert_non_null(strstr(l.text, "URL /after\n"));
	/* an encoder stream that is not QPACK: the connection stops parsing */
	static const uint8_t bad[] = { 0x02, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	assert_int_equal(feed(h, 0, 14, bad, sizeof bad, 0, &l), -1);
	assert_int_equal(feed(h, 0, 12, s.b, s.n, 1, &l), -1);
	h3_finish(h, on_unit, &l);
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

/* A field cut by a QPACK error (a bad Huffman value after a literal name): the decoder is
 * failed for good, the connection stops, nothing leaks (fuzz_h3: crashes/h3/leak-field-cut-by-error). */
static void test_qpack_error(void **state)
{
	(void)state;
	static const uint8_t blk[] = { 0x00, 0x00, 0x23, 'a', 'b', 'c', 0x81, 0xff };
	struct bytes s = { .n = 0 }, empty = { .n = 0 };
	put_frame(&empty, 0x01, "", 0);  /* an empty HEADERS: not QPACK either */
	put_frame(&s, 0x01, blk, sizeof blk);
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	assert_int_equal(feed(h, 0, 0, s.b, s.n, 0, &l), -1);
	assert_int_equal(st.parse_errors, 1);
	h3_free(h);
	h = conn(&st, &l);
	assert_int_equal(feed(h, 0, 0, empty.b, empty.n, 0, &l), -1);
	assert_int_equal(st.parse_errors, 2);
	assert_int_equal(feed(h, 0, 4, s.b, s.n, 1, &l), -1);
	h3_finish(h, on_unit, &l);
	h3_free(h);
}

/* The connection stops parsing (a header block that is not QPACK): what the other streams held
 * goes out as sent (a HEADERS frame cut by the packet's end, bytes behind a blocked block) and a
 * body as far as it came; the failed block too. Without it, the IMEIs below were never scanned. */
static void test_salvaged_when_parsing_stops(void **state)
{
	(void)state;
	static const uint8_t bad[] = { 0x00, 0x00, 0x23, 'a', 'b', 'c', 0x81, 0xff };
	struct bytes hb = { .n = 0 }, part = { .n = 0 }, s0 = { .n = 0 }, s8 = { .n = 0 }, s12 = { .n = 0 }, es = { .n = 0 };
	put(&hb, "\x00\x00\x26x-imei\x0f" IMEI "\x23" "abc\x03" "xyz", 2 + 7 + 1 + 15 + 4 + 4);  /* literals, no Huffman */
	put_frame(&part, 0x01, hb.b, hb.n);
	put_frame(&s0, 0x01, bad, sizeof bad);
	nghttp3_qpack_encoder *e = enc_new(4096);
	const nghttp3_nv post[] = { NV(":method", "POST"), NV(":authority", "b.example"), NV(":path", "/p") };
	encode(e, 8, post, 3, &s8, &es);
	put_frame(&s8, 0x00, "body=" IMEI, 20);
	const nghttp3_nv wait[] = { NV(":method", "GET"), NV(":authority", "w.example"), NV(":path", "/w") };
	struct bytes es12 = { .n = 0 };
	encode(e, 12, wait, 3, &s12, &es12);       /* refers to an insert the encoder stream never brings */
	put(&s12, "after=" IMEI, 21);               /* held behind the blocked block */
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	static const uint8_t t = 0x02;
	assert_int_equal(feed(h, 0, 2, &t, 1, 0, &l), 0);
	assert_int_equal(feed(h, 0, 2, es.b, es.n, 0, &l), 0);
	assert_int_equal(feed(h, 0, 4, part.b, part.n - 3, 0, &l), 0);  /* cut 3 bytes before its end */
	assert_int_equal(feed(h, 0, 8, s8.b, s8.n, 0, &l), 0);          /* the body waits for the end */
	assert_true(es12.n > 0);
	assert_int_equal(feed(h, 0, 12, s12.b, s12.n, 0, &l), 0);
	assert_null(strstr(l.text, IMEI));
	assert_int_equal(feed(h, 0, 0, s0.b, s0.n, 1, &l), -1);
	assert_non_null(memmem(l.raw, l.nraw, "x-imei\x0f" IMEI "\x23" "ab", 6 + 1 + 15 + 3));  /* the cut frame */
	assert_non_null(strstr(l.text, "BODY body=" IMEI "\n"));
	assert_non_null(memmem(l.raw, l.nraw, bad, sizeof bad));       /* the failed block itself */
	assert_non_null(memmem(l.raw, l.nraw, "after=" IMEI, 21));
	assert_int_equal(feed(h, 0, 4, part.b + part.n - 3, 3, 1, &l), -1);  /* later bytes: quic.c scans them */
	h3_finish(h, on_unit, &l);
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

static void test_two_requests(void **state)
{
	(void)state;
	nghttp3_qpack_encoder *e = enc_new(4096);
	struct bytes s0 = { .n = 0 }, s4 = { .n = 0 }, es = { .n = 0 };
	const nghttp3_nv a[] = { NV(":method", "GET"), NV(":authority", "one.example"), NV(":path", "/first"),
				 NV("user-agent", "UA/1") };
	const nghttp3_nv b[] = { NV(":method", "GET"), NV(":authority", "one.example"), NV(":path", "/second?i=" IMEI),
				 NV("user-agent", "UA/1") };
	encode(e, 0, a, 4, &s0, &es);
	encode(e, 4, b, 4, &s4, &es);
	struct http_stats st = { 0 };
	static struct log l;
	memset(&l, 0, sizeof l);
	struct h3_conn *h = conn(&st, &l);
	encoder_stream(h, &es, &l);
	assert_int_equal(feed(h, 0, 0, s0.b, 3, 0, &l), 0);
	assert_int_equal(feed(h, 0, 4, s4.b, s4.n, 0, &l), 0);
	assert_int_equal(feed(h, 0, 0, s0.b + 3, s0.n - 3, 1, &l), 0);
	assert_int_equal(feed(h, 0, 4, NULL, 0, 1, &l), 0);
	assert_string_equal(l.reqs, "GET one.example /second?i=" IMEI " UA/1 #0\nGET one.example /first UA/1 #1\n");
	assert_int_equal(l.nurl, 2);
	assert_int_equal(st.requests, 2);
	assert_int_equal(h3_table_assumed(h), 1);  /* no SETTINGS from the server */
	h3_free(h);
	nghttp3_qpack_encoder_del(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_imei),
		cmocka_unit_test(test_post_gzip_every_split),
		cmocka_unit_test(test_blocked_until_encoder_stream),
		cmocka_unit_test(test_settings_and_table_wrap),
		cmocka_unit_test(test_skipped_frames_and_streams),
		cmocka_unit_test(test_truncated_and_oversized),
		cmocka_unit_test(test_qpack_error),
		cmocka_unit_test(test_two_requests),
		cmocka_unit_test(test_salvaged_when_parsing_stops),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	if (seed)
		fclose(seed);
	return r;
}
