/* h2.h - HTTP/2 client-to-server stream parser (RFC 9113): frames, HPACK header blocks,
 * per-stream bodies with their content codings, cut into the same units as http.c. */
#ifndef PH_H2_H
#define PH_H2_H
#include "http.h"
#include <stddef.h>
#include <stdint.h>

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

struct h2_conn;

/* A parser of a client's HTTP/2 connection (starting with its preface); stats may be NULL. */
struct h2_conn *h2_new(struct http_stats *stats);
void h2_free(struct h2_conn *h);
/* 1 when p starts like the client preface, 0 when not, -1 too short to tell. */
int h2_is_preface(const uint8_t *p, size_t len);
/* Called once per request when its header block is decoded, before its units. */
void h2_on_request(struct h2_conn *h, void (*fn)(void *arg, const struct http_request *r), void *arg);
/* Feeds client stream bytes; fn gets URL (:path), HEADER and BODY units. 0, or -1 once the
 * stream stopped parsing as HTTP/2 (later bytes are then emitted as PAYLOAD). */
int h2_feed(struct h2_conn *h, const uint8_t *p, size_t len, http_unit_fn fn, void *arg);
/* Connection end: bodies of streams still open are emitted as far as they came. */
void h2_finish(struct h2_conn *h, http_unit_fn fn, void *arg);

#endif
