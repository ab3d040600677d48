/* summary.h - the human summary on stdout: foreign destinations, leaks, verdict. */
#ifndef PH_SUMMARY_H
#define PH_SUMMARY_H
#include "audit.h"
#include <stdio.h>

void summary_print(FILE *out, const struct audit *a);
/* One-line verdict, e.g. "IMEI, the phone's number and its carrier; the numbers of 34 contacts and 2
 * of their names; another person's number sent in cleartext to servers in China". */
void summary_verdict(const struct audit *a, char *out, size_t outlen);
/* What was sent, the verdict's words: the phone's own identifiers, then each kind of other
 * people's data, then those whose owner is unknown, "; " between the groups. foreign_only:
 * only what went to foreign servers. */
void summary_what(const struct audit *a, int foreign_only, char *out, size_t outlen);
/* "3 (2 of the phone's own identifiers, 1 of other people's data[, N whose owner is unknown])". */
void summary_findings_count(const struct report *r, char *out, size_t outlen);
/* --accept: "2 accepted findings, see WHERE" into out and 1, or "" and 0 when none is. */
int summary_accepted(const struct report *r, const char *where, char *out, size_t outlen);
/* "the phone", "other people", "unknown" for an enum report_subject. */
const char *summary_subject_label(int subject);
/* "IMEI", "phone number", "contact", ... for a kind (enum id_kind). */
const char *summary_kind_label(int kind);
/* "China", "the United States", ...; the code itself for a country without a name here. */
const char *summary_country_name(const char *cc);

#endif
