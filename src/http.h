/* http.h - streaming HTTP/1.x request parser for the client->server byte stream (RFC 9112).
 * Cuts a connection into URL, header and decoded body units for identifier scanning. */
#ifndef PH_HTTP_H
#define PH_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"

enum http_where { HTTP_WHERE_URL, HTTP_WHERE_HEADER, HTTP_WHERE_BODY, HTTP_WHERE_PAYLOAD };

struct http_request {                       /* the request being reported; strings NUL-terminated, truncated to fit */
	char method[16];
	char protocol[9];                       /* "HTTP/1.1", "HTTP/2"; "" when the request line was cut */
	char uri[PH_HTTP_MAX_FIELD];            /* request-target as sent */
	char host[PH_HTTP_MAX_FIELD];           /* Host header value as sent (port kept) */
	char user_agent[PH_HTTP_MAX_FIELD];
	char content_type[160];                 /* long enough for a multipart boundary */
	uint32_t index;                         /* 0-based request number on this connection */
	uint64_t body_len;                      /* body bytes seen (before truncation, after de-chunking) */
	uint8_t body_truncated;                 /* body exceeded PH_HTTP_MAX_BODY */
	uint8_t websocket;                      /* Upgrade: websocket (RFC 6455): frames follow */
};

struct http_unit {
	enum http_where where;
	const char *name;                       /* header name for HTTP_WHERE_HEADER ("" for a line without ':'), else NULL */
	const char *encoding;                   /* decoding chain applied, outermost first ("gzip", "br>gzip"); NULL: bytes as sent */
	const uint8_t *p;                       /* valid only during the callback */
	size_t len;
	const struct http_request *req;         /* NULL for HTTP_WHERE_PAYLOAD */
};

typedef void (*http_unit_fn)(void *arg, const struct http_unit *u);

struct http_stats {                         /* shared by all parsers of a run */
	uint64_t requests, bodies_truncated, decode_errors, parse_errors, headers_truncated;
};

struct http_parser;

/* A parser for one connection's client->server bytes; stats may be NULL. */
struct http_parser *http_parser_new(struct http_stats *stats);
void http_parser_free(struct http_parser *h);
/* 0 while the stream parses as HTTP; -1 once it is not HTTP (the bytes not parsed as HTTP,
 * this call's included, have then been emitted as PAYLOAD units, and later feeds emit PAYLOAD only). */
int http_parser_feed(struct http_parser *h, const uint8_t *p, size_t len, http_unit_fn fn, void *arg);
/* Connection end: emit what is buffered (a body cut short is emitted and decoded as far as it came). */
void http_parser_finish(struct http_parser *h, http_unit_fn fn, void *arg);
/* 1 when p starts like an HTTP/1.x request (known method + space), 0 when not, -1 when too short to tell. */
int http_is_request(const uint8_t *p, size_t len);
/* A response's status line and Content-Length from the segment that starts it (headers beyond
 * it are not looked for): 0 with *status and *length (-1 when absent), -1 when p does not start
 * with "HTTP/1.x NNN". */
int http_response_head(const uint8_t *p, size_t len, int *status, int64_t *length);
/* fn is called once per request when its headers are complete, before its units are emitted. */
void http_parser_on_request(struct http_parser *h, void (*fn)(void *arg, const struct http_request *r), void *arg);

#endif
