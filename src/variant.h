/* variant.h - every searchable form of every identifier, as Hyperscan expressions.
 * Plain, grouped phone forms (E.164, ITU-T E.123), percent-encoding (RFC 3986), base64 (RFC 4648), hex digests. */
#ifndef PH_VARIANT_H
#define PH_VARIANT_H
#include "identity.h"
#include <stddef.h>
#include <stdint.h>

enum variant_kind { VAR_PLAIN, VAR_URL, VAR_BASE64, VAR_BASE64URL, VAR_MD5, VAR_SHA1, VAR_SHA256, VAR__COUNT };

/* How a hit's neighbours are checked (see match.c). */
enum variant_bound {
	VB_NONE,   /* hashes, base64: anything around */
	VB_DIGIT,  /* no digit right before or after */
	VB_ALNUM,  /* no letter or digit right before or after */
	VB_COORD,  /* a coordinate prefix: no digit, '.' (or '-' before a positive one) before */
};

struct variant_pat {
	char *expr;           /* Hyperscan expression */
	unsigned flags;       /* HS_FLAG_* */
	uint8_t kind;         /* enum id_kind */
	uint8_t variant;      /* enum variant_kind */
	uint8_t bound;        /* enum variant_bound */
	uint8_t coord;        /* ID_LOCATION: 1 lat, 2 lon */
	uint32_t index;       /* identity->values, or ->locations for ID_LOCATION */
	uint16_t fixed_len;   /* match length when fixed, else 0 (start from SOM) */
	uint16_t max_len;     /* longest possible match */
};

struct variant_set {
	struct variant_pat *pats;
	size_t n, cap;
	size_t skipped;       /* variants dropped: shorter than 4 bytes or too long */
};

/* "plain", "url", "base64", "base64url", "md5", "sha1", "sha256". */
const char *variant_name(unsigned v);
/* Generate all patterns of id into vs (zeroed first). */
void variant_build(const struct identity *id, struct variant_set *vs);
void variant_set_free(struct variant_set *vs);

#endif
