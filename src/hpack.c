/* hpack.c - HPACK decoder (RFC 7541): prefix integers (5.1), string literals with the canonical
 * Huffman code of Appendix B (5.2), static (Appendix A) and dynamic (2.3, 4) tables. */
#include "hpack.h"
#include "util.h"
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

/* RFC 7541 Appendix B: code and length of each symbol, 256 = EOS. */
static const uint32_t huff_code[257] = {
	0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
	0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
	0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
	0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
	0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
	0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
	0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
	0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
	0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
	0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
	0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
	0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
	0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
	0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
	0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
	0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
	0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
	0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
	0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
	0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
	0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
	0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
	0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
	0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
	0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
	0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
	0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
	0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
	0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
	0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
	0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
	0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
	0x3fffffff,
};
static const uint8_t huff_len[257] = {
	13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
	28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
	6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
	5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
	13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
	15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
	6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
	20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
	24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
	22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
	21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
	26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
	19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
	20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
	26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
	30,
};

static const char *const static_table[61][2] = {
	{ ":authority", "" }, { ":method", "GET" }, { ":method", "POST" }, { ":path", "/" },
	{ ":path", "/index.html" }, { ":scheme", "http" }, { ":scheme", "https" }, { ":status", "200" },
	{ ":status", "204" }, { ":status", "206" }, { ":status", "304" }, { ":status", "400" },
	{ ":status", "404" }, { ":status", "500" }, { "accept-charset", "" }, { "accept-encoding", "gzip, deflate" },
	{ "accept-language", "" }, { "accept-ranges", "" }, { "accept", "" }, { "access-control-allow-origin", "" },
	{ "age", "" }, { "allow", "" }, { "authorization", "" }, { "cache-control", "" },
	{ "content-disposition", "" }, { "content-encoding", "" }, { "content-language", "" },
	{ "content-length", "" }, { "content-location", "" }, { "content-range", "" }, { "content-type", "" },
	{ "cookie", "" }, { "date", "" }, { "etag", "" }, { "expect", "" }, { "expires", "" }, { "from", "" },
	{ "host", "" }, { "if-match", "" }, { "if-modified-since", "" }, { "if-none-match", "" },
	{ "if-range", "" }, { "if-unmodified-since", "" }, { "last-modified", "" }, { "link", "" },
	{ "location", "" }, { "max-forwards", "" }, { "proxy-authenticate", "" }, { "proxy-authorization", "" },
	{ "range", "" }, { "referer", "" }, { "refresh", "" }, { "retry-after", "" }, { "server", "" },
	{ "set-cookie", "" }, { "strict-transport-security", "" }, { "transfer-encoding", "" },
	{ "user-agent", "" }, { "vary", "" }, { "via", "" }, { "www-authenticate", "" },
};

/* Decoding tree of the Huffman code: node 0 is the root; leaves are 512 + symbol. */
static uint16_t huff_tree[256][2];
static pthread_once_t huff_once = PTHREAD_ONCE_INIT;  /* shards decode in threads */

static void huff_build(void)
{
	uint16_t next = 1;
	memset(huff_tree, 0, sizeof huff_tree);
	for (int s = 0; s < 257; s++) {
		uint16_t n = 0;
		for (int b = huff_len[s] - 1; b >= 0; b--) {
			int bit = (huff_code[s] >> b) & 1;
			if (b == 0) {
				huff_tree[n][bit] = (uint16_t)(512 + s);
			} else {
				if (!huff_tree[n][bit])
					huff_tree[n][bit] = next++;
				n = huff_tree[n][bit];
			}
		}
	}
}

long hpack_huffman_decode(const uint8_t *p, size_t len, uint8_t *out, size_t outmax)
{
	pthread_once(&huff_once, huff_build);
	size_t o = 0;
	uint16_t n = 0;
	int depth = 0, ones = 1;  /* bits since the last symbol; all of them 1 */
	for (size_t i = 0; i < len; i++) {
		for (int b = 7; b >= 0; b--) {
			int bit = (p[i] >> b) & 1;
			uint16_t c = huff_tree[n][bit];
			depth++;
			ones &= bit;
			if (c >= 512) {
				if (c == 512 + 256 || o == outmax)
					return -1;  /* EOS inside the string (5.2), or no room */
				out[o++] = (uint8_t)(c - 512);
				n = 0;
				depth = 0;
				ones = 1;
			} else if (!c) {
				return -1;
			} else {
				n = c;
			}
		}
	}
	if (depth > 7 || !ones)
		return -1;  /* padding longer than 7 bits or not the EOS prefix */
	return (long)o;
}

void hpack_init(struct hpack *h, size_t limit)
{
	memset(h, 0, sizeof *h);
	h->limit = limit > HPACK_MAX_TABLE ? HPACK_MAX_TABLE : limit;
	h->max = h->limit < 4096 ? h->limit : 4096;  /* SETTINGS_HEADER_TABLE_SIZE default (RFC 9113 6.5.2) */
	h->buf = util_xmalloc(HPACK_MAX_TABLE);
	h->e = util_xmalloc((HPACK_MAX_TABLE / 32 + 1) * sizeof *h->e);
	h->s1 = util_xmalloc(HPACK_MAX_STRING);
	h->s2 = util_xmalloc(HPACK_MAX_STRING);
}

void hpack_free(struct hpack *h)
{
	free(h->buf);
	free(h->e);
	free(h->s1);
	free(h->s2);
	memset(h, 0, sizeof *h);
}

/* Drops the oldest entries until size + need fits max. */
static void evict(struct hpack *h, size_t need)
{
	size_t k = 0, drop = 0;
	while (k < h->n && h->size + need > h->max) {
		h->size -= h->e[k].nl + h->e[k].vl + 32;
		drop += h->e[k].nl + h->e[k].vl;
		k++;
	}
	if (!k)
		return;
	memmove(h->buf, h->buf + drop, h->used - drop);
	h->used -= drop;
	memmove(h->e, h->e + k, (h->n - k) * sizeof *h->e);
	h->n -= k;
	for (size_t i = 0; i < h->n; i++)
		h->e[i].off -= (uint32_t)drop;
}

/* Adds a field (RFC 7541 4.4): a field larger than the table empties it. */
static void insert(struct hpack *h, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl)
{
	size_t sz = nl + vl + 32;
	if (sz > h->max) {
		evict(h, h->max + 1);
		return;
	}
	evict(h, sz);
	struct hpack_entry *e = &h->e[h->n++];
	e->off = (uint32_t)h->used;
	e->nl = (uint32_t)nl;
	e->vl = (uint32_t)vl;
	memmove(h->buf + h->used, name, nl);  /* name may point into buf: evict moved it, so copy first */
	memmove(h->buf + h->used + nl, v, vl);
	h->used += nl + vl;
	h->size += sz;
}

/* Prefix integer (5.1) of n bits at *pos; -1 when cut or too large. */
static int get_int(const uint8_t *p, size_t len, size_t *pos, int n, uint32_t *out)
{
	if (*pos >= len)
		return -1;
	uint32_t mask = (1u << n) - 1, v = p[(*pos)++] & mask;
	if (v < mask) {
		*out = v;
		return 0;
	}
	for (int shift = 0; shift <= 21; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];
		v += (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;  /* more than 28 bits */
}

/* String literal (5.2) at *pos into scratch (Huffman) or pointing into p; -1 when malformed. */
static int get_str(const uint8_t *p, size_t len, size_t *pos, uint8_t *scratch, const uint8_t **s, size_t *sl)
{
	if (*pos >= len)
		return -1;
	int huff = p[*pos] & 0x80;
	uint32_t n;
	if (get_int(p, len, pos, 7, &n) < 0 || n > len - *pos || n > HPACK_MAX_STRING)
		return -1;
	if (huff) {
		long r = hpack_huffman_decode(p + *pos, n, scratch, HPACK_MAX_STRING);
		if (r < 0)
			return -1;
		*s = scratch;
		*sl = (size_t)r;
	} else {
		*s = p + *pos;
		*sl = n;
	}
	*pos += n;
	return 0;
}

/* Name and value of table index i (1-based over static then dynamic, newest first); -1 if none. */
static int lookup(const struct hpack *h, uint32_t i, const uint8_t **n, size_t *nl, const uint8_t **v, size_t *vl)
{
	if (i == 0)
		return -1;
	if (i <= 61) {
		*n = (const uint8_t *)static_table[i - 1][0];
		*nl = strlen(static_table[i - 1][0]);
		*v = (const uint8_t *)static_table[i - 1][1];
		*vl = strlen(static_table[i - 1][1]);
		return 0;
	}
	i -= 62;
	if (i >= h->n)
		return -1;
	const struct hpack_entry *e = &h->e[h->n - 1 - i];
	*n = h->buf + e->off;
	*nl = e->nl;
	*v = h->buf + e->off + e->nl;
	*vl = e->vl;
	return 0;
}

int hpack_decode(struct hpack *h, const uint8_t *p, size_t len, hpack_field_fn fn, void *arg)
{
	size_t pos = 0;
	char name[256];
	while (pos < len) {
		uint8_t b = p[pos];
		uint32_t idx;
		const uint8_t *n, *v;
		size_t nl, vl;
		if (b & 0x80) {  /* indexed field (6.1) */
			if (get_int(p, len, &pos, 7, &idx) < 0 || lookup(h, idx, &n, &nl, &v, &vl) < 0)
				return -1;
		} else if ((b & 0xe0) == 0x20) {  /* dynamic table size update (6.3) */
			if (get_int(p, len, &pos, 5, &idx) < 0 || idx > h->limit)
				return -1;
			h->max = idx;
			evict(h, 0);
			continue;
		} else {  /* literal: with indexing (6.2.1), without (6.2.2) or never indexed (6.2.3) */
			int incr = (b & 0xc0) == 0x40;
			if (get_int(p, len, &pos, incr ? 6 : 4, &idx) < 0)
				return -1;
			if (idx) {
				if (lookup(h, idx, &n, &nl, &v, &vl) < 0)
					return -1;
				/* the name may be in the dynamic table, which insert() moves: copy it */
				nl = nl < sizeof name ? nl : sizeof name - 1;
				memcpy(name, n, nl);
				n = (const uint8_t *)name;
			} else if (get_str(p, len, &pos, h->s1, &n, &nl) < 0) {
				return -1;
			}
			if (get_str(p, len, &pos, h->s2, &v, &vl) < 0)
				return -1;
			if (incr) {
				insert(h, n, nl, v, vl);
				/* hand the table's copy on: n may be h->s1, which the next field reuses */
				const struct hpack_entry *e = h->n ? &h->e[h->n - 1] : NULL;
				if (e && e->nl == nl && e->vl == vl) {
					n = h->buf + e->off;
					v = h->buf + e->off + nl;
				}
			}
		}
		char nb[256];
		size_t k = nl < sizeof nb - 1 ? nl : sizeof nb - 1;
		memcpy(nb, n, k);
		nb[k] = 0;
		fn(arg, nb, k, v, vl);
	}
	return 0;
}
