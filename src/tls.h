/* tls.h - TLS record layer walker (RFC 8446 5.1, RFC 5246 6.2) for a sender's stream:
 * hands on the plaintext records (ClientHello, ...) and skips encrypted ones; with a key log,
 * a session decrypts the client's records and parses what is inside (HTTP/1.x, HTTP/2). */
#ifndef PH_TLS_H
#define PH_TLS_H
#include "http.h"
#include <stddef.h>
#include <stdint.h>

struct tls_stream {                /* one direction; zeroed = initialised */
	uint8_t hdr[5];
	uint8_t hdrlen;                /* header bytes gathered so far */
	uint8_t type;                  /* content type of the current record */
	uint8_t encrypted;             /* ChangeCipherSpec sent: later records are ciphertext */
	uint32_t remain;               /* bytes of the current record still to come */
	uint64_t skipped;              /* ciphertext bytes not inspected */
};

typedef void (*tls_plain_fn)(void *arg, const uint8_t *p, size_t len);

/* 1 when p starts like a TLS record (type 20-23, version 3.x), 0 when not, -1 too short. */
int tls_is_record(const uint8_t *p, size_t len);
/* Feeds stream bytes; fn gets plaintext record bodies. 0, or -1 once the stream is not TLS. */
int tls_stream_feed(struct tls_stream *t, const uint8_t *p, size_t len, tls_plain_fn fn, void *arg);

struct keylog;
struct reasm_ctx;
struct report_leak;
struct report_stats;

struct tls_sink {                  /* where a session's content goes (scan.c) */
	tls_plain_fn plain;            /* plaintext handshake records (the ClientHello) */
	http_unit_fn unit;             /* decrypted content as HTTP units; encoding chain "tls", "tls>h2", "tls>..." */
	void (*request)(void *arg, const struct http_request *r);  /* a decrypted request's headers */
};

enum tls_keys { TLS_KEYS_NONE, TLS_KEYS_DECRYPTED, TLS_KEYS_MISSING, TLS_KEYS_FAILED };

struct tls_session;

/* A client->server TLS connection to decrypt with the secrets of kl; stats may be NULL. */
struct tls_session *tls_session_new(struct keylog *kl, struct http_stats *stats);
/* Client stream bytes. 0, or -1 once the stream is not TLS. */
int tls_session_feed(struct tls_session *t, const uint8_t *p, size_t len, const struct tls_sink *sk, void *arg);
/* A segment of the server's direction (seq as on the wire): read until its ServerHello. */
void tls_session_server(struct tls_session *t, struct reasm_ctx *rc, uint32_t seq, const uint8_t *p, size_t len);
/* Connection end: what the HTTP parsers hold is emitted. */
void tls_session_finish(struct tls_session *t, const struct tls_sink *sk, void *arg);
/* What became of the session's application data (enum tls_keys). */
int tls_session_keys(const struct tls_session *t);
/* Adds the session's counters to st. */
void tls_session_account(const struct tls_session *t, struct report_stats *st);
/* Marks a leak found in the session's decrypted content (encrypted, decrypted, version, cipher). */
void tls_session_leak(const struct tls_session *t, struct report_leak *l);
void tls_session_free(struct tls_session *t, struct reasm_ctx *rc);
/* 1 when an encoding chain is only transport layers ("tls", "tls>h2", "quic", "quic>h3"): a
 * value found there as sent is reported as "tls>plain" ("quic>plain"). */
int tls_chain_is_transport(const char *chain);

#endif
