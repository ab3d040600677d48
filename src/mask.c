/* mask.c - identifiers masked in report text: the matcher's hits in free text (host names,
 * URLs, DNS names), detector-rule values, and a leak's own identifier. */
#include "mask.h"
#include "identity.h"
#include "match.h"
#include <stdio.h>
#include <string.h>

#define MASK_MAX_SUSPECTED 4096  /* suspected values (detector rules) masked in free text */

static void mask_hit(void *arg, const struct match_hit *h)
{
	char *buf = arg, v[PH_MATCH_MAX_PATTERN + 1], m[PH_MATCH_MAX_PATTERN + 1];
	size_t n = h->end - h->start > PH_MATCH_MAX_PATTERN ? PH_MATCH_MAX_PATTERN : h->end - h->start;
	memcpy(v, buf + h->start, n);
	v[n] = 0;
	identity_mask(v, m, sizeof m);
	memcpy(buf + h->start, m, strlen(m));
}

void mask_text(const struct audit *a, const char *s, char *out, size_t outlen)
{
	if (!outlen)
		return;
	snprintf(out, outlen, "%s", s);
	if (a->o.show_identifiers || !out[0])
		return;
	if (a->m)
		match_scan(a->m, (const uint8_t *)out, strlen(out), mask_hit, out);
	const struct report *r = a->rep;  /* values found by rules, not in the identity */
	for (size_t i = 0; i < r->nleaks && i < MASK_MAX_SUSPECTED; i++) {
		const char *v = r->leaks[i].found;
		size_t n = strlen(v);
		if (!r->leaks[i].suspected || n < 4)
			continue;
		char m[sizeof r->leaks[i].found];
		identity_mask(v, m, sizeof m);
		for (char *p = strstr(out, v); p; p = strstr(p + n, v))
			memcpy(p, m, n);
	}
}

void mask_identifier(const struct audit *a, const struct report_leak *l, char *out, size_t outlen)
{
	char buf[512];
	out[0] = 0;
	if (l->suspected) {
		snprintf(buf, sizeof buf, "%s", l->found);
	} else if (!a->id) {
		return;
	} else if (l->kind == ID_LOCATION) {
		if (l->value_index >= a->id->nlocations)
			return;
		snprintf(buf, sizeof buf, "%s,%s", a->id->locations[l->value_index].lat_s,
			 a->id->locations[l->value_index].lon_s);
	} else {
		if (l->value_index >= a->id->nvalues)
			return;
		snprintf(buf, sizeof buf, "%s", a->id->values[l->value_index].value);
	}
	if (a->o.show_identifiers)
		snprintf(out, outlen, "%s", buf);
	else
		identity_mask(buf, out, outlen);
}
