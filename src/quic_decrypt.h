/* quic_decrypt.h - QUIC packet protection (RFC 9001 5, QUIC v2 RFC 9369 3.3): Initial secrets
 * from the version's salt, packet keys with "quic key/iv/hp" (v2 "quicv2 ..."), header
 * protection (AES-ECB or ChaCha20 mask), AEAD open and key update ("quic ku"), via libcrypto. */
#ifndef PH_QUIC_DECRYPT_H
#define PH_QUIC_DECRYPT_H
#include <stddef.h>
#include <stdint.h>

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

struct tlsd_suite;

struct quicd_keys {                /* one direction's protection in one packet-number space; zeroed = none */
	const struct tlsd_suite *cs;   /* TLS 1.3 suite (AES-128-GCM for Initial packets) */
	uint32_t version;              /* labels: v1 or v2 */
	void *ctx;                     /* EVP_CIPHER_CTX: AEAD */
	void *hp;                      /* EVP_CIPHER_CTX: header protection */
	uint8_t key[32], iv[12], hpkey[32];
	uint8_t secret[64];            /* for key updates */
	uint8_t secret_len;
};

/* 1 for the versions whose keys we know (v1, v2), else 0. */
int quicd_version_known(uint32_t version);
/* Initial secrets (RFC 9001 5.2) of a client's first Destination Connection ID; 0 or -1. */
int quicd_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcidlen, uint8_t client[32], uint8_t server[32]);
/* Packet keys from a traffic secret for suite cs (NULL: Initial, TLS_AES_128_GCM_SHA256); 0 or -1. */
int quicd_keys_set(struct quicd_keys *k, const struct tlsd_suite *cs, uint32_t version, const uint8_t *secret, size_t len);
/* The next generation's keys (RFC 9001 6.1, "quic ku"); the header protection key stays. 0 or -1. */
int quicd_keys_next(const struct quicd_keys *k, struct quicd_keys *next);
/* The 5-byte header protection mask of a 16-byte sample (RFC 9001 5.4); 0 or -1. */
int quicd_hp_mask(struct quicd_keys *k, const uint8_t sample[16], uint8_t mask[5]);
/* AEAD open of packet number pn: hdr[0,hlen) the unprotected header (the AAD), ct[0,len) the
 * ciphertext with its 16-byte tag; the plaintext (len - 16 bytes) into out. 0, or -1 when it
 * fails its tag. */
int quicd_open(struct quicd_keys *k, uint64_t pn, const uint8_t *hdr, size_t hlen, const uint8_t *ct, size_t len, uint8_t *out);
void quicd_keys_free(struct quicd_keys *k);

#endif
