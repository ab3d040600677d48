/* quic.c - QUIC reader (RFC 9000, RFC 9001, v2 RFC 9369): long headers; the client's Initial
 * packets opened with the version's public keys and their CRYPTO frames gathered into the
 * ClientHello (SNI, ALPN, random); with a key log, the client's 0-RTT and both sides' Handshake
 * and 1-RTT packets opened (header protection, packet numbers per space, key updates), the
 * client's STREAM frames reassembled per stream (quic_stream.c) and handed on, the server's
 * control stream read for its SETTINGS, both sides' connection IDs learnt (and put in the
 * worker's map, quic_cid.c, which follows the connection to another 5-tuple). */
#include "quic.h"
#include "h3.h"
#include "config.h"
#include "keylog.h"
#include "quic_decrypt.h"
#include "quic_stream.h"
#include "report.h"
#include "tls_decrypt.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUIC_SH_MAX 1024               /* ServerHello bytes gathered (it is far shorter) */
#define QUIC_MAX_DATAGRAM 65536

enum space { SP_INITIAL, SP_HANDSHAKE, SP_APP, SP_EARLY };  /* 0-RTT: keys of its own, SP_APP's numbers */

struct qdir {                      /* what one side sends */
	struct quicd_keys ini, hs, app[2];  /* app[kphase]: current and other generation */
	struct quicd_keys early;       /* the client's 0-RTT keys */
	uint8_t early_alt;             /* they are the other suite of the secret's length (the first failed) */
	int64_t largest[3];            /* largest packet number opened per space, -1 none */
	uint8_t kphase;                /* key phase of app[cur] */
	uint8_t cur;                   /* index of the current 1-RTT keys */
	uint8_t keys_tried;
};

struct quic_conn {
	struct keylog *kl;
	struct http_stats *stats;
	uint32_t version;
	uint8_t odcid[QUIC_MAX_CID], odcidlen, have_odcid;
	uint8_t have_ccid;             /* the client's first long header was read (its SCID learnt) */
	uint8_t cid_empty[2];          /* [dir]: side dir's packets carry none (the other side chose a zero-length CID) */
	struct qdir d[2];              /* [0] client, [1] server */
	/* the ClientHello */
	uint8_t *crypto, *have;        /* Initial CRYPTO bytes and which of them arrived */
	uint8_t hello_done;
	uint8_t random[32], have_random;
	char sni[256], alpn[32];
	/* the ServerHello */
	uint8_t sh[QUIC_SH_MAX];
	uint32_t shlen;
	uint8_t sh_done;
	const struct tlsd_suite *cs;
	/* connection IDs: [0] the server's, which the client's short headers carry; [1] the client's */
	uint8_t cid[2][PH_QUIC_MAX_CIDS][QUIC_MAX_CID], cidlen[2][PH_QUIC_MAX_CIDS];
	unsigned ncid[2];
	struct quic_cids *map;         /* the worker's, where they are found from another 5-tuple; or NULL */
	void *owner;                   /* what the map gives for them (the flow) */
	struct quic_streams streams;   /* the client's, and the start of the server's control stream */
	struct h3_conn *h3;            /* the client's HTTP/3 requests */
	uint8_t h3_dead;               /* stopped parsing as HTTP/3: streams scanned raw */
	const struct quic_sink *sk;    /* during a call */
	void *arg;
	char chain[80];
	/* counters */
	uint64_t pkts_ok, pkts_failed, bytes_decrypted, bytes_nokey, bytes_failed, key_updates;
	uint64_t app_ok;               /* client 1-RTT packets opened */
};

static __thread uint8_t scratch_pkt[QUIC_MAX_DATAGRAM], scratch_out[QUIC_MAX_DATAGRAM];

int quic_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	if (*pos >= len)
		return -1;
	size_t n = (size_t)1 << (p[*pos] >> 6);
	if (len - *pos < n)
		return -1;
	uint64_t x = p[*pos] & 0x3f;
	for (size_t i = 1; i < n; i++)
		x = x << 8 | p[*pos + i];
	*pos += n;
	*v = x;
	return 0;
}

int quic_parse_long(const uint8_t *p, size_t len, struct quic_long *h)
{
	memset(h, 0, sizeof *h);
	if (len < 7)
		return -1;
	if (!(p[0] & 0x80))
		return -2;  /* a short header */
	h->version = rd_be32(p + 1);
	size_t pos = 5;
	h->dcidlen = p[pos++];
	if (h->version && h->dcidlen > QUIC_MAX_CID)
		return -2;  /* v1 and v2 allow 20 bytes */
	if (pos + h->dcidlen + 1 > len)
		return -1;
	h->dcid = p + pos;
	pos += h->dcidlen;
	h->scidlen = p[pos++];
	if (h->version && h->scidlen > QUIC_MAX_CID)
		return -2;
	if (pos + h->scidlen > len)
		return -1;
	h->scid = p + pos;
	pos += h->scidlen;
	h->end = len;
	if (!h->version) {
		h->type = QUIC_VN;  /* Version Negotiation: a list of versions follows */
		return 0;
	}
	unsigned t = (p[0] >> 4) & 3;
	if (h->version == QUIC_V2)  /* RFC 9369 3.2: Retry 0, Initial 1, 0-RTT 2, Handshake 3 */
		t = (t + 3) & 3;
	h->type = (uint8_t)t;
	if (h->type == QUIC_RETRY)
		return 0;  /* token and integrity tag to the end */
	uint64_t v;
	if (h->type == QUIC_INITIAL) {
		if (quic_varint(p, len, &pos, &v) < 0)
			return -1;
		if (v > len - pos)
			return -1;  /* the token runs past the datagram */
		pos += (size_t)v;
	}
	if (quic_varint(p, len, &pos, &v) < 0)
		return -1;
	if (v > len - pos)
		return -1;  /* the packet runs past the datagram */
	if (v < 20)
		return -2;  /* room for a packet number and a header protection sample is required */
	h->pn_off = pos;
	h->end = pos + (size_t)v;
	return 0;
}

int quic_is_initial(const uint8_t *p, size_t len)
{
	struct quic_long h;
	return quic_parse_long(p, len, &h) == 0 && h.type == QUIC_INITIAL && quicd_version_known(h.version);
}

const char *quic_version_name(uint32_t version, char *buf, size_t n)
{
	if (version == QUIC_V1)
		return "v1";
	if (version == QUIC_V2)
		return "v2";
	snprintf(buf, n, "0x%08x", version);
	return buf;
}

static void pass_request(void *arg, const struct http_request *r);

struct quic_conn *quic_conn_new(struct keylog *kl, struct http_stats *stats)
{
	struct quic_conn *q = util_xcalloc(1, sizeof *q);
	q->kl = kl;
	q->stats = stats;
	q->h3 = h3_new(stats);
	h3_on_request(q->h3, pass_request, q);
	for (int i = 0; i < 2; i++)
		for (int s = 0; s < 3; s++)
			q->d[i].largest[s] = -1;
	return q;
}

void quic_conn_track(struct quic_conn *q, struct quic_cids *map, void *owner)
{
	q->map = map;
	q->owner = owner;
}

void quic_conn_free(struct quic_conn *q)
{
	if (!q)
		return;
	for (int d = 0; d < 2 && q->map; d++)
		for (unsigned i = 0; i < q->ncid[d]; i++)
			quic_cids_del(q->map, q->cid[d][i], q->cidlen[d][i], q->owner);
	for (int i = 0; i < 2; i++) {
		quicd_keys_free(&q->d[i].ini);
		quicd_keys_free(&q->d[i].hs);
		quicd_keys_free(&q->d[i].app[0]);
		quicd_keys_free(&q->d[i].app[1]);
		quicd_keys_free(&q->d[i].early);
	}
	quic_streams_free(&q->streams);
	h3_free(q->h3);
	free(q->crypto);
	free(q->have);
	free(q);
}

/* ---- the ClientHello and ServerHello ---- */

/* ClientHello body (handshake header included): random, server_name, ALPN (RFC 8446 4.1.2). */
static void client_hello(struct quic_conn *q, const uint8_t *p, size_t n)
{
	if (n < 4 + 38 || p[0] != 1)
		return;  /* not a ClientHello */
	size_t end = 4 + ((size_t)p[1] << 16 | rd_be16(p + 2)), pos = 4 + 34;
	if (end > n)
		end = n;
	memcpy(q->random, p + 6, 32);
	q->have_random = 1;
	pos += 1 + (size_t)p[pos];  /* legacy_session_id */
	if (pos + 2 > end)
		return;
	pos += 2 + rd_be16(p + pos);  /* cipher_suites */
	if (pos + 1 > end)
		return;
	pos += 1 + (size_t)p[pos];  /* legacy_compression_methods */
	if (pos + 2 > end)
		return;
	size_t xe = pos + 2 + rd_be16(p + pos);
	pos += 2;
	if (xe > end)
		xe = end;
	while (pos + 4 <= xe) {
		uint16_t type = rd_be16(p + pos), l = rd_be16(p + pos + 2);
		const uint8_t *x = p + pos + 4;
		if (pos + 4 + l > xe)
			break;
		if (type == 0 && l >= 5 && x[2] == 0) {  /* server_name: list, host_name entry */
			size_t nl = rd_be16(x + 3);
			if (5 + nl <= l && nl < sizeof q->sni) {
				for (size_t i = 0; i < nl; i++)
					q->sni[i] = x[5 + i] >= 0x21 && x[5 + i] < 0x7f ? (char)x[5 + i] : '?';
				q->sni[nl] = 0;
			}
		} else if (type == 16 && l >= 3) {  /* ALPN: the first protocol */
			size_t pl = x[2];
			if (3 + pl <= l && pl < sizeof q->alpn) {
				for (size_t i = 0; i < pl; i++)
					q->alpn[i] = x[3 + i] >= 0x21 && x[3 + i] < 0x7f ? (char)x[3 + i] : '?';
				q->alpn[pl] = 0;
			}
		}
		pos += 4 + l;
	}
}

/* Client Initial CRYPTO data at off: gathered until the ClientHello is whole. */
static void client_crypto(struct quic_conn *q, uint64_t off, const uint8_t *p, size_t n)
{
	if (q->hello_done || off >= PH_QUIC_MAX_CRYPTO)
		return;
	if (!q->crypto) {
		q->crypto = util_xmalloc(PH_QUIC_MAX_CRYPTO);
		q->have = util_xcalloc(1, PH_QUIC_MAX_CRYPTO);
	}
	if (n > PH_QUIC_MAX_CRYPTO - off)
		n = PH_QUIC_MAX_CRYPTO - (size_t)off;  /* beyond the cap: a ClientHello is never this long */
	memcpy(q->crypto + off, p, n);
	memset(q->have + off, 1, n);
	size_t got = 0;
	while (got < PH_QUIC_MAX_CRYPTO && q->have[got])
		got++;
	if (got < 4)
		return;
	size_t ml = 4 + ((size_t)q->crypto[1] << 16 | rd_be16(q->crypto + 2));
	if (got < ml && got < PH_QUIC_MAX_CRYPTO)
		return;
	if (ml > got)
		ml = got;
	client_hello(q, q->crypto, ml);
	q->hello_done = 1;
	if (q->sk && q->sk->hello)
		q->sk->hello(q->arg, q->crypto, ml);
	free(q->crypto);
	free(q->have);
	q->crypto = q->have = NULL;
}

/* ServerHello (RFC 8446 4.1.3): the cipher suite of the connection. */
static void server_hello(struct quic_conn *q, const uint8_t *p, size_t n)
{
	q->sh_done = 1;
	if (n < 4 + 38 || p[0] != 2)
		return;  /* not a ServerHello */
	size_t pos = 4 + 34;
	pos += 1 + (size_t)p[pos];
	if (pos + 2 > n)
		return;
	const struct tlsd_suite *cs = tlsd_suite_find(rd_be16(p + pos));
	if (cs && cs->tls13)
		q->cs = cs;
}

static void server_crypto(struct quic_conn *q, uint64_t off, const uint8_t *p, size_t n)
{
	if (q->sh_done || off != q->shlen)
		return;  /* only in-order bytes: the ServerHello fits the first Initial */
	if (n > QUIC_SH_MAX - q->shlen)
		n = QUIC_SH_MAX - q->shlen;
	memcpy(q->sh + q->shlen, p, n);
	q->shlen += (uint32_t)n;
	if (q->shlen >= 4) {
		size_t ml = 4 + ((size_t)q->sh[1] << 16 | rd_be16(q->sh + 2));
		if (q->shlen >= ml || q->shlen == QUIC_SH_MAX)
			server_hello(q, q->sh, q->shlen < ml ? q->shlen : ml);
	}
}

/* A connection ID that side dir's packets carry (dir 0: one the server issued). */
static void learn_cid(struct quic_conn *q, int dir, const uint8_t *cid, size_t len)
{
	if (!len || len > QUIC_MAX_CID)
		return;
	for (unsigned i = 0; i < q->ncid[dir]; i++)
		if (q->cidlen[dir][i] == len && !memcmp(q->cid[dir][i], cid, len))
			return;
	unsigned at = q->ncid[dir] < PH_QUIC_MAX_CIDS ? q->ncid[dir]++ : PH_QUIC_MAX_CIDS - 1;  /* full: the newest replaces the last */
	if (q->map && at == PH_QUIC_MAX_CIDS - 1)
		quic_cids_del(q->map, q->cid[dir][at], q->cidlen[dir][at], q->owner);
	memcpy(q->cid[dir][at], cid, len);
	q->cidlen[dir][at] = (uint8_t)len;
	if (q->map)
		quic_cids_add(q->map, cid, len, dir, q->owner);
}

/* ---- client streams ---- */

static const char *pass_chain(struct quic_conn *q, const char *enc)
{
	snprintf(q->chain, sizeof q->chain, "quic%s%s", enc ? ">" : "", enc ? enc : "");
	return q->chain;
}

/* An h3.c unit handed on with its chain "quic>h3>..." (the unit's own content coding last). */
static void pass_unit(void *arg, const struct http_unit *u)
{
	struct quic_conn *q = arg;
	struct http_unit v = *u;
	snprintf(q->chain, sizeof q->chain, "quic>h3%s%s", u->encoding ? ">" : "", u->encoding ? u->encoding : "");
	v.encoding = q->chain;
	if (q->sk && q->sk->unit)
		q->sk->unit(q->arg, &v);
}

static void pass_request(void *arg, const struct http_request *r)
{
	struct quic_conn *q = arg;
	if (q->sk && q->sk->request)
		q->sk->request(q->arg, r);
}

/* HTTP/3 unless the ClientHello offered another protocol only (DNS over QUIC, ...). */
static int speaks_h3(const struct quic_conn *q)
{
	return !q->alpn[0] || !strncmp(q->alpn, "h3", 2);
}

/* In-order bytes of one client stream: to h3.c, or scanned as they are once the connection
 * does not parse as HTTP/3 (or speaks another protocol). */
static void stream_data(void *arg, uint64_t id, const uint8_t *p, size_t n, int fin)
{
	struct quic_conn *q = arg;
	if ((id & 3) == 3) {  /* the server's: h3.c reads its SETTINGS, emits nothing */
		if (!q->h3_dead)
			h3_stream(q->h3, 1, id, p, n, fin, pass_unit, q);
		return;
	}
	if (!q->sk || !q->sk->unit)
		return;
	if (!q->h3_dead && speaks_h3(q)) {
		if (h3_stream(q->h3, 0, id, p, n, fin, pass_unit, q) == 0)
			return;
		q->h3_dead = 1;
	}
	if (!n)
		return;
	struct http_unit u = { HTTP_WHERE_PAYLOAD, NULL, NULL, p, n, NULL };
	u.encoding = pass_chain(q, NULL);
	q->sk->unit(q->arg, &u);
}

/* A STREAM frame (RFC 9000 19.8) of the client, or of the server's control stream. */
static void stream_frame(struct quic_conn *q, uint64_t id, uint64_t off, const uint8_t *p, size_t n, int fin)
{
	quic_streams_frame(&q->streams, id, off, p, n, fin, stream_data, q);
}

/* A STREAM frame of the server: only the start of its first unidirectional streams, where its
 * control stream's SETTINGS give the QPACK table the client's requests use (RFC 9114 6.2.1). */
static void server_stream(struct quic_conn *q, uint64_t id, uint64_t off, const uint8_t *p, size_t n, int fin)
{
	if ((id & 3) != 3 || id >> 2 >= PH_QUIC_SERVER_UNI || off >= PH_QUIC_MAX_SERVER_CTRL)
		return;  /* a response, a later stream, or past where SETTINGS can be */
	if (q->h3_dead || !speaks_h3(q) || h3_settings_seen(q->h3, 1))
		return;  /* nothing more is needed */
	if (n > PH_QUIC_MAX_SERVER_CTRL - off) {
		n = PH_QUIC_MAX_SERVER_CTRL - (size_t)off;
		fin = 0;
	}
	stream_frame(q, id, off, p, n, fin);
}

/* ---- frames ---- */

/* The frames of one opened packet sent by side dir in space sp (RFC 9000 19). */
static void frames(struct quic_conn *q, int dir, int sp, const uint8_t *p, size_t len)
{
	size_t pos = 0;
	uint64_t a, b, c, t;
	while (pos < len) {
		if (quic_varint(p, len, &pos, &t) < 0)
			return;
		if (t == 0x00 || t == 0x01 || t == 0x1e)  /* PADDING, PING, HANDSHAKE_DONE */
			continue;
		if (t == 0x02 || t == 0x03) {  /* ACK: largest, delay, range count, first range, ranges, ECN */
			if (quic_varint(p, len, &pos, &a) < 0 || quic_varint(p, len, &pos, &a) < 0 ||
			    quic_varint(p, len, &pos, &c) < 0 || quic_varint(p, len, &pos, &a) < 0)
				return;
			for (uint64_t i = 0; i < 2 * c + (t == 3 ? 3 : 0); i++)
				if (quic_varint(p, len, &pos, &a) < 0)
					return;
		} else if (t == 0x06) {  /* CRYPTO */
			if (quic_varint(p, len, &pos, &a) < 0 || quic_varint(p, len, &pos, &b) < 0 || b > len - pos)
				return;
			if (sp == SP_INITIAL && dir == 0)
				client_crypto(q, a, p + pos, (size_t)b);
			else if (sp == SP_INITIAL)
				server_crypto(q, a, p + pos, (size_t)b);
			pos += (size_t)b;
		} else if (t >= 0x08 && t <= 0x0f) {  /* STREAM: id, [offset], [length], data */
			a = 0;
			if (quic_varint(p, len, &pos, &c) < 0 || ((t & 4) && quic_varint(p, len, &pos, &a) < 0))
				return;
			b = len - pos;
			if ((t & 2) && (quic_varint(p, len, &pos, &b) < 0 || b > len - pos))
				return;
			if (dir == 0 && a < (1ull << 62) && (c & 3) != 3)  /* 3: a server stream, not the client's to send */
				stream_frame(q, c, a, p + pos, (size_t)b, t & 1);
			else if (a < (1ull << 62))
				server_stream(q, c, a, p + pos, (size_t)b, t & 1);
			pos += (size_t)b;
		} else if (t == 0x04 || t == 0x11 || t == 0x15) {  /* RESET_STREAM 3, MAX_STREAM_DATA, STREAM_DATA_BLOCKED 2 */
			for (int i = 0; i < (t == 0x04 ? 3 : 2); i++)
				if (quic_varint(p, len, &pos, &a) < 0)
					return;
		} else if (t == 0x05) {  /* STOP_SENDING */
			if (quic_varint(p, len, &pos, &a) < 0 || quic_varint(p, len, &pos, &a) < 0)
				return;
		} else if (t == 0x07) {  /* NEW_TOKEN */
			if (quic_varint(p, len, &pos, &a) < 0 || a > len - pos)
				return;
			pos += (size_t)a;
		} else if ((t >= 0x10 && t <= 0x14) || (t >= 0x16 && t <= 0x17) || t == 0x19) {  /* one integer */
			if (quic_varint(p, len, &pos, &a) < 0)
				return;
		} else if (t == 0x18) {  /* NEW_CONNECTION_ID: seq, retire prior to, length, CID, reset token */
			if (quic_varint(p, len, &pos, &a) < 0 || quic_varint(p, len, &pos, &a) < 0 || pos >= len)
				return;
			size_t l = p[pos++];
			if (l > QUIC_MAX_CID || l + 16 > len - pos)
				return;
			learn_cid(q, !dir, p + pos, l);  /* issued by dir for the other side's packets */
			pos += l + 16;
		} else if (t == 0x1a || t == 0x1b) {  /* PATH_CHALLENGE, PATH_RESPONSE */
			if (len - pos < 8)
				return;
			pos += 8;
		} else if (t == 0x1c || t == 0x1d) {  /* CONNECTION_CLOSE: error, [frame type], reason */
			if (quic_varint(p, len, &pos, &a) < 0 || (t == 0x1c && quic_varint(p, len, &pos, &a) < 0) ||
			    quic_varint(p, len, &pos, &a) < 0 || a > len - pos)
				return;
			pos += (size_t)a;
		} else if (t == 0x30 || t == 0x31) {  /* DATAGRAM (RFC 9221) */
			a = len - pos;
			if (t == 0x31 && (quic_varint(p, len, &pos, &a) < 0 || a > len - pos))
				return;
			pos += (size_t)a;
		} else {
			return;  /* an unknown frame: its length is unknown, the rest of the packet too */
		}
	}
}

/* ---- packets ---- */

/* Keys of side dir's Handshake and 1-RTT packets from the key log (QUIC_ labels included),
 * by the ClientHello random; the suite from the ServerHello, else guessed by secret length. */
static void keys_setup(struct quic_conn *q, int dir)
{
	struct qdir *d = &q->d[dir];
	if (!q->kl || !q->have_random)
		return;
	const struct keylog_entry *e = keylog_find(q->kl, q->random);
	if ((!e || !e->len[dir ? KEYLOG_SERVER_APP : KEYLOG_CLIENT_APP]) && keylog_refresh(q->kl, !d->keys_tried || e != NULL))
		e = keylog_find(q->kl, q->random);
	d->keys_tried = 1;
	if (!e)
		return;
	int hs = dir ? KEYLOG_SERVER_HS : KEYLOG_CLIENT_HS, app = dir ? KEYLOG_SERVER_APP : KEYLOG_CLIENT_APP;
	const struct tlsd_suite *cs = q->cs;
	size_t sl = e->len[app] ? e->len[app] : e->len[hs];
	if (!cs)
		cs = tlsd_suite_find(sl == 48 ? 0x1302 : 0x1301);
	if (!d->hs.cs && e->len[hs])
		quicd_keys_set(&d->hs, cs, q->version, e->secret[hs], e->len[hs]);
	if (!d->app[0].cs && !d->app[1].cs && e->len[app] && quicd_keys_set(&d->app[0], cs, q->version, e->secret[app], e->len[app]) == 0)
		d->cur = 0, d->kphase = 0;
}

/* The client's 0-RTT keys (RFC 9001 5.1: CLIENT_EARLY_TRAFFIC_SECRET). Its packets come before the
 * ServerHello, so the resumed session's suite is guessed by the secret's length: SHA-384's
 * AES-256-GCM, else AES-128-GCM and, when that fails, ChaCha20-Poly1305. */
static void early_setup(struct quic_conn *q)
{
	struct qdir *d = &q->d[0];
	if (!q->kl || !q->have_random || d->early.cs)
		return;
	const struct keylog_entry *e = keylog_find(q->kl, q->random);
	if ((!e || !e->len[KEYLOG_CLIENT_EARLY]) && keylog_refresh(q->kl, 0))
		e = keylog_find(q->kl, q->random);
	if (!e || !e->len[KEYLOG_CLIENT_EARLY])
		return;
	size_t sl = e->len[KEYLOG_CLIENT_EARLY];
	const struct tlsd_suite *cs = q->cs ? q->cs : tlsd_suite_find(sl == 48 ? 0x1302 : d->early_alt ? 0x1303 : 0x1301);
	quicd_keys_set(&d->early, cs, q->version, e->secret[KEYLOG_CLIENT_EARLY], sl);
}

/* RFC 9000 A.3: the full packet number nearest the next expected one. */
static uint64_t pn_decode(int64_t largest, uint64_t truncated, unsigned bits)
{
	uint64_t expected = (uint64_t)(largest + 1), win = 1ull << bits, hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;
	if (cand + hwin <= expected && cand < (1ull << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Removes header protection from pkt[0,len) (a copy) with k; the header length (pn_off + pn
 * length) and *pn, or -1. */
static long unprotect(struct quicd_keys *k, uint8_t *pkt, size_t len, size_t pn_off, int64_t largest, uint64_t *pn)
{
	uint8_t mask[5];
	if (pn_off + 4 + 16 > len || quicd_hp_mask(k, pkt + pn_off + 4, mask) < 0)
		return -1;  /* no room for the sample */
	pkt[0] ^= mask[0] & (pkt[0] & 0x80 ? 0x0f : 0x1f);
	unsigned pnl = (pkt[0] & 3) + 1;
	uint64_t t = 0;
	for (unsigned i = 0; i < pnl; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		t = t << 8 | pkt[pn_off + i];
	}
	*pn = pn_decode(largest, t, 8 * pnl);
	return (long)(pn_off + pnl);
}

/* Opens one packet p[0,len) of side dir in space sp (pn_off: where its number starts) and
 * reads its frames. 1 opened, 0 no keys, -1 failed. */
static int packet(struct quic_conn *q, int dir, int sp, const uint8_t *p, size_t len, size_t pn_off)
{
	struct qdir *d = &q->d[dir];
	struct quicd_keys *k = sp == SP_INITIAL ? &d->ini : sp == SP_HANDSHAKE ? &d->hs : sp == SP_EARLY ? &d->early : &d->app[d->cur];
	if (!k->cs && sp == SP_EARLY)
		early_setup(q);
	else if (!k->cs && sp != SP_INITIAL) {
		keys_setup(q, dir);
		k = sp == SP_HANDSHAKE ? &d->hs : &d->app[d->cur];
	}
	if (!k->cs)
		return 0;
	int early = sp == SP_EARLY;
	if (early)
		sp = SP_APP;  /* 0-RTT and 1-RTT number their packets in one space (RFC 9000 12.3) */
	if (len > QUIC_MAX_DATAGRAM)
		return -1;  /* longer than any UDP payload */
	uint8_t *pkt = scratch_pkt;
	memcpy(pkt, p, len);
	uint64_t pn;
	long hl = unprotect(k, pkt, len, pn_off, d->largest[sp], &pn);
	if (hl < 0)
		return -1;
	int phase = sp == SP_APP && !early ? (pkt[0] >> 2) & 1 : 0;
	if (sp == SP_APP && !early && phase != d->kphase) {  /* a key update (RFC 9001 6): the next generation */
		struct quicd_keys *o = &d->app[!d->cur];
		if ((o->cs || quicd_keys_next(k, o) == 0) &&
		    quicd_open(o, pn, pkt, (size_t)hl, pkt + hl, len - (size_t)hl, scratch_out) == 0) {
			d->cur = !d->cur;
			d->kphase = (uint8_t)phase;
			q->key_updates += dir == 0;
			quicd_keys_next(o, &d->app[!d->cur]);  /* ready for the one after */
			goto opened;
		}
		return -1;
	}
	if (quicd_open(k, pn, pkt, (size_t)hl, pkt + hl, len - (size_t)hl, scratch_out) < 0)
		return -1;
opened:
	if ((int64_t)pn > d->largest[sp])
		d->largest[sp] = (int64_t)pn;
	if (dir == 0) {
		q->bytes_decrypted += len - (size_t)hl - 16;
		q->pkts_ok++;
		q->app_ok += sp == SP_APP;
	}
	frames(q, dir, sp, scratch_out, len - (size_t)hl - 16);
	return 1;
}

/* The length of the connection ID a short header of side dir starts with (after its first
 * byte): one of the server's (client packets), the client's own (server packets); or -1. */
static int short_cid(const struct quic_conn *q, int dir, const uint8_t *p, size_t len)
{
	for (unsigned i = 0; i < q->ncid[dir]; i++)
		if (1 + (size_t)q->cidlen[dir][i] <= len && !memcmp(p + 1, q->cid[dir][i], q->cidlen[dir][i]))
			return q->cidlen[dir][i];
	return q->cid_empty[dir] ? 0 : -1;  /* a side may choose a zero-length connection ID */
}

/* A datagram of side dir: its coalesced packets in turn (RFC 9000 12.2). */
static void datagram(struct quic_conn *q, int dir, const uint8_t *p, size_t len)
{
	while (len) {
		struct quic_long h;
		int sp;
		size_t plen, pn_off;
		if (p[0] & 0x80) {
			if (quic_parse_long(p, len, &h) < 0 || h.type == QUIC_VN || h.type == QUIC_RETRY)
				return;  /* not a packet we read: the rest of the datagram neither */
			if (!q->version)
				q->version = h.version;
			if (h.version != q->version || !quicd_version_known(h.version))
				return;
			if (dir == 0 && h.type == QUIC_INITIAL && !q->have_odcid) {  /* the client's first Initial names the keys */
				uint8_t cs[32], ss[32];
				memcpy(q->odcid, h.dcid, h.dcidlen);
				q->odcidlen = h.dcidlen;
				q->have_odcid = 1;
				if (quicd_initial_secrets(h.version, h.dcid, h.dcidlen, cs, ss) == 0) {
					quicd_keys_set(&q->d[0].ini, NULL, h.version, cs, 32);
					quicd_keys_set(&q->d[1].ini, NULL, h.version, ss, 32);
				}
			}
			if (dir == 1 && (h.type == QUIC_INITIAL || h.type == QUIC_HANDSHAKE)) {
				learn_cid(q, 0, h.scid, h.scidlen);
				q->cid_empty[0] |= h.scidlen == 0;
			}
			if (dir == 0 && !q->have_ccid) {
				learn_cid(q, 1, h.scid, h.scidlen);
				q->cid_empty[1] = h.scidlen == 0;
				q->have_ccid = 1;
			}
			plen = h.end;
			pn_off = h.pn_off;
			if (h.type == QUIC_0RTT && dir == 1) {
				p += plen;  /* only clients send 0-RTT */
				len -= plen;
				continue;
			}
			sp = h.type == QUIC_INITIAL ? SP_INITIAL : h.type == QUIC_0RTT ? SP_EARLY : SP_HANDSHAKE;
		} else {
			int cl = short_cid(q, dir, p, len);
			if (cl < 0 || !quicd_version_known(q->version)) {
				if (dir == 0)
					q->bytes_nokey += len;  /* connection IDs or version unknown: cannot be read */
				return;
			}
			plen = len;
			pn_off = 1 + (size_t)cl;
			sp = SP_APP;
		}
		int r = packet(q, dir, sp, p, plen, pn_off);
		if (r < 0 && sp == SP_EARLY && !q->cs && !q->d[0].early_alt && q->d[0].early.cs &&
		    q->d[0].early.cs->id == 0x1301) {  /* AES-128-GCM was a guess: ChaCha20's secret is as long */
			quicd_keys_free(&q->d[0].early);
			q->d[0].early_alt = 1;
			r = packet(q, dir, sp, p, plen, pn_off);
		}
		if (dir == 0 && sp != SP_INITIAL) {
			if (r == 0)
				q->bytes_nokey += plen;
			else if (r < 0)
				q->pkts_failed++, q->bytes_failed += plen;  /* never scanned */
		}
		p += plen;
		len -= plen;
	}
}

void quic_conn_client(struct quic_conn *q, const uint8_t *p, size_t len, const struct quic_sink *sk, void *arg)
{
	q->sk = sk;
	q->arg = arg;
	datagram(q, 0, p, len);
	q->sk = NULL;
}

void quic_conn_server(struct quic_conn *q, const uint8_t *p, size_t len)
{
	if (q->have_odcid)
		datagram(q, 1, p, len);
}

void quic_conn_finish(struct quic_conn *q, const struct quic_sink *sk, void *arg)
{
	if (q->h3_dead)
		return;
	q->sk = sk;
	q->arg = arg;
	h3_finish(q->h3, pass_unit, q);
	q->sk = NULL;
}

uint32_t quic_conn_version(const struct quic_conn *q)
{
	return q->version;
}

const char *quic_conn_sni(const struct quic_conn *q)
{
	return q->sni[0] ? q->sni : NULL;
}

const char *quic_conn_alpn(const struct quic_conn *q)
{
	return q->alpn[0] ? q->alpn : NULL;
}

int quic_conn_keys(const struct quic_conn *q)
{
	if (!q->kl)
		return TLS_KEYS_NONE;
	if (q->app_ok)
		return TLS_KEYS_DECRYPTED;
	if (q->pkts_failed)
		return TLS_KEYS_FAILED;
	if (q->bytes_nokey)
		return TLS_KEYS_MISSING;
	return TLS_KEYS_NONE;
}

void quic_conn_account(const struct quic_conn *q, struct report_stats *st)
{
	int k = quic_conn_keys(q);
	st->quic_flows++;
	st->tls_decrypted_flows += k == TLS_KEYS_DECRYPTED;
	st->tls_nokey_flows += k == TLS_KEYS_MISSING;
	st->tls_failed_flows += k == TLS_KEYS_FAILED;
	st->quic_packets_decrypted += q->pkts_ok;
	st->quic_packets_failed += q->pkts_failed;
	st->quic_bytes_decrypted += q->bytes_decrypted;
	st->quic_key_updates += q->key_updates;
	st->quic_stream_bytes_dropped += q->streams.dropped;
	st->quic_h3_server_settings += h3_settings_seen(q->h3, 1);
	st->quic_h3_qpack_assumed += h3_table_assumed(q->h3);
	st->tls_bytes_skipped += q->bytes_nokey + q->bytes_failed;
}

void quic_conn_leak(const struct quic_conn *q, struct report_leak *l)
{
	l->encrypted = 1;
	l->decrypted = 1;
	l->quic_version = q->version;
	l->transport = "quic";
	l->tls_version = "TLSv1.3";
	const struct tlsd_suite *cs = q->cs ? q->cs : q->d[0].app[q->d[0].cur].cs ? q->d[0].app[q->d[0].cur].cs : q->d[0].early.cs;
	l->cipher = cs ? cs->name : "";  /* the suite table's: static */
}
