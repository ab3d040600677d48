/* summary.h - the human summary on stdout: foreign destinations, leaks, verdict. */
#ifndef PH_SUMMARY_H
#define PH_SUMMARY_H
#include "audit.h"
#include "identity.h"
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
/* One app of the report (app.c): its flows, foreign ones and their countries, bytes sent, leaks. */
struct summary_app {
	int32_t uid;
	uint8_t src;                   /* enum app_source */
	uint64_t flows, foreign, bytes, leaks, foreign_leaks;  /* foreign_leaks: not accepted */
	uint64_t kinds[ID__COUNT];     /* leaks by kind */
	char countries[48];            /* of its foreign flows: "CN, US" */
};
/* The apps of the report's flows, most foreign leaks first, into *out (free it); the count. */
size_t summary_apps(const struct report *r, struct summary_app **out);
/* The cells of an app's row in the reports' Apps tables (HTML, Markdown): each writer escapes them. */
struct summary_app_cells {
	int hint;                      /* a hint's app: no uid shown */
	const char *package, *name, *source;  /* "-" when unknown */
	const char *origin;            /* a hint's: where it was found ("User-Agent"), or NULL */
	char kinds[256];               /* its leaks by kind, or "none" */
};
void summary_app_cells(const struct report *r, const struct summary_app *w, struct summary_app_cells *c);
/* "imei 2, phone_number 1" for an app's leaks. */
void summary_app_kinds(const struct summary_app *w, char *out, size_t outlen);
/* How the verdict names an app: its name, else its package, else "the app of uid N". */
void summary_app_label(const struct report *r, int32_t uid, uint8_t src, char *out, size_t outlen);
/* "the phone", "other people", "unknown" for an enum report_subject. */
const char *summary_subject_label(int subject);
/* "IMEI", "phone number", "contact", ... for a kind (enum id_kind). */
const char *summary_kind_label(int kind);
/* "China", "the United States", ...; the code itself for a country without a name here. */
const char *summary_country_name(const char *cc);

#endif
