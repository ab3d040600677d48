/* h3.c - HTTP/3 streams (RFC 9114 6, 7): request streams' HEADERS through libnghttp3's QPACK
 * decoder (RFC 9204) fed by the peer's encoder stream, DATA decoded by content-encoding (http_body.c). */
#include "h3.h"
#include "config.h"
#include "http_body.h"
#include "http_fields.h"
#include "util.h"
#include <nghttp3/nghttp3.h>
#include <stdlib.h>
#include <string.h>

#define H3_GONE 64                 /* streams dropped from the table remembered, so their later bytes are skipped */

enum { F_DATA = 0x00, F_HEADERS = 0x01, F_SETTINGS = 0x04 };
enum { U_CONTROL = 0x00, U_ENCODER = 0x02 };                /* unidirectional stream types kept */
enum { SET_QPACK_MAX_TABLE = 0x01, SET_QPACK_BLOCKED = 0x07 };
enum { K_NEW, K_REQUEST, K_CONTROL, K_ENCODER, K_SKIP };  /* what a stream carries; K_SKIP: nothing to read */
enum { S_TYPE, S_FTYPE, S_FLEN, S_PAYLOAD };               /* where a stream's parse is */

struct h3_stream {
	uint64_t id;
	uint64_t age;                  /* 0: slot free */
	uint8_t dir, kind, state;
	uint8_t vb[8], vbn;            /* varint being gathered */
	uint64_t ftype, flen, fgot;    /* frame being read */
	uint8_t *fbuf;                 /* HEADERS or SETTINGS payload */
	size_t fcap;
	uint8_t has_req, blocked, nsettings, failed;
	size_t hblen, hboff;           /* header block in fbuf, bytes decoded (while blocked) */
	nghttp3_qpack_stream_context *sctx;
	struct http_request req;
	struct http_body body;
	uint8_t *held;                 /* stream bytes after a blocked header block */
	size_t hlen, hcap;
	uint8_t held_fin;
};

struct h3_conn {
	struct http_stats *stats;
	nghttp3_qpack_decoder *dec[2]; /* of each direction's encoder: [0] decodes the requests; made on first use */
	uint64_t dmax[2];              /* their table capacity from the other side's SETTINGS */
	uint8_t dmax_known[2];
	uint8_t dassumed[2];           /* dec[d] was made before the other side's SETTINGS: capacity assumed */
	uint8_t efed[2];               /* encoder-stream bytes went into dec[d] */
	uint8_t *dbuf;                 /* decoder stream instructions, written and dropped */
	size_t dcap;
	struct h3_stream st[PH_H3_MAX_STREAMS];
	uint64_t gone[H3_GONE];
	size_t ngone;
	uint64_t clock;
	struct http_fields fl;         /* of the block being decoded */
	struct decomp *decomp;
	int bad;                       /* the requests' QPACK state is lost: not parsed further */
	struct http_requests rq;
};

static void stream_bytes(struct h3_conn *h, struct h3_stream *s, const uint8_t *p, size_t len,
			 http_unit_fn fn, void *arg);

struct h3_conn *h3_new(struct http_stats *stats)
{
	static struct http_stats dummy;
	struct h3_conn *h = util_xcalloc(1, sizeof *h);
	h->stats = stats ? stats : &dummy;
	http_fields_init(&h->fl);
	h->rq.protocol = "HTTP/3";
	h->rq.stats = h->stats;
	return h;
}

static void stream_clear(struct h3_stream *s)
{
	if (s->sctx)
		nghttp3_qpack_stream_context_del(s->sctx);
	free(s->fbuf);
	free(s->held);
	http_body_free(&s->body);
	memset(s, 0, sizeof *s);
}

void h3_free(struct h3_conn *h)
{
	if (!h)
		return;
	for (int i = 0; i < PH_H3_MAX_STREAMS; i++)
		stream_clear(&h->st[i]);
	for (int d = 0; d < 2; d++)
		if (h->dec[d])
			nghttp3_qpack_decoder_del(h->dec[d]);
	free(h->dbuf);
	http_fields_free(&h->fl);
	decomp_free(h->decomp);
	free(h);
}

void h3_on_request(struct h3_conn *h, void (*fn)(void *arg, const struct http_request *r), void *arg)
{
	h->rq.on_req = fn;
	h->rq.on_req_arg = arg;
}

static void emit(http_unit_fn fn, void *arg, enum http_where w, const char *name, const uint8_t *p,
		 size_t len, const struct http_request *req)
{
	struct http_unit u = { w, name, NULL, p, len, req };
	if (len)
		fn(arg, &u);
}

/* Direction d's decoder. libnghttp3 reads a block's Required Insert Count (RFC 9204 4.5.1.1)
 * against the capacity it was made with, so that is the peer's SETTINGS value, or the cap
 * until SETTINGS come (right until the insert count first wraps). */
static nghttp3_qpack_decoder *dec_get(struct h3_conn *h, int d)
{
	if (!h->dec[d] && nghttp3_qpack_decoder_new(&h->dec[d], h->dmax_known[d] ? h->dmax[d] : PH_H3_QPACK_MAX_TABLE,
						    PH_H3_QPACK_MAX_BLOCKED, nghttp3_mem_default()))
		abort();  /* out of memory, as util_xmalloc */
	if (!h->dassumed[d])
		h->dassumed[d] = !h->dmax_known[d];
	return h->dec[d];
}

/* The decoder's acknowledgements are written out and dropped: unread, they pile up until
 * libnghttp3 fails the decoder (NGHTTP3_ERR_QPACK_FATAL). */
static void drain(struct h3_conn *h, int d)
{
	if (!h->dec[d])
		return;
	size_t n = nghttp3_qpack_decoder_get_decoder_streamlen(h->dec[d]);
	if (!n)
		return;
	if (n > h->dcap) {
		h->dbuf = util_xrealloc(h->dbuf, n);
		h->dcap = n;
	}
	nghttp3_buf b = { h->dbuf, h->dbuf + h->dcap, h->dbuf, h->dbuf };
	nghttp3_qpack_decoder_write_decoder(h->dec[d], &b);
}

/* A varint (RFC 9000 16) gathered across calls: 1 with *v when complete, 0 when p ran out. */
static int varint(struct h3_stream *s, const uint8_t **p, size_t *len, uint64_t *v)
{
	while (*len) {
		s->vb[s->vbn++] = *(*p)++;
		(*len)--;
		size_t need = (size_t)1 << (s->vb[0] >> 6);
		if (s->vbn < need)
			continue;
		uint64_t x = s->vb[0] & 0x3f;
		for (size_t i = 1; i < need; i++)
			x = x << 8 | s->vb[i];
		s->vbn = 0;
		*v = x;
		return 1;
	}
	return 0;
}

static void gone_add(struct h3_conn *h, uint64_t id)
{
	h->gone[h->ngone++ % H3_GONE] = id;
}

static int gone_has(const struct h3_conn *h, uint64_t id)
{
	size_t n = h->ngone < H3_GONE ? h->ngone : H3_GONE;
	for (size_t i = 0; i < n; i++)
		if (h->gone[i] == id)
			return 1;
	return 0;
}

/* A stream ended: an error when inside a varint or a frame. */
static int stream_cut(const struct h3_stream *s)
{
	if (s->kind == K_SKIP || s->kind == K_ENCODER)
		return 0;
	return s->vbn || (s->state != S_FTYPE && s->state != S_TYPE);
}

/* A request stream's end: its body as far as it came; the slot is freed. */
static void stream_end(struct h3_conn *h, struct h3_stream *s, int cut, http_unit_fn fn, void *arg)
{
	if (s->has_req)
		http_body_flush(&s->body, &h->decomp, &s->req, h->stats, cut, fn, arg);
	if (s->blocked) {
		h->stats->parse_errors++;  /* its header block never became decodable */
		nghttp3_qpack_decoder_cancel_stream(h->dec[0], (int64_t)s->id);
		drain(h, 0);
	}
	gone_add(h, s->id);
	stream_clear(s);
}

static struct h3_stream *stream_get(struct h3_conn *h, uint64_t id, int dir, http_unit_fn fn, void *arg)
{
	struct h3_stream *s = NULL, *old = NULL;
	for (int i = 0; i < PH_H3_MAX_STREAMS; i++) {
		struct h3_stream *t = &h->st[i];
		if (t->age && t->id == id)
			return t;
		if (!t->age && !s)
			s = t;
		if (t->age && t->kind != K_CONTROL && t->kind != K_ENCODER && (!old || t->age < old->age))
			old = t;
	}
	if (gone_has(h, id))
		return NULL;  /* dropped earlier: its bytes go on mid-frame */
	if (!s) {  /* all busy: the oldest request (or skipped) stream gives its body now */
		if (!old || dir == 1)  /* not for a server stream: its bytes come with no one to take units */
			return NULL;
		stream_end(h, old, 1, fn, arg);
		s = old;
	}
	s->id = id;
	s->dir = (uint8_t)dir;
	s->age = ++h->clock;
	s->kind = (id & 2) ? K_NEW : K_REQUEST;
	s->state = (id & 2) ? S_TYPE : S_FTYPE;
	return s;
}

/* One decoded field, copied out of libnghttp3's buffers. */
static void field_add(struct h3_conn *h, const nghttp3_qpack_nv *nv)
{
	nghttp3_vec n = nghttp3_rcbuf_get_buf(nv->name), v = nghttp3_rcbuf_get_buf(nv->value);
	http_fields_add(&h->fl, n.base, n.len, v.base, v.len);
}

/* A decoded header block: the request (or its trailers) and its units, as h2.c cuts them. */
static void block_done(struct h3_conn *h, struct h3_stream *s, http_unit_fn fn, void *arg)
{
	http_fields_request(&h->fl, s->has_req, &h->rq, &s->req, &s->body, fn, arg);
	s->has_req = 1;
}

/* Decodes s's header block from hboff: done, or blocked until the encoder stream catches up. */
static void block_decode(struct h3_conn *h, struct h3_stream *s, http_unit_fn fn, void *arg)
{
	if (!s->blocked && s->sctx) {  /* not reset: libnghttp3 0.8's reset drops a field cut by an error unfreed */
		nghttp3_qpack_stream_context_del(s->sctx);
		s->sctx = NULL;
	}
	if (!s->sctx && nghttp3_qpack_stream_context_new(&s->sctx, (int64_t)s->id, nghttp3_mem_default()))
		abort();
	s->blocked = 0;
	http_fields_reset(&h->fl);  /* a block blocks at its prefix, before any field */
	for (;;) {
		nghttp3_qpack_nv nv;
		uint8_t fl = 0;
		nghttp3_ssize r = nghttp3_qpack_decoder_read_request(dec_get(h, 0), s->sctx, &nv, &fl, s->fbuf + s->hboff,
								     s->hblen - s->hboff, 1);
		if (r < 0) {
			h->stats->parse_errors++;  /* not QPACK: the fields so far are still reported, but */
			h->bad = 1;                /* libnghttp3 fails the decoder for good (RFC 9204 2.2.3) */
			s->failed = 1;             /* and the block goes out as sent (salvage) */
			break;
		}
		s->hboff += (size_t)r;
		if (fl & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
			field_add(h, &nv);
			nghttp3_rcbuf_decref(nv.name);
			nghttp3_rcbuf_decref(nv.value);
		}
		if (fl & NGHTTP3_QPACK_DECODE_FLAG_FINAL)
			break;
		if (fl & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) {
			s->blocked = 1;  /* the block and the stream's later bytes wait for the encoder stream */
			drain(h, 0);
			return;
		}
		if (r == 0 && !(fl & NGHTTP3_QPACK_DECODE_FLAG_EMIT)) {
			h->stats->parse_errors++;  /* no progress: the block ended inside a field */
			break;
		}
	}
	drain(h, 0);
	h->stats->headers_truncated += h->fl.over;
	block_done(h, s, fn, arg);
}

/* The bytes s held while blocked, now parsed; fin when its end came too. */
static void held_replay(struct h3_conn *h, struct h3_stream *s, http_unit_fn fn, void *arg)
{
	uint8_t *p = s->held;
	size_t n = s->hlen;
	int fin = s->held_fin;
	s->held = NULL;
	s->hlen = s->hcap = 0;
	s->held_fin = 0;
	stream_bytes(h, s, p, n, fn, arg);
	free(p);
	if (fin && !s->blocked) {
		int cut = stream_cut(s);
		h->stats->parse_errors += cut;
		stream_end(h, s, cut, fn, arg);
	}
	else if (fin)
		s->held_fin = 1;
}

/* After encoder-stream bytes: blocked blocks now decodable, lowest stream first. */
static void unblock(struct h3_conn *h, http_unit_fn fn, void *arg)
{
	uint64_t icnt = nghttp3_qpack_decoder_get_icnt(dec_get(h, 0));
	for (;;) {
		struct h3_stream *s = NULL;
		for (int i = 0; i < PH_H3_MAX_STREAMS; i++) {
			struct h3_stream *t = &h->st[i];
			if (t->age && t->blocked && nghttp3_qpack_stream_context_get_ricnt(t->sctx) <= icnt &&
			    (!s || t->id < s->id))
				s = t;
		}
		if (!s || h->bad)
			return;
		block_decode(h, s, fn, arg);
		if (h->bad)
			return;  /* the held bytes stay for salvage */
		if (!s->blocked)
			held_replay(h, s, fn, arg);
	}
}

/* The table capacity direction d's encoder may use: its decoder is made anew with it when
 * its encoder stream said nothing yet (requests decoded before only used the static table). */
static void settings_table(struct h3_conn *h, int d, uint64_t v)
{
	h->dmax[d] = v;
	h->dmax_known[d] = 1;
	if (!h->dec[d] || h->efed[d])
		return;
	for (int i = 0; i < PH_H3_MAX_STREAMS; i++)
		if (h->st[i].age && h->st[i].blocked)
			return;  /* their Required Insert Counts were read against the old capacity */
	nghttp3_qpack_decoder_del(h->dec[d]);
	h->dec[d] = NULL;
	h->dassumed[d] = 0;
}

/* SETTINGS (RFC 9114 7.2.4): the QPACK table this side lets the other side's encoder use. */
static void settings(struct h3_conn *h, struct h3_stream *s)
{
	struct h3_stream vs = { 0 };
	const uint8_t *p = s->fbuf;
	size_t len = s->flen;
	uint64_t table = 0;  /* RFC 9204 5: 0 when not said */
	while (len) {
		uint64_t id, v;
		if (!varint(&vs, &p, &len, &id) || !varint(&vs, &p, &len, &v)) {
			h->stats->parse_errors++;  /* the frame ends inside a setting */
			return;
		}
		if (id == SET_QPACK_MAX_TABLE)
			table = v < PH_H3_QPACK_MAX_TABLE ? v : PH_H3_QPACK_MAX_TABLE;
		/* SET_QPACK_BLOCKED: the decoder takes up to PH_H3_QPACK_MAX_BLOCKED whatever it says */
	}
	settings_table(h, !s->dir, table);
}

/* A frame whose payload was buffered is complete. */
static void frame_done(struct h3_conn *h, struct h3_stream *s, http_unit_fn fn, void *arg)
{
	if (s->kind == K_CONTROL) {
		if (s->ftype == F_SETTINGS && !s->nsettings++)
			settings(h, s);
		return;  /* GOAWAY, MAX_PUSH_ID, CANCEL_PUSH: nothing to scan */
	}
	if (s->dir == 0) {  /* a header block: the request's or its trailers */
		s->hblen = s->flen;
		s->hboff = 0;
		block_decode(h, s, fn, arg);
	}
}

/* Whether a frame of s is gathered whole before it is read. */
static int frame_kept(const struct h3_stream *s)
{
	return (s->kind == K_REQUEST && s->ftype == F_HEADERS) || (s->kind == K_CONTROL && s->ftype == F_SETTINGS);
}

/* Stream bytes held while s's header block is blocked; 0 when over the cap (s is given up). */
static int hold(struct h3_conn *h, struct h3_stream *s, const uint8_t *p, size_t len)
{
	if (s->hlen + len > PH_H3_MAX_HELD) {
		h->stats->parse_errors++;
		s->kind = K_SKIP;
		s->blocked = 0;
		nghttp3_qpack_decoder_cancel_stream(h->dec[0], (int64_t)s->id);
		drain(h, 0);
		return 0;
	}
	if (s->hlen + len > s->hcap) {
		size_t nc = s->hcap ? s->hcap : 4096;
		while (nc < s->hlen + len)
			nc *= 2;
		s->held = util_xrealloc(s->held, nc);
		s->hcap = nc;
	}
	memcpy(s->held + s->hlen, p, len);
	s->hlen += len;
	return 1;
}

/* The peer's encoder stream (RFC 9204 4.3) into its direction's decoder. */
static void encoder_bytes(struct h3_conn *h, struct h3_stream *s, const uint8_t *p, size_t len,
			  http_unit_fn fn, void *arg)
{
	nghttp3_ssize r = nghttp3_qpack_decoder_read_encoder(dec_get(h, s->dir), p, len);
	h->efed[s->dir] = 1;
	drain(h, s->dir);
	if (r < 0) {
		h->stats->parse_errors++;  /* the encoder's table is lost */
		s->kind = K_SKIP;
		if (s->dir == 0)
			h->bad = 1;
		return;
	}
	if (s->dir == 0)
		unblock(h, fn, arg);
}

/* Bytes of one stream, in order. */
static void stream_bytes(struct h3_conn *h, struct h3_stream *s, const uint8_t *p, size_t len,
			 http_unit_fn fn, void *arg)
{
	while (len && !h->bad) {
		if (s->blocked) {
			hold(h, s, p, len);
			return;
		}
		if (s->kind == K_SKIP)
			return;
		if (s->kind == K_ENCODER) {
			encoder_bytes(h, s, p, len, fn, arg);
			return;
		}
		uint64_t v;
		switch (s->state) {
		case S_TYPE:
			if (!varint(s, &p, &len, &v))
				return;
			/* push (0x01), decoder (0x03), reserved types and the server's encoder (responses
			 * are not read) are skipped */
			s->kind = v == U_CONTROL ? K_CONTROL : v == U_ENCODER && !s->dir ? K_ENCODER : K_SKIP;
			s->state = S_FTYPE;
			break;
		case S_FTYPE:
			if (!varint(s, &p, &len, &s->ftype))
				return;
			s->state = S_FLEN;
			break;
		case S_FLEN:
			if (!varint(s, &p, &len, &s->flen))
				return;
			s->fgot = 0;
			s->state = S_PAYLOAD;
			if (frame_kept(s)) {
				if (s->flen > PH_H3_MAX_FRAME) {
					h->stats->parse_errors++;  /* over the cap: the stream is not read further */
					if (s->ftype == F_HEADERS)
						h->stats->headers_truncated++;
					s->kind = K_SKIP;
					return;
				}
				if (s->flen > s->fcap || !s->fbuf) {  /* never NULL: an empty block is read too */
					s->fcap = s->flen ? s->flen : 1;
					s->fbuf = util_xrealloc(s->fbuf, s->fcap);
				}
			}
			if (s->flen)
				break;
			s->state = S_FTYPE;  /* an empty frame */
			if (frame_kept(s))
				frame_done(h, s, fn, arg);
			break;
		case S_PAYLOAD: {
			size_t n = s->flen - s->fgot < len ? (size_t)(s->flen - s->fgot) : len;
			if (frame_kept(s))
				memcpy(s->fbuf + s->fgot, p, n);
			else if (s->kind == K_REQUEST && s->ftype == F_DATA && s->has_req)
				http_body_add(&s->body, &s->req, h->stats, p, n);
			s->fgot += n;
			p += n;
			len -= n;
			if (s->fgot < s->flen)
				return;
			s->state = S_FTYPE;
			if (frame_kept(s))
				frame_done(h, s, fn, arg);
			break;
		}
		}
	}
}

/* The connection stopped parsing: what its request streams hold and no unit carried yet goes
 * out as sent (a frame gathered so far, a header block that failed or waits, the bytes behind it),
 * bodies as far as they came, so nothing the device sent is left unscanned. */
static void salvage(struct h3_conn *h, http_unit_fn fn, void *arg)
{
	for (int i = 0; i < PH_H3_MAX_STREAMS; i++) {
		struct h3_stream *s = &h->st[i];
		if (!s->age || s->kind != K_REQUEST)
			continue;
		const struct http_request *req = s->has_req ? &s->req : NULL;
		if (s->has_req)
			http_body_flush(&s->body, &h->decomp, &s->req, h->stats, 1, fn, arg);
		if (s->blocked || s->failed)
			emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, s->fbuf, s->hblen, req);
		else if (s->state == S_PAYLOAD && frame_kept(s))
			emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, s->fbuf, (size_t)s->fgot, req);
		emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, s->held, s->hlen, req);
		if (s->blocked)
			s->blocked = 0;  /* the decoder is failed: nothing to cancel */
		gone_add(h, s->id);
		stream_clear(s);
	}
}

int h3_stream(struct h3_conn *h, int dir, uint64_t stream_id, const uint8_t *p, size_t len, int fin,
	      http_unit_fn fn, void *arg)
{
	if (h->bad)
		return -1;
	int ok = (stream_id & 3) == 3 ? dir == 1 : (stream_id & 3) != 1 && dir == 0;
	if (!ok)
		return 0;  /* server bidirectional streams, responses, a direction that cannot be: not read */
	struct h3_stream *s = stream_get(h, stream_id, dir, fn, arg);
	if (!s)
		return 0;  /* dropped earlier, or the table holds only control and encoder streams */
	stream_bytes(h, s, p, len, fn, arg);
	if (h->bad) {
		salvage(h, fn, arg);  /* before the stream's end frees what it holds */
		return -1;
	}
	if (fin && s->age) {
		if (s->blocked)
			s->held_fin = 1;
		else {
			int cut = stream_cut(s);
			h->stats->parse_errors += cut;  /* the stream ended inside a varint or a frame */
			stream_end(h, s, cut, fn, arg);
		}
	}
	return 0;
}

int h3_settings_seen(const struct h3_conn *h, int dir)
{
	return h->dmax_known[!dir];
}

int h3_table_assumed(const struct h3_conn *h)
{
	return h->dec[0] && h->dassumed[0];
}

void h3_finish(struct h3_conn *h, http_unit_fn fn, void *arg)
{
	for (int i = 0; i < PH_H3_MAX_STREAMS; i++)
		if (h->st[i].age)
			stream_end(h, &h->st[i], 1, fn, arg);
}
