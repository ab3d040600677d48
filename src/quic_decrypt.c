/* quic_decrypt.c - QUIC packet protection through libcrypto (RFC 9001 5, RFC 9369 3.3):
 * HKDF-Extract of the Initial secrets, HKDF-Expand-Label (tls_decrypt.c) of packet keys,
 * AES-ECB / ChaCha20 header protection masks and AES-GCM / ChaCha20-Poly1305 packet opening. */
#include "quic_decrypt.h"
#include "tls_decrypt.h"
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <string.h>

static const uint8_t salt_v1[20] = {  /* RFC 9001 5.2 */
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
static const uint8_t salt_v2[20] = {  /* RFC 9369 3.3.1 */
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};

int quicd_version_known(uint32_t version)
{
	return version == QUIC_V1 || version == QUIC_V2;
}

int quicd_initial_secrets(uint32_t version, const uint8_t *dcid, size_t dcidlen, uint8_t client[32], uint8_t server[32])
{
	uint8_t initial[32];
	if (!quicd_version_known(version) || dcidlen > 20)
		return -1;
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(dcidlen ? dcid : salt_v1), dcidlen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(version == QUIC_V2 ? salt_v2 : salt_v1), 20),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	int ok = kc && EVP_KDF_derive(kc, initial, sizeof initial, p) > 0;
	EVP_KDF_CTX_free(kc);
	if (!ok)
		return -1;
	return tlsd_hkdf_expand_label("SHA256", initial, 32, "client in", NULL, 0, client, 32) < 0 ||
			       tlsd_hkdf_expand_label("SHA256", initial, 32, "server in", NULL, 0, server, 32) < 0
		       ? -1
		       : 0;
}

/* "quic key" for v1, "quicv2 key" for v2 (what follows "tls13 " in the HKDF label). */
static const char *label(uint32_t version, const char *what, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s", version == QUIC_V2 ? "quicv2" : "quic", what);
	return buf;
}

/* A cipher context for name with key (the IV is set per use): decrypting, or encrypting (the
 * header protection mask is the encryption of the sample). */
static void *cipher_ctx(const char *name, const uint8_t *key, int enc)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = c && ctx && (enc ? EVP_EncryptInit_ex2(ctx, c, key, NULL, NULL) : EVP_DecryptInit_ex2(ctx, c, key, NULL, NULL)) > 0;
	EVP_CIPHER_free(c);
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The AEAD and header protection contexts of k's keys; 0 or -1. */
static int contexts(struct quicd_keys *k)
{
	const struct tlsd_suite *cs = k->cs;
	const char *hpc = cs->kind == TLSD_CHACHA ? "ChaCha20" : cs->key_len == 32 ? "AES-256-ECB" : "AES-128-ECB";
	if (!(k->ctx = cipher_ctx(cs->cipher, k->key, 0)) || !(k->hp = cipher_ctx(hpc, cs->kind == TLSD_CHACHA ? NULL : k->hpkey, 1)))
		return -1;
	if (cs->kind != TLSD_CHACHA)
		EVP_CIPHER_CTX_set_padding(k->hp, 0);
	return 0;
}

int quicd_keys_set(struct quicd_keys *k, const struct tlsd_suite *cs, uint32_t version, const uint8_t *secret, size_t len)
{
	char lb[16];
	if (!cs)
		cs = tlsd_suite_find(0x1301);
	if (!cs || !cs->tls13 || len > sizeof k->secret || len != (strcmp(cs->md, "SHA384") ? 32u : 48u))
		return -1;
	quicd_keys_free(k);
	k->cs = cs;
	k->version = version;
	memcpy(k->secret, secret, len);
	k->secret_len = (uint8_t)len;
	if (tlsd_hkdf_expand_label(cs->md, secret, len, label(version, "key", lb, sizeof lb), NULL, 0, k->key, cs->key_len) < 0 ||
	    tlsd_hkdf_expand_label(cs->md, secret, len, label(version, "iv", lb, sizeof lb), NULL, 0, k->iv, 12) < 0 ||
	    tlsd_hkdf_expand_label(cs->md, secret, len, label(version, "hp", lb, sizeof lb), NULL, 0, k->hpkey, cs->key_len) < 0)
		goto fail;
	if (contexts(k) < 0)
		goto fail;
	return 0;
fail:
	quicd_keys_free(k);
	return -1;
}

int quicd_keys_next(const struct quicd_keys *k, struct quicd_keys *next)
{
	char lb[16];
	uint8_t s[64];
	if (!k->cs || tlsd_hkdf_expand_label(k->cs->md, k->secret, k->secret_len, label(k->version, "ku", lb, sizeof lb),
					     NULL, 0, s, k->secret_len) < 0)
		return -1;
	quicd_keys_free(next);
	next->cs = k->cs;
	next->version = k->version;
	memcpy(next->secret, s, k->secret_len);
	next->secret_len = k->secret_len;
	memcpy(next->hpkey, k->hpkey, sizeof next->hpkey);
	if (tlsd_hkdf_expand_label(k->cs->md, s, k->secret_len, label(k->version, "key", lb, sizeof lb), NULL, 0, next->key,
				   k->cs->key_len) < 0 ||
	    tlsd_hkdf_expand_label(k->cs->md, s, k->secret_len, label(k->version, "iv", lb, sizeof lb), NULL, 0, next->iv, 12) < 0 ||
	    contexts(next) < 0) {
		quicd_keys_free(next);
		return -1;
	}
	return 0;  /* the header protection key is generation 0's (RFC 9001 6) */
}

int quicd_hp_mask(struct quicd_keys *k, const uint8_t sample[16], uint8_t mask[5])
{
	uint8_t out[32];
	int outl;
	if (!k->hp)
		return -1;
	if (k->cs->kind == TLSD_CHACHA) {  /* RFC 9001 5.4.4: counter and nonce are the sample */
		static const uint8_t zero[5];
		if (EVP_EncryptInit_ex2(k->hp, NULL, k->hpkey, sample, NULL) <= 0 ||
		    EVP_EncryptUpdate(k->hp, out, &outl, zero, 5) <= 0)
			return -1;
	} else if (EVP_EncryptUpdate(k->hp, out, &outl, sample, 16) <= 0 || outl < 5) {
		return -1;
	}
	memcpy(mask, out, 5);
	return 0;
}

int quicd_open(struct quicd_keys *k, uint64_t pn, const uint8_t *hdr, size_t hlen, const uint8_t *ct, size_t len, uint8_t *out)
{
	uint8_t nonce[12], fin[16];
	int outl;
	if (!k->ctx || len < 16 || len - 16 > (size_t)INT32_MAX || hlen > (size_t)INT32_MAX)
		return -1;
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(pn >> (56 - 8 * i));
	size_t n = len - 16;
	EVP_CIPHER_CTX *c = k->ctx;
	if (EVP_DecryptInit_ex2(c, NULL, NULL, nonce, NULL) <= 0 || EVP_DecryptUpdate(c, NULL, &outl, hdr, (int)hlen) <= 0 ||
	    (n && EVP_DecryptUpdate(c, out, &outl, ct, (int)n) <= 0) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(ct + n)) <= 0)
		return -1;
	return EVP_DecryptFinal_ex(c, fin, &outl) > 0 ? 0 : -1;
}

void quicd_keys_free(struct quicd_keys *k)
{
	EVP_CIPHER_CTX_free(k->ctx);
	EVP_CIPHER_CTX_free(k->hp);
	memset(k, 0, sizeof *k);
}
