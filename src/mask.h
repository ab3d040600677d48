/* mask.h - identifiers masked in what the reports print (8623xxxxxxx1234), unless
 * --show-identifiers: shared by the JSON, EVE, HTML and Markdown writers. */
#ifndef PH_MASK_H
#define PH_MASK_H
#include "audit.h"
#include <stddef.h>

/* Copies s into out with every identifier the matcher finds in it masked, and every value a
 * detector rule found (a no-op with --show-identifiers or without an identity). */
void mask_text(const struct audit *a, const char *s, char *out, size_t outlen);
/* A masker for one writer thread, for many strings (every flow's host): its own Hyperscan
 * scratch, and the values detector rules found gathered once. NULL with errbuf when the
 * scratch cannot be had. */
struct mask;
struct mask *mask_open(const struct audit *a, char *errbuf, size_t errlen);
void mask_free(struct mask *k);
/* mask_text with k: s itself when nothing in it is masked (no copy), else out, s masked and
 * cut to outlen. */
const char *mask_str(struct mask *k, const char *s, char *out, size_t outlen);
/* The identifier a leak matched, masked unless --show-identifiers ("" when unknown). */
void mask_identifier(const struct audit *a, const struct report_leak *l, char *out, size_t outlen);

#endif
