/* mask.h - identifiers masked in what the reports print (8623xxxxxxx1234), unless
 * --show-identifiers: shared by the EVE, HTML and Markdown writers. */
#ifndef PH_MASK_H
#define PH_MASK_H
#include "audit.h"
#include <stddef.h>

/* Copies s into out with every identifier the matcher finds in it masked, and every value a
 * detector rule found (a no-op with --show-identifiers or without an identity). */
void mask_text(const struct audit *a, const char *s, char *out, size_t outlen);
/* The identifier a leak matched, masked unless --show-identifiers ("" when unknown). */
void mask_identifier(const struct audit *a, const struct report_leak *l, char *out, size_t outlen);

#endif
