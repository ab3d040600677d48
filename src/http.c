/* http.c - streaming HTTP/1.x request parser for the client->server byte stream (RFC 9112).
 * Header block buffered then cut into units; bodies de-chunked, decoded (decomp.c), capped. */
#include "http.h"
#include "decomp.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_HBUF_MIN 1024          /* first size of the header buffer; doubles up to the cap */
#define HTTP_BBUF_MIN 4096          /* first size of the body buffer */
#define HTTP_MAX_CL_DIGITS 18       /* Content-Length digits accepted (no overflow) */
#define HTTP_MAX_CHUNK_DIGITS 15    /* chunk-size hex digits accepted */

enum state {
	S_HDR,          /* request line and headers, buffered until the empty line */
	S_HDR_STREAM,   /* header block overflowed: lines handled one at a time */
	S_LINE_SKIP,    /* rest of an over-long line, emitted as PAYLOAD; then back to ret_state */
	S_BODY_CL,      /* Content-Length body */
	S_CHUNK_SIZE,   /* chunk-size [; ext] CRLF */
	S_CHUNK_DATA,
	S_CHUNK_CRLF,   /* CRLF after chunk data */
	S_TRAILER,      /* trailer fields until the empty line */
	S_PAYLOAD,      /* not HTTP (any more) */
};

struct http_parser {
	struct http_stats *stats, own_stats;
	enum state state, ret_state;
	uint8_t *hbuf;                  /* header block, or the current line in line states */
	size_t hlen, hcap, lstart;      /* bytes held, allocated, start of the unfinished line */
	int validated;                  /* the request line starts with a known method */
	int overflowed;                 /* this request's header block exceeded the cap */
	int tunnel;                     /* last request was CONNECT / Upgrade: other bytes may follow */
	struct http_request req;
	uint64_t clen, remain;
	int has_clen, chunked, te_seen, bad, upgrade;
	enum decomp_coding cod[DECOMP_MAX_CHAIN];   /* in the order applied by the sender */
	int ncod, cod_over;
	uint8_t *bbuf;
	size_t blen, bcap;
	struct decomp *dec;
	char hname[64];
	char enc[64];
	void (*on_req)(void *arg, const struct http_request *r);
	void *on_req_arg;
};

/* A parser for one connection's client->server bytes. */
struct http_parser *http_parser_new(struct http_stats *stats)
{
	struct http_parser *h = util_xcalloc(1, sizeof(*h));

	h->stats = stats ? stats : &h->own_stats;
	h->state = S_HDR;
	return h;
}

/* Release a parser and its buffers. */
void http_parser_free(struct http_parser *h)
{
	if (!h)
		return;
	decomp_free(h->dec);
	free(h->hbuf);
	free(h->bbuf);
	free(h);
}

/* Register the per-request callback. */
void http_parser_on_request(struct http_parser *h, void (*fn)(void *arg, const struct http_request *r), void *arg)
{
	h->on_req = fn;
	h->on_req_arg = arg;
}

/* 1 when p starts like an HTTP/1.x request, 0 when not, -1 when too short to tell. */
int http_is_request(const uint8_t *p, size_t len)
{
	static const char *const methods[] = {
		"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
		"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT",
		"SEARCH", "MKCALENDAR", "PURGE",
	};
	int maybe = 0;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t ml = strlen(methods[i]);
		size_t n = len < ml ? len : ml;

		if (memcmp(p, methods[i], n) != 0)
			continue;
		if (len > ml) {
			if (p[ml] == ' ')
				return 1;
		} else {
			maybe = 1;
		}
	}
	return maybe ? -1 : 0;
}

/* Emit one unit. */
static void emit(http_unit_fn fn, void *arg, enum http_where where, const char *name,
		 const char *enc, const uint8_t *p, size_t len, const struct http_request *req)
{
	struct http_unit u = { where, name, enc, p, len, req };

	if (len > 0)
		fn(arg, &u);
}

/* Copy len bytes into a NUL-terminated field of size sz, truncated to fit. */
static void field_set(char *dst, size_t sz, const uint8_t *p, size_t len)
{
	if (len >= sz)
		len = sz - 1;
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* Grow hbuf so that n more bytes fit, within the header cap; returns the room left. */
static size_t hbuf_room(struct http_parser *h, size_t n)
{
	size_t want = h->hlen + n;

	if (want > PH_HTTP_MAX_HEADER)
		want = PH_HTTP_MAX_HEADER;
	if (want > h->hcap) {
		size_t ncap = h->hcap ? h->hcap : HTTP_HBUF_MIN;

		while (ncap < want)
			ncap *= 2;
		if (ncap > PH_HTTP_MAX_HEADER)
			ncap = PH_HTTP_MAX_HEADER;
		h->hbuf = util_xrealloc(h->hbuf, ncap);
		h->hcap = ncap;
	}
	return h->hcap - h->hlen;
}

enum { LINE_MORE, LINE_DONE, LINE_FULL, LINE_LIMIT };

/* Append input to hbuf up to and including a LF, at most limit bytes.
 * LINE_DONE: a line ended (LF stored); LINE_FULL: the cap was hit first. */
static int take_line(struct http_parser *h, const uint8_t **pp, size_t *plen, size_t limit)
{
	const uint8_t *lf = memchr(*pp, '\n', *plen);
	size_t n = lf ? (size_t)(lf - *pp) + 1 : *plen;
	size_t room;
	int r = lf ? LINE_DONE : LINE_MORE;

	if (n > limit) {
		n = limit;
		r = LINE_LIMIT;
	}
	room = hbuf_room(h, n);
	if (n > room) {
		n = room;
		r = LINE_FULL;
	}
	memcpy(h->hbuf + h->hlen, *pp, n);
	h->hlen += n;
	*pp += n;
	*plen -= n;
	return r;
}

/* Length of a line without its CR LF. */
static size_t line_trim(const uint8_t *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

/* Switch to PAYLOAD: emit the held bytes and the rest of this call's input; returns -1. */
static int go_payload(struct http_parser *h, int error, const uint8_t *held, size_t heldlen,
		      const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	if (error)
		h->stats->parse_errors++;
	h->state = S_PAYLOAD;
	emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, held, heldlen, NULL);
	emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, *pp, *plen, NULL);
	*pp += *plen;
	*plen = 0;
	h->hlen = 0;
	return -1;
}

/* Add the comma-separated codings of a Content- or Transfer-Encoding value. */
static void codings_add(struct http_parser *h, const uint8_t *v, size_t len, int te)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e, n;
		enum decomp_coding c;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		for (e = s; e < i && v[e] != ';' && v[e] != ' ' && v[e] != '\t'; e++)
			;
		n = e - s;
		if (n == 0)
			continue;
		if (te && n == 7 && strncasecmp((const char *)v + s, "chunked", 7) == 0) {
			h->chunked = 1;
			continue;
		}
		if (te && h->chunked)
			h->bad = 1;     /* chunked must be the final transfer coding */
		c = decomp_coding_parse((const char *)v + s, n);
		if (c == DECOMP_IDENTITY)
			continue;
		if (h->ncod < DECOMP_MAX_CHAIN)
			h->cod[h->ncod++] = c;
		else
			h->cod_over = 1;
	}
}

/* Content-Length: digits only, repeated values must agree. */
static void clen_set(struct http_parser *h, const uint8_t *v, size_t len)
{
	uint64_t n = 0;

	if (len == 0 || len > HTTP_MAX_CL_DIGITS) {
		h->bad = 1;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9') {
			h->bad = 1;
			return;
		}
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (h->has_clen && n != h->clen)
		h->bad = 1;
	h->has_clen = 1;
	h->clen = n;
}

/* Record what the parser needs from one header field. */
/* 1 when the header value contains word (case-insensitive). */
static int has_token(const uint8_t *v, size_t vl, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= vl; i++)
		if (!strncasecmp((const char *)v + i, word, wl))
			return 1;
	return 0;
}

static void hdr_apply(struct http_parser *h, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
#define IS(s) (nl == sizeof(s) - 1 && strncasecmp((const char *)n, s, nl) == 0)
	if (IS("host"))
		field_set(h->req.host, sizeof(h->req.host), v, vl);
	else if (IS("user-agent"))
		field_set(h->req.user_agent, sizeof(h->req.user_agent), v, vl);
	else if (IS("content-type"))
		field_set(h->req.content_type, sizeof(h->req.content_type), v, vl);
	else if (IS("content-length"))
		clen_set(h, v, vl);
	else if (IS("transfer-encoding")) {
		h->te_seen = 1;
		codings_add(h, v, vl, 1);
	} else if (IS("content-encoding"))
		codings_add(h, v, vl, 0);
	else if (IS("upgrade")) {
		h->upgrade = 1;
		h->req.websocket = (uint8_t)has_token(v, vl, "websocket");
	}
#undef IS
}

/* One header (or trailer) line without CRLF: apply it and/or emit it as a HEADER unit. */
static void hdr_line(struct http_parser *h, const uint8_t *p, size_t len, int apply, int out,
		     http_unit_fn fn, void *arg)
{
	const uint8_t *colon = memchr(p, ':', len);
	size_t nl = 0, vs, ve = len;

	if (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
		vs = 0;         /* obsolete line folding: continues the previous field */
	} else if (colon) {
		nl = (size_t)(colon - p);
		while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
			nl--;
		field_set(h->hname, sizeof(h->hname), p, nl);
		vs = (size_t)(colon - p) + 1;
	} else {
		h->hname[0] = '\0';
		vs = 0;
	}
	while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	if (apply && colon && nl > 0)
		hdr_apply(h, p, nl, p + vs, ve - vs);
	if (out)
		emit(fn, arg, HTTP_WHERE_HEADER, h->hname, NULL, p + vs, ve - vs, &h->req);
}

/* Request line "METHOD SP target SP HTTP/1.x"; a cut line (complete=0) need not carry the version.
 * Fills req and returns the target's offset and length, or -1 when it is not a request line. */
static int reqline(struct http_parser *h, const uint8_t *p, size_t len, int complete,
		   size_t *toff, size_t *tlen)
{
	const uint8_t *sp1 = memchr(p, ' ', len);
	size_t m, te;

	if (!sp1 || sp1 == p)
		return -1;
	m = (size_t)(sp1 - p);
	*toff = m + 1;
	te = len;
	if (complete) {
		while (te > *toff && p[te - 1] != ' ')
			te--;
		if (te <= *toff + 1 || len - te < 8 || memcmp(p + te, "HTTP/1.", 7) != 0)
			return -1;
		field_set(h->req.protocol, sizeof(h->req.protocol), p + te, 8);
		te--;
	}
	*tlen = te - *toff;
	if (*tlen == 0)
		return -1;
	field_set(h->req.method, sizeof(h->req.method), p, m);
	field_set(h->req.uri, sizeof(h->req.uri), p + *toff, *tlen);
	return 0;
}

/* Process lines of hbuf[0..end) (request line first); the last may be cut (no LF). */
static int hdr_block(struct http_parser *h, size_t end, http_unit_fn fn, void *arg, int notify)
{
	const uint8_t *b = h->hbuf;
	const uint8_t *lf = memchr(b, '\n', end);
	size_t rl = lf ? (size_t)(lf - b) + 1 : end;
	size_t toff, tlen;

	if (reqline(h, b, line_trim(b, rl), lf != NULL, &toff, &tlen) < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = rl;

		if (pass == 1) {
			/* nothing is emitted for a block that turns out invalid: it all goes out as PAYLOAD */
			if (h->bad || (h->te_seen && !h->chunked))
				return -1;
			h->stats->requests++;
			if (notify && h->on_req)
				h->on_req(h->on_req_arg, &h->req);
			emit(fn, arg, HTTP_WHERE_URL, NULL, NULL, b + toff, tlen, &h->req);
		}
		while (pos < end) {
			const uint8_t *e = memchr(b + pos, '\n', end - pos);
			size_t ll = e ? (size_t)(e - (b + pos)) + 1 : end - pos;
			size_t tl = line_trim(b + pos, ll);

			/* a line cut by the cap is scanned but not trusted for framing */
			if (tl > 0)
				hdr_line(h, b + pos, tl, pass == 0 && e, pass == 1, fn, arg);
			pos += ll;
		}
	}
	return 0;
}

/* Append de-chunked body bytes, keeping at most PH_HTTP_MAX_BODY. */
static void body_add(struct http_parser *h, const uint8_t *p, size_t n)
{
	size_t keep = n;

	h->req.body_len += n;
	if (h->blen + keep > PH_HTTP_MAX_BODY) {
		keep = PH_HTTP_MAX_BODY - h->blen;
		if (!h->req.body_truncated) {
			h->req.body_truncated = 1;
			h->stats->bodies_truncated++;
		}
	}
	if (keep == 0)
		return;
	if (h->blen + keep > h->bcap) {
		size_t ncap = h->bcap ? h->bcap : HTTP_BBUF_MIN;

		while (ncap < h->blen + keep)
			ncap *= 2;
		if (ncap > PH_HTTP_MAX_BODY)
			ncap = PH_HTTP_MAX_BODY;
		h->bbuf = util_xrealloc(h->bbuf, ncap);
		h->bcap = ncap;
	}
	memcpy(h->bbuf + h->blen, p, keep);
	h->blen += keep;
}

/* Emit the body: decoded when it carries codings, raw when there are none or decoding fails. */
static void body_flush(struct http_parser *h, int cut, http_unit_fn fn, void *arg)
{
	enum decomp_coding dc[DECOMP_MAX_CHAIN];
	const uint8_t *out = NULL;
	size_t outlen = 0, el = 0;
	int ok = 0;

	if (h->blen == 0)
		return;
	if (h->ncod == 0) {
		emit(fn, arg, HTTP_WHERE_BODY, NULL, NULL, h->bbuf, h->blen, &h->req);
		h->blen = 0;
		return;
	}
	h->enc[0] = '\0';
	for (int i = 0; i < h->ncod; i++) {
		dc[i] = h->cod[h->ncod - 1 - i];    /* the last coding applied is undone first */
		el += (size_t)snprintf(h->enc + el, sizeof(h->enc) - el, "%s%s", i ? ">" : "",
				       decomp_coding_name(dc[i]));
		if (el >= sizeof(h->enc))
			el = sizeof(h->enc) - 1;
	}
	if (!h->dec)
		h->dec = decomp_new(PH_HTTP_MAX_DECODED);
	if (!h->cod_over)
		ok = decomp_chain(h->dec, dc, h->ncod, h->bbuf, h->blen,
				  cut || h->req.body_truncated, &out, &outlen) == 0;
	if (!ok) {
		h->stats->decode_errors++;
		emit(fn, arg, HTTP_WHERE_BODY, NULL, NULL, h->bbuf, h->blen, &h->req);
	}
	/* what decoded before an error is still worth scanning */
	emit(fn, arg, HTTP_WHERE_BODY, NULL, h->enc, out, outlen, &h->req);
	h->blen = 0;
}

/* The request is complete: reset for the next one on the connection. */
static void req_done(struct http_parser *h)
{
	uint32_t index = h->req.index + 1;

	h->tunnel = h->upgrade || strcmp(h->req.method, "CONNECT") == 0;
	memset(&h->req, 0, sizeof(h->req));
	h->req.index = index;
	h->clen = h->remain = 0;
	h->has_clen = h->chunked = h->te_seen = h->bad = h->upgrade = 0;
	h->ncod = h->cod_over = 0;
	h->hlen = h->lstart = 0;
	h->validated = h->overflowed = 0;
	h->blen = 0;
	h->state = S_HDR;
}

/* Headers complete: decide how the body is delimited (RFC 9112 6.3). -1 when they are invalid. */
static int hdr_end(struct http_parser *h)
{
	h->hlen = 0;
	if (h->bad || (h->te_seen && !h->chunked))
		return -1;
	if (h->overflowed && h->on_req)
		h->on_req(h->on_req_arg, &h->req);
	if (h->chunked) {
		h->state = S_CHUNK_SIZE;
	} else if (h->has_clen && h->clen > 0) {
		h->remain = h->clen;
		h->state = S_BODY_CL;
	} else {
		req_done(h);
	}
	return 0;
}

/* The header block outgrew the cap: handle what is held, then go on line by line. */
static int hdr_overflow(struct http_parser *h, const uint8_t **pp, size_t *plen,
			http_unit_fn fn, void *arg)
{
	int partial = h->lstart < h->hlen;

	h->stats->headers_truncated++;
	h->overflowed = 1;
	if (hdr_block(h, h->hlen, fn, arg, 0) < 0)
		return go_payload(h, 1, h->hbuf, h->hlen, pp, plen, fn, arg);
	h->hlen = h->lstart = 0;
	h->ret_state = S_HDR_STREAM;
	h->state = partial ? S_LINE_SKIP : S_HDR_STREAM;
	return 0;
}

/* Request line and header block, buffered until the empty line. */
static int st_hdr(struct http_parser *h, const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	while (*plen > 0) {
		/* look at the method before taking a whole line, so binary data is let go quickly */
		size_t limit = !h->validated && h->hlen < 16 ? 16 - h->hlen : (size_t)-1;

		if (!h->validated && h->hlen == 0 && (**pp == '\r' || **pp == '\n'))
			limit = 1;
		int r = take_line(h, pp, plen, limit);

		if (!h->validated) {
			int v;

			if (h->hlen == 1 && (h->hbuf[0] == '\r' || h->hbuf[0] == '\n')) {
				h->hlen = 0;    /* CR LF before a request line is ignored (RFC 9112 2.2) */
				continue;
			}
			v = http_is_request(h->hbuf, h->hlen);
			if (v == 0 || (v < 0 && r == LINE_DONE))
				return go_payload(h, h->req.index > 0 && !h->tunnel, h->hbuf, h->hlen,
						  pp, plen, fn, arg);
			h->validated = v == 1;
		}
		if (r == LINE_FULL)
			return hdr_overflow(h, pp, plen, fn, arg);
		if (r != LINE_DONE)
			continue;
		if (h->lstart > 0 && line_trim(h->hbuf + h->lstart, h->hlen - h->lstart) == 0) {
			if (hdr_block(h, h->lstart, fn, arg, 1) < 0)
				return go_payload(h, 1, h->hbuf, h->hlen, pp, plen, fn, arg);
			return hdr_end(h) < 0 ? go_payload(h, 1, NULL, 0, pp, plen, fn, arg) : 0;
		}
		h->lstart = h->hlen;
	}
	return 0;
}

/* Header lines after an overflow, or trailer lines: one line at a time. */
static int st_lines(struct http_parser *h, const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	int trailer = h->state == S_TRAILER;
	int r = take_line(h, pp, plen, (size_t)-1);
	size_t tl;

	if (r == LINE_MORE)
		return 0;
	tl = line_trim(h->hbuf, h->hlen);
	if (r == LINE_DONE && tl == 0) {
		if (trailer) {
			req_done(h);
			return 0;
		}
		return hdr_end(h) < 0 ? go_payload(h, 1, NULL, 0, pp, plen, fn, arg) : 0;
	}
	hdr_line(h, h->hbuf, tl, !trailer && r == LINE_DONE, 1, fn, arg);
	h->hlen = 0;
	if (r == LINE_FULL) {
		h->stats->headers_truncated++;
		h->ret_state = h->state;
		h->state = S_LINE_SKIP;
	}
	return 0;
}

/* The rest of an over-long line: still scanned, as PAYLOAD. */
static int st_skip(struct http_parser *h, const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	const uint8_t *lf = memchr(*pp, '\n', *plen);
	size_t n = lf ? (size_t)(lf - *pp) + 1 : *plen;

	emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, *pp, n, NULL);
	*pp += n;
	*plen -= n;
	if (lf)
		h->state = h->ret_state;
	return 0;
}

/* Body bytes of a Content-Length body or of a chunk. */
static int st_data(struct http_parser *h, const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	size_t n = *plen < h->remain ? *plen : (size_t)h->remain;

	body_add(h, *pp, n);
	*pp += n;
	*plen -= n;
	h->remain -= n;
	if (h->remain > 0)
		return 0;
	if (h->state == S_CHUNK_DATA) {
		h->state = S_CHUNK_CRLF;
	} else {
		body_flush(h, 0, fn, arg);
		req_done(h);
	}
	return 0;
}

/* chunk-size [; chunk-ext] CRLF, or the CRLF that ends a chunk's data (RFC 9112 7.1). */
static int st_chunk_line(struct http_parser *h, const uint8_t **pp, size_t *plen, http_unit_fn fn, void *arg)
{
	int r = take_line(h, pp, plen, (size_t)-1);
	size_t tl, i = 0, nd = 0;
	uint64_t sz = 0;

	if (r == LINE_MORE)
		return 0;
	tl = r == LINE_DONE ? line_trim(h->hbuf, h->hlen) : 0;
	if (r == LINE_DONE && h->state == S_CHUNK_CRLF) {
		if (tl != 0)
			goto bad;
		h->hlen = 0;
		h->state = S_CHUNK_SIZE;
		return 0;
	}
	if (r != LINE_DONE)
		goto bad;
	for (; i < tl && nd <= HTTP_MAX_CHUNK_DIGITS; i++, nd++) {
		uint8_t c = h->hbuf[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			break;
		sz = sz << 4 | (uint64_t)d;
	}
	if (nd == 0 || nd > HTTP_MAX_CHUNK_DIGITS ||
	    (i < tl && h->hbuf[i] != ';' && h->hbuf[i] != ' ' && h->hbuf[i] != '\t'))
		goto bad;
	h->hlen = 0;
	if (sz == 0) {
		body_flush(h, 0, fn, arg);
		h->state = S_TRAILER;
	} else {
		h->remain = sz;
		h->state = S_CHUNK_DATA;
	}
	return 0;
bad:
	body_flush(h, 1, fn, arg);
	return go_payload(h, 1, h->hbuf, h->hlen, pp, plen, fn, arg);
}

/* Feed the next in-order bytes of the client->server stream. */
int http_parser_feed(struct http_parser *h, const uint8_t *p, size_t len, http_unit_fn fn, void *arg)
{
	while (len > 0) {
		int r;

		switch (h->state) {
		case S_HDR: r = st_hdr(h, &p, &len, fn, arg); break;
		case S_HDR_STREAM:
		case S_TRAILER: r = st_lines(h, &p, &len, fn, arg); break;
		case S_LINE_SKIP: r = st_skip(h, &p, &len, fn, arg); break;
		case S_BODY_CL:
		case S_CHUNK_DATA: r = st_data(h, &p, &len, fn, arg); break;
		case S_CHUNK_SIZE:
		case S_CHUNK_CRLF: r = st_chunk_line(h, &p, &len, fn, arg); break;
		default: r = go_payload(h, 0, NULL, 0, &p, &len, fn, arg); break;
		}
		if (r < 0)
			return -1;
	}
	return h->state == S_PAYLOAD ? -1 : 0;
}

/* Connection end: emit what is buffered. */
void http_parser_finish(struct http_parser *h, http_unit_fn fn, void *arg)
{
	switch (h->state) {
	case S_HDR:
		if (h->validated && hdr_block(h, h->hlen, fn, arg, 1) == 0)
			break;
		emit(fn, arg, HTTP_WHERE_PAYLOAD, NULL, NULL, h->hbuf, h->hlen, NULL);
		break;
	case S_HDR_STREAM:
	case S_LINE_SKIP:
		if (h->state == S_HDR_STREAM && h->hlen > 0)
			hdr_line(h, h->hbuf, line_trim(h->hbuf, h->hlen), 1, 1, fn, arg);
		if (h->on_req && (h->state == S_HDR_STREAM || h->ret_state == S_HDR_STREAM))
			h->on_req(h->on_req_arg, &h->req);
		break;
	case S_TRAILER:
		if (h->hlen > 0)
			hdr_line(h, h->hbuf, line_trim(h->hbuf, h->hlen), 0, 1, fn, arg);
		break;
	case S_BODY_CL:
	case S_CHUNK_SIZE:
	case S_CHUNK_DATA:
	case S_CHUNK_CRLF:
		body_flush(h, 1, fn, arg);
		break;
	default:
		break;
	}
	req_done(h);
	h->state = S_PAYLOAD;
}

/* Content-Length's value in the header lines of p[0..len), or -1. */
static int64_t response_length(const uint8_t *p, size_t len)
{
	static const char name[] = "content-length:";
	const size_t nl = sizeof name - 1;
	for (size_t i = 0; i + nl < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 2 < len && (p[i + 1] == '\r' || p[i + 1] == '\n'))
			return -1;  /* the blank line: end of the headers */
		if (strncasecmp((const char *)p + i + 1, name, nl))
			continue;
		size_t k = i + 1 + nl;
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		int64_t v = -1;
		for (; k < len && p[k] >= '0' && p[k] <= '9' && v < INT64_MAX / 10 - 10; k++)
			v = (v < 0 ? 0 : v * 10) + (p[k] - '0');
		return v;
	}
	return -1;
}

int http_response_head(const uint8_t *p, size_t len, int *status, int64_t *length)
{
	if (len < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return -1;  /* not a status line, or too short to hold one */
	for (int i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	*length = response_length(p, len);
	return 0;
}
