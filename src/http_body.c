/* http_body.c - request bodies of HTTP/2 and HTTP/3 streams: gathered under a cap, decoded by
 * their content-encoding (RFC 9110 8.4) through decomp.c, cut into BODY units. */
#include "http_body.h"
#include "config.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_body_reset(struct http_body *b)
{
	b->len = 0;
	b->ncod = b->cod_over = 0;
}

void http_body_free(struct http_body *b)
{
	free(b->buf);
	memset(b, 0, sizeof *b);
}

void http_body_codings(struct http_body *b, const uint8_t *v, size_t vl)
{
	size_t i = 0;
	while (i < vl) {
		while (i < vl && (v[i] == ' ' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < vl && v[i] != ',' && v[i] != ' ')
			i++;
		if (i == s)
			break;
		enum decomp_coding c = decomp_coding_parse((const char *)v + s, i - s);
		if (c == DECOMP_IDENTITY)
			continue;
		if (b->ncod == DECOMP_MAX_CHAIN || c == DECOMP_UNKNOWN)
			b->cod_over = 1;
		else
			b->cod[b->ncod++] = c;
	}
}

void http_body_add(struct http_body *b, struct http_request *req, struct http_stats *st,
		   const uint8_t *p, size_t n)
{
	req->body_len += n;
	if (b->len + n > PH_HTTP_MAX_BODY) {
		n = PH_HTTP_MAX_BODY - b->len;
		if (!req->body_truncated) {
			req->body_truncated = 1;
			st->bodies_truncated++;
		}
	}
	if (!n)
		return;
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + n)
			nc *= 2;
		b->buf = util_xrealloc(b->buf, nc);
		b->cap = nc;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void emit(http_unit_fn fn, void *arg, const char *enc, const uint8_t *p, size_t len,
		 const struct http_request *req)
{
	struct http_unit u = { HTTP_WHERE_BODY, NULL, enc, p, len, req };
	if (len)
		fn(arg, &u);
}

void http_body_flush(struct http_body *b, struct decomp **dec, const struct http_request *req,
		     struct http_stats *st, int cut, http_unit_fn fn, void *arg)
{
	if (!b->len)
		return;
	if (!b->ncod) {
		emit(fn, arg, NULL, b->buf, b->len, req);
		b->len = 0;
		return;
	}
	enum decomp_coding dc[DECOMP_MAX_CHAIN];
	char enc[64];
	size_t el = 0;
	enc[0] = 0;
	for (int i = 0; i < b->ncod; i++) {
		dc[i] = b->cod[b->ncod - 1 - i];  /* the last coding applied is undone first */
		el += (size_t)snprintf(enc + el, sizeof enc - el, "%s%s", i ? ">" : "", decomp_coding_name(dc[i]));
		if (el >= sizeof enc)
			el = sizeof enc - 1;
	}
	if (!*dec)
		*dec = decomp_new(PH_HTTP_MAX_DECODED);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	int ok = !b->cod_over &&
		 decomp_chain(*dec, dc, b->ncod, b->buf, b->len, cut || req->body_truncated, &out, &outlen) == 0;
	if (!ok) {
		st->decode_errors++;
		emit(fn, arg, NULL, b->buf, b->len, req);
	}
	emit(fn, arg, enc, out, outlen, req);
	b->len = 0;
}
