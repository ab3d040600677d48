/* escape.c - context escaping of captured strings (hosts, URLs, headers, DNS names)
 * for the HTML, CSS and Markdown writers; output is always valid UTF-8. */
#include "escape.h"
#include <stdint.h>
#include <string.h>

struct sink {                      /* a bounded buffer or a stream */
	char *out;
	size_t cap, len, written;       /* len: needed; written: kept (whole pieces only) */
	FILE *f;
};

static void put(struct sink *k, const char *s, size_t n)
{
	if (k->f) {
		fwrite(s, 1, n, k->f);
	} else if (k->written == k->len && k->len + n < k->cap) {  /* never half an entity */
		memcpy(k->out + k->len, s, n);
		k->written += n;
	}
	k->len += n;
}

static void put_hex(struct sink *k, unsigned c)
{
	static const char hx[] = "0123456789abcdef";
	char b[4] = { '\\', 'x', hx[c >> 4 & 15], hx[c & 15] };
	put(k, b, 4);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (c >= 0xf5 || !n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)  /* also stops at the NUL */
			return 0;
	if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

enum ctx { CTX_HTML, CTX_CSS, CTX_MD };

static void run(struct sink *k, const char *str, enum ctx ctx)
{
	const unsigned char *s = (const unsigned char *)str;
	while (s && *s) {
		unsigned c = *s;
		if (c >= 0x80) {
			size_t n = utf8_len(s);
			if (!n) {
				put_hex(k, c);
				s++;
			} else if (ctx == CTX_CSS) {  /* code point as a CSS escape */
				unsigned cp = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
				for (size_t i = 1; i < n; i++)
					cp = cp << 6 | (s[i] & 0x3f);
				char b[16];
				int m = snprintf(b, sizeof b, "\\%x ", cp);
				put(k, b, (size_t)m);
				s += n;
			} else {
				put(k, (const char *)s, n);
				s += n;
			}
			continue;
		}
		s++;
		if (ctx == CTX_MD && (c == '\n' || c == '\r' || c == '\t')) {
			put(k, " ", 1);
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			put_hex(k, c);
			continue;
		}
		const char *rep = NULL;
		if (ctx == CTX_CSS) {
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
				char ch = (char)c;
				put(k, &ch, 1);
			} else {
				char b[8];
				int m = snprintf(b, sizeof b, "\\%x ", c);
				put(k, b, (size_t)m);
			}
			continue;
		}
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '`': rep = ctx == CTX_MD ? "\\`" : "&#96;"; break;
		}
		if (ctx == CTX_MD && !rep && strchr("|\\*_[]#~", (int)c)) {
			char b[2] = { '\\', (char)c };
			put(k, b, 2);
			continue;
		}
		if (rep) {
			put(k, rep, strlen(rep));
		} else {
			char ch = (char)c;
			put(k, &ch, 1);
		}
	}
}

static size_t to_buf(const char *s, char *out, size_t outlen, enum ctx ctx)
{
	struct sink k = { .out = out, .cap = outlen };
	run(&k, s, ctx);
	if (outlen)
		out[k.written] = 0;
	return k.len;
}

size_t escape_html(const char *s, char *out, size_t outlen)
{
	return to_buf(s, out, outlen, CTX_HTML);
}

size_t escape_css(const char *s, char *out, size_t outlen)
{
	return to_buf(s, out, outlen, CTX_CSS);
}

size_t escape_md(const char *s, char *out, size_t outlen)
{
	return to_buf(s, out, outlen, CTX_MD);
}

void escape_html_put(FILE *f, const char *s)
{
	struct sink k = { .f = f };
	run(&k, s, CTX_HTML);
}

void escape_md_put(FILE *f, const char *s)
{
	struct sink k = { .f = f };
	run(&k, s, CTX_MD);
}

/* One code point as \uXXXX (a surrogate pair above the BMP); returns the bytes written. */
static size_t json_u(char *out, uint32_t cp)
{
	static const char hx[] = "0123456789abcdef";
	if (cp > 0xffff) {
		cp -= 0x10000;
		size_t n = json_u(out, 0xd800 + (cp >> 10));
		return n + json_u(out + n, 0xdc00 + (cp & 0x3ff));
	}
	char b[6] = { '\\', 'u', hx[cp >> 12 & 15], hx[cp >> 8 & 15], hx[cp >> 4 & 15], hx[cp & 15] };
	memcpy(out, b, 6);
	return 6;
}

/* Length of a valid UTF-8 sequence at p (1-4) with its code point, or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	if (!n)
		return 0;
	uint32_t v = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)  /* also stops at the NUL */
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* One character of s as JSON (at most 12 bytes into out); advances *s past it. */
static size_t json_char(const unsigned char **s, char *out)
{
	const unsigned char *p = *s;
	uint32_t cp;
	size_t n;
	if (*p == '"' || *p == '\\') {
		out[0] = '\\';
		out[1] = (char)*p;
		*s = p + 1;
		return 2;
	}
	if (*p >= 0x20 && *p < 0x7f) {
		out[0] = (char)*p;
		*s = p + 1;
		return 1;
	}
	if (*p >= 0x80 && (n = utf8_seq(p, &cp)) > 0) {
		*s = p + n;
		return json_u(out, cp);
	}
	*s = p + 1;  /* control byte, or a byte of invalid UTF-8 read as Latin-1: still valid JSON */
	return json_u(out, *p);
}

size_t escape_json(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = out;
	*o++ = '"';
	while (*p) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')  /* the common case, inline */
			*o++ = (char)*p++;
		else
			o += json_char(&p, o);
	}
	*o++ = '"';
	return (size_t)(o - out);
}

void escape_json_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char b[12];
	fputc('"', f);
	while (*p)
		fwrite(b, 1, json_char(&p, b), f);
	fputc('"', f);
}

const char *escape_term(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	for (; s && *s && n + 1 < outlen; s++)
		out[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
	out[n] = 0;
	return out;
}
