/* decomp.h - HTTP content-coding decoders: gzip, deflate (zlib and raw), br, zstd (RFC 9110 8.4).
 * Reusable per-connection state; output capped so decompression bombs stop at the cap. */
#ifndef PH_DECOMP_H
#define PH_DECOMP_H
#include <stddef.h>
#include <stdint.h>

enum decomp_coding { DECOMP_IDENTITY, DECOMP_GZIP, DECOMP_DEFLATE, DECOMP_BR, DECOMP_ZSTD, DECOMP_UNKNOWN };

#define DECOMP_MAX_CHAIN 4          /* stacked codings decoded at most */

struct decomp;

/* Decoder state whose output buffers grow up to max_out bytes each. */
struct decomp *decomp_new(size_t max_out);
void decomp_free(struct decomp *d);
/* The coding named by a token (case-insensitive, "x-gzip" = gzip); DECOMP_UNKNOWN when not known. */
enum decomp_coding decomp_coding_parse(const char *tok, size_t len);
/* Canonical name of a coding ("gzip", "deflate", "br", "zstd", "unknown"). */
const char *decomp_coding_name(enum decomp_coding c);
/* Decode in through cod[0..n) (outermost first); cut: the input was cut short, so an unfinished
 * stream is not an error. 0 decoded (maybe capped at max_out), -1 failed; *out and *outlen hold what
 * was decoded either way (valid until the next call). */
int decomp_chain(struct decomp *d, const enum decomp_coding *cod, int n, const uint8_t *in,
		 size_t inlen, int cut, const uint8_t **out, size_t *outlen);

#endif
