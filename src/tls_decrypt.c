/* tls_decrypt.c - TLS 1.2/1.3 record decryption through libcrypto (EVP ciphers, HKDF and
 * TLS1-PRF KDFs, HMAC): key schedules from key-logged secrets, then per-record open and verify. */
#include "tls_decrypt.h"
#include "util.h"
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

static const struct tlsd_suite suites[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256", 1, TLSD_GCM, 16, 12, 0, "AES-128-GCM", "SHA256", NULL },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", 1, TLSD_GCM, 32, 12, 0, "AES-256-GCM", "SHA384", NULL },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", 1, TLSD_CHACHA, 32, 12, 0, "ChaCha20-Poly1305", "SHA256", NULL },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0, TLSD_GCM, 16, 4, 0, "AES-128-GCM", "SHA256", NULL },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0, TLSD_GCM, 32, 4, 0, "AES-256-GCM", "SHA384", NULL },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0, TLSD_GCM, 16, 4, 0, "AES-128-GCM", "SHA256", NULL },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0, TLSD_GCM, 32, 4, 0, "AES-256-GCM", "SHA384", NULL },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 0, TLSD_GCM, 16, 4, 0, "AES-128-GCM", "SHA256", NULL },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 0, TLSD_GCM, 32, 4, 0, "AES-256-GCM", "SHA384", NULL },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0, TLSD_GCM, 16, 4, 0, "AES-128-GCM", "SHA256", NULL },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0, TLSD_GCM, 32, 4, 0, "AES-256-GCM", "SHA384", NULL },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0, TLSD_CHACHA, 32, 12, 0, "ChaCha20-Poly1305", "SHA256", NULL },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0, TLSD_CHACHA, 32, 12, 0, "ChaCha20-Poly1305", "SHA256", NULL },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0, TLSD_CHACHA, 32, 12, 0, "ChaCha20-Poly1305", "SHA256", NULL },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0, TLSD_CBC, 16, 16, 20, "AES-128-CBC", "SHA256", "SHA1" },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0, TLSD_CBC, 32, 16, 20, "AES-256-CBC", "SHA256", "SHA1" },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0, TLSD_CBC, 16, 16, 20, "AES-128-CBC", "SHA256", "SHA1" },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0, TLSD_CBC, 32, 16, 20, "AES-256-CBC", "SHA256", "SHA1" },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0, TLSD_CBC, 16, 16, 32, "AES-128-CBC", "SHA256", "SHA256" },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0, TLSD_CBC, 32, 16, 48, "AES-256-CBC", "SHA384", "SHA384" },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0, TLSD_CBC, 16, 16, 32, "AES-128-CBC", "SHA256", "SHA256" },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0, TLSD_CBC, 32, 16, 48, "AES-256-CBC", "SHA384", "SHA384" },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 0, TLSD_CBC, 16, 16, 20, "AES-128-CBC", "SHA256", "SHA1" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 0, TLSD_CBC, 32, 16, 20, "AES-256-CBC", "SHA256", "SHA1" },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 0, TLSD_CBC, 16, 16, 32, "AES-128-CBC", "SHA256", "SHA256" },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 0, TLSD_CBC, 32, 16, 32, "AES-256-CBC", "SHA256", "SHA256" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0, TLSD_CBC, 16, 16, 20, "AES-128-CBC", "SHA256", "SHA1" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0, TLSD_CBC, 32, 16, 20, "AES-256-CBC", "SHA256", "SHA1" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 0, TLSD_CBC, 16, 16, 32, "AES-128-CBC", "SHA256", "SHA256" },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 0, TLSD_CBC, 32, 16, 32, "AES-256-CBC", "SHA256", "SHA256" },
};

const struct tlsd_suite *tlsd_suite_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

static size_t md_len(const char *md)
{
	return !strcmp(md, "SHA384") ? 48 : !strcmp(md, "SHA1") ? 20 : 32;
}

/* One KDF derivation with its parameters. */
static int kdf_derive(const char *name, OSSL_PARAM *params, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	if (!kdf)
		return -1;
	EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kc)
		return -1;
	int ok = EVP_KDF_derive(kc, out, outlen, params) > 0;
	EVP_KDF_CTX_free(kc);
	return ok ? 0 : -1;
}

int tlsd_hkdf_expand_label(const char *md, const uint8_t *secret, size_t slen, const char *label,
			   const uint8_t *ctx, size_t ctxlen, uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t ll = 6 + strlen(label), n = 0;
	if (ll > 255 || ctxlen > 255 || outlen > 0xffff)
		return -1;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	info[n++] = (uint8_t)ctxlen;
	if (ctxlen)
		memcpy(info + n, ctx, ctxlen);
	n += ctxlen;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
		OSSL_PARAM_construct_end(),
	};
	return kdf_derive("HKDF", p, out, outlen);
}

int tlsd_prf12(const char *md, const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed,
	       size_t seedlen, uint8_t *out, size_t outlen)
{
	uint8_t s[256];
	size_t ll = strlen(label);
	if (ll + seedlen > sizeof s)
		return -1;
	memcpy(s, label, ll);
	memcpy(s + ll, seed, seedlen);
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, s, ll + seedlen),
		OSSL_PARAM_construct_end(),
	};
	return kdf_derive("TLS1-PRF", p, out, outlen);
}

/* Cipher context keyed with k->key (the nonce is set per record). */
static int cipher_setup(struct tlsd_keys *k)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, k->cs->cipher, NULL);
	if (!c)
		return -1;
	if (!k->ctx)
		k->ctx = EVP_CIPHER_CTX_new();
	int ok = k->ctx && EVP_DecryptInit_ex2(k->ctx, c, k->key, NULL, NULL) > 0;
	EVP_CIPHER_free(c);
	if (ok && k->cs->kind == TLSD_CBC)
		EVP_CIPHER_CTX_set_padding(k->ctx, 0);
	if (ok && k->cs->kind == TLSD_CBC && !k->mac) {
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		k->mac = m ? EVP_MAC_CTX_new(m) : NULL;
		EVP_MAC_free(m);
		ok = k->mac != NULL;
	}
	k->seq = 0;
	return ok ? 0 : -1;
}

int tlsd_keys_tls13(struct tlsd_keys *k, const struct tlsd_suite *cs, const uint8_t *secret, size_t len)
{
	if (!cs || !cs->tls13 || len != md_len(cs->md))
		return -1;
	k->cs = cs;
	memcpy(k->secret, secret, len);
	k->secret_len = (uint8_t)len;
	k->version = 0x0304;
	if (tlsd_hkdf_expand_label(cs->md, secret, len, "key", NULL, 0, k->key, cs->key_len) < 0 ||
	    tlsd_hkdf_expand_label(cs->md, secret, len, "iv", NULL, 0, k->iv, 12) < 0 || cipher_setup(k) < 0) {
		k->cs = NULL;  /* keys without a cipher (e.g. a libcrypto without ChaCha20) open nothing */
		return -1;
	}
	return 0;
}

int tlsd_keys_update(struct tlsd_keys *k)
{
	uint8_t next[64];
	if (!k->cs || !k->cs->tls13 ||
	    tlsd_hkdf_expand_label(k->cs->md, k->secret, k->secret_len, "traffic upd", NULL, 0, next, k->secret_len) < 0)
		return -1;
	return tlsd_keys_tls13(k, k->cs, next, k->secret_len);
}

int tlsd_keys_tls12(struct tlsd_keys *k, const struct tlsd_suite *cs, const uint8_t master[48],
		    const uint8_t client_random[32], const uint8_t server_random[32], int etm, int client)
{
	uint8_t seed[64], kb[2 * (48 + 32 + 16)];
	if (!cs || cs->tls13)
		return -1;
	memcpy(seed, server_random, 32);
	memcpy(seed + 32, client_random, 32);
	size_t m = cs->mac_len, kl = cs->key_len, il = cs->kind == TLSD_CBC ? 0 : cs->iv_len;
	if (tlsd_prf12(cs->md, master, 48, "key expansion", seed, 64, kb, 2 * (m + kl + il)) < 0)
		return -1;
	k->cs = cs;
	k->etm = (uint8_t)(cs->kind == TLSD_CBC && etm);
	k->version = 0x0303;
	memcpy(k->mac_key, kb + (client ? 0 : m), m);
	memcpy(k->key, kb + 2 * m + (client ? 0 : kl), kl);
	memcpy(k->iv, kb + 2 * m + 2 * kl + (client ? 0 : il), il);
	if (cipher_setup(k) < 0) {
		k->cs = NULL;
		return -1;
	}
	return 0;
}

void tlsd_keys_free(struct tlsd_keys *k)
{
	EVP_CIPHER_CTX_free(k->ctx);
	EVP_MAC_CTX_free(k->mac);
	memset(k, 0, sizeof *k);
}

/* AEAD open: nonce, aad, ct[0,n) then the 16-byte tag; 0 or -1. */
static int aead_open(struct tlsd_keys *k, const uint8_t *nonce, const uint8_t *aad, size_t aadlen, const uint8_t *ct,
		     size_t n, uint8_t *out)
{
	int outl;
	EVP_CIPHER_CTX *c = k->ctx;
	if (EVP_DecryptInit_ex2(c, NULL, NULL, nonce, NULL) <= 0 ||
	    EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aadlen) <= 0 ||
	    (n && EVP_DecryptUpdate(c, out, &outl, ct, (int)n) <= 0) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(ct + n)) <= 0)
		return -1;
	uint8_t fin[16];
	return EVP_DecryptFinal_ex(c, fin, &outl) > 0 ? 0 : -1;
}

/* HMAC of the TLS 1.2 MAC input (seq, type, version, length, data) into out. */
static int hmac12(struct tlsd_keys *k, uint8_t type, const uint8_t *d, size_t n, uint8_t *out)
{
	uint8_t h[13];
	for (int i = 0; i < 8; i++)
		h[i] = (uint8_t)(k->seq >> (56 - 8 * i));
	h[8] = type;
	h[9] = (uint8_t)(k->version >> 8);
	h[10] = (uint8_t)k->version;
	h[11] = (uint8_t)(n >> 8);
	h[12] = (uint8_t)n;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)k->cs->mac_md, 0),
			   OSSL_PARAM_construct_end() };
	size_t ol;
	return EVP_MAC_init(k->mac, k->mac_key, k->cs->mac_len, p) > 0 && EVP_MAC_update(k->mac, h, 13) > 0 &&
			       EVP_MAC_update(k->mac, d, n) > 0 && EVP_MAC_final(k->mac, out, &ol, 48) > 0
		       ? 0
		       : -1;
}

/* CBC decrypt of ct[0,n) into out with iv (n a multiple of 16). */
static int cbc_decrypt(struct tlsd_keys *k, const uint8_t *iv, const uint8_t *ct, size_t n, uint8_t *out)
{
	int outl, fl;
	return EVP_DecryptInit_ex2(k->ctx, NULL, NULL, iv, NULL) > 0 &&
			       EVP_DecryptUpdate(k->ctx, out, &outl, ct, (int)n) > 0 &&
			       EVP_DecryptFinal_ex(k->ctx, out + outl, &fl) > 0 && (size_t)(outl + fl) == n
		       ? 0
		       : -1;
}

static int open_cbc(struct tlsd_keys *k, const uint8_t hdr[5], const uint8_t *body, size_t len, uint8_t *out,
		    const uint8_t **pt, size_t *ptlen)
{
	size_t m = k->cs->mac_len, n;
	uint8_t mac[48];
	if (k->etm) {
		if (len < 16 + 16 + m || (len - m) % 16)
			return -1;  /* too short for IV, one block and MAC */
		n = len - m;
		if (hmac12(k, hdr[0], body, n, mac) < 0 || memcmp(mac, body + n, m))
			return -1;
		if (cbc_decrypt(k, body, body + 16, n - 16, out) < 0)
			return -1;
		uint8_t pad = out[n - 16 - 1];
		if ((size_t)pad + 1 > n - 16)
			return -1;
		*pt = out;
		*ptlen = n - 16 - pad - 1;
		return 0;
	}
	if (len < 16 + 16 || len % 16 || len - 16 < m + 1)
		return -1;
	n = len - 16;
	if (cbc_decrypt(k, body, body + 16, n, out) < 0)
		return -1;
	uint8_t pad = out[n - 1];
	if ((size_t)pad + 1 + m > n)
		return -1;
	for (size_t i = n - 1 - pad; i < n; i++)
		if (out[i] != pad)
			return -1;  /* bad padding */
	size_t cl = n - pad - 1 - m;
	if (hmac12(k, hdr[0], out, cl, mac) < 0 || memcmp(mac, out + cl, m))
		return -1;
	*pt = out;
	*ptlen = cl;
	return 0;
}

int tlsd_open(struct tlsd_keys *k, const uint8_t hdr[5], const uint8_t *body, size_t len, uint8_t *out,
	      const uint8_t **pt, size_t *ptlen, uint8_t *type)
{
	uint8_t nonce[12], aad[13];
	int r = -1;
	*type = hdr[0];
	if (!k->cs || !k->ctx)
		return -1;
	if (k->cs->tls13) {
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(k->seq >> (56 - 8 * i));
		if (len > 16 && aead_open(k, nonce, hdr, 5, body, len - 16, out) == 0) {
			size_t n = len - 16;
			while (n && !out[n - 1])  /* zero padding before the inner type */
				n--;
			if (n) {
				*type = out[n - 1];
				*pt = out;
				*ptlen = n - 1;
				r = 0;
			}
		}
	} else if (k->cs->kind == TLSD_CBC) {
		r = open_cbc(k, hdr, body, len, out, pt, ptlen);
	} else {
		size_t ex = k->cs->kind == TLSD_GCM ? 8 : 0;  /* GCM: explicit nonce part */
		if (len >= ex + 16) {
			size_t n = len - ex - 16;
			for (int i = 0; i < 8; i++)
				aad[i] = (uint8_t)(k->seq >> (56 - 8 * i));
			aad[8] = hdr[0];
			aad[9] = hdr[1];
			aad[10] = hdr[2];
			aad[11] = (uint8_t)(n >> 8);
			aad[12] = (uint8_t)n;
			if (ex) {
				memcpy(nonce, k->iv, 4);
				memcpy(nonce + 4, body, 8);
			} else {
				memcpy(nonce, k->iv, 12);
				for (int i = 0; i < 8; i++)
					nonce[4 + i] ^= aad[i];
			}
			if (aead_open(k, nonce, aad, 13, body + ex, n, out) == 0) {
				*pt = out;
				*ptlen = n;
				r = 0;
			}
		}
	}
	k->seq++;
	return r;
}
