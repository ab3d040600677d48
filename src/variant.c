/* variant.c - expand each identifier into Hyperscan expressions: plain and grouped forms,
 * percent-encoding (RFC 3986), base64 (RFC 4648) at every alignment, MD5/SHA-1/SHA-256 hex. */
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

static const char *const var_names[VAR__COUNT] = {
	"plain", "url", "base64", "base64url", "md5", "sha1", "sha256",
};

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

const char *variant_name(unsigned v)
{
	return v < VAR__COUNT ? var_names[v] : "?";
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
static void add_pat(struct variant_set *vs, const struct ctx *c, unsigned var, unsigned bound,
		    char *expr, unsigned flags, size_t min_len, size_t max_len, int fixed)
{
	if (!expr || min_len < VARIANT_MIN_LEN || max_len > PH_MATCH_MAX_PATTERN) {
		vs->skipped++;
		free(expr);
		return;
	}
	if (!fixed)
		flags |= HS_FLAG_SOM_LEFTMOST;
	for (size_t i = vs->n; i-- > 0;) {
		const struct variant_pat *q = &vs->pats[i];
		if (q->kind != c->kind || q->index != c->index)
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
		.expr = expr, .flags = flags, .kind = c->kind, .variant = (uint8_t)var,
		.bound = (uint8_t)bound, .coord = c->coord, .index = c->index,
		.fixed_len = (uint16_t)(fixed ? max_len : 0), .max_len = (uint16_t)max_len,
	};
}

/* A literal byte string. */
static void add_literal(struct variant_set *vs, const struct ctx *c, unsigned var, unsigned bound,
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
	add_pat(vs, c, VAR_URL, c->bound, b.p, c->caseless ? HS_FLAG_CASELESS : 0, min, max, min == max);
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
		add_literal(vs, c, VAR_BASE64, VB_NONE, out + from, to - from, 0);
		int differs = 0;
		for (size_t i = from; i < to; i++) {
			if (out[i] == '+' || out[i] == '/') {
				out[i] = out[i] == '+' ? '-' : '_';
				differs = 1;
			}
		}
		if (differs)
			add_literal(vs, c, VAR_BASE64URL, VB_NONE, out + from, to - from, 0);
	}
}

/* Hex MD5, SHA-1 and SHA-256 of s, either case. */
static void add_hashes(struct variant_set *vs, const struct ctx *c, const char *s)
{
	static const struct { unsigned var; const EVP_MD *(*md)(void); } algs[] = {
		{ VAR_MD5, EVP_md5 }, { VAR_SHA1, EVP_sha1 }, { VAR_SHA256, EVP_sha256 },
	};
	for (size_t i = 0; i < 3; i++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		if (!EVP_Digest(s, strlen(s), md, &mdlen, algs[i].md(), NULL))
			continue;
		util_hex(md, mdlen, hex);
		add_literal(vs, c, algs[i].var, VB_NONE, hex, 2 * mdlen, 1);
	}
}

/* A value with no special structure: plain, url, base64, hashes. */
static void expand_generic(struct variant_set *vs, const struct ctx *c, const char *v)
{
	add_literal(vs, c, VAR_PLAIN, c->bound, v, strlen(v), c->caseless);
	add_url(vs, c, v);
	add_base64(vs, c, v);
	add_hashes(vs, c, v);
}

/* E-mail: case-insensitive; hashes of the address as is and lower-cased. */
static void expand_email(struct variant_set *vs, const struct ctx *c, const char *v)
{
	expand_generic(vs, c, v);
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
	add_pat(vs, c, VAR_PLAIN, VB_DIGIT, b.p, 0, pre_min + nl, pre_max + 2 * nl - 1, 0);
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
	add_hashes(vs, c, digits);
	add_hashes(vs, c, national);
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
	add_pat(vs, c, VAR_PLAIN, VB_ALNUM, b.p, HS_FLAG_CASELESS, 12, 17, 0);
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
	for (size_t i = 0; i < 4; i++) {
		add_base64(vs, c, forms[i]);
		add_hashes(vs, c, forms[i]);
	}
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
		add_literal(vs, c, VAR_PLAIN, VB_COORD, lit, strlen(lit), 0);
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
	default:
		c.bound = digits ? VB_DIGIT : VB_ALNUM;
		expand_generic(vs, &c, v);
		break;
	}
}

void variant_build(const struct identity *id, struct variant_set *vs)
{
	memset(vs, 0, sizeof *vs);
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

void variant_set_free(struct variant_set *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->pats[i].expr);
	free(vs->pats);
	memset(vs, 0, sizeof *vs);
}
