/* form.h - key/value extraction from query strings and application/x-www-form-urlencoded bodies
 * (WHATWG URL), Cookie headers (RFC 6265) and multipart/form-data parts (RFC 7578). */
#ifndef PH_FORM_H
#define PH_FORM_H
#include <stddef.h>
#include <stdint.h>

/* One pair: key and value as sent (still percent-encoded), value at offset voff of the input. */
typedef void (*form_pair_fn)(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, size_t voff);

/* Pairs of "k=v" separated by sep ('&' for forms and queries, ';' for cookies); spaces around
 * keys are skipped. Returns the number of pairs. */
size_t form_pairs(const uint8_t *p, size_t len, char sep, form_pair_fn fn, void *arg);
/* Percent-decode (and '+' as space when plus) into out (at least len bytes); returns the length. */
size_t form_unescape(const uint8_t *p, size_t len, int plus, uint8_t *out);
/* The boundary parameter of a multipart Content-Type into out; 0 ok, -1 none. */
int form_boundary(const char *ctype, char *out, size_t outlen);
/* Each part of a multipart body: its name="..." (may be empty) and its content bytes. */
size_t form_multipart(const uint8_t *p, size_t len, const char *boundary, form_pair_fn fn, void *arg);

#endif
