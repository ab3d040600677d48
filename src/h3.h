/* h3.h - HTTP/3 over QUIC streams (RFC 9114) with QPACK header blocks (RFC 9204, libnghttp3):
 * client request streams cut into the same URL, HEADER and BODY units as http.c and h2.c. */
#ifndef PH_H3_H
#define PH_H3_H
#include "http.h"
#include <stddef.h>
#include <stdint.h>

struct h3_conn;

/* One per QUIC connection; stats may be NULL. */
struct h3_conn *h3_new(struct http_stats *stats);
void h3_free(struct h3_conn *h);
/* Called once per request when its header block is decoded, before its units. */
void h3_on_request(struct h3_conn *h, void (*fn)(void *arg, const struct http_request *r), void *arg);
/* In-order bytes of one stream (dir 0 client->server, 1 server->client), fin at its end; fn gets
 * URL (:path), HEADER and BODY units as h2_feed does. 0, or -1 once the connection stopped
 * parsing as HTTP/3. */
int h3_stream(struct h3_conn *h, int dir, uint64_t stream_id, const uint8_t *p, size_t len, int fin,
	      http_unit_fn fn, void *arg);
/* 1 once side dir's SETTINGS were read (its QPACK table size for the other side's encoder). */
int h3_settings_seen(const struct h3_conn *h, int dir);
/* 1 when the requests' QPACK decoder was made before the server's SETTINGS: its table capacity
 * is PH_H3_QPACK_MAX_TABLE, assumed. */
int h3_table_assumed(const struct h3_conn *h);
/* Connection end: bodies of request streams still open are emitted as far as they came. */
void h3_finish(struct h3_conn *h, http_unit_fn fn, void *arg);

#endif
