/* form.c - key/value pairs of forms, queries and cookies; multipart/form-data parts (RFC 7578).
 * Nothing is copied: callbacks get pointers into the input. */
#include "form.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t form_pairs(const uint8_t *p, size_t len, char sep, form_pair_fn fn, void *arg)
{
	size_t n = 0, i = 0;
	while (i < len) {
		size_t s = i;
		while (i < len && p[i] != (uint8_t)sep)
			i++;
		size_t e = i++;
		while (s < e && (p[s] == ' ' || p[s] == '\t'))
			s++;
		const uint8_t *eq = memchr(p + s, '=', e - s);
		if (!eq || eq == p + s)  /* no key: nothing to name the value by */
			continue;
		size_t kl = (size_t)(eq - (p + s)), voff = s + kl + 1;
		fn(arg, p + s, kl, p + voff, e - voff, voff);
		n++;
	}
	return n;
}

static int hexval(uint8_t c)
{
	return isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

size_t form_unescape(const uint8_t *p, size_t len, int plus, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int a, b;
		if (p[i] == '%' && i + 2 < len && (a = hexval(p[i + 1])) >= 0 && (b = hexval(p[i + 2])) >= 0) {
			out[o++] = (uint8_t)(a << 4 | b);
			i += 2;
		} else {
			out[o++] = plus && p[i] == '+' ? ' ' : p[i];
		}
	}
	return o;
}

int form_boundary(const char *ctype, char *out, size_t outlen)
{
	const char *b = strcasestr(ctype, "boundary=");
	if (!b || !outlen)
		return -1;
	b += 9;
	int q = *b == '"';
	b += q;
	size_t n = 0;
	while (b[n] && (q ? b[n] != '"' : (b[n] != ';' && b[n] != ' ')) && n + 1 < outlen)
		n++;
	if (n == 0)
		return -1;
	memcpy(out, b, n);
	out[n] = 0;
	return 0;
}

/* Offset of needle in p[from, len), or len. */
static size_t find(const uint8_t *p, size_t len, size_t from, const char *needle, size_t nl)
{
	for (size_t i = from; i + nl <= len; i++)
		if (p[i] == (uint8_t)needle[0] && !memcmp(p + i, needle, nl))
			return i;
	return len;
}

size_t form_multipart(const uint8_t *p, size_t len, const char *boundary, form_pair_fn fn, void *arg)
{
	char delim[96];
	size_t dl = (size_t)snprintf(delim, sizeof delim, "--%s", boundary);
	if (dl >= sizeof delim)
		return 0;
	size_t n = 0, at = find(p, len, 0, delim, dl);
	while (at < len) {
		size_t hs = at + dl;
		if (hs + 2 <= len && p[hs] == '-' && p[hs + 1] == '-')
			break;  /* closing delimiter */
		size_t he = find(p, len, hs, "\r\n\r\n", 4);
		if (he == len)
			break;  /* part headers cut short */
		size_t cs = he + 4, next = find(p, len, cs, delim, dl);
		size_t ce = next;
		if (ce >= cs + 2 && p[ce - 2] == '\r' && p[ce - 1] == '\n')
			ce -= 2;
		const uint8_t *nm = NULL;
		size_t nml = 0, ni = find(p, he, hs, "name=\"", 6);
		if (ni < he) {
			nm = p + ni + 6;
			const uint8_t *q = memchr(nm, '"', he - (ni + 6));
			nml = q ? (size_t)(q - nm) : 0;
		}
		fn(arg, nm ? nm : (const uint8_t *)"", nml, p + cs, ce - cs, cs);
		n++;
		at = next;
	}
	return n;
}
