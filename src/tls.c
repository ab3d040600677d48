/* tls.c - TLS record layer walker: plaintext handshake records (ClientHello with its SNI and
 * extensions) are scanned; application data and post-CCS records are not, unless a key log has
 * the session's secrets: then every client record is authenticated and decrypted (tls_decrypt.c)
 * and its content goes through the HTTP/1.x (http.c) or HTTP/2 (h2.c) parser. */
#include "tls.h"
#include "h2.h"
#include "keylog.h"
#include "reasm.h"
#include "report.h"
#include "tls_decrypt.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_MAX_RECORD (16384 + 2048)  /* RFC 8446: 2^14 + 256, TLS 1.2 ciphertext + 2048 */
#define TLS_SH_MAX 2048                /* ServerHello bytes kept (a ServerHello is far shorter) */

int tls_is_record(const uint8_t *p, size_t len)
{
	if (len < 3)
		return len && (p[0] < 20 || p[0] > 23) ? 0 : -1;
	return p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4;
}

int tls_stream_feed(struct tls_stream *t, const uint8_t *p, size_t len, tls_plain_fn fn, void *arg)
{
	while (len) {
		if (!t->remain) {  /* gather a 5-byte record header, possibly across pieces */
			size_t want = 5u - t->hdrlen, take = want < len ? want : len;
			for (size_t i = 0; i < take; i++)
				t->hdr[t->hdrlen++] = p[i];
			p += take;
			len -= take;
			if (t->hdrlen < 5)
				return 0;
			t->hdrlen = 0;
			uint32_t rl = rd_be16(t->hdr + 3);
			if (tls_is_record(t->hdr, 5) != 1 || rl == 0 || rl > TLS_MAX_RECORD)
				return -1;
			t->type = t->hdr[0];
			t->remain = rl;
			if (t->type == 20)
				t->encrypted = 1;
			continue;
		}
		size_t n = t->remain < len ? t->remain : len;
		if (t->type == 23 || t->encrypted)
			t->skipped += n;
		else
			fn(arg, p, n);
		t->remain -= (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- a session being decrypted ---- */

enum app_mode { APP_UNDECIDED, APP_HTTP, APP_H2, APP_RAW };
enum phase { PH_CLEAR, PH_HANDSHAKE, PH_APP };  /* client keys in use (TLS 1.3 handshake / application) */

struct rec_asm {                   /* one direction's record being gathered */
	uint8_t hdr[5], hdrlen;
	uint32_t need, got;            /* body length and bytes gathered */
};

struct tls_session {
	struct keylog *kl;
	struct http_stats *stats;
	uint8_t client_random[32], server_random[32];
	uint8_t have_cr, have_sh, ccs;
	uint16_t version;              /* negotiated: 0x0303 or 0x0304 */
	uint16_t suite_id;
	uint8_t etm;                   /* encrypt_then_mac in the ServerHello */
	const struct tlsd_suite *cs;
	uint8_t phase, keys_tried;
	struct tlsd_keys hs, app;      /* client handshake (1.3) and application keys */
	struct rec_asm c;              /* client records */
	uint8_t *rec, *out;            /* its body, its plaintext */
	/* server direction, until the ServerHello */
	struct reasm sr;
	struct rec_asm s;
	uint8_t *sh;
	uint32_t shlen;
	uint8_t sdone, sr_on;
	/* what is inside */
	uint8_t app_mode;
	uint8_t head[H2_PREFACE_LEN];
	uint8_t headlen;
	struct http_parser *http;
	struct h2_conn *h2;
	const struct tls_sink *sk;     /* during a feed */
	void *arg;
	char chain[80];                /* encoding chain of the unit being passed on */
	/* counters */
	uint64_t records_ok, records_failed, bytes_decrypted, bytes_nokey, bytes_failed, key_updates;
};

static const uint8_t hrr_random[32] = {  /* RFC 8446 4.1.3: a ServerHello that is a HelloRetryRequest */
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

struct tls_session *tls_session_new(struct keylog *kl, struct http_stats *stats)
{
	struct tls_session *t = util_xcalloc(1, sizeof *t);
	t->kl = kl;
	t->stats = stats;
	return t;
}

void tls_session_free(struct tls_session *t, struct reasm_ctx *rc)
{
	if (!t)
		return;
	tlsd_keys_free(&t->hs);
	tlsd_keys_free(&t->app);
	if (t->sr_on)
		reasm_free(rc, &t->sr);
	http_parser_free(t->http);
	h2_free(t->h2);
	free(t->rec);
	free(t->out);
	free(t->sh);
	free(t);
}

int tls_chain_is_transport(const char *chain)
{
	return chain && (!strcmp(chain, "tls") || !strcmp(chain, "tls>h2") || !strcmp(chain, "quic") ||
			 !strcmp(chain, "quic>h3"));
}

/* Parsers' units on their way to the sink, their chain prefixed with the layers undone. */
static void pass_unit(void *arg, const struct http_unit *hu)
{
	struct tls_session *t = arg;
	struct http_unit u = *hu;
	const char *pre = t->app_mode == APP_H2 ? "tls>h2" : "tls";
	snprintf(t->chain, sizeof t->chain, "%s%s%s", pre, hu->encoding ? ">" : "", hu->encoding ? hu->encoding : "");
	u.encoding = t->chain;
	t->sk->unit(t->arg, &u);
}

static void pass_request(void *arg, const struct http_request *r)
{
	struct tls_session *t = arg;
	if (t->sk->request)
		t->sk->request(t->arg, r);
}

static void app_bytes(struct tls_session *t, const uint8_t *p, size_t len)
{
	if (t->app_mode == APP_HTTP) {
		http_parser_on_request(t->http, pass_request, t);
		http_parser_feed(t->http, p, len, pass_unit, t);
	} else if (t->app_mode == APP_H2) {
		h2_on_request(t->h2, pass_request, t);
		h2_feed(t->h2, p, len, pass_unit, t);
	} else {
		struct http_unit u = { HTTP_WHERE_PAYLOAD, NULL, NULL, p, len, NULL };
		pass_unit(t, &u);
	}
}

/* Decrypted application data: HTTP/2 by its preface, HTTP/1.x by its request line, else raw. */
static void app_data(struct tls_session *t, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	if (t->app_mode == APP_UNDECIDED) {
		util_gather(t->head, &t->headlen, sizeof t->head, &p, &len);
		int h2 = h2_is_preface(t->head, t->headlen), h1 = http_is_request(t->head, t->headlen);
		if ((h2 < 0 || h1 < 0) && t->headlen < sizeof t->head && h1 != 1)
			return;
		t->app_mode = h2 == 1 ? APP_H2 : h1 == 1 ? APP_HTTP : APP_RAW;
		if (t->app_mode == APP_H2)
			t->h2 = h2_new(t->stats);
		else if (t->app_mode == APP_HTTP)
			t->http = http_parser_new(t->stats);
		app_bytes(t, t->head, t->headlen);
	}
	if (len)
		app_bytes(t, p, len);
}

/* The server's first handshake message: version, random, suite, extensions (RFC 8446 4.1.3). */
static void server_hello(struct tls_session *t, const uint8_t *p, size_t n)
{
	if (p[0] != 2) {
		t->sdone = 1;  /* the server's first message is not a ServerHello: nothing to learn */
		return;
	}
	if (n < 4 + 38)
		return;  /* too short for a ServerHello */
	size_t end = 4 + (rd_be16(p + 2) | (size_t)p[1] << 16), pos = 4;
	if (end > n)
		end = n;
	uint16_t ver = rd_be16(p + pos);
	const uint8_t *rnd = p + pos + 2;
	pos += 34;
	pos += 1 + (size_t)p[pos];  /* legacy_session_id_echo */
	if (pos + 3 > end)
		return;
	if (!memcmp(rnd, hrr_random, 32)) {
		t->shlen = 0;  /* HelloRetryRequest: the real ServerHello follows */
		return;
	}
	memcpy(t->server_random, rnd, 32);
	t->suite_id = rd_be16(p + pos);
	pos += 3;
	t->version = ver;
	if (pos + 2 <= end) {
		size_t xe = pos + 2 + rd_be16(p + pos);
		pos += 2;
		if (xe > end)
			xe = end;
		while (pos + 4 <= xe) {
			uint16_t type = rd_be16(p + pos), l = rd_be16(p + pos + 2);
			if (pos + 4 + l > xe)
				break;
			if (type == 43 && l == 2)  /* supported_versions */
				t->version = rd_be16(p + pos + 4);
			else if (type == 22)       /* encrypt_then_mac (RFC 7366) */
				t->etm = 1;
			pos += 4 + l;
		}
	}
	t->cs = tlsd_suite_find(t->suite_id);
	t->have_sh = 1;
	t->sdone = 1;
}

/* Server stream bytes: handshake records are gathered until the ServerHello is whole. */
static void on_server(void *arg, const uint8_t *p, size_t len)
{
	struct tls_session *t = arg;
	while (len && !t->sdone) {
		struct rec_asm *r = &t->s;
		if (r->hdrlen < 5) {
			r->hdr[r->hdrlen++] = *p++;
			len--;
			if (r->hdrlen == 5) {
				r->need = rd_be16(r->hdr + 3);
				r->got = 0;
				if (tls_is_record(r->hdr, 5) != 1 || r->need > TLS_MAX_RECORD)
					t->sdone = 1;  /* the server does not speak TLS */
			}
			continue;
		}
		size_t n = r->need - r->got < len ? r->need - r->got : len;
		if (r->hdr[0] == 22) {
			size_t k = TLS_SH_MAX - t->shlen < n ? TLS_SH_MAX - t->shlen : n;
			if (!t->sh)
				t->sh = util_xmalloc(TLS_SH_MAX);
			memcpy(t->sh + t->shlen, p, k);
			t->shlen += (uint32_t)k;
			if (t->shlen >= 4) {
				size_t ml = 4 + ((size_t)t->sh[1] << 16 | rd_be16(t->sh + 2));
				if (t->shlen >= ml || t->shlen == TLS_SH_MAX) {
					server_hello(t, t->sh, t->shlen);
					if (!t->sdone && t->shlen > ml) {  /* after a HelloRetryRequest */
						memmove(t->sh, t->sh + ml, t->shlen - ml);
						t->shlen -= (uint32_t)ml;
					}
				}
			}
		} else if (r->hdr[0] == 23) {
			t->sdone = 1;  /* encrypted before any ServerHello: nothing more to learn */
		}
		r->got += (uint32_t)n;
		p += n;
		len -= n;
		if (r->got == r->need)
			r->hdrlen = 0;
	}
}

void tls_session_server(struct tls_session *t, struct reasm_ctx *rc, uint32_t seq, const uint8_t *p, size_t len)
{
	if (t->sdone || !len)
		return;
	t->sr_on = 1;
	reasm_push(rc, &t->sr, seq, p, len, on_server, t);
	if (t->sdone) {
		reasm_free(rc, &t->sr);
		t->sr_on = 0;
		free(t->sh);
		t->sh = NULL;
	}
}

/* Keys for the session from the key log, read again when it grew (live capture: a TLS 1.3
 * client logs its application secret only after sending its Finished). 0 when the keys of the
 * current phase are there, -1 not (yet). */
static int keys_setup(struct tls_session *t)
{
	if (!t->have_cr || !t->have_sh || !t->cs)
		return -1;
	const struct keylog_entry *e = keylog_find(t->kl, t->client_random);
	/* a first look, or an entry still missing a secret, re-reads at once; else at most every 100 ms */
	if ((!e || (t->version == 0x0304 && !e->len[KEYLOG_CLIENT_APP])) &&
	    keylog_refresh(t->kl, !t->keys_tried || e != NULL))
		e = keylog_find(t->kl, t->client_random);
	t->keys_tried = 1;
	if (!e)
		return -1;
	if (t->version == 0x0304) {
		if (!t->hs.cs && !t->app.cs && e->len[KEYLOG_CLIENT_HS])
			tlsd_keys_tls13(&t->hs, t->cs, e->secret[KEYLOG_CLIENT_HS], e->len[KEYLOG_CLIENT_HS]);
		if (!t->app.cs && e->len[KEYLOG_CLIENT_APP])
			tlsd_keys_tls13(&t->app, t->cs, e->secret[KEYLOG_CLIENT_APP], e->len[KEYLOG_CLIENT_APP]);
		if (t->phase == PH_CLEAR)
			t->phase = t->hs.cs ? PH_HANDSHAKE : PH_APP;
	} else if (!t->app.cs && e->len[KEYLOG_MASTER] == 48 && !t->cs->tls13) {
		tlsd_keys_tls12(&t->app, t->cs, e->secret[KEYLOG_MASTER], t->client_random, t->server_random, t->etm, 1);
		t->phase = PH_APP;
	}
	return (t->phase == PH_HANDSHAKE ? t->hs.cs : t->app.cs) ? 0 : -1;
}

/* Decrypted handshake messages of the client: Finished ends the TLS 1.3 handshake keys,
 * KeyUpdate (RFC 8446 4.6.3) moves the application keys on. */
static void client_handshake(struct tls_session *t, const uint8_t *p, size_t n, int handshake_keys)
{
	size_t pos = 0;
	while (pos + 4 <= n) {
		uint8_t type = p[pos];
		size_t ml = (size_t)p[pos + 1] << 16 | rd_be16(p + pos + 2);
		if (t->version == 0x0304 && type == 20 && handshake_keys)
			t->phase = PH_APP;
		else if (t->version == 0x0304 && type == 24 && !handshake_keys)
			t->key_updates += tlsd_keys_update(&t->app) == 0;
		pos += 4 + ml;
	}
}

/* One whole record of the client's stream. */
static void client_record(struct tls_session *t, const uint8_t *body, size_t len)
{
	const uint8_t *hdr = t->c.hdr;
	uint8_t type = hdr[0];
	if (type == 22 && (!t->ccs || t->version == 0x0304)) {
		if (!t->have_cr && len >= 38 && body[0] == 1) {  /* ClientHello: its random names the keys */
			memcpy(t->client_random, body + 6, 32);
			t->have_cr = 1;
		}
		t->sk->plain(t->arg, body, len);
		return;
	}
	if (type == 20) {  /* ChangeCipherSpec: TLS 1.2 encrypts from here; 1.3 sends it for middleboxes */
		t->ccs = 1;
		return;
	}
	if (type == 21 && !t->ccs && t->version != 0x0304)
		return;  /* a plaintext alert */
	if (t->version == 0x0303 && !t->ccs)
		return;
	if ((t->phase == PH_HANDSHAKE ? !t->hs.cs : !t->app.cs) && keys_setup(t) < 0) {
		t->bytes_nokey += len;
		return;
	}
	struct tlsd_keys *k = t->phase == PH_HANDSHAKE ? &t->hs : &t->app;
	const uint8_t *pt;
	uint8_t inner;
	size_t ptlen;
	if (!t->out)
		t->out = util_xmalloc(TLS_MAX_RECORD);
	int r = tlsd_open(k, hdr, body, len, t->out, &pt, &ptlen, &inner);
	if (r < 0 && t->phase == PH_HANDSHAKE && !t->app.cs)
		keys_setup(t);
	if (r < 0 && t->phase == PH_HANDSHAKE && t->app.cs && t->app.seq == 0) {
		/* no Finished under the handshake keys (early data, a missed record): try the application keys */
		r = tlsd_open(&t->app, hdr, body, len, t->out, &pt, &ptlen, &inner);
		if (r == 0)
			t->phase = PH_APP;
		else
			t->app.seq = 0;
		k = &t->app;
	}
	if (r < 0) {
		t->records_failed++;
		t->bytes_failed += len;
		return;  /* never scanned as plaintext */
	}
	t->records_ok++;
	t->bytes_decrypted += ptlen;
	if (inner == 23)
		app_data(t, pt, ptlen);
	else if (inner == 22)
		client_handshake(t, pt, ptlen, k == &t->hs);
}

int tls_session_feed(struct tls_session *t, const uint8_t *p, size_t len, const struct tls_sink *sk, void *arg)
{
	t->sk = sk;
	t->arg = arg;
	while (len) {
		struct rec_asm *r = &t->c;
		if (r->hdrlen < 5) {
			size_t take = 5u - r->hdrlen < len ? 5u - r->hdrlen : len;
			memcpy(r->hdr + r->hdrlen, p, take);
			r->hdrlen = (uint8_t)(r->hdrlen + take);
			p += take;
			len -= take;
			if (r->hdrlen < 5)
				return 0;
			r->need = rd_be16(r->hdr + 3);
			r->got = 0;
			if (tls_is_record(r->hdr, 5) != 1 || r->need == 0 || r->need > TLS_MAX_RECORD) {
				r->hdrlen = 0;
				r->need = 0;  /* fed again, it reads a header anew, never a body past the buffer */
				return -1;
			}
			if (!t->rec)
				t->rec = util_xmalloc(TLS_MAX_RECORD);
			continue;
		}
		size_t n = r->need - r->got < len ? r->need - r->got : len;
		memcpy(t->rec + r->got, p, n);
		r->got += (uint32_t)n;
		p += n;
		len -= n;
		if (r->got == r->need) {
			r->hdrlen = 0;
			client_record(t, t->rec, r->need);
		}
	}
	return 0;
}

void tls_session_finish(struct tls_session *t, const struct tls_sink *sk, void *arg)
{
	t->sk = sk;
	t->arg = arg;
	if (t->app_mode == APP_UNDECIDED && t->headlen) {
		t->app_mode = APP_RAW;
		app_bytes(t, t->head, t->headlen);
	}
	if (t->http) {
		http_parser_on_request(t->http, pass_request, t);
		http_parser_finish(t->http, pass_unit, t);
	}
	if (t->h2) {
		h2_on_request(t->h2, pass_request, t);
		h2_finish(t->h2, pass_unit, t);
	}
}

int tls_session_keys(const struct tls_session *t)
{
	if (t->records_ok)
		return TLS_KEYS_DECRYPTED;
	if (t->records_failed)
		return TLS_KEYS_FAILED;
	if (t->bytes_nokey)
		return TLS_KEYS_MISSING;
	return TLS_KEYS_NONE;
}

void tls_session_account(const struct tls_session *t, struct report_stats *st)
{
	int k = tls_session_keys(t);
	st->tls_decrypted_flows += k == TLS_KEYS_DECRYPTED;
	st->tls_nokey_flows += k == TLS_KEYS_MISSING;
	st->tls_failed_flows += k == TLS_KEYS_FAILED;
	st->tls_records_decrypted += t->records_ok;
	st->tls_records_failed += t->records_failed;
	st->tls_bytes_decrypted += t->bytes_decrypted;
	st->tls_key_updates += t->key_updates;
	st->tls_bytes_skipped += t->bytes_nokey + t->bytes_failed;
}

void tls_session_leak(const struct tls_session *t, struct report_leak *l)
{
	l->encrypted = 1;
	l->decrypted = 1;
	l->transport = "tls";
	l->tls_version = t->version == 0x0304 ? "TLSv1.3" : "TLSv1.2";
	l->cipher = t->cs ? t->cs->name : "";  /* the suite table's: static */
}
