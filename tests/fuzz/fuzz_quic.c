/* fuzz_quic.c - libFuzzer target: the QUIC packet path (quic.c, quic_decrypt.c) of one connection.
 * The harness opens it with a client Initial whose ClientHello random has a 1-RTT secret in the
 * key log, then plays the fuzzer's ops; sealed ops are protected here with the connection's keys,
 * so fuzzer frames get past header protection and the AEAD tag into frame and stream parsing.
 *
 * Input: ops up to the end, each ctl, len16, bytes:
 *   ctl bits 0-2: 0 raw client datagram, 1 raw server datagram, 2 sealed client Initial,
 *                 3 sealed server Initial (its SCID the connection's CID), 4 sealed client 1-RTT
 *                 (short header to that CID), 5 the same with the next key phase;
 *   bit 3: a flipped ciphertext byte; bits 4-7: packet number step. */
#include "keylog.h"
#include "quic.h"
#include "quic_decrypt.h"
#include "report.h"
#include "tls_decrypt.h"
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static const uint8_t DCID[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
static const uint8_t SCID[8] = { 0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5 };
static uint8_t RANDOM[32], APP[32];

static void on_hello(void *arg, const uint8_t *p, size_t len)
{
	volatile uint8_t x = len ? p[0] ^ p[len - 1] : 0;
	(void)x;
	(void)arg;
}

static void on_unit(void *arg, const struct http_unit *u)
{
	volatile uint8_t x = u->len ? u->p[0] ^ u->p[u->len - 1] : 0;
	(void)x;
	*(size_t *)arg += u->len;
}

/* AEAD seal of pt with k at pn; header hdr[0,hlen) is the AAD; out gets ciphertext and tag. */
static int seal(const struct quicd_keys *k, uint64_t pn, const uint8_t *hdr, size_t hlen, const uint8_t *pt, size_t n,
		uint8_t *out)
{
	uint8_t nonce[12];
	int l;
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(pn >> (56 - 8 * i));
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, k->cs->cipher, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ok = EVP_EncryptInit_ex2(x, c, k->key, nonce, NULL) > 0 && EVP_EncryptUpdate(x, NULL, &l, hdr, (int)hlen) > 0 &&
		 (!n || EVP_EncryptUpdate(x, out, &l, pt, (int)n) > 0) && EVP_EncryptFinal_ex(x, out + n, &l) > 0 &&
		 EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + n) > 0;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return ok ? 0 : -1;
}

/* A protected packet: header hdr (packet number last, 4 bytes at pn_off), payload pt. */
static size_t protect(struct quicd_keys *k, uint64_t pn, uint8_t *pkt, size_t pn_off, const uint8_t *pt, size_t n, int flip)
{
	uint8_t mask[5];
	size_t hl = pn_off + 4;
	for (int i = 0; i < 4; i++)
		pkt[pn_off + i] = (uint8_t)(pn >> (24 - 8 * i));
	if (seal(k, pn, pkt, hl, pt, n, pkt + hl) < 0 || quicd_hp_mask(k, pkt + pn_off + 4, mask) < 0)
		return 0;
	if (flip)
		pkt[hl + n / 2] ^= 0x20;
	pkt[0] ^= mask[0] & (pkt[0] & 0x80 ? 0x0f : 0x1f);
	for (int i = 0; i < 4; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	return hl + n + 16;
}

/* A long-header Initial (v1) carrying pt, from the client (DCID) or the server (SCID). */
static size_t initial(struct quicd_keys *k, int server, uint64_t pn, const uint8_t *pt, size_t n, uint8_t *pkt, int flip)
{
	size_t pos = 0;
	pkt[pos++] = 0xc3;
	pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 1;
	pkt[pos++] = server ? 0 : 8;
	if (!server)
		memcpy(pkt + pos, DCID, 8), pos += 8;
	pkt[pos++] = server ? 8 : 0;
	if (server)
		memcpy(pkt + pos, SCID, 8), pos += 8;
	pkt[pos++] = 0;  /* token */
	size_t l = 4 + n + 16;
	pkt[pos++] = (uint8_t)(0x40 | l >> 8);
	pkt[pos++] = (uint8_t)l;
	return protect(k, pn, pkt, pos, pt, n, flip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000], pt[66000];
	static struct keylog *kl;
	if (!kl) {
		char line[256];
		for (int i = 0; i < 32; i++)
			RANDOM[i] = (uint8_t)(i * 7 + 1), APP[i] = (uint8_t)(0xa0 ^ i);
		int n = sprintf(line, "CLIENT_TRAFFIC_SECRET_0 ");
		for (int i = 0; i < 32; i++)
			n += sprintf(line + n, "%02x", RANDOM[i]);
		line[n++] = ' ';
		for (int i = 0; i < 32; i++)
			n += sprintf(line + n, "%02x", APP[i]);
		line[n++] = '\n';
		kl = keylog_new();
		keylog_add_text(kl, line, (size_t)n);
	}
	struct quicd_keys ci = { 0 }, si = { 0 }, app[2] = { 0 };
	uint8_t cs[32], ss[32];
	quicd_initial_secrets(QUIC_V1, DCID, 8, cs, ss);
	quicd_keys_set(&ci, NULL, QUIC_V1, cs, 32);
	quicd_keys_set(&si, NULL, QUIC_V1, ss, 32);
	quicd_keys_set(&app[0], NULL, QUIC_V1, APP, 32);
	quicd_keys_next(&app[0], &app[1]);
	struct http_stats hs = { 0 };
	struct quic_conn *q = quic_conn_new(kl, &hs);
	static struct quic_cids *cids;     /* one map for the run: each input's CIDs must leave it */
	static int owner;
	if (!cids)
		cids = quic_cids_new();
	quic_conn_track(q, cids, &owner);
	size_t total = 0;
	struct quic_sink sk = { on_hello, on_unit, NULL };
	/* the opening Initial: a CRYPTO frame with a ClientHello carrying RANDOM, padded */
	static const uint8_t ch_head[] = { 0x06, 0x00, 0x40, 0x31, 0x01, 0x00, 0x00, 0x2d, 0x03, 0x03 };
	size_t n = 0;
	memcpy(pt, ch_head, sizeof ch_head), n = sizeof ch_head;
	memcpy(pt + n, RANDOM, 32), n += 32;
	static const uint8_t ch_tail[] = { 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x00 };
	memcpy(pt + n, ch_tail, sizeof ch_tail), n += sizeof ch_tail;
	memset(pt + n, 0, 40), n += 40;
	size_t l = initial(&ci, 0, 0, pt, n, pkt, 0);
	quic_conn_client(q, pkt, l, &sk, &total);
	uint64_t pn[3] = { 1, 0, 0 };
	size_t pos = 0;
	while (pos + 3 <= size) {
		uint8_t ctl = data[pos];
		size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		const uint8_t *b = data + pos;
		pos += len;
		int op = ctl & 7, flip = ctl >> 3 & 1;
		uint64_t step = (uint64_t)(ctl >> 4) + 1;
		memcpy(pt, b, len);
		n = len < 24 ? 24 : len;  /* PADDING up to a sample's room */
		memset(pt + len, 0, n - len);
		int d;
		if (quic_cids_find(cids, b, len, &d) && d != 0 && d != 1)
			__builtin_trap();
		if (op == 0) {
			quic_conn_client(q, b, len, &sk, &total);
		} else if (op == 1) {
			quic_conn_server(q, b, len);
		} else if (op == 2 || op == 3) {
			l = initial(op == 2 ? &ci : &si, op == 3, pn[op - 2] += step, pt, n, pkt, flip);
			if (op == 2)
				quic_conn_client(q, pkt, l, &sk, &total);
			else
				quic_conn_server(q, pkt, l);
		} else {
			int kp = op == 5;
			pkt[0] = (uint8_t)(0x43 | kp << 2);
			memcpy(pkt + 1, SCID, 8);
			l = protect(&app[kp], pn[2] += step, pkt, 9, pt, n, flip);
			quic_conn_client(q, pkt, l, &sk, &total);
		}
	}
	quic_conn_finish(q, &sk, &total);
	struct report_stats st = { 0 };
	quic_conn_account(q, &st);
	quic_conn_free(q);
	static const uint8_t probe[64] = { 0x40 };
	int d;
	if (quic_cids_find(cids, probe, sizeof probe, &d) || quic_cids_add(cids, SCID, 8, 0, &owner) < 0)
		__builtin_trap();  /* the freed connection's CIDs are gone: its own SCID can be added anew */
	quic_cids_del(cids, SCID, 8, &owner);
	quicd_keys_free(&ci);
	quicd_keys_free(&si);
	quicd_keys_free(&app[0]);
	quicd_keys_free(&app[1]);
	return 0;
}
