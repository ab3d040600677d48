/* summary.h - the human summary on stdout: foreign destinations, leaks, verdict. */
#ifndef PH_SUMMARY_H
#define PH_SUMMARY_H
#include "audit.h"
#include <stdio.h>

void summary_print(FILE *out, const struct audit *a);
/* One-line verdict, e.g. "IMEI, phone number and 2 contacts sent in cleartext to servers in China". */
void summary_verdict(const struct audit *a, char *out, size_t outlen);
/* "IMEI", "phone number", "contact", ... for a kind (enum id_kind). */
const char *summary_kind_label(int kind);
/* "China", "the United States", ...; the code itself for a country without a name here. */
const char *summary_country_name(const char *cc);

#endif
