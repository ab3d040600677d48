/* http_fields.c - header fields of HTTP/2 and HTTP/3 header blocks (RFC 9113 8.3, RFC 9114 4.3):
 * kept under caps, read into the request, cut into URL and HEADER units as http.c does. */
#include "http_fields.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_fields_init(struct http_fields *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->arena = util_xmalloc(HTTP_FIELDS_BYTES);
}

void http_fields_free(struct http_fields *fl)
{
	free(fl->arena);
	fl->arena = NULL;
}

void http_fields_reset(struct http_fields *fl)
{
	fl->n = fl->alen = 0;
	fl->over = 0;
}

void http_fields_add(struct http_fields *fl, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl)
{
	if (fl->n == HTTP_FIELDS_MAX || nl + vl > HTTP_FIELDS_BYTES - fl->alen) {
		fl->over = 1;
		return;
	}
	struct http_field *f = &fl->f[fl->n++];
	f->off = (uint32_t)fl->alen;
	f->nl = (uint32_t)nl;
	f->vl = (uint32_t)vl;
	memcpy(fl->arena + fl->alen, name, nl);
	memcpy(fl->arena + fl->alen + nl, v, vl);
	fl->alen += nl + vl;
}

static void field_set(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	n = n < cap - 1 ? n : cap - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

static void emit(http_unit_fn fn, void *arg, enum http_where w, const char *name, const uint8_t *p, size_t len,
		 const struct http_request *req)
{
	struct http_unit u = { w, name, NULL, p, len, req };
	if (len)
		fn(arg, &u);
}

/* The request line's parts and the headers http.c also reads; the :path field, or NULL. */
static const struct http_field *request_fields(const struct http_fields *fl, struct http_request *req,
					       struct http_body *body)
{
	const struct http_field *path = NULL;
	for (size_t i = 0; i < fl->n; i++) {
		const struct http_field *f = &fl->f[i];
		const char *n = (const char *)fl->arena + f->off;
		const uint8_t *v = fl->arena + f->off + f->nl;
#define IS(s) (f->nl == sizeof(s) - 1 && !memcmp(n, s, f->nl))
		if (IS(":method"))
			field_set(req->method, sizeof req->method, v, f->vl);
		else if (IS(":path"))
			path = f;
		else if (IS(":authority") || (IS("host") && !req->host[0]))
			field_set(req->host, sizeof req->host, v, f->vl);
		else if (IS("user-agent"))
			field_set(req->user_agent, sizeof req->user_agent, v, f->vl);
		else if (IS("content-type"))
			field_set(req->content_type, sizeof req->content_type, v, f->vl);
		else if (IS("content-encoding"))
			http_body_codings(body, v, f->vl);
#undef IS
	}
	return path;
}

void http_fields_request(const struct http_fields *fl, int trailers, struct http_requests *rq,
			 struct http_request *req, struct http_body *body, http_unit_fn fn, void *arg)
{
	const struct http_field *path = NULL;
	if (!trailers) {
		path = request_fields(fl, req, body);
		if (path)
			field_set(req->uri, sizeof req->uri, fl->arena + path->off + path->nl, path->vl);
		req->index = rq->n++;
		snprintf(req->protocol, sizeof req->protocol, "%s", rq->protocol);
		rq->stats->requests++;
		if (rq->on_req)
			rq->on_req(rq->on_req_arg, req);
		if (path)
			emit(fn, arg, HTTP_WHERE_URL, NULL, fl->arena + path->off + path->nl, path->vl, req);
	}
	char name[256];
	for (size_t i = 0; i < fl->n; i++) {
		const struct http_field *f = &fl->f[i];
		if (f == path || (f->nl && fl->arena[f->off] == ':' &&
				  !(f->nl == 10 && !memcmp(fl->arena + f->off, ":authority", 10))))
			continue;  /* :method, :scheme: nothing of the device's */
		field_set(name, sizeof name, fl->arena + f->off, f->nl);
		emit(fn, arg, HTTP_WHERE_HEADER, name, fl->arena + f->off + f->nl, f->vl, req);
	}
}
