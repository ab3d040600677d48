/* summary.h - the human summary on stdout: foreign destinations, leaks, verdict. */
#ifndef PH_SUMMARY_H
#define PH_SUMMARY_H
#include "audit.h"
#include <stdio.h>

void summary_print(FILE *out, const struct audit *a);
/* One-line verdict, e.g. "imei, phone_number and carrier sent in cleartext to CN". */
void summary_verdict(const struct audit *a, char *out, size_t outlen);

#endif
