/* findings.h - one finding per upload: the hits of one kind and subject in one message of a
 * flow direction, grouped in the report layer once the workers' reports are merged and sorted. */
#ifndef PH_FINDINGS_H
#define PH_FINDINGS_H
#include "identity.h"
#include "report.h"
#include <stdint.h>

/* Fills r->findings and r->fidx and each leak's finding id from r->leaks (sorted, rated);
 * id may be NULL. mask: the values rule hits found are masked in the evidence of the other hits
 * of their finding too. Replaces what an earlier call built. */
void findings_build(struct report *r, const struct identity *id, int mask);
/* Which identifier a leak is, for counting distinct ones: an identity value (a contact by its
 * entry: name and number are one person), or a rule hit's value as found. */
uint64_t findings_value_key(const struct identity *id, const struct report_leak *l);
/* What a contact leak sent: 0 a number, 1 a name, 2 an e-mail address. */
int findings_contact_field(const struct identity *id, const struct report_leak *l);

/* The identifier a leak matched ("" when unknown), masked unless show. */
void findings_identifier(const struct identity *id, int show, const struct report_leak *l, char *out, size_t outlen);
/* A finding's distinct identifiers, confirmed first, in hit order: fn gets each one's text
 * (a contact's name and number together, " / " between them) and whether it is the identity's. */
void findings_identifiers(const struct report *r, const struct identity *id, int show, const struct report_finding *f,
			  void (*fn)(void *arg, const char *text, int confirmed), void *arg);
/* Its hits' distinct places ("url", "url,body"). */
void findings_where(const struct report *r, const struct report_finding *f, char *out, size_t outlen);

#endif
