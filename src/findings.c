/* findings.c - groups leaks into findings: the hits of one kind and subject in one message (an
 * HTTP request, a WebSocket message, a stream piece, a datagram) of one flow direction become one
 * finding with a count of distinct identifiers, the identity's (confirmed) hits first. */
#include "findings.h"
#include "util.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entry of the contact whose value vi is: entries are name, phone, email in list order. */
static size_t contact_entry(const struct identity *id, size_t vi)
{
	static const char *order[] = { "name", "phone", "email" };
	size_t entry = 0;
	int last = 99;
	for (size_t i = 0; i < id->nvalues && i <= vi; i++) {
		if (id->values[i].kind != ID_CONTACT)
			continue;
		int f = 0;
		while (f < 3 && (!id->values[i].field || strcmp(id->values[i].field, order[f])))
			f++;
		if (f <= last && last != 99)
			entry++;
		last = f;
	}
	return entry;
}

uint64_t findings_value_key(const struct identity *id, const struct report_leak *l)
{
	if (!l->suspected) {
		uint64_t v = l->kind == ID_CONTACT && id && l->value_index < id->nvalues ? contact_entry(id, l->value_index)
											: l->value_index;
		return (uint64_t)l->kind << 40 | v;
	}
	uint64_t h = 0xcbf29ce484222325ull;  /* FNV-1a of the letters and digits, lower-cased */
	for (const char *s = l->found; *s; s++)
		if (isalnum((unsigned char)*s))
			h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 0x100000001b3ull;
	return h | 1ull << 63;
}

int findings_contact_field(const struct identity *id, const struct report_leak *l)
{
	if (!l->suspected && id && l->value_index < id->nvalues && id->values[l->value_index].field) {
		const char *f = id->values[l->value_index].field;
		return !strcmp(f, "name") ? 1 : !strcmp(f, "email") ? 2 : 0;
	}
	return strchr(l->found, '@') ? 2 : 0;
}

/* The grouping key of a leak. */
static uint64_t group_hash(const struct report_leak *l)
{
	uint64_t h = l->flow_id * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)l->msg << 20 | (uint64_t)l->dir << 16 | (uint64_t)l->kind << 8 | l->subject) * 0xff51afd7ed558ccdull;
	return h ^ h >> 29;
}

static int same_group(const struct report_leak *a, const struct report_leak *b)
{
	return a->flow_id == b->flow_id && a->dir == b->dir && a->msg == b->msg && a->kind == b->kind &&
	       a->subject == b->subject;
}

/* Other people's values found beside a hit (an address book's other numbers, which no identity
 * pattern masks) masked in its evidence too. */
static void mask_neighbours(struct report *r, const struct report_finding *f, const size_t *fidx)
{
	for (size_t a = 0; a < f->n; a++) {
		char *ev = r->leaks[fidx[f->first + a]].evidence;
		for (size_t b = 0; ev && b < f->n; b++) {
			const char *v = r->leaks[fidx[f->first + b]].found;
			size_t n = strlen(v);
			if (n < 4 || !r->leaks[fidx[f->first + b]].suspected)
				continue;
			char m[sizeof r->leaks[0].found];
			identity_mask(v, m, sizeof m);
			for (char *p = strstr(ev, v); p; p = strstr(p + n, v))
				memcpy(p, m, n);
		}
	}
}

void findings_build(struct report *r, const struct identity *id, int mask)
{
	free(r->findings);
	free(r->fidx);
	size_t cap = 16;
	while (cap < 2 * r->nleaks)
		cap *= 2;
	size_t *slot = util_xcalloc(cap, sizeof *slot);  /* finding index + 1, 0 empty */
	size_t *group = util_xcalloc(r->nleaks + 1, sizeof *group);
	struct report_finding *fs = util_xcalloc(r->nleaks + 1, sizeof *fs);
	size_t nf = 0;
	for (size_t i = 0; i < r->nleaks; i++) {  /* findings in order of their first hit */
		struct report_leak *l = &r->leaks[i];
		size_t j = (size_t)group_hash(l) & (cap - 1);
		while (slot[j] && !same_group(&r->leaks[fs[slot[j] - 1].first], l))
			j = (j + 1) & (cap - 1);
		if (!slot[j]) {
			fs[nf] = (struct report_finding){ .id = (uint32_t)(nf + 1), .kind = l->kind, .subject = l->subject,
							  .flow_id = l->flow_id, .ts_us = l->ts_us, .dir = l->dir, .first = i };
			slot[j] = ++nf;
		}
		struct report_finding *f = &fs[slot[j] - 1];
		group[i] = slot[j] - 1;
		f->n++;
		f->confirmed += !l->suspected;  /* hits for now; distinct identifiers below */
		f->severity = l->severity > f->severity ? l->severity : f->severity;
		f->foreign |= l->foreign;
		f->encrypted |= l->encrypted;
		f->decrypted |= l->decrypted;
		l->finding = f->id;
	}
	free(slot);
	size_t *fill = util_xcalloc(nf + 1, sizeof *fill), pos = 0;
	for (size_t k = 0; k < nf; k++) {  /* confirmed hits first, each part in leak order */
		fill[k] = pos;
		pos += fs[k].n;
	}
	size_t *fidx = util_xcalloc(r->nleaks + 1, sizeof *fidx);
	size_t *conf_end = util_xcalloc(nf + 1, sizeof *conf_end);
	for (size_t k = 0; k < nf; k++) {
		conf_end[k] = fill[k] + fs[k].confirmed;
		fs[k].first = fill[k];
	}
	for (size_t i = 0; i < r->nleaks; i++) {
		size_t k = group[i];
		if (!r->leaks[i].suspected)
			fidx[fill[k]++] = i;
		else
			fidx[conf_end[k]++] = i;
	}
	for (size_t k = 0; k < nf; k++) {  /* distinct identifiers, and of them the identity's */
		struct report_finding *f = &fs[k];
		uint64_t *keys = util_xmalloc((f->n + 1) * sizeof *keys);
		uint32_t count = 0, confirmed = 0;
		for (size_t a = 0; a < f->n; a++) {
			const struct report_leak *l = &r->leaks[fidx[f->first + a]];
			uint64_t key = findings_value_key(id, l);
			size_t b = 0;
			while (b < count && keys[b] != key)
				b++;
			if (b == count) {
				keys[count++] = key;
				confirmed += !l->suspected;
			}
		}
		f->count = count;
		f->confirmed = confirmed;
		free(keys);
	}
	for (size_t k = 0; k < nf && mask; k++)
		mask_neighbours(r, &fs[k], fidx);
	free(conf_end);
	free(fill);
	free(group);
	r->findings = fs;
	r->nfindings = nf;
	r->fidx = fidx;
}

void findings_identifier(const struct identity *id, int show, const struct report_leak *l, char *out, size_t outlen)
{
	char buf[512];
	out[0] = 0;
	if (l->suspected) {
		snprintf(buf, sizeof buf, "%s", l->found);
	} else if (!id) {
		return;
	} else if (l->kind == ID_LOCATION) {
		if (l->value_index >= id->nlocations)
			return;
		snprintf(buf, sizeof buf, "%s,%s", id->locations[l->value_index].lat_s, id->locations[l->value_index].lon_s);
	} else {
		if (l->value_index >= id->nvalues)
			return;
		snprintf(buf, sizeof buf, "%s", id->values[l->value_index].value);
	}
	if (show)
		snprintf(out, outlen, "%s", buf);
	else
		identity_mask(buf, out, outlen);
}

#define ID_TEXT 256  /* one identifier's text in findings_identifiers */

void findings_identifiers(const struct report *r, const struct identity *id, int show, const struct report_finding *f,
			  void (*fn)(void *arg, const char *text, int confirmed), void *arg)
{
	uint64_t *keys = util_xmalloc((f->n + 1) * sizeof *keys);
	char (*text)[ID_TEXT] = util_xmalloc((f->n + 1) * sizeof *text);
	uint8_t *conf = util_xmalloc(f->n + 1);
	size_t n = 0;
	for (size_t a = 0; a < f->n; a++) {
		const struct report_leak *l = &r->leaks[r->fidx[f->first + a]];
		char one[ID_TEXT];
		findings_identifier(id, show, l, one, sizeof one);
		if (!one[0])
			continue;
		uint64_t key = findings_value_key(id, l);
		size_t b = 0;
		while (b < n && keys[b] != key)
			b++;
		if (b == n) {
			keys[n] = key;
			conf[n] = !l->suspected;
			snprintf(text[n++], ID_TEXT, "%s", one);
		} else if (!strstr(text[b], one)) {  /* another field of the same contact */
			size_t len = strlen(text[b]);
			snprintf(text[b] + len, ID_TEXT - len, " / %s", one);
		}
	}
	for (size_t b = 0; b < n; b++)
		fn(arg, text[b], conf[b]);
	free(conf);
	free(text);
	free(keys);
}

void findings_where(const struct report *r, const struct report_finding *f, char *out, size_t outlen)
{
	unsigned seen = 0;
	out[0] = 0;
	for (size_t a = 0; a < f->n; a++) {
		int w = r->leaks[r->fidx[f->first + a]].where;
		if (w < 0 || w > 31 || seen & 1u << w)
			continue;
		seen |= 1u << w;
		size_t len = strlen(out);
		snprintf(out + len, outlen - len, "%s%s", len ? "," : "", report_where_name(w));
	}
}
