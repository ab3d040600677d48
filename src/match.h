/* match.h - find the phone's identifiers, in every encoding, in payload bytes.
 * One Hyperscan block-mode database of all variants (variant.c); per unit only hs_scan runs. */
#ifndef PH_MATCH_H
#define PH_MATCH_H
#include "identity.h"
#include <stddef.h>
#include <stdint.h>

struct matcher;

struct match_hit {
	enum id_kind kind;
	size_t value_index;        /* identity->values, or identity->locations for ID_LOCATION */
	const char *variant;       /* encoding chain: "plain", "url", "base64", "md5", "base64>sha1", ... */
	int rule;                  /* detector rule index (value_index is then the rule too), or -1 */
	const uint8_t *buf;        /* the bytes the hit lies in (valid during the callback) */
	size_t buflen;
	size_t start, end;         /* [start,end) in buf; a location spans both coordinates */
};
typedef void (*match_fn)(void *arg, const struct match_hit *h);

struct rules;
/* Compile every variant of id; NULL with errbuf on failure. No patterns is not a failure. */
struct matcher *match_compile(const struct identity *id, char *errbuf, size_t errlen);
/* Same, plus the pattern detectors of rules (id and rules may each be NULL). */
struct matcher *match_compile_rules(const struct identity *id, const struct rules *rules,
				    char *errbuf, size_t errlen);
/* A matcher for another thread: shares m's compiled databases (m must outlive it), has its own
 * scratch and buffers. NULL with errbuf if Hyperscan cannot allocate. */
struct matcher *match_clone(const struct matcher *m, char *errbuf, size_t errlen);
void match_free(struct matcher *m);
size_t match_pattern_count(const struct matcher *m);
/* Variants not searched: shorter than 4 bytes, longer than PH_MATCH_MAX_PATTERN, short names. */
size_t match_skipped_count(const struct matcher *m);

/* Scan one complete unit (an HTTP header value, a body, a UDP datagram). */
void match_scan(struct matcher *m, const uint8_t *p, size_t len, match_fn fn, void *arg);
/* Same, plus the rule patterns scoped to HTTP units and WebSocket messages ("scope": "http"). */
void match_scan_unit(struct matcher *m, const uint8_t *p, size_t len, match_fn fn, void *arg);

/* Per flow direction state of a byte stream; all zero = initialised. */
struct match_stream {
	uint8_t *tail;             /* last bytes seen, allocated on first use */
	uint16_t taillen;
	uint32_t loc_lat, loc_lon; /* locations whose lat / lon were seen */
	uint32_t loc_done;         /* locations already reported */
};
/* Scan the next piece of a stream: a value split across pieces is found once. A digit or
 * alphanumeric value ending exactly at the end of a piece waits for the next byte to check
 * its boundary; call with len 0 (p may be NULL) at the end of the stream to flush it. */
void match_stream_scan(struct matcher *m, struct match_stream *s, const uint8_t *p, size_t len,
		       match_fn fn, void *arg);
void match_stream_free(struct match_stream *s);

#endif
