/* variant.c - expand each identifier into Hyperscan expressions: plain and grouped forms,
 * percent-encoding (RFC 3986), base64 at every alignment, base32, hex (RFC 4648), HTML and JSON
 * escapes, reversed, ROT13, and chains of up to two hash layers (hex, or raw digest in base64/32). */
#include "variant.h"
#include "config.h"
#include "util.h"
#include <ctype.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VARIANT_MIN_LEN 4      /* never a pattern shorter than this */
#define VARIANT_MIN_B64 6      /* base64 fragments shorter than this hit random data */
#define VARIANT_MIN_NATIONAL 7 /* shorter national numbers need the country code */
#define VARIANT_MIN_NAME 6     /* contact names shorter than this are not searched */

/* The hash layers; the first three are also inner layers of a two-hash chain. */
static const struct { const char *name; const EVP_MD *(*md)(void); } hashes[] = {
	{ "md5", EVP_md5 }, { "sha1", EVP_sha1 }, { "sha256", EVP_sha256 }, { "sha512", EVP_sha512 },
};
#define NHASH 4
#define NHASH_INNER 3

/* Country calling codes (ITU-T E.164 assignments; prefix-free) and trunk prefixes. */
static const struct { const char *cc, *trunk; } countries[] = {
	{ "1", "" }, { "7", "8" }, { "20", "0" }, { "27", "0" }, { "30", "" }, { "31", "0" },
	{ "32", "0" }, { "33", "0" }, { "34", "" }, { "36", "06" }, { "39", "" }, { "40", "0" },
	{ "41", "0" }, { "43", "0" }, { "44", "0" }, { "45", "" }, { "46", "0" }, { "47", "" },
	{ "48", "" }, { "49", "0" }, { "51", "0" }, { "52", "" }, { "53", "0" }, { "54", "0" },
	{ "55", "0" }, { "56", "" }, { "57", "" }, { "58", "0" }, { "60", "0" }, { "61", "0" },
	{ "62", "0" }, { "63", "0" }, { "64", "0" }, { "65", "" }, { "66", "0" }, { "81", "0" },
	{ "82", "0" }, { "84", "0" }, { "86", "0" }, { "90", "0" }, { "91", "0" }, { "92", "0" },
	{ "93", "0" }, { "94", "0" }, { "95", "0" }, { "98", "0" }, { "212", "0" }, { "213", "0" },
	{ "216", "" }, { "234", "0" }, { "254", "0" }, { "255", "0" }, { "256", "0" }, { "351", "" },
	{ "352", "" }, { "353", "0" }, { "358", "0" }, { "380", "0" }, { "420", "" }, { "852", "" },
	{ "880", "0" }, { "886", "0" }, { "961", "0" }, { "962", "0" }, { "965", "" }, { "966", "0" },
	{ "971", "0" }, { "972", "0" }, { "974", "" }, { "977", "0" },
};

/* Identity of the value being expanded, shared by all its patterns. */
struct ctx {
	const char *tn;                /* transformation of the value before encoding ("upper"), or NULL */
	int single;                    /* one hash layer only: a secondary spelling of the value */
	uint8_t kind;
	uint32_t index;
	uint8_t coord;
	int caseless;
	uint8_t bound;
};

/* Growable string. */
struct sb {
	char *p;
	size_t n, cap;
};

/* The overflow name, once VARIANT_MAX_NAMES are taken (the last slot is kept for it). */
static unsigned variant_intern_last(struct variant_set *vs)
{
	free(vs->names[VARIANT_MAX_NAMES - 1]);
	vs->names[VARIANT_MAX_NAMES - 1] = util_xstrdup("other");
	return VARIANT_MAX_NAMES - 1;
}

const char *variant_name(const struct variant_set *vs, unsigned v)
{
	return v < vs->nnames ? vs->names[v] : "?";
}

unsigned variant_intern(struct variant_set *vs, const char *name)
{
	for (size_t i = 0; i < vs->nnames; i++)
		if (!strcmp(vs->names[i], name))
			return (unsigned)i;
	if (vs->nnames == VARIANT_MAX_NAMES)
		return variant_intern_last(vs);
	vs->names[vs->nnames] = util_xstrdup(name);
	return (unsigned)vs->nnames++;
}

/* Chain name: outer (may be "a>b") then the value's transformation; "plain" alone when neither. */
static unsigned chain_name(struct variant_set *vs, const struct ctx *c, const char *outer)
{
	char b[96];
	if (!strcmp(outer, "plain"))
		snprintf(b, sizeof b, "%s", c->tn ? c->tn : "plain");
	else if (c->tn)
		snprintf(b, sizeof b, "%s>%s", outer, c->tn);
	else
		snprintf(b, sizeof b, "%s", outer);
	return variant_intern(vs, b);
}

/* Layers in a chain name: one per '>'-separated part, "plain" counting 0. */
static unsigned count_layers(const char *name)
{
	unsigned n = strcmp(name, "plain") != 0;
	for (; *name; name++)
		n += *name == '>';
	return n;
}

static void sb_putc(struct sb *b, char c)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->p = util_xrealloc(b->p, b->cap);
	}
	b->p[b->n++] = c;
	b->p[b->n] = 0;
}

static void sb_puts(struct sb *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

/* One byte as a regex literal: alphanumerics as is, everything else \xHH. */
static void sb_lit(struct sb *b, uint8_t c)
{
	if (isalnum(c)) {
		sb_putc(b, (char)c);
	} else {
		char t[8];
		snprintf(t, sizeof t, "\\x%02x", c);
		sb_puts(b, t);
	}
}

/* Append one pattern (taking expr) unless too short, too long or a duplicate. */
static void add_pat(struct variant_set *vs, const struct ctx *c, const char *outer, unsigned bound,
		    char *expr, unsigned flags, size_t min_len, size_t max_len, int fixed)
{
	unsigned var = chain_name(vs, c, outer);
	if (!expr || min_len < VARIANT_MIN_LEN || max_len > PH_MATCH_MAX_PATTERN) {
		vs->skipped++;
		free(expr);
		return;
	}
	if (!fixed)
		flags |= HS_FLAG_SOM_LEFTMOST;
	for (size_t i = vs->n; i-- > 0;) {
		const struct variant_pat *q = &vs->pats[i];
		if (q->kind != c->kind || q->index != c->index || q->rule >= 0)
			break;
		if (q->coord == c->coord && q->flags == flags && !strcmp(q->expr, expr)) {
			free(expr);
			return;
		}
	}
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? 2 * vs->cap : 64;
		vs->pats = util_xrealloc(vs->pats, vs->cap * sizeof *vs->pats);
	}
	vs->pats[vs->n++] = (struct variant_pat){
		.expr = expr, .flags = flags, .kind = c->kind, .variant = (uint16_t)var,
		.layers = (uint8_t)count_layers(vs->names[var]), .rule = -1, .bound = (uint8_t)bound, .coord = c->coord, .index = c->index,
		.fixed_len = (uint16_t)(fixed ? max_len : 0), .max_len = (uint16_t)max_len,
	};
}

/* A literal byte string. */
static void add_literal(struct variant_set *vs, const struct ctx *c, const char *var, unsigned bound,
			const char *s, size_t n, int caseless)
{
	struct sb b = { 0 };
	for (size_t i = 0; i < n; i++)
		sb_lit(&b, (uint8_t)s[i]);
	add_pat(vs, c, var, bound, b.p, caseless ? HS_FLAG_CASELESS : 0, n, n, 1);
}

/* One hex digit of a %XX escape in either case. */
static void sb_hexdigit(struct sb *b, unsigned v)
{
	static const char up[] = "0123456789ABCDEF", lo[] = "0123456789abcdef";
	if (v < 10) {
		sb_putc(b, up[v]);
	} else {
		sb_putc(b, '[');
		sb_putc(b, up[v]);
		sb_putc(b, lo[v]);
		sb_putc(b, ']');
	}
}

/* Percent-encoded form (RFC 3986 unreserved kept; space as '+' or %20); only if it differs. */
static void add_url(struct variant_set *vs, const struct ctx *c, const char *s)
{
	struct sb b = { 0 };
	size_t min = 0, max = 0;
	int differs = 0;
	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			sb_lit(&b, *p);
			min++, max++;
			continue;
		}
		differs = 1;
		if (*p == ' ') {
			sb_puts(&b, "(?:\\x2b|%20)");
			min++, max += 3;
		} else {
			sb_putc(&b, '%');
			sb_hexdigit(&b, *p >> 4);
			sb_hexdigit(&b, *p & 15);
			min += 3, max += 3;
		}
	}
	if (!differs) {
		free(b.p);
		return;
	}
	add_pat(vs, c, "url", c->bound, b.p, c->caseless ? HS_FLAG_CASELESS : 0, min, max, min == max);
}

/* Base64 of s behind 0, 1, 2 unknown bytes, keeping only characters fixed by s alone. */
static void add_base64(struct variant_set *vs, const struct ctx *c, const char *s)
{
	size_t n = strlen(s);
	if (n + 2 > PH_MATCH_MAX_PATTERN)
		return;
	uint8_t in[PH_MATCH_MAX_PATTERN + 2];
	char out[PH_MATCH_MAX_PATTERN * 2];
	for (unsigned k = 0; k < 3; k++) {
		memset(in, 0, k);
		memcpy(in + k, s, n);
		EVP_EncodeBlock((unsigned char *)out, in, (int)(n + k));
		size_t from = (8 * k + 5) / 6, to = 8 * (n + k) / 6;
		if (to < from + VARIANT_MIN_B64) {
			vs->skipped++;
			continue;
		}
		add_literal(vs, c, "base64", VB_NONE, out + from, to - from, 0);
		int differs = 0;
		for (size_t i = from; i < to; i++) {
			if (out[i] == '+' || out[i] == '/') {
				out[i] = out[i] == '+' ? '-' : '_';
				differs = 1;
			}
		}
		if (differs)
			add_literal(vs, c, "base64url", VB_NONE, out + from, to - from, 0);
	}
}

/* RFC 4648 base32 of n bytes, unpadded, into out (8 chars per 5 bytes + 1). */
static size_t base32(const uint8_t *in, size_t n, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	unsigned buf = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = al[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		out[o++] = al[(buf << (5 - bits)) & 31];
	out[o] = 0;
	return o;
}

/* Raw bytes as base64 (standard and URL-safe, padding dropped) and base32, under outer names. */
static void add_raw_encoded(struct variant_set *vs, const struct ctx *c, const uint8_t *raw, size_t n,
			    const char *inner)
{
	char out[4 * EVP_MAX_MD_SIZE], name[64];
	if (n > EVP_MAX_MD_SIZE)
		return;
	int k = EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
	while (k > 0 && out[k - 1] == '=')
		k--;
	snprintf(name, sizeof name, "base64>%s", inner);
	add_literal(vs, c, name, VB_NONE, out, (size_t)k, 0);
	int differs = 0;
	for (int i = 0; i < k; i++)
		if (out[i] == '+' || out[i] == '/') {
			out[i] = out[i] == '+' ? '-' : '_';
			differs = 1;
		}
	if (differs) {
		snprintf(name, sizeof name, "base64url>%s", inner);
		add_literal(vs, c, name, VB_NONE, out, (size_t)k, 0);
	}
	size_t m = base32(raw, n, out);
	snprintf(name, sizeof name, "base32>%s", inner);
	add_literal(vs, c, name, VB_NONE, out, m, 1);
}

/* Hash chains of s: each hash in hex (either case) and as base64/base32 of the raw digest, and
 * a second hash over the first one's lower-case hex. */
static void add_hashes(struct variant_set *vs, const struct ctx *c, const char *s)
{
	for (size_t i = 0; i < NHASH; i++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		if (!EVP_Digest(s, strlen(s), md, &mdlen, hashes[i].md(), NULL))
			continue;
		util_hex(md, mdlen, hex);
		add_literal(vs, c, hashes[i].name, VB_NONE, hex, 2 * mdlen, 1);
		add_raw_encoded(vs, c, md, mdlen, hashes[i].name);
		if (i >= NHASH_INNER || c->single)
			continue;
		for (size_t j = 0; j < NHASH_INNER; j++) {
			uint8_t md2[EVP_MAX_MD_SIZE];
			unsigned len2 = 0;
			char hex2[2 * EVP_MAX_MD_SIZE + 1], name[32];
			if (!EVP_Digest(hex, 2 * mdlen, md2, &len2, hashes[j].md(), NULL))
				continue;
			util_hex(md2, len2, hex2);
			snprintf(name, sizeof name, "%s>%s", hashes[j].name, hashes[i].name);
			add_literal(vs, c, name, VB_NONE, hex2, 2 * len2, 1);
		}
	}
}

/* Hex of the value's bytes (either case), base32 of them, reversed and ROT13 when they differ. */
static void add_recoded(struct variant_set *vs, const struct ctx *c, const char *s)
{
	size_t n = strlen(s);
	if (n * 2 > PH_MATCH_MAX_PATTERN)
		return;
	char hex[2 * PH_MATCH_MAX_PATTERN + 1], b32[2 * PH_MATCH_MAX_PATTERN], t[PH_MATCH_MAX_PATTERN + 1];
	util_hex((const uint8_t *)s, n, hex);
	add_literal(vs, c, "hex", VB_NONE, hex, 2 * n, 1);
	size_t m = base32((const uint8_t *)s, n, b32);
	if (m > n + n / 2 + 1)  /* the last character carries padding bits */
		m--;
	add_literal(vs, c, "base32", VB_NONE, b32, m, 1);
	for (size_t i = 0; i < n; i++)
		t[i] = s[n - 1 - i];
	t[n] = 0;
	if (strcmp(t, s))
		add_literal(vs, c, "reversed", c->bound, t, n, c->caseless);
	int letters = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		letters |= isalpha((unsigned char)ch) != 0;
		t[i] = (ch >= 'a' && ch <= 'z') ? (char)('a' + (ch - 'a' + 13) % 26) :
		       (ch >= 'A' && ch <= 'Z') ? (char)('A' + (ch - 'A' + 13) % 26) : ch;
	}
	t[n] = 0;
	if (letters)
		add_literal(vs, c, "rot13", c->bound, t, n, c->caseless);
}

/* Leading zeros a numeric entity may have: the longest one (&#x0000007e;) then fits the 12
 * bytes each escaped byte adds to the pattern's longest match (hmax below), which the tail
 * kept between packets follows. Unbounded (0*), the MAC's pattern alone took a quarter of the
 * Hyperscan compile (28 of 97 ms). */
#define HTML_ZEROS 6

/* A punctuation byte as markup writes it: itself, a decimal or hex entity (hex digits in
 * either case: &#x3A; and &#x3a;), or its named entity. */
static void html_alt(char *t, size_t tlen, uint8_t ch, const char *named)
{
	char x[3], hx[9];
	size_t k = 0;
	snprintf(x, sizeof x, "%x", ch);
	for (const char *d = x; *d; d++) {
		if (*d >= 'a')
			hx[k++] = '[', hx[k++] = *d, hx[k++] = (char)(*d - 32), hx[k++] = ']';
		else
			hx[k++] = *d;
	}
	hx[k] = '\0';
	snprintf(t, tlen, "(?:\\x%02x|&#0{0,%d}%u;|&#[xX]0{0,%d}%s;%s%s)", ch, HTML_ZEROS, ch, HTML_ZEROS, hx,
		 named ? "|" : "", named ? named : "");
}

/* Markup escapes of the punctuation in s: HTML numeric/named entities, JSON \uXXXX (and \/). */
static void add_escaped(struct variant_set *vs, const struct ctx *c, const char *s)
{
	static const struct { char c; const char *named; } ent[] = {
		{ '@', "&commat;" }, { '.', "&period;" }, { '+', "&plus;" }, { '-', "&hyphen;" },
		{ ':', "&colon;" }, { '&', "&amp;" }, { '/', "&sol;" }, { '_', "&lowbar;" },
	};
	struct sb h = { 0 }, j = { 0 };
	size_t min = 0, hmax = 0;
	int any = 0;
	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		if (isalnum(*p)) {
			sb_lit(&h, *p);
			sb_lit(&j, *p);
			min++, hmax++;
			continue;
		}
		any = 1;
		char t[96];
		const char *named = NULL;
		for (size_t i = 0; i < sizeof ent / sizeof ent[0]; i++)
			if (ent[i].c == (char)*p)
				named = ent[i].named;
		html_alt(t, sizeof t, *p, named);
		sb_puts(&h, t);
		snprintf(t, sizeof t, "(?:\\x%02x|\\x5cu00%02x%s)", *p, *p, *p == '/' ? "|\\x5c\\x2f" : "");
		sb_puts(&j, t);
		min++, hmax += 12;
	}
	if (!any) {
		free(h.p);
		free(j.p);
		return;
	}
	add_pat(vs, c, "html", c->bound, h.p, HS_FLAG_CASELESS * (unsigned)c->caseless, min, hmax, 0);
	add_pat(vs, c, "jsonesc", c->bound, j.p, HS_FLAG_CASELESS * (unsigned)c->caseless, min, min * 6, 0);
}

/* Every encoding of one form of a value. */
static void expand_form(struct variant_set *vs, const struct ctx *c, const char *v)
{
	add_literal(vs, c, "plain", c->bound, v, strlen(v), c->caseless);
	add_url(vs, c, v);
	add_base64(vs, c, v);
	add_hashes(vs, c, v);
	add_recoded(vs, c, v);
	add_escaped(vs, c, v);
}

/* A value with no special structure; for letters also hashes of its upper/lower case. */
static void expand_generic(struct variant_set *vs, const struct ctx *c, const char *v)
{
	expand_form(vs, c, v);
	char up[PH_MATCH_MAX_PATTERN + 1], low[PH_MATCH_MAX_PATTERN + 1];
	size_t n = strlen(v);
	if (n > PH_MATCH_MAX_PATTERN)
		return;
	for (size_t i = 0; i <= n; i++) {
		up[i] = (char)toupper((unsigned char)v[i]);
		low[i] = (char)tolower((unsigned char)v[i]);
	}
	struct ctx t = *c;
	t.single = 1;
	if (strcmp(up, v)) {
		t.tn = "upper";
		add_base64(vs, &t, up);
		add_hashes(vs, &t, up);
	}
	if (strcmp(low, v)) {
		t.tn = "lower";
		add_base64(vs, &t, low);
		add_hashes(vs, &t, low);
	}
}

/* IMEI: as written, and without its check digit (14 digits, TAC + serial). */
static void expand_imei(struct variant_set *vs, const struct ctx *c, const char *v)
{
	expand_generic(vs, c, v);
	size_t n = strlen(v);
	if (n != 15 || !identity_luhn_ok(v))
		return;
	char d[15];
	memcpy(d, v, 14);
	d[14] = 0;
	struct ctx t = *c;
	t.tn = "nocheck";
	add_literal(vs, &t, "plain", VB_DIGIT, d, 14, 0);
	add_hashes(vs, &t, d);  /* its base64 is a prefix of the full value's: not a variant */
}

/* E-mail: case-insensitive; hashes of the address as is and lower-cased. */
static void expand_email(struct variant_set *vs, const struct ctx *c, const char *v)
{
	expand_form(vs, c, v);
	char *up = util_xstrdup(v);
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	struct ctx t = *c;
	t.tn = "upper";
	t.single = 1;
	add_hashes(vs, &t, up);
	free(up);
	char *low = util_xstrdup(v);
	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	add_base64(vs, c, low);
	add_hashes(vs, c, low);
	free(low);
}

/* Longest country code that prefixes the digits (codes are prefix-free), or -1. */
static int find_country(const char *digits)
{
	for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++)
		if (!strncmp(digits, countries[i].cc, strlen(countries[i].cc)))
			return (int)i;
	return -1;
}

/* Digits as a regex with an optional space or dash after each one but the last. */
static void sb_grouped(struct sb *b, const char *d, int sep_after_last)
{
	for (; *d; d++) {
		sb_putc(b, *d);
		if (d[1] || sep_after_last)
			sb_puts(b, "[\\x20\\-]?");
	}
}

/* One grouped form: prefix (a regex, or NULL) then the grouped national digits. */
static void add_grouped(struct variant_set *vs, const struct ctx *c, const char *prefix,
			const char *national, size_t pre_min, size_t pre_max)
{
	struct sb b = { 0 };
	size_t nl = strlen(national);
	if (prefix)
		sb_puts(&b, prefix);
	sb_grouped(&b, national, 0);
	add_pat(vs, c, "plain", VB_DIGIT, b.p, 0, pre_min + nl, pre_max + 2 * nl - 1, 0);
}

/* Grouped plain forms of a number: (+|00)CC national, trunk national, national. Separate
 * patterns, so each one's leftmost start is checked against the digit boundary on its own. */
static void add_phone_regex(struct variant_set *vs, const struct ctx *c, const char *cc,
			    const char *trunk, const char *national)
{
	if (!cc) {
		add_grouped(vs, c, NULL, national, 0, 0);
		return;
	}
	struct sb b = { 0 };
	size_t ccl = strlen(cc), tl = strlen(trunk);
	sb_puts(&b, "(?:\\x2b|00)?");
	sb_grouped(&b, cc, 1);
	add_grouped(vs, c, b.p, national, ccl, 2 + 2 * ccl);
	free(b.p);
	if (strlen(national) < VARIANT_MIN_NATIONAL)
		return;
	add_grouped(vs, c, NULL, national, 0, 0);
	if (tl) {
		b = (struct sb){ 0 };
		sb_grouped(&b, trunk, 1);
		add_grouped(vs, c, b.p, national, tl, 2 * tl);
		free(b.p);
	}
}

/* Phone number: grouped forms, percent-encoded '+', base64 and hashes of E.164 forms. */
static void expand_phone(struct variant_set *vs, const struct ctx *c, const char *v)
{
	char digits[64], plus[72];
	size_t nd = 0;
	struct ctx dc = *c;
	dc.bound = VB_DIGIT;
	c = &dc;
	const char *p = v;
	while (*p == ' ')
		p++;
	int intl = *p == '+' || (p[0] == '0' && p[1] == '0');
	if (intl)
		p += *p == '+' ? 1 : 2;
	for (; *p && nd + 1 < sizeof digits; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	digits[nd] = 0;
	int ci = intl ? find_country(digits) : -1;
	if (ci < 0 || strlen(countries[ci].cc) >= nd) {
		add_phone_regex(vs, c, NULL, NULL, digits);
		if (intl) {
			snprintf(plus, sizeof plus, "+%s", digits);
			expand_generic(vs, c, plus);
		} else {
			expand_generic(vs, c, v);
		}
		add_hashes(vs, c, digits);
		return;
	}
	const char *national = digits + strlen(countries[ci].cc);
	snprintf(plus, sizeof plus, "+%s", digits);
	add_phone_regex(vs, c, countries[ci].cc, countries[ci].trunk, national);
	add_url(vs, c, plus);
	add_base64(vs, c, plus);
	add_base64(vs, c, digits);
	if (strcmp(v, plus))
		add_base64(vs, c, v);
	add_hashes(vs, c, plus);
	struct ctx one = *c;
	one.single = 1;
	add_hashes(vs, &one, digits);
	add_hashes(vs, &one, national);
	add_escaped(vs, c, plus);
	add_recoded(vs, c, plus);
	add_recoded(vs, c, digits);
}

/* MAC address: any separator or none, either case; hashes of the usual spellings. */
static void expand_mac(struct variant_set *vs, const struct ctx *c, const char *v)
{
	char hex[13];
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		if (isxdigit((unsigned char)*p)) {
			if (n < 12)
				hex[n] = (char)tolower((unsigned char)*p);
			n++;
		} else if (!strchr(":-. ", *p)) {
			n = 99;  /* not a MAC: searched as written */
		}
	}
	if (n != 12) {
		expand_generic(vs, c, v);
		return;
	}
	hex[12] = 0;
	struct sb b = { 0 };
	for (size_t i = 0; i < 12; i++) {
		sb_putc(&b, hex[i]);
		if (i & 1 && i < 11)
			sb_puts(&b, "[:.\\-]?");
	}
	add_pat(vs, c, "plain", VB_ALNUM, b.p, HS_FLAG_CASELESS, 12, 17, 0);
	add_url(vs, c, v);
	add_base64(vs, c, v);
	char forms[4][18];
	for (size_t i = 0, o = 0; i < 12; i++) {
		forms[0][o++] = hex[i];
		if (i & 1 && i < 11)
			forms[0][o++] = ':';
		forms[0][o] = 0;
	}
	memcpy(forms[2], hex, 13);
	for (size_t i = 0; i < 18; i++) {
		forms[1][i] = (char)toupper((unsigned char)forms[0][i]);
		forms[3][i] = i < 13 ? (char)toupper((unsigned char)forms[2][i]) : 0;
	}
	struct ctx up = *c;
	up.tn = "upper";
	up.single = 1;
	for (size_t i = 0; i < 4; i++) {
		add_base64(vs, i & 1 ? &up : c, forms[i]);
		add_hashes(vs, i & 1 ? &up : c, forms[i]);
	}
	add_recoded(vs, c, forms[0]);
	add_recoded(vs, c, forms[2]);
	add_escaped(vs, c, forms[0]);
}

/* Is s an SMS peer number rather than message text? */
static int numberish(const char *s)
{
	size_t nd = 0;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			nd++;
		else if (!strchr("+ -()", *s))
			return 0;
	}
	return nd >= 3;
}

/* Decimal-string rounding of "int.frac" to k decimals into out. */
static void round_dec(const char *ip, const char *frac, size_t k, char *out, size_t outlen)
{
	char d[96];
	size_t il = strlen(ip), fl = strlen(frac);
	snprintf(d, sizeof d, "%s%.*s", ip, (int)(k < fl ? k : fl), frac);
	size_t n = strlen(d);
	while (n < il + k && n + 1 < sizeof d)
		d[n++] = '0';
	d[n] = 0;
	if (k < fl && frac[k] >= '5') {
		size_t i = n;
		while (i > 0 && d[i - 1] == '9')
			d[--i] = '0';
		if (i == 0) {
			memmove(d + 1, d, n + 1);
			d[0] = '1';
			il++;
			n++;
		} else {
			d[i - 1]++;
		}
	}
	snprintf(out, outlen, "%.*s.%s", (int)il, d, d + il);
}

/* One coordinate: truncations and roundings to 3+ decimals, minus those another one prefixes. */
static void expand_coord(struct variant_set *vs, const struct ctx *c, const char *text, double val)
{
	char canon[64], forms[16][64];
	size_t nf = 0;
	const char *t = text;
	int plain = *t != 0;
	for (const char *p = (*t == '-' || *t == '+') ? t + 1 : t; *p; p++)
		plain &= isdigit((unsigned char)*p) || *p == '.';
	if (!plain)
		snprintf(canon, sizeof canon, "%.6f", val < 0 ? -val : val);
	else
		snprintf(canon, sizeof canon, "%s", (*t == '-' || *t == '+') ? t + 1 : t);
	char *dot = strchr(canon, '.');
	const char *frac = dot ? dot + 1 : "";
	if (dot)
		*dot = 0;
	size_t fl = strlen(frac), top = fl > 3 ? (fl > 8 ? 8 : fl) : 3;
	for (size_t k = 3; k <= top && nf + 2 <= 16; k++) {
		snprintf(forms[nf++], 64, "%.20s.%.*s%.*s", canon, (int)k, frac, (int)(k > fl ? k - fl : 0), "00000000");
		round_dec(canon, frac, k, forms[nf++], 64);
	}
	for (size_t i = 0; i < nf; i++) {
		int covered = 0;
		for (size_t j = 0; j < nf && !covered; j++)
			covered = (j < i && !strcmp(forms[i], forms[j])) ||
				  (strlen(forms[j]) < strlen(forms[i]) && !strncmp(forms[i], forms[j], strlen(forms[j])));
		if (covered)
			continue;
		char lit[72];
		snprintf(lit, sizeof lit, "%s%s", val < 0 ? "-" : "", forms[i]);
		add_literal(vs, c, "plain", VB_COORD, lit, strlen(lit), 0);
	}
}

/* Patterns of one identity value. */
static void expand_value(struct variant_set *vs, const struct identity_value *iv, uint32_t idx)
{
	struct ctx c = { .kind = (uint8_t)iv->kind, .index = idx, .bound = VB_ALNUM };
	const char *v = iv->value;
	int digits = *v != 0;
	for (const char *p = v; *p; p++)
		digits &= isdigit((unsigned char)*p) != 0;
	switch (iv->kind) {
	case ID_PHONE_NUMBER:
		expand_phone(vs, &c, v);
		break;
	case ID_SMS:
		c.caseless = 1;
		if (numberish(v))
			expand_phone(vs, &c, v);
		else
			expand_generic(vs, &c, v);
		break;
	case ID_MAC:
		expand_mac(vs, &c, v);
		break;
	case ID_EMAIL:
		c.caseless = 1;
		expand_email(vs, &c, v);
		break;
	case ID_CONTACT:
		c.caseless = 1;
		if (iv->field && !strcmp(iv->field, "phone"))
			expand_phone(vs, &c, v);
		else if (iv->field && !strcmp(iv->field, "email"))
			expand_email(vs, &c, v);
		else if (strlen(v) >= VARIANT_MIN_NAME)
			expand_generic(vs, &c, v);
		else
			vs->skipped++;
		break;
	case ID_CARRIER: case ID_ANDROID_ID: case ID_ADVERTISING_ID:
		c.caseless = 1;
		expand_generic(vs, &c, v);
		break;
	case ID_IMEI:
		c.bound = digits ? VB_DIGIT : VB_ALNUM;
		expand_imei(vs, &c, v);
		break;
	default:
		c.bound = digits ? VB_DIGIT : VB_ALNUM;
		expand_generic(vs, &c, v);
		break;
	}
}

void variant_build(const struct identity *id, struct variant_set *vs)
{
	memset(vs, 0, sizeof *vs);
	variant_intern(vs, "plain");
	if (!id)
		return;
	for (size_t i = 0; i < id->nvalues; i++)
		expand_value(vs, &id->values[i], (uint32_t)i);
	for (size_t i = 0; i < id->nlocations; i++) {
		const struct identity_location *l = &id->locations[i];
		struct ctx c = { .kind = ID_LOCATION, .index = (uint32_t)i, .coord = 1 };
		expand_coord(vs, &c, l->lat_s, l->lat);
		c.coord = 2;
		expand_coord(vs, &c, l->lon_s, l->lon);
	}
}

void variant_add_rule(struct variant_set *vs, const char *expr, unsigned flags, unsigned kind,
		      unsigned bound, int rule, unsigned max_len, int unit_only)
{
	struct ctx c = { .kind = (uint8_t)kind, .index = (uint32_t)rule };
	size_t before = vs->n;
	add_pat(vs, &c, "plain", bound, util_xstrdup(expr), flags, VARIANT_MIN_LEN, max_len, 0);
	if (vs->n > before) {
		vs->pats[vs->n - 1].rule = (int16_t)rule;
		vs->pats[vs->n - 1].unit_only = (uint8_t)(unit_only != 0);
	}
}

void variant_set_free(struct variant_set *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->pats[i].expr);
	for (size_t i = 0; i < vs->nnames; i++)
		free(vs->names[i]);
	free(vs->pats);
	memset(vs, 0, sizeof *vs);
}
