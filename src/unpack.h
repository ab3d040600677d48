/* unpack.h - take apart what an HTTP request or a WebSocket message carries: query strings,
 * forms, cookies, multipart parts and JSON, and base64 / gzip / zlib / zstd blobs inside them. */
#ifndef PH_UNPACK_H
#define PH_UNPACK_H
#include <stddef.h>
#include <stdint.h>

#define UNPACK_MAX_DEPTH 4             /* nested decodings followed (base64 in JSON in gzip ...) */
#define UNPACK_MAX_OUT (1u << 20)      /* bytes a decoded blob may grow to */

enum unpack_type { UNPACK_AUTO, UNPACK_QUERY, UNPACK_FORM, UNPACK_COOKIE, UNPACK_JSON, UNPACK_MULTIPART,
		   UNPACK_VALUE };

struct unpack_cb {
	/* Decoded bytes nobody has scanned yet (buffer id buf, > 0); chain of what was undone,
	 * outermost first ("base64>gzip>json"); key: the field it came from, or "". */
	void (*blob)(void *arg, unsigned buf, const uint8_t *p, size_t n, const char *chain, const char *key);
	/* A key and its value: raw bytes [off, off+rawlen) of buffer buf (0: the unit itself), and
	 * the value decoded (percent / JSON escapes undone); chain as for blob. */
	void (*pair)(void *arg, unsigned buf, const char *key, size_t off, size_t rawlen,
		     const uint8_t *v, size_t vl, const char *chain);
};

struct unpack;

struct unpack *unpack_new(void);
void unpack_free(struct unpack *u);
/* Take apart p[0,n) of the given type (ctype: the Content-Type, for multipart; may be NULL);
 * chain: the unit's own decoding chain (may be NULL); key: a prefix for key paths (may be NULL). */
void unpack_run(struct unpack *u, enum unpack_type t, const char *ctype, const uint8_t *p, size_t n,
		const char *chain, const char *key, const struct unpack_cb *cb, void *arg);
/* The type a Content-Type names (form, JSON, multipart) or UNPACK_AUTO. */
enum unpack_type unpack_type_of(const char *ctype);

#endif
