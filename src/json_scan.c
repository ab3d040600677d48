/* json_scan.c - a bounds-checked JSON (RFC 8259) walker reporting scalars with their key paths,
 * for finding under which key an identifier was sent. */
#include "json_scan.h"
#include <string.h>

struct walk {
	const uint8_t *p;
	size_t len, i;
	json_scan_fn fn;
	void *arg;
	char path[JSON_SCAN_MAX_PATH];
	size_t plen;
};

enum { J_OK = 0, J_TRUNC = -1, J_BAD = -2 };

static void ws(struct walk *w)
{
	while (w->i < w->len && (w->p[w->i] == ' ' || w->p[w->i] == '\t' || w->p[w->i] == '\n' || w->p[w->i] == '\r'))
		w->i++;
}

/* A string starting at w->i (the quote): body [*s, *e), escapes noted. */
static int string(struct walk *w, size_t *s, size_t *e, int *esc)
{
	*esc = 0;
	*s = ++w->i;
	while (w->i < w->len) {
		uint8_t c = w->p[w->i];
		if (c == '"') {
			*e = w->i++;
			return J_OK;
		}
		if (c == '\\') {
			*esc = 1;
			w->i++;
		}
		w->i++;
	}
	return J_TRUNC;
}

static int value(struct walk *w, int depth);

/* Append ".key" (or "key" at the top) to the path; returns the previous length. */
static size_t push_key(struct walk *w, const uint8_t *k, size_t kl)
{
	size_t old = w->plen, room = sizeof w->path - 1 - w->plen;
	if (w->plen && room) {
		w->path[w->plen++] = '.';
		room--;
	}
	if (kl > room)
		kl = room;
	memcpy(w->path + w->plen, k, kl);
	w->plen += kl;
	w->path[w->plen] = 0;
	return old;
}

static int object(struct walk *w, int depth)
{
	w->i++;
	for (;;) {
		ws(w);
		if (w->i >= w->len)
			return J_TRUNC;
		if (w->p[w->i] == '}') {
			w->i++;
			return J_OK;
		}
		if (w->p[w->i] != '"')
			return J_BAD;
		size_t ks, ke;
		int esc, r = string(w, &ks, &ke, &esc);
		if (r)
			return r;
		ws(w);
		if (w->i >= w->len)
			return J_TRUNC;
		if (w->p[w->i++] != ':')
			return J_BAD;
		size_t old = push_key(w, w->p + ks, ke - ks);
		r = value(w, depth + 1);
		w->plen = old;
		w->path[old] = 0;
		if (r)
			return r;
		ws(w);
		if (w->i >= w->len)
			return J_TRUNC;
		if (w->p[w->i] == ',') {
			w->i++;
			continue;
		}
		if (w->p[w->i] != '}')
			return J_BAD;
	}
}

static int array(struct walk *w, int depth)
{
	w->i++;
	for (;;) {
		ws(w);
		if (w->i >= w->len)
			return J_TRUNC;
		if (w->p[w->i] == ']') {
			w->i++;
			return J_OK;
		}
		int r = value(w, depth + 1);
		if (r)
			return r;
		ws(w);
		if (w->i >= w->len)
			return J_TRUNC;
		if (w->p[w->i] == ',') {
			w->i++;
			continue;
		}
		if (w->p[w->i] != ']')
			return J_BAD;
		w->i++;
		return J_OK;
	}
}

static int value(struct walk *w, int depth)
{
	if (depth > JSON_SCAN_MAX_DEPTH)
		return J_BAD;  /* deeper than any real message: not worth the stack */
	ws(w);
	if (w->i >= w->len)
		return J_TRUNC;
	uint8_t c = w->p[w->i];
	if (c == '{')
		return object(w, depth);
	if (c == '[')
		return array(w, depth);
	if (c == '"') {
		size_t s, e;
		int esc, r = string(w, &s, &e, &esc);
		if (r)
			return r;
		w->fn(w->arg, w->path, w->p + s, e - s, s, 1, esc);
		return J_OK;
	}
	size_t s = w->i;
	while (w->i < w->len && strchr("+-.eE0123456789truefalsn", w->p[w->i]) && w->p[w->i])
		w->i++;
	if (w->i == s)
		return J_BAD;
	if (w->i == w->len)
		return J_TRUNC;  /* a number may continue */
	w->fn(w->arg, w->path, w->p + s, w->i - s, s, 0, 0);
	return J_OK;
}

int json_scan_walk(const uint8_t *p, size_t len, json_scan_fn fn, void *arg)
{
	struct walk w = { .p = p, .len = len, .fn = fn, .arg = arg };
	int r = value(&w, 0);
	if (r)
		return r;
	ws(&w);
	return w.i == len ? J_OK : J_BAD;
}

static int hexv(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Four hex digits at p (n left), or -1. */
static long hex4(const uint8_t *p, size_t n)
{
	if (n < 4)
		return -1;
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexv(p[k]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static size_t utf8(unsigned long cp, uint8_t *o)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

size_t json_scan_unescape(const uint8_t *p, size_t len, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\\' || i + 1 >= len) {
			out[o++] = p[i];
			continue;
		}
		uint8_t c = p[++i];
		const char *from = "bfnrt", *to = "\b\f\n\r\t";
		const char *m = c ? strchr(from, c) : NULL;
		if (m) {
			out[o++] = (uint8_t)to[m - from];
		} else if (c == 'u') {
			long cp = hex4(p + i + 1, len - i - 1);
			if (cp < 0) {
				out[o++] = c;
				continue;
			}
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len && p[i + 1] == '\\' && p[i + 2] == 'u') {
				long lo = hex4(p + i + 3, len - i - 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			/* UTF-8 of a code point is never longer than its \uXXXX escape */
			o += utf8((unsigned long)cp, out + o);
		} else {
			out[o++] = c;
		}
	}
	return o;
}

int json_scan_sniff(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= len)
		return 0;
	if (p[i] == '{')
		return 1;
	if (p[i] != '[')
		return 0;
	for (i++; i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'); i++)
		;
	return i < len && (p[i] == '{' || p[i] == '"' || p[i] == '[' || p[i] == ']');
}
