/* h2.c - HTTP/2 frames of the client's side (RFC 9113 4, 6): HEADERS and CONTINUATION blocks
 * through HPACK (hpack.c), DATA gathered per stream and decoded by its content-encoding (decomp.c). */
#include "h2.h"
#include "config.h"
#include "decomp.h"
#include "hpack.h"
#include "http_body.h"
#include "http_fields.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H2_MAX_STREAMS 16          /* open streams tracked; the oldest is flushed beyond */
#define H2_MAX_FRAME 65536         /* non-DATA frame payload buffered; larger ones are skipped */
#define H2_MAX_BLOCK 65536         /* a header block (HEADERS + CONTINUATION) */

enum { F_DATA = 0, F_HEADERS = 1, F_CONTINUATION = 9 };
enum { FL_END_STREAM = 1, FL_END_HEADERS = 4, FL_PADDED = 8, FL_PRIORITY = 0x20 };

struct h2_stream {
	uint32_t id;                   /* 0: free */
	uint64_t age;
	struct http_request req;
	struct http_body body;
};

struct h2_conn {
	struct http_stats *stats;
	struct hpack hp;
	size_t preface;                /* preface bytes consumed */
	uint8_t fh[9], fhlen;          /* frame header being gathered */
	uint8_t type, flags, in_frame;
	uint32_t sid, flen, fgot;      /* payload bytes received of flen */
	uint8_t *fbuf;                 /* non-DATA payload */
	uint32_t pad;                  /* DATA: padding length (its first byte) */
	uint8_t *hb;                   /* header block across CONTINUATION frames */
	size_t hblen;
	uint32_t hb_sid;
	uint8_t hb_end_stream, hb_over;
	struct http_fields fl;         /* of the block being decoded */
	struct h2_stream st[H2_MAX_STREAMS];
	uint64_t clock;
	struct decomp *dec;
	int bad;                       /* not HTTP/2: bytes go out as PAYLOAD */
	struct http_requests rq;
};

struct h2_conn *h2_new(struct http_stats *stats)
{
	static struct http_stats dummy;
	struct h2_conn *h = util_xcalloc(1, sizeof *h);
	h->stats = stats ? stats : &dummy;
	hpack_init(&h->hp, HPACK_MAX_TABLE);
	h->fbuf = util_xmalloc(H2_MAX_FRAME);
	h->hb = util_xmalloc(H2_MAX_BLOCK);
	http_fields_init(&h->fl);
	h->rq.protocol = "HTTP/2";
	h->rq.stats = h->stats;
	return h;
}

void h2_free(struct h2_conn *h)
{
	if (!h)
		return;
	hpack_free(&h->hp);
	for (int i = 0; i < H2_MAX_STREAMS; i++)
		http_body_free(&h->st[i].body);
	free(h->fbuf);
	free(h->hb);
	http_fields_free(&h->fl);
	decomp_free(h->dec);
	free(h);
}

int h2_is_preface(const uint8_t *p, size_t len)
{
	size_t n = len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN;
	if (memcmp(p, H2_PREFACE, n))
		return 0;
	return n == H2_PREFACE_LEN ? 1 : -1;
}

void h2_on_request(struct h2_conn *h, void (*fn)(void *arg, const struct http_request *r), void *arg)
{
	h->rq.on_req = fn;
	h->rq.on_req_arg = arg;
}

static void emit(http_unit_fn fn, void *arg, enum http_where w, const char *name, const char *enc,
		 const uint8_t *p, size_t len, const struct http_request *req)
{
	struct http_unit u = { w, name, enc, p, len, req };
	if (len)
		fn(arg, &u);
}

static struct h2_stream *stream_find(struct h2_conn *h, uint32_t id)
{
	for (int i = 0; i < H2_MAX_STREAMS; i++)
		if (h->st[i].id == id)
			return &h->st[i];
	return NULL;
}

static void stream_end(struct h2_conn *h, struct h2_stream *s, int cut, http_unit_fn fn, void *arg)
{
	http_body_flush(&s->body, &h->dec, &s->req, h->stats, cut, fn, arg);
	s->id = 0;
}

static struct h2_stream *stream_new(struct h2_conn *h, uint32_t id, http_unit_fn fn, void *arg)
{
	struct h2_stream *s = NULL;
	for (int i = 0; i < H2_MAX_STREAMS && !s; i++)
		if (!h->st[i].id)
			s = &h->st[i];
	if (!s) {  /* all busy: the oldest gives its body now */
		s = &h->st[0];
		for (int i = 1; i < H2_MAX_STREAMS; i++)
			if (h->st[i].age < s->age)
				s = &h->st[i];
		stream_end(h, s, 1, fn, arg);
	}
	memset(&s->req, 0, sizeof s->req);
	s->id = id;
	s->age = ++h->clock;
	http_body_reset(&s->body);
	return s;
}

/* hpack.c: one field, copied out (the decoder's buffers move). */
static void on_field(void *arg, const char *name, size_t nl, const uint8_t *v, size_t vl)
{
	struct h2_conn *h = arg;
	http_fields_add(&h->fl, (const uint8_t *)name, nl, v, vl);
}

/* A complete header block: the request (or trailers) and its units. */
static void block_done(struct h2_conn *h, http_unit_fn fn, void *arg)
{
	http_fields_reset(&h->fl);
	int r = hpack_decode(&h->hp, h->hb, h->hblen, on_field, h);
	if (r < 0)
		h->stats->parse_errors++;
	struct h2_stream *s = stream_find(h, h->hb_sid);
	int trailers = s != NULL;
	if (!s)
		s = stream_new(h, h->hb_sid, fn, arg);
	http_fields_request(&h->fl, trailers, &h->rq, &s->req, &s->body, fn, arg);
	if (h->hb_end_stream)
		stream_end(h, s, 0, fn, arg);
}

/* A buffered (non-DATA) frame is complete. */
static void frame_done(struct h2_conn *h, http_unit_fn fn, void *arg)
{
	const uint8_t *p = h->fbuf;
	size_t n = h->flen;
	if (h->type == F_HEADERS) {
		size_t pad = 0;
		if (h->flags & FL_PADDED) {
			if (!n)
				return;
			pad = p[0];
			p++;
			n--;
		}
		if (h->flags & FL_PRIORITY) {
			if (n < 5)
				return;
			p += 5;
			n -= 5;
		}
		if (pad > n)
			return;  /* padding longer than the frame: malformed */
		n -= pad;
		h->hblen = 0;
		h->hb_over = 0;
		h->hb_sid = h->sid;
		h->hb_end_stream = h->flags & FL_END_STREAM;
	} else if (h->type != F_CONTINUATION || h->sid != h->hb_sid) {
		return;  /* SETTINGS, WINDOW_UPDATE, PING, PRIORITY, RST_STREAM, GOAWAY: nothing to scan */
	}
	if (h->hblen + n > H2_MAX_BLOCK) {
		h->hb_over = 1;
		n = H2_MAX_BLOCK - h->hblen;
	}
	memcpy(h->hb + h->hblen, p, n);
	h->hblen += n;
	if (h->flags & FL_END_HEADERS) {
		if (h->hb_over)
			h->stats->headers_truncated++;
		block_done(h, fn, arg);
	}
}

/* DATA payload bytes p[0,n) at frame offset h->fgot: the data between the pad length byte
 * (PADDED) and the padding goes to the stream's body. */
static void data_bytes(struct h2_conn *h, const uint8_t *p, size_t n)
{
	uint32_t start = (h->flags & FL_PADDED) ? 1 : 0;
	if (start && h->fgot == 0)
		h->pad = p[0];
	uint32_t end = h->flen >= start + h->pad ? h->flen - h->pad : start;
	uint32_t a = h->fgot, b = h->fgot + (uint32_t)n;
	uint32_t lo = a > start ? a : start, hi = b < end ? b : end;
	struct h2_stream *s = stream_find(h, h->sid);
	if (s && hi > lo)
		http_body_add(&s->body, &s->req, h->stats, p + (lo - a), hi - lo);
	h->fgot = b;
}

int h2_feed(struct h2_conn *h, const uint8_t *p, size_t len, http_unit_fn fn, void *arg)
{
	if (h->bad) {
		emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, p, len, NULL);
		return -1;
	}
	while (len) {
		if (h->preface < H2_PREFACE_LEN) {
			size_t n = H2_PREFACE_LEN - h->preface < len ? H2_PREFACE_LEN - h->preface : len;
			if (memcmp(p, &H2_PREFACE[h->preface], n))
				goto bad;
			h->preface += n;
			p += n;
			len -= n;
			continue;
		}
		if (!h->in_frame) {
			h->fh[h->fhlen++] = *p++;
			len--;
			if (h->fhlen < 9)
				continue;
			h->fhlen = 0;
			h->flen = (uint32_t)h->fh[0] << 16 | (uint32_t)h->fh[1] << 8 | h->fh[2];
			h->type = h->fh[3];
			h->flags = h->fh[4];
			h->sid = ((uint32_t)h->fh[5] << 24 | (uint32_t)h->fh[6] << 16 | (uint32_t)h->fh[7] << 8 | h->fh[8]) & 0x7fffffff;
			if (h->flen > (1u << 24) - 1 || h->type > 0x20)
				goto bad;  /* not a frame header: the stream is not HTTP/2 */
			h->fgot = h->pad = 0;
			h->in_frame = 1;
		}
		size_t n = h->flen - h->fgot < len ? h->flen - h->fgot : len;
		if (h->type == F_DATA) {
			if (n)
				data_bytes(h, p, n);
		} else {
			if (h->fgot + n <= H2_MAX_FRAME)
				memcpy(h->fbuf + h->fgot, p, n);
			h->fgot += (uint32_t)n;
		}
		p += n;
		len -= n;
		if (h->fgot < h->flen)
			continue;
		h->in_frame = 0;
		if (h->type == F_DATA) {
			struct h2_stream *s = stream_find(h, h->sid);
			if (s && (h->flags & FL_END_STREAM))
				stream_end(h, s, 0, fn, arg);
		} else if (h->flen <= H2_MAX_FRAME) {
			frame_done(h, fn, arg);
		} else {
			h->stats->parse_errors++;
		}
	}
	return 0;
bad:
	h->bad = 1;
	h->stats->parse_errors++;
	emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, p, len, NULL);
	return -1;
}

void h2_finish(struct h2_conn *h, http_unit_fn fn, void *arg)
{
	for (int i = 0; i < H2_MAX_STREAMS; i++)
		if (h->st[i].id)
			stream_end(h, &h->st[i], 1, fn, arg);
}
