/* unpack.c - structured and nested decoding of request units: forms (WHATWG URL), cookies
 * (RFC 6265), multipart (RFC 7578), JSON (RFC 8259), base64 (RFC 4648) and compressed blobs. */
#include "unpack.h"
#include "decomp.h"
#include "form.h"
#include "json_scan.h"
#include "util.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNPACK_MIN_B64 16              /* shorter base64-looking values are ordinary tokens */
#define UNPACK_MAX_KEY 128
#define UNPACK_MAX_CHAIN 96

struct level {                         /* scratch of one nesting depth, reused */
	uint8_t *ubuf, *bbuf;
	size_t ucap, bcap;
	struct decomp *dec;
};

struct unpack {
	struct level lv[UNPACK_MAX_DEPTH + 1];
	unsigned nextbuf;                  /* buffer ids of one run */
	const struct unpack_cb *cb;
	void *arg;
};

/* What a pair walk needs to know about the buffer it walks. */
struct walk {
	struct unpack *u;
	int depth;
	unsigned buf;
	const char *chain, *prefix;
	int plus;                          /* '+' is a space (forms, queries) */
	size_t shift;                      /* offset of the walked bytes in buffer buf */
};

static void walk(struct unpack *u, int depth, enum unpack_type t, const char *ctype, const uint8_t *p,
		 size_t n, unsigned buf, size_t shift, const char *chain, const char *prefix);

struct unpack *unpack_new(void)
{
	return util_xcalloc(1, sizeof(struct unpack));
}

void unpack_free(struct unpack *u)
{
	if (!u)
		return;
	for (int i = 0; i <= UNPACK_MAX_DEPTH; i++) {
		free(u->lv[i].ubuf);
		free(u->lv[i].bbuf);
		decomp_free(u->lv[i].dec);
	}
	free(u);
}

enum unpack_type unpack_type_of(const char *ctype)
{
	if (!ctype || !ctype[0])
		return UNPACK_AUTO;
	if (strcasestr(ctype, "multipart/form-data"))
		return UNPACK_MULTIPART;
	if (strcasestr(ctype, "x-www-form-urlencoded"))
		return UNPACK_FORM;
	if (strcasestr(ctype, "json"))
		return UNPACK_JSON;
	return UNPACK_AUTO;
}

static uint8_t *grow(uint8_t **b, size_t *cap, size_t n)
{
	if (n > *cap) {
		*cap = n < 256 ? 256 : n;
		*b = util_xrealloc(*b, *cap);
	}
	return *b;
}

static void join(char *out, size_t outlen, const char *a, const char *b)
{
	if (a && a[0] && b && b[0])
		snprintf(out, outlen, "%s>%s", a, b);
	else
		snprintf(out, outlen, "%s", a && a[0] ? a : b ? b : "");
}

static void join_key(char *out, size_t outlen, const char *a, const uint8_t *k, size_t kl)
{
	if (a && a[0])
		snprintf(out, outlen, "%s.%.*s", a, (int)kl, (const char *)k);
	else
		snprintf(out, outlen, "%.*s", (int)kl, (const char *)k);
}

/* Base64 (standard or URL-safe, padded or not) of at least UNPACK_MIN_B64 characters. */
static int looks_base64(const uint8_t *p, size_t n)
{
	if (n < UNPACK_MIN_B64)
		return 0;
	size_t pad = 0, letters = 0, digits = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return 0;  /* padding only at the end */
		if (isalpha(c))
			letters++;
		else if (isdigit(c))
			digits++;
		else if (!strchr("+/-_", c))
			return 0;
	}
	return pad <= 2 && letters >= 4 && (n - pad) % 4 != 1;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
}

/* Decode base64 into out (at least 3n/4 + 3 bytes); the length. */
static size_t b64dec(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t o = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(p[i]);
		if (v < 0)
			break;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return o;
}

/* Mostly text: at most 5% control bytes or bytes that are not well-formed UTF-8. */
static int texty(const uint8_t *p, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c < 0x80) {
			bad += c < 0x20 && c != '\n' && c != '\r' && c != '\t';
			continue;
		}
		size_t k = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		size_t j = 1;
		while (j <= k && i + j < n && (p[i + j] & 0xc0) == 0x80)
			j++;
		if (k == 0 || j <= k) {
			bad++;
			continue;
		}
		i += k;
	}
	return n > 0 && bad * 20 <= n;
}

/* The compression a blob starts with: gzip, zlib or zstd magic; else DECOMP_IDENTITY. */
static enum decomp_coding magic(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return DECOMP_GZIP;
	if (n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0)
		return DECOMP_DEFLATE;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return DECOMP_ZSTD;
	return DECOMP_IDENTITY;
}

/* A decoded value: decompress it if it is compressed, report it as a blob, take it apart. */
static void nested_blob(struct unpack *u, int depth, const uint8_t *p, size_t n, const char *chain,
			const char *key)
{
	char ch[UNPACK_MAX_CHAIN];
	enum decomp_coding c = magic(p, n);
	if (c != DECOMP_IDENTITY) {
		struct level *L = &u->lv[depth];
		if (!L->dec)
			L->dec = decomp_new(UNPACK_MAX_OUT);
		const uint8_t *out;
		size_t outlen;
		if (decomp_chain(L->dec, &c, 1, p, n, 1, &out, &outlen) < 0 && outlen == 0)
			return;
		join(ch, sizeof ch, chain, decomp_coding_name(c));
		p = out;
		n = outlen;
		chain = ch;
	}
	if (!texty(p, n))
		return;  /* random bytes that happened to be base64 */
	char ch2[UNPACK_MAX_CHAIN];
	int js = json_scan_sniff(p, n);
	join(ch2, sizeof ch2, chain, js ? "json" : NULL);
	unsigned id = ++u->nextbuf;
	u->cb->blob(u->arg, id, p, n, ch2, key);
	if (depth < UNPACK_MAX_DEPTH)
		walk(u, depth + 1, js ? UNPACK_JSON : UNPACK_AUTO, NULL, p, n, id, 0, ch2, key);
}

/* A value's nested content: a JSON text in a string, or a base64 blob. */
static void nested(struct unpack *u, int depth, const uint8_t *v, size_t n, int decoded, const char *chain,
		   const char *key)
{
	if (depth >= UNPACK_MAX_DEPTH || n < 2)
		return;
	if (json_scan_sniff(v, n)) {
		if (!decoded)
			return;  /* a JSON text as is was seen by the unit's own scan: only its keys are new */
		char ch[UNPACK_MAX_CHAIN];
		join(ch, sizeof ch, chain, "json");
		unsigned id = ++u->nextbuf;
		u->cb->blob(u->arg, id, v, n, ch, key);
		walk(u, depth + 1, UNPACK_JSON, NULL, v, n, id, 0, ch, key);
		return;
	}
	if (!looks_base64(v, n))
		return;
	struct level *L = &u->lv[depth + 1];
	uint8_t *b = grow(&L->bbuf, &L->bcap, n);
	size_t bl = b64dec(v, n, b);
	char ch[UNPACK_MAX_CHAIN];
	join(ch, sizeof ch, chain, "base64");
	nested_blob(u, depth + 1, b, bl, ch, key);
}

/* A key/value pair found by a form/cookie/multipart walk. */
static void on_pair(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, size_t voff)
{
	struct walk *w = arg;
	struct level *L = &w->u->lv[w->depth];
	char key[UNPACK_MAX_KEY];
	join_key(key, sizeof key, w->prefix, k, kl);
	const uint8_t *dv = v;
	size_t dl = vl;
	if (memchr(v, '%', vl) || (w->plus && memchr(v, '+', vl))) {
		uint8_t *b = grow(&L->ubuf, &L->ucap, vl);
		dl = form_unescape(v, vl, w->plus, b);
		dv = b;
	}
	w->u->cb->pair(w->u->arg, w->buf, key, w->shift + voff, vl, dv, dl, w->chain);
	nested(w->u, w->depth, dv, dl, dv != v, w->chain, key);
}

/* A multipart part: its name, its content (taken apart by its own look). */
static void on_part(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, size_t voff)
{
	struct walk *w = arg;
	char key[UNPACK_MAX_KEY];
	join_key(key, sizeof key, w->prefix, k, kl);
	w->u->cb->pair(w->u->arg, w->buf, key, w->shift + voff, vl, v, vl, w->chain);
	if (json_scan_sniff(v, vl) && w->depth < UNPACK_MAX_DEPTH)
		walk(w->u, w->depth + 1, UNPACK_JSON, NULL, v, vl, w->buf, w->shift + voff, w->chain, key);
	else
		nested(w->u, w->depth, v, vl, 0, w->chain, key);
}

/* A JSON scalar. */
static void on_scalar(void *arg, const char *path, const uint8_t *v, size_t vl, size_t off, int is_string,
		      int has_escape)
{
	struct walk *w = arg;
	struct level *L = &w->u->lv[w->depth];
	char key[UNPACK_MAX_KEY];
	join_key(key, sizeof key, w->prefix, (const uint8_t *)path, strlen(path));
	const uint8_t *dv = v;
	size_t dl = vl;
	if (is_string && has_escape) {
		uint8_t *b = grow(&L->ubuf, &L->ucap, vl);
		dl = json_scan_unescape(v, vl, b);
		dv = b;
	}
	w->u->cb->pair(w->u->arg, w->buf, key, w->shift + off, vl, dv, dl, w->chain);
	if (is_string && dv != v && !json_scan_sniff(dv, dl)) {  /* escapes undone: new bytes to scan */
		char ch[UNPACK_MAX_CHAIN];
		join(ch, sizeof ch, w->chain, "json");
		w->u->cb->blob(w->u->arg, ++w->u->nextbuf, dv, dl, ch, key);
	}
	if (is_string)
		nested(w->u, w->depth, dv, dl, dv != v, w->chain, key);
}

static void walk(struct unpack *u, int depth, enum unpack_type t, const char *ctype, const uint8_t *p,
		 size_t n, unsigned buf, size_t shift, const char *chain, const char *prefix)
{
	struct walk w = { .u = u, .depth = depth, .buf = buf, .chain = chain ? chain : "",
			  .prefix = prefix ? prefix : "", .plus = 1, .shift = shift };
	if (t == UNPACK_AUTO) {
		if (json_scan_sniff(p, n))
			t = UNPACK_JSON;
		else if (memchr(p, '=', n) && !memchr(p, ' ', n) && !memchr(p, '\n', n))
			t = UNPACK_FORM;
		else
			t = UNPACK_VALUE;
	}
	switch (t) {
	case UNPACK_QUERY: {
		const uint8_t *q = memchr(p, '?', n);
		if (!q)
			return;
		size_t at = (size_t)(q + 1 - p);
		w.shift += at;
		form_pairs(q + 1, n - at, '&', on_pair, &w);
		break;
	}
	case UNPACK_FORM:
		form_pairs(p, n, '&', on_pair, &w);
		break;
	case UNPACK_COOKIE:
		w.plus = 0;
		form_pairs(p, n, ';', on_pair, &w);
		break;
	case UNPACK_JSON:
		json_scan_walk(p, n, on_scalar, &w);
		break;
	case UNPACK_MULTIPART: {
		char bd[80];
		if (ctype && form_boundary(ctype, bd, sizeof bd) == 0)
			form_multipart(p, n, bd, on_part, &w);
		break;
	}
	default:
		nested(u, depth, p, n, 0, w.chain, w.prefix);
		break;
	}
}

void unpack_run(struct unpack *u, enum unpack_type t, const char *ctype, const uint8_t *p, size_t n,
		const char *chain, const char *key, const struct unpack_cb *cb, void *arg)
{
	u->nextbuf = 0;
	u->cb = cb;
	u->arg = arg;
	walk(u, 0, t, ctype, p, n, 0, 0, chain, key);
}
