/* test_tls_decrypt.c - unit tests of the TLS key schedules and record opening: RFC 8448
 * section 3 (simple 1-RTT handshake) traffic keys and the client's Finished record, the TLS 1.2
 * PRF test vector (P_SHA256, "test label"), and TLS 1.2 records sealed here with libcrypto. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "tls.h"
#include "tls_decrypt.h"

/* Hex with spaces into out; the byte count. */
static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void expect_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[512];
	size_t wn = hex(want, w);
	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

static const char *C_HS = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
static const char *S_HS = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
static const char *CFIN_REC =
	"17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc"
	" 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
static const char *CFIN = "14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85"
			  " 27 b6 42 f2 ed d5 ce 61";

/* RFC 8448 3: handshake traffic keys from the traffic secrets (HKDF-Expand-Label "key", "iv"). */
static void test_rfc8448_traffic_keys(void **state)
{
	(void)state;
	uint8_t s[64], key[32], iv[12];
	size_t n = hex(S_HS, s);
	assert_int_equal(tlsd_hkdf_expand_label("SHA256", s, n, "key", NULL, 0, key, 16), 0);
	expect_hex(key, 16, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc");
	assert_int_equal(tlsd_hkdf_expand_label("SHA256", s, n, "iv", NULL, 0, iv, 12), 0);
	expect_hex(iv, 12, "5d 31 3e b2 67 12 76 ee 13 00 0b 30");
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	n = hex(C_HS, s);
	assert_int_equal(tlsd_keys_tls13(&k, tlsd_suite_find(0x1301), s, n), 0);
	expect_hex(k.key, 16, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01");
	expect_hex(k.iv, 12, "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");
	tlsd_keys_free(&k);
}

/* RFC 8448 3: the client's Finished record opens to the Finished message, inner type handshake. */
static void test_rfc8448_client_finished(void **state)
{
	(void)state;
	uint8_t s[64], rec[128], out[128], type;
	const uint8_t *pt;
	size_t ptlen, n = hex(C_HS, s), rl = hex(CFIN_REC, rec);
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	assert_int_equal(tlsd_keys_tls13(&k, tlsd_suite_find(0x1301), s, n), 0);
	assert_int_equal(tlsd_open(&k, rec, rec + 5, rl - 5, out, &pt, &ptlen, &type), 0);
	assert_int_equal(type, 22);
	expect_hex(pt, ptlen, CFIN);
	assert_int_equal(k.seq, 1);
	/* the same record again is sequence 1: its nonce differs, the tag fails */
	assert_int_equal(tlsd_open(&k, rec, rec + 5, rl - 5, out, &pt, &ptlen, &type), -1);
	/* a flipped bit fails at sequence 0 too */
	k.seq = 0;
	rec[20] ^= 1;
	assert_int_equal(tlsd_open(&k, rec, rec + 5, rl - 5, out, &pt, &ptlen, &type), -1);
	tlsd_keys_free(&k);
}

/* KeyUpdate: the next secret is HKDF-Expand-Label(secret, "traffic upd", "", 32), sequence 0. */
static void test_key_update(void **state)
{
	(void)state;
	uint8_t s[64], next[32];
	size_t n = hex(C_HS, s);
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	assert_int_equal(tlsd_keys_tls13(&k, tlsd_suite_find(0x1303), s, n), 0);
	k.seq = 7;
	assert_int_equal(tlsd_keys_update(&k), 0);
	assert_int_equal(tlsd_hkdf_expand_label("SHA256", s, n, "traffic upd", NULL, 0, next, 32), 0);
	assert_memory_equal(k.secret, next, 32);
	assert_int_equal(k.seq, 0);
	tlsd_keys_free(&k);
}

/* The TLS 1.2 PRF with SHA-256 (the test vector of the IETF TLS working group). */
static void test_prf12_vector(void **state)
{
	(void)state;
	uint8_t sec[16], seed[16], out[100];
	hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35", sec);
	hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c", seed);
	assert_int_equal(tlsd_prf12("SHA256", sec, 16, "test label", seed, 16, out, 100), 0);
	expect_hex(out, 100,
		   "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
		   " 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"
		   " 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"
		   " 87 34 7b 66");
}

/* TLS 1.2 AES-128-GCM: a record sealed with the key block's client keys (RFC 5288) opens. */
static void test_tls12_gcm_record(void **state)
{
	(void)state;
	uint8_t master[48], cr[32], sr[32], kb[40];
	for (int i = 0; i < 48; i++)
		master[i] = (uint8_t)i;
	memset(cr, 0xc1, 32);
	memset(sr, 0x5e, 32);
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	const struct tlsd_suite *cs = tlsd_suite_find(0xC02F);
	assert_non_null(cs);
	assert_int_equal(tlsd_keys_tls12(&k, cs, master, cr, sr, 0, 1), 0);
	uint8_t seed[64];
	memcpy(seed, sr, 32);
	memcpy(seed + 32, cr, 32);
	assert_int_equal(tlsd_prf12("SHA256", master, 48, "key expansion", seed, 64, kb, 40), 0);
	assert_memory_equal(k.key, kb, 16);       /* client_write_key */
	assert_memory_equal(k.iv, kb + 32, 4);    /* client_write_IV */
	/* seal "GET /?imei=1" at sequence 0 */
	const char *msg = "GET /?imei=1";
	size_t ml = strlen(msg);
	uint8_t rec[5 + 8 + 64 + 16], nonce[12], aad[13] = { 0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, (uint8_t)ml };
	size_t bl = 8 + ml + 16;
	rec[0] = 23, rec[1] = 3, rec[2] = 3, rec[3] = 0, rec[4] = (uint8_t)bl;
	memcpy(nonce, kb + 32, 4);
	memset(nonce + 4, 0xab, 8);
	memcpy(rec + 5, nonce + 4, 8);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, kb, nonce);
	EVP_EncryptUpdate(c, NULL, &ol, aad, 13);
	EVP_EncryptUpdate(c, rec + 13, &ol, (const uint8_t *)msg, (int)ml);
	EVP_EncryptFinal_ex(c, rec + 13 + ml, &ol);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, rec + 13 + ml);
	EVP_CIPHER_CTX_free(c);
	uint8_t out[128], type;
	const uint8_t *pt;
	size_t ptlen;
	assert_int_equal(tlsd_open(&k, rec, rec + 5, bl, out, &pt, &ptlen, &type), 0);
	assert_int_equal(type, 23);
	assert_int_equal(ptlen, ml);
	assert_memory_equal(pt, msg, ml);
	k.seq = 0;
	rec[5 + 8] ^= 0x80;
	assert_int_equal(tlsd_open(&k, rec, rec + 5, bl, out, &pt, &ptlen, &type), -1);
	tlsd_keys_free(&k);
}

/* Seals msg as a TLS 1.2 AES-128-CBC + HMAC-SHA1 record (MAC-then-encrypt or RFC 7366 EtM). */
static size_t seal_cbc(const struct tlsd_keys *k, const char *msg, int etm, uint8_t *rec)
{
	size_t ml = strlen(msg), n = 0;
	uint8_t hdr[13] = { 0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, 0 }, buf[256], iv[16], mac[20];
	unsigned int macl;
	memset(iv, 0x11, 16);
	memcpy(buf, msg, ml);
	n = ml;
	if (!etm) {
		hdr[12] = (uint8_t)ml;
		uint8_t in[13 + 256];
		memcpy(in, hdr, 13);
		memcpy(in + 13, msg, ml);
		HMAC(EVP_sha1(), k->mac_key, 20, in, 13 + ml, buf + n, &macl);
		n += 20;
	}
	uint8_t pad = (uint8_t)(15 - n % 16);
	for (int i = 0; i <= pad; i++)
		buf[n++] = pad;
	memcpy(rec + 5, iv, 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol, fl;
	EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, k->key, iv);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, rec + 5 + 16, &ol, buf, (int)n);
	EVP_EncryptFinal_ex(c, rec + 5 + 16 + ol, &fl);
	EVP_CIPHER_CTX_free(c);
	size_t bl = 16 + n;
	if (etm) {
		hdr[11] = (uint8_t)(bl >> 8);
		hdr[12] = (uint8_t)bl;
		uint8_t in[13 + 300];
		memcpy(in, hdr, 13);
		memcpy(in + 13, rec + 5, bl);
		HMAC(EVP_sha1(), k->mac_key, 20, in, 13 + bl, mac, &macl);
		memcpy(rec + 5 + bl, mac, 20);
		bl += 20;
	}
	rec[0] = 23, rec[1] = 3, rec[2] = 3, rec[3] = (uint8_t)(bl >> 8), rec[4] = (uint8_t)bl;
	return bl;
}

static void test_tls12_cbc_records(void **state)
{
	(void)state;
	uint8_t master[48], cr[32], sr[32], rec[300], out[300], type;
	memset(master, 0x42, 48);
	memset(cr, 1, 32);
	memset(sr, 2, 32);
	for (int etm = 0; etm < 2; etm++) {
		struct tlsd_keys k;
		memset(&k, 0, sizeof k);
		assert_int_equal(tlsd_keys_tls12(&k, tlsd_suite_find(0xC013), master, cr, sr, etm, 1), 0);
		const char *msg = "POST /a HTTP/1.1\r\nX-Imei: 862345021234568\r\n\r\n";
		size_t bl = seal_cbc(&k, msg, etm, rec);
		const uint8_t *pt;
		size_t ptlen;
		assert_int_equal(tlsd_open(&k, rec, rec + 5, bl, out, &pt, &ptlen, &type), 0);
		assert_int_equal(ptlen, strlen(msg));
		assert_memory_equal(pt, msg, ptlen);
		k.seq = 0;
		rec[5 + 20] ^= 4;  /* a flipped ciphertext bit: the MAC fails */
		assert_int_equal(tlsd_open(&k, rec, rec + 5, bl, out, &pt, &ptlen, &type), -1);
		tlsd_keys_free(&k);
	}
}

static void test_suites(void **state)
{
	(void)state;
	assert_null(tlsd_suite_find(0x0005));  /* RC4: not decrypted */
	assert_string_equal(tlsd_suite_find(0xCCA8)->name, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_true(tlsd_suite_find(0x1302)->tls13);
	uint8_t s[48] = { 0 };
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	assert_int_equal(tlsd_keys_tls13(&k, tlsd_suite_find(0x1302), s, 32), -1);  /* SHA-384 needs 48 bytes */
	assert_int_equal(tlsd_keys_tls13(&k, tlsd_suite_find(0x1302), s, 48), 0);
	tlsd_keys_free(&k);
}

/* Keys whose cipher libcrypto cannot give (a FIPS-only build without ChaCha20) open nothing. */
static void test_cipher_missing(void **state)
{
	(void)state;
	struct tlsd_suite nope = *tlsd_suite_find(0x1301);
	nope.cipher = "NO-SUCH-CIPHER";
	uint8_t s[32] = { 0 }, hdr[5] = { 23, 3, 3, 0, 32 }, body[32] = { 0 }, out[32], type;
	const uint8_t *pt;
	size_t ptlen;
	struct tlsd_keys k;
	memset(&k, 0, sizeof k);
	assert_int_equal(tlsd_keys_tls13(&k, &nope, s, 32), -1);
	assert_null(k.cs);
	assert_int_equal(tlsd_open(&k, hdr, body, sizeof body, out, &pt, &ptlen, &type), -1);
	tlsd_keys_free(&k);
}

/* A stream that is not TLS stays refused when fed again: no body is read past the buffer. */
static void test_session_refed_after_error(void **state)
{
	(void)state;
	struct tls_session *t = tls_session_new(NULL, NULL);
	static const struct tls_sink sink = { 0 };
	uint8_t junk[5] = { 'G', 'E', 'T', ' ', '/' }, big[70000];
	memset(big, 0x17, sizeof big);
	assert_int_equal(tls_session_feed(t, junk, sizeof junk, &sink, NULL), -1);
	assert_int_equal(tls_session_feed(t, big, sizeof big, &sink, NULL), -1);
	tls_session_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8448_traffic_keys),
		cmocka_unit_test(test_rfc8448_client_finished),
		cmocka_unit_test(test_key_update),
		cmocka_unit_test(test_prf12_vector),
		cmocka_unit_test(test_tls12_gcm_record),
		cmocka_unit_test(test_tls12_cbc_records),
		cmocka_unit_test(test_suites),
		cmocka_unit_test(test_cipher_missing),
		cmocka_unit_test(test_session_refed_after_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
