/* hpack.h - HPACK header decompression for HTTP/2 (RFC 7541): integers, strings with
 * Huffman coding, the static table and a connection's dynamic table. */
#ifndef PH_HPACK_H
#define PH_HPACK_H
#include <stddef.h>
#include <stdint.h>

#define HPACK_MAX_TABLE 65536      /* dynamic table size accepted at most (default 4096) */
#define HPACK_MAX_STRING 16384     /* a name or value longer than this fails the block */

struct hpack_entry { uint32_t off, nl, vl; };

struct hpack {                     /* one direction's decoder; hpack_init before use */
	uint8_t *buf;                  /* entry bytes, oldest first: name then value */
	size_t used;                   /* bytes of buf in use */
	struct hpack_entry *e;         /* entries, oldest first */
	size_t n;
	size_t size;                   /* RFC 7541 4.1 size: sum of name + value + 32 */
	size_t max;                    /* current maximum (size updates) */
	size_t limit;                  /* what the peer's settings allow */
	uint8_t *s1, *s2;              /* Huffman-decoded name and value */
};

typedef void (*hpack_field_fn)(void *arg, const char *name, size_t nl, const uint8_t *v, size_t vl);

void hpack_init(struct hpack *h, size_t limit);
void hpack_free(struct hpack *h);
/* Decodes one complete header block; fn gets each field in order. 0, or -1 when the block
 * is malformed (the fields decoded before the fault have been given). */
int hpack_decode(struct hpack *h, const uint8_t *p, size_t len, hpack_field_fn fn, void *arg);
/* Huffman-decodes p[0,len) (RFC 7541 5.2, Appendix B) into out; the length, or -1. */
long hpack_huffman_decode(const uint8_t *p, size_t len, uint8_t *out, size_t outmax);

#endif
