/* tls.h - TLS record layer walker (RFC 8446 5.1, RFC 5246 6.2) for a sender's stream:
 * hands on the plaintext records (ClientHello, ...) and skips encrypted ones. */
#ifndef PH_TLS_H
#define PH_TLS_H
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

#endif
