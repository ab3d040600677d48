/* http_body.h - one request body of an HTTP/2 or HTTP/3 stream, kept under PH_HTTP_MAX_BODY and
 * emitted as BODY units decoded by its content-encoding (RFC 9110 8.4), as http.c does. */
#ifndef PH_HTTP_BODY_H
#define PH_HTTP_BODY_H
#include "decomp.h"
#include "http.h"
#include <stddef.h>
#include <stdint.h>

struct http_body {
	uint8_t *buf;                           /* bytes as sent, up to PH_HTTP_MAX_BODY */
	size_t len, cap;
	enum decomp_coding cod[DECOMP_MAX_CHAIN];  /* content codings in the order applied */
	int ncod, cod_over;                     /* cod_over: unknown or too many codings */
};

/* Empty for the next request (the buffer is kept). */
void http_body_reset(struct http_body *b);
void http_body_free(struct http_body *b);
/* Adds the codings of a content-encoding value (identity skipped). */
void http_body_codings(struct http_body *b, const uint8_t *v, size_t vl);
/* Appends body bytes: req->body_len counts all, the rest past the cap sets body_truncated. */
void http_body_add(struct http_body *b, struct http_request *req, struct http_stats *st,
		   const uint8_t *p, size_t n);
/* Emits what was gathered: as sent when it has no codings, else decoded (and as sent too when
 * decoding fails); cut: the body ended early. *dec is made on first use. Empties b. */
void http_body_flush(struct http_body *b, struct decomp **dec, const struct http_request *req,
		     struct http_stats *st, int cut, http_unit_fn fn, void *arg);

#endif
