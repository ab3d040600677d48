/* quic.h - QUIC (RFC 9000, RFC 9001; v2 RFC 9369) seen from the wire: long headers, the client's
 * Initial packets opened with the version's public keys (SNI, ALPN, ClientHello random), and with
 * a key log the client's 0-RTT, Handshake and 1-RTT packets: its STREAM frames reassembled per
 * stream, also after it moved to another UDP 5-tuple (found by connection ID, quic_cid.h). */
#ifndef PH_QUIC_H
#define PH_QUIC_H
#include "http.h"
#include "quic_cid.h"
#include "tls.h"
#include <stddef.h>
#include <stdint.h>

enum quic_type { QUIC_INITIAL, QUIC_0RTT, QUIC_HANDSHAKE, QUIC_RETRY, QUIC_VN };

struct quic_long {                 /* a long header (RFC 9000 17.2), pointers into the packet */
	uint32_t version;
	uint8_t type;                  /* enum quic_type (v2's type bits mapped to v1's meaning) */
	const uint8_t *dcid, *scid;
	uint8_t dcidlen, scidlen;
	size_t pn_off;                 /* where the protected packet number starts */
	size_t end;                    /* packet length (Initial, 0-RTT, Handshake); else the datagram's */
};

/* A QUIC variable-length integer at p[*pos] (RFC 9000 16); 0, or -1 when truncated. */
int quic_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v);
/* Parses the long header at p; 0, -1 truncated, -2 invalid (short header, a CID over 20 bytes). */
int quic_parse_long(const uint8_t *p, size_t len, struct quic_long *h);
/* 1 when a datagram starts with the Initial of a version we can open (v1, v2), else 0. */
int quic_is_initial(const uint8_t *p, size_t len);
/* "v1", "v2", or "0x%08x". */
const char *quic_version_name(uint32_t version, char *buf, size_t n);

struct keylog;
struct report_leak;
struct report_stats;

struct quic_sink {                 /* where a connection's content goes (scan.c) */
	tls_plain_fn hello;            /* the client's ClientHello */
	http_unit_fn unit;             /* decrypted stream content; encoding chain "quic", "quic>..." */
	void (*request)(void *arg, const struct http_request *r);
};

struct quic_conn;

/* A QUIC connection (one UDP flow); kl may be NULL (only Initial packets are opened). */
struct quic_conn *quic_conn_new(struct keylog *kl, struct http_stats *stats);
void quic_conn_free(struct quic_conn *q);
/* The connection's CIDs go into map (the worker's) as they are learnt, naming owner; until freed. */
void quic_conn_track(struct quic_conn *q, struct quic_cids *map, void *owner);
/* A datagram sent by the client (coalesced packets included). */
void quic_conn_client(struct quic_conn *q, const uint8_t *p, size_t len, const struct quic_sink *sk, void *arg);
/* A datagram sent by the server: its Initial gives the cipher suite and its connection IDs. */
void quic_conn_server(struct quic_conn *q, const uint8_t *p, size_t len);
/* Connection end: what stream parsers hold is emitted. */
void quic_conn_finish(struct quic_conn *q, const struct quic_sink *sk, void *arg);
uint32_t quic_conn_version(const struct quic_conn *q);
/* Server name of the ClientHello, or NULL; its first ALPN protocol, or NULL. */
const char *quic_conn_sni(const struct quic_conn *q);
const char *quic_conn_alpn(const struct quic_conn *q);
/* What became of the 1-RTT data (enum tls_keys; TLS_KEYS_NONE without a key log). */
int quic_conn_keys(const struct quic_conn *q);
/* Adds the connection's counters to st. */
void quic_conn_account(const struct quic_conn *q, struct report_stats *st);
/* Marks a leak found in the decrypted streams (transport, version, cipher). */
void quic_conn_leak(const struct quic_conn *q, struct report_leak *l);

#endif
