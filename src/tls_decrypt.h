/* tls_decrypt.h - TLS record protection with keys from a key log: the TLS 1.3 key schedule
 * (RFC 8446 7.1-7.3, KeyUpdate 4.6.3), the TLS 1.2 PRF and key block (RFC 5246 5, 6.3), and the
 * record ciphers AES-GCM, ChaCha20-Poly1305 (RFC 7905) and AES-CBC + HMAC (RFC 7366 EtM), via libcrypto. */
#ifndef PH_TLS_DECRYPT_H
#define PH_TLS_DECRYPT_H
#include <stddef.h>
#include <stdint.h>

enum tlsd_kind { TLSD_GCM, TLSD_CHACHA, TLSD_CBC };

struct tlsd_suite {
	uint16_t id;                   /* IANA cipher suite number */
	const char *name;              /* IANA name */
	uint8_t tls13;
	uint8_t kind;                  /* enum tlsd_kind */
	uint8_t key_len, iv_len, mac_len;  /* iv_len: implicit part (GCM 4, ChaCha 12, CBC 16; 1.3: 12) */
	const char *cipher;            /* libcrypto cipher name */
	const char *md;                /* HKDF / PRF hash */
	const char *mac_md;            /* CBC: HMAC hash, else NULL */
};

struct tlsd_keys {                 /* one direction's record protection; zeroed = no keys */
	void *ctx;                     /* EVP_CIPHER_CTX */
	void *mac;                     /* EVP_MAC_CTX (CBC) */
	const struct tlsd_suite *cs;
	uint8_t key[32], iv[16], mac_key[48];
	uint8_t secret[64];            /* TLS 1.3 traffic secret, for KeyUpdate */
	uint8_t secret_len;
	uint8_t etm;                   /* TLS 1.2 CBC: encrypt_then_mac negotiated */
	uint16_t version;              /* record version of the header, for TLS 1.2 MACs */
	uint64_t seq;                  /* record sequence number */
};

/* The suite with IANA number id, or NULL when it is not one we decrypt. */
const struct tlsd_suite *tlsd_suite_find(uint16_t id);
/* HKDF-Expand-Label (RFC 8446 7.1) with hash md; 0 or -1. */
int tlsd_hkdf_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label,
			   const uint8_t *ctx, size_t ctxlen, uint8_t *out, size_t outlen);
/* TLS 1.2 PRF (RFC 5246 5) with hash md: out = P_md(secret, label + seed); 0 or -1. */
int tlsd_prf12(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed,
	       size_t seedlen, uint8_t *out, size_t outlen);
/* TLS 1.3: keys of a traffic secret (sequence 0); 0 or -1. */
int tlsd_keys_tls13(struct tlsd_keys *k, const struct tlsd_suite *cs, const uint8_t *secret, size_t len);
/* TLS 1.3 KeyUpdate: the next traffic secret and its keys. */
int tlsd_keys_update(struct tlsd_keys *k);
/* TLS 1.2: the client (client=1) or server write keys from the master secret; 0 or -1. */
int tlsd_keys_tls12(struct tlsd_keys *k, const struct tlsd_suite *cs, const uint8_t master[48],
		    const uint8_t client_random[32], const uint8_t server_random[32], int etm, int client);
/* Opens one record (hdr: its 5-byte header, body[0,len)) into out (len bytes) and authenticates
 * it; on success the plaintext is (*pt, *ptlen) inside out, *type the (inner, TLS 1.3) content
 * type. -1 when it fails its tag, MAC or padding. The sequence number advances either way. */
int tlsd_open(struct tlsd_keys *k, const uint8_t hdr[5], const uint8_t *body, size_t len, uint8_t *out,
	      const uint8_t **pt, size_t *ptlen, uint8_t *type);
void tlsd_keys_free(struct tlsd_keys *k);

#endif
