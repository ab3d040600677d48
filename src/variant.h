/* variant.h - every searchable form of every identifier, as Hyperscan expressions.
 * Plain, grouped phone forms (E.164, ITU-T E.123), URL/base64/base32/hex (RFC 3986, 4648) and
 * HTML/JSON escapes, reversed, ROT13, and up to two hash layers (MD5, SHA-1, SHA-256, SHA-512). */
#ifndef PH_VARIANT_H
#define PH_VARIANT_H
#include "identity.h"
#include <stddef.h>
#include <stdint.h>

/* A variant's name is its encoding chain, outermost first ("plain", "base64>md5", "sha1>upper");
 * names are interned per set (variant_set.names) and the pattern keeps the index. */
#define VARIANT_MAX_NAMES 256

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
	uint16_t variant;     /* index into variant_set.names */
	uint8_t layers;       /* transformations undone: fewer wins at the same offset */
	int16_t rule;         /* detector rule index (rules.c), -1 for an identity value */
	uint8_t unit_only;    /* searched in HTTP units and WebSocket messages only, not raw streams */
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
	char *names[VARIANT_MAX_NAMES];
	size_t nnames;
};

/* Name of variant index v of vs ("plain", "url", "base64>md5", ...). */
const char *variant_name(const struct variant_set *vs, unsigned v);
/* Index of name in vs, added when new (at most VARIANT_MAX_NAMES, then "other"). */
unsigned variant_intern(struct variant_set *vs, const char *name);
/* Append a pattern that is not an identity value (a detector rule): takes a copy of expr. */
void variant_add_rule(struct variant_set *vs, const char *expr, unsigned flags, unsigned kind,
		      unsigned bound, int rule, unsigned max_len, int unit_only);
/* Generate all patterns of id into vs (zeroed first). */
void variant_build(const struct identity *id, struct variant_set *vs);
void variant_set_free(struct variant_set *vs);

#endif
