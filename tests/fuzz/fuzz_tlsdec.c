/* fuzz_tlsdec.c - libFuzzer target: a decrypting TLS session (tls.c, tls_decrypt.c) whose key log
 * matches its ClientHello. The harness seals the fuzzer's plaintext with the session's keys, so
 * records get past the AEAD tag / CBC MAC into the padding, inner type, handshake and HTTP parsing.
 *
 * Input: cfg, split, srv, [len16 raw server bytes when srv & 1], then ops up to the end:
 *   cfg   bits 0-4 suite (index among the suites tls_decrypt.c knows), bit 5 encrypt_then_mac
 *         in the ServerHello, bits 6-7 key log: 0 all secrets, 1 no TLS 1.3 handshake secret,
 *         2 no application secret, 3 the secrets of another client random
 *   split low nibble: client piece size (0: a record at a time), high nibble: server piece size
 *   srv   bit 0 raw server stream, else a ServerHello made here: bit 1 after a HelloRetryRequest,
 *         bit 2 with a 32-byte session id, bit 3 then ChangeCipherSpec + an encrypted record,
 *         bit 4 the ServerHello cut into two records
 *   op    ctl, type, len16, payload: ctl bits 0-1 keys (0 as the client would, 1 handshake,
 *         2 application, 3 none: the payload goes on the wire as it is, to the server when
 *         type & 0x80), bits 2-3 damage (1 a flipped byte, 2 a skipped sequence number, 3 one
 *         byte short), bits 4-7 padding (1.3: 5 zero bytes each; CBC: bits 4-5 extra blocks,
 *         bit 6 a wrong padding byte, bit 7 a padding length that is too long).
 *         type: the inner (1.3) or record (1.2) content type. */
#include "keylog.h"
#include "reasm.h"
#include "report.h"
#include "tls.h"
#include "tls_decrypt.h"
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLAIN (16384 + 256)  /* payload sealed in one record (more: op keys 3) */
#define SERVER_ISN 1000u

static const uint8_t client_random[32] = {  /* RFC 8448 3 */
	0xcb, 0x34, 0xec, 0xb1, 0xe7, 0x81, 0x63, 0xba, 0x1c, 0x38, 0xc6, 0xda, 0xcb, 0x19, 0x6a, 0x6d,
	0xff, 0xa2, 0x1a, 0x8d, 0x99, 0x12, 0xec, 0x18, 0xa2, 0xef, 0x62, 0x83, 0x02, 0x4d, 0xec, 0xe7,
};
static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};
static uint8_t server_random[32];

static const struct tlsd_suite *suites[64];
static size_t nsuites;

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct sealer {                    /* the client's side of the record protection */
	struct tlsd_keys hs, app;      /* keys derived by tls_decrypt.c (key, iv, mac_key, secret) */
	const struct tlsd_suite *cs;
	int tls13, phase_app, ccs_sent;
};

struct run {
	struct tls_session *t;
	struct reasm_ctx rc;
	uint32_t sseq;
	size_t cstep, sstep;
	int stopped;                   /* the session said the client stream is not TLS */
	struct buf c;                  /* the record being sealed */
	uint64_t units;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put16(struct buf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(b, x, 2);
}

static void on_plain(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	volatile uint8_t x = len ? p[0] ^ p[len - 1] : 0;
	(void)x;
}

static void on_unit(void *arg, const struct http_unit *u)
{
	struct run *r = arg;
	volatile uint8_t x = u->len ? u->p[0] ^ u->p[u->len - 1] : 0;
	volatile size_t l = (u->name ? strlen(u->name) : 0) + (u->encoding ? strlen(u->encoding) : 0) +
			    (size_t)tls_chain_is_transport(u->encoding);
	(void)x;
	(void)l;
	r->units++;
}

static void on_request(void *arg, const struct http_request *q)
{
	(void)arg;
	volatile size_t l = strlen(q->method) + strlen(q->uri) + strlen(q->host);
	(void)l;
}

static const struct tls_sink sink = { on_plain, on_unit, on_request };

/* Client stream bytes into the session, in pieces of cstep. */
static void feed_client(struct run *r, const uint8_t *p, size_t n)
{
	size_t step = r->cstep ? r->cstep : n;
	for (size_t off = 0; off < n && !r->stopped; off += step)
		if (tls_session_feed(r->t, p + off, n - off < step ? n - off : step, &sink, r) < 0)
			r->stopped = 1;
}

/* Server stream bytes as TCP segments of sstep. */
static void feed_server(struct run *r, const uint8_t *p, size_t n)
{
	size_t step = r->sstep ? r->sstep : n;
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;
		tls_session_server(r->t, &r->rc, r->sseq, p + off, k);
		r->sseq += (uint32_t)k;
	}
}

static void record(struct buf *b, uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t h[5] = { type, 3, 3, (uint8_t)(n >> 8), (uint8_t)n };
	put(b, h, 5);
	put(b, body, n);
}

/* A ServerHello (RFC 8446 4.1.3) with random rnd for the session's suite and version. */
static void server_hello(struct buf *m, const uint8_t *rnd, const struct tlsd_suite *cs, int etm, int sid)
{
	struct buf x = { 0 };
	if (cs->tls13) {
		put16(&x, 43);
		put16(&x, 2);
		put16(&x, 0x0304);
	}
	if (etm) {
		put16(&x, 22);
		put16(&x, 0);
	}
	size_t body = 2 + 32 + 1 + (sid ? 32 : 0) + 3 + 2 + x.len;
	uint8_t h[4] = { 2, (uint8_t)(body >> 16), (uint8_t)(body >> 8), (uint8_t)body };
	put(m, h, 4);
	put16(m, 0x0303);
	put(m, rnd, 32);
	put8(m, sid ? 32 : 0);
	for (int i = 0; i < sid; i++)
		put8(m, (uint8_t)(0xa0 + i));
	put16(m, cs->id);
	put8(m, 0);
	put16(m, x.len);
	if (x.len)
		put(m, x.p, x.len);
	free(x.p);
}

/* The server's first flight as srv asks. */
static void server_flight(struct run *r, const struct tlsd_suite *cs, int etm, uint8_t srv)
{
	struct buf m = { 0 }, w = { 0 };
	if (srv & 2) {
		server_hello(&m, hrr_random, cs, 0, srv & 4 ? 32 : 0);
		record(&w, 22, m.p, m.len);
		uint8_t ccs = 1;
		record(&w, 20, &ccs, 1);
		m.len = 0;
	}
	server_hello(&m, server_random, cs, etm, srv & 4 ? 32 : 0);
	if (srv & 16) {
		record(&w, 22, m.p, m.len / 2);
		record(&w, 22, m.p + m.len / 2, m.len - m.len / 2);
	} else {
		record(&w, 22, m.p, m.len);
	}
	if (srv & 8) {
		uint8_t ccs = 1, enc[40];
		memset(enc, 0x5a, sizeof enc);
		record(&w, 20, &ccs, 1);
		record(&w, 23, enc, sizeof enc);
	}
	feed_server(r, w.p, w.len);
	free(m.p);
	free(w.p);
}

/* The ClientHello: its random is the one the key log names. */
static void client_hello(struct run *r, const struct tlsd_suite *cs)
{
	struct buf m = { 0 }, w = { 0 };
	static const char sni[] = "api.example.test";
	size_t ext = 4 + 5 + sizeof sni - 1 + 4 + 3;
	size_t body = 2 + 32 + 1 + 2 + 2 + 2 + 2 + ext;
	uint8_t h[4] = { 1, 0, (uint8_t)(body >> 8), (uint8_t)body };
	put(&m, h, 4);
	put16(&m, 0x0303);
	put(&m, client_random, 32);
	put8(&m, 0);
	put16(&m, 2);
	put16(&m, cs->id);
	put8(&m, 1);
	put8(&m, 0);
	put16(&m, ext);
	put16(&m, 0);  /* server_name */
	put16(&m, 5 + sizeof sni - 1);
	put16(&m, 3 + sizeof sni - 1);
	put8(&m, 0);
	put16(&m, sizeof sni - 1);
	put(&m, sni, sizeof sni - 1);
	put16(&m, 43);  /* supported_versions */
	put16(&m, 3);
	put8(&m, 2);
	put16(&m, cs->tls13 ? 0x0304 : 0x0303);
	record(&w, 22, m.p, m.len);
	feed_client(r, w.p, w.len);
	free(m.p);
	free(w.p);
}

/* The secrets: a fixed pattern per label, as long as the suite's hash. */
static void secret(uint8_t *s, size_t n, int label)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (uint8_t)(label * 0x31 + i * 7 + 1);
}

static void hex(char *o, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = d[p[i] >> 4];
		o[2 * i + 1] = d[p[i] & 15];
	}
	o[2 * n] = 0;
}

/* A key log for the session, as variant asks; the sealer gets the same secrets. */
static struct keylog *key_log(struct sealer *sl, int variant)
{
	const struct tlsd_suite *cs = sl->cs;
	size_t hl = !strcmp(cs->md, "SHA384") ? 48 : 32;
	uint8_t rnd[32], s[64];
	char text[1024], rh[65], sh[129];
	size_t n = 0;
	memcpy(rnd, client_random, 32);
	if (variant == 3)
		rnd[31] ^= 1;
	hex(rh, rnd, 32);
	if (!cs->tls13) {  /* variants 1 and 2: a master secret of the wrong length, none at all */
		secret(s, 48, KEYLOG_MASTER);
		hex(sh, s, variant == 1 ? 32 : 48);
		if (variant != 2)
			n += (size_t)snprintf(text + n, sizeof text - n, "CLIENT_RANDOM %s %s\n", rh, sh);
		else
			n += (size_t)snprintf(text + n, sizeof text - n, "CLIENT_TRAFFIC_SECRET_0 %s %s\n", rh, sh);
		tlsd_keys_tls12(&sl->app, cs, s, client_random, server_random, 0, 1);
	} else {
		secret(s, hl, KEYLOG_CLIENT_HS);
		hex(sh, s, hl);
		if (variant != 1)
			n += (size_t)snprintf(text + n, sizeof text - n, "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s\n", rh, sh);
		tlsd_keys_tls13(&sl->hs, cs, s, hl);
		secret(s, hl, KEYLOG_CLIENT_APP);
		hex(sh, s, hl);
		if (variant != 2)
			n += (size_t)snprintf(text + n, sizeof text - n, "CLIENT_TRAFFIC_SECRET_0 %s %s\n", rh, sh);
		tlsd_keys_tls13(&sl->app, cs, s, hl);
		secret(s, hl, KEYLOG_SERVER_APP);
		hex(sh, s, hl);
		n += (size_t)snprintf(text + n, sizeof text - n, "SERVER_TRAFFIC_SECRET_0 %s %s\n", rh, sh);
		sl->phase_app = variant == 1;
	}
	struct keylog *kl = keylog_new();
	keylog_add_text(kl, text, n);
	return kl;
}

/* AEAD seal of pt[0,n) with aad into out: ciphertext then the 16-byte tag. */
static void aead_seal(const struct tlsd_suite *cs, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
		      size_t aadlen, const uint8_t *pt, size_t n, uint8_t *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cs->cipher, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ol;
	if (!c || !x || EVP_EncryptInit_ex2(x, c, key, nonce, NULL) <= 0 ||
	    EVP_EncryptUpdate(x, NULL, &ol, aad, (int)aadlen) <= 0 ||
	    (n && EVP_EncryptUpdate(x, out, &ol, pt, (int)n) <= 0) || EVP_EncryptFinal_ex(x, out + n, &ol) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + n) <= 0)
		abort();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
}

/* The TLS 1.2 MAC (RFC 5246 6.2.3.1) of d[0,n) at seq into out; the MAC length. */
static size_t mac12(const struct tlsd_keys *k, uint64_t seq, uint8_t type, const uint8_t *d, size_t n, uint8_t *out)
{
	uint8_t *in = malloc(13 + n);
	if (!in)
		abort();
	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(seq >> (56 - 8 * i));
	in[8] = type, in[9] = 3, in[10] = 3, in[11] = (uint8_t)(n >> 8), in[12] = (uint8_t)n;
	memcpy(in + 13, d, n);
	size_t ol = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, k->cs->mac_md, NULL, k->mac_key, k->cs->mac_len, in, 13 + n, out, 64, &ol))
		abort();
	free(in);
	return ol;
}

/* TLS 1.2 CBC record body (RFC 5246 6.2.3.2, RFC 7366) of pt[0,n) into o. */
static void seal_cbc(const struct tlsd_keys *k, uint64_t seq, uint8_t type, int etm, uint8_t pad, const uint8_t *pt,
		     size_t n, struct buf *o)
{
	struct buf p = { 0 };
	uint8_t mac[64], iv[16];
	put(&p, pt, n);
	if (!etm)
		put(&p, mac, mac12(k, seq, type, pt, n, mac));
	size_t pl = 15 - p.len % 16 + 16 * (pad & 3);
	for (size_t i = 0; i <= pl; i++)
		put8(&p, (uint8_t)pl);
	if ((pad & 4) && pl)
		p.p[p.len - 1 - pl] ^= 1;
	if (pad & 8)
		p.p[p.len - 1] = 0xff;
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(seq + (uint64_t)i);
	size_t start = o->len;
	put(o, iv, 16);
	put(o, p.p, p.len);
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, k->cs->cipher, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int ol;
	if (!c || !x || EVP_EncryptInit_ex2(x, c, k->key, iv, NULL) <= 0 || !EVP_CIPHER_CTX_set_padding(x, 0) ||
	    EVP_EncryptUpdate(x, o->p + start + 16, &ol, p.p, (int)p.len) <= 0)
		abort();
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	if (etm)
		put(o, mac, mac12(k, seq, type, o->p + start, o->len - start, mac));
	free(p.p);
}

/* One record sealed as the client would: TLS 1.3 (RFC 8446 5.2) or 1.2 AEAD / CBC; its body into o. */
static uint8_t seal(struct sealer *sl, struct tlsd_keys *k, uint8_t type, uint8_t pad, const uint8_t *pt, size_t n,
		    int etm, struct buf *o)
{
	uint8_t nonce[12], aad[13];
	uint64_t seq = k->seq++;
	if (sl->tls13) {
		struct buf in = { 0 };
		put(&in, pt, n);
		put8(&in, type);
		for (int i = 0; i < 5 * pad; i++)
			put8(&in, 0);
		size_t bl = in.len + 16;
		uint8_t hdr[5] = { 23, 3, 3, (uint8_t)(bl >> 8), (uint8_t)bl };
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
		size_t start = o->len;
		uint8_t tag[16] = { 0 };
		put(o, in.p, in.len);  /* room for the ciphertext and tag, overwritten */
		put(o, tag, 16);
		aead_seal(sl->cs, k->key, nonce, hdr, 5, in.p, in.len, o->p + start);
		free(in.p);
		return 23;
	}
	if (sl->cs->kind == TLSD_CBC) {
		seal_cbc(k, seq, type, etm, pad, pt, n, o);
		return type;
	}
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type, aad[9] = 3, aad[10] = 3, aad[11] = (uint8_t)(n >> 8), aad[12] = (uint8_t)n;
	size_t start = o->len;
	if (sl->cs->kind == TLSD_GCM) {  /* explicit nonce: the sequence number, as OpenSSL sends it */
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, aad, 8);
		put(o, aad, 8);
		start += 8;
	} else {
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= aad[i];
	}
	uint8_t tag[16] = { 0 };
	put(o, pt, n);
	put(o, tag, 16);
	aead_seal(sl->cs, k->key, nonce, aad, 13, pt, n, o->p + start);
	return type;
}

/* The client's own view of its handshake messages (RFC 8446 4.4.4, 4.6.3): Finished moves it to
 * the application keys, KeyUpdate moves those on. */
static void sealed_handshake(struct sealer *sl, const uint8_t *p, size_t n, int under_hs)
{
	for (size_t pos = 0; pos + 4 <= n; pos += 4 + ((size_t)p[pos + 1] << 16 | (size_t)p[pos + 2] << 8 | p[pos + 3])) {
		if (p[pos] == 20 && under_hs)
			sl->phase_app = 1;
		else if (p[pos] == 24 && !under_hs)
			tlsd_keys_update(&sl->app);
	}
}

/* One op: a record sealed and fed, or raw bytes. */
static void op(struct run *r, struct sealer *sl, int etm, uint8_t ctl, uint8_t type, const uint8_t *pl, size_t n)
{
	int keys = ctl & 3, damage = ctl >> 2 & 3;
	uint8_t pad = ctl >> 4;
	if (keys == 3) {
		if (type & 0x80)
			feed_server(r, pl, n);
		else
			feed_client(r, pl, n);
		return;
	}
	if (!sl->tls13 && !sl->ccs_sent) {  /* TLS 1.2 encrypts after the client's ChangeCipherSpec */
		static const uint8_t ccs[6] = { 20, 3, 3, 0, 1, 1 };
		feed_client(r, ccs, sizeof ccs);
		sl->ccs_sent = 1;
	}
	int hs = sl->tls13 && (keys == 1 || (keys == 0 && !sl->phase_app));
	struct tlsd_keys *k = hs ? &sl->hs : &sl->app;
	if (damage == 2)
		k->seq++;
	struct buf *b = &r->c;
	b->len = 0;
	put(b, "\0\0\0\0\0", 5);
	uint8_t outer = seal(sl, k, type, pad, pl, n, etm, b);
	size_t bl = b->len - 5;
	if (damage == 1)
		b->p[5 + (bl - 1) - (bl - 1) * pad / 15] ^= 0x40;
	if (damage == 3)
		bl--;
	b->p[0] = outer, b->p[1] = 3, b->p[2] = 3, b->p[3] = (uint8_t)(bl >> 8), b->p[4] = (uint8_t)bl;
	feed_client(r, b->p, 5 + bl);
	if (sl->tls13 && type == 22 && !damage)
		sealed_handshake(sl, pl, n, hs);
}

static void suites_init(void)
{
	for (uint32_t id = 0; id <= 0xffff && nsuites < sizeof suites / sizeof suites[0]; id++)
		if (tlsd_suite_find((uint16_t)id))
			suites[nsuites++] = tlsd_suite_find((uint16_t)id);
	for (int i = 0; i < 32; i++)
		server_random[i] = (uint8_t)(0x5e ^ i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nsuites)
		suites_init();
	if (size < 3)
		return 0;
	uint8_t cfg = data[0], split = data[1], srv = data[2];
	data += 3;
	size -= 3;
	struct sealer sl;
	memset(&sl, 0, sizeof sl);
	sl.cs = suites[(cfg & 31) % nsuites];
	sl.tls13 = sl.cs->tls13;
	int etm = cfg >> 5 & 1;
	struct keylog *kl = key_log(&sl, cfg >> 6);
	if (!sl.tls13)  /* the ServerHello's encrypt_then_mac decides */
		sl.app.etm = (uint8_t)(sl.cs->kind == TLSD_CBC && etm);
	struct http_stats hst;
	memset(&hst, 0, sizeof hst);
	struct run r;
	memset(&r, 0, sizeof r);
	reasm_ctx_init(&r.rc);
	r.t = tls_session_new(kl, &hst);
	r.cstep = split & 15;
	r.sstep = split >> 4;
	r.sseq = SERVER_ISN;
	client_hello(&r, sl.cs);
	if (srv & 1) {  /* the server's bytes as given */
		size_t h = size < 2 ? size : 2, n = size < 2 ? 0 : (size_t)(data[0] << 8 | data[1]);
		if (n > size - h)
			n = size - h;
		feed_server(&r, data + h, n);
		data += h + n;
		size -= h + n;
	} else {
		server_flight(&r, sl.cs, etm, srv);
	}
	while (size >= 4 && !r.stopped) {
		size_t n = (size_t)(data[2] << 8 | data[3]);
		if (n > size - 4)
			n = size - 4;
		if ((data[0] & 3) != 3 && n > MAX_PLAIN)
			n = MAX_PLAIN;
		op(&r, &sl, sl.app.etm, data[0], data[1], data + 4, n);
		data += 4 + n;
		size -= 4 + n;
	}
	tls_session_finish(r.t, &sink, &r);
	struct report_stats st;
	struct report_leak lk;
	memset(&st, 0, sizeof st);
	memset(&lk, 0, sizeof lk);
	tls_session_account(r.t, &st);
	tls_session_leak(r.t, &lk);
#ifdef FUZZ_DEBUG  /* what an input reached: clang -DFUZZ_DEBUG ... then run it on the corpus */
	fprintf(stderr, "%s %s: keys %d, records ok %llu failed %llu, key updates %llu, units %llu\n", sl.cs->name,
		lk.tls_version, tls_session_keys(r.t), (unsigned long long)st.tls_records_decrypted,
		(unsigned long long)st.tls_records_failed, (unsigned long long)st.tls_key_updates,
		(unsigned long long)r.units);
#endif
	if (r.units && tls_session_keys(r.t) != TLS_KEYS_DECRYPTED)
		__builtin_trap();  /* content passed on from a session that decrypted nothing */
	if (st.tls_records_decrypted && !st.tls_decrypted_flows)
		__builtin_trap();
	tls_session_free(r.t, &r.rc);
	if (r.rc.mem_in_use)
		__builtin_trap();  /* server segments still queued after the session is gone */
	tlsd_keys_free(&sl.hs);
	tlsd_keys_free(&sl.app);
	keylog_free(kl);
	free(r.c.p);
	return 0;
}
