/* http_fields.h - the header fields of one decoded HTTP/2 or HTTP/3 header block (HPACK, QPACK),
 * copied out of the decoder, and what a request stream makes of them: the request and its units. */
#ifndef PH_HTTP_FIELDS_H
#define PH_HTTP_FIELDS_H
#include "http.h"
#include "http_body.h"
#include <stddef.h>
#include <stdint.h>

#define HTTP_FIELDS_MAX 128            /* header fields of one block kept */
#define HTTP_FIELDS_BYTES 65536        /* their names and values */

struct http_field { uint32_t off, nl, vl; };  /* name at arena[off], its value right after */

struct http_fields {
	struct http_field f[HTTP_FIELDS_MAX];
	size_t n;
	uint8_t *arena;                /* HTTP_FIELDS_BYTES */
	size_t alen;
	int over;                      /* fields of the block left out */
};

struct http_requests {             /* a connection's requests: numbered, counted, announced */
	const char *protocol;          /* "HTTP/2", "HTTP/3" */
	struct http_stats *stats;
	uint32_t n;
	void (*on_req)(void *arg, const struct http_request *r);
	void *on_req_arg;
};

void http_fields_init(struct http_fields *fl);
void http_fields_free(struct http_fields *fl);
/* Empty, for the next block. */
void http_fields_reset(struct http_fields *fl);
/* One field, copied; beyond the caps it is left out (fl->over). */
void http_fields_add(struct http_fields *fl, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl);
/* The fields of a request stream's block: unless trailers, req is filled from them (method,
 * :path, :authority or host, user-agent, content-type; content-encoding into body), numbered,
 * counted and announced, and its URL unit emitted; then a HEADER unit per field, the
 * pseudo-headers but :authority left out. */
void http_fields_request(const struct http_fields *fl, int trailers, struct http_requests *rq,
			 struct http_request *req, struct http_body *body, http_unit_fn fn, void *arg);

#endif
