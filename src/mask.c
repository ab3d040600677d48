/* mask.c - identifiers masked in report text: the matcher's hits in free text (host names,
 * URLs, DNS names), detector-rule values, and a leak's own identifier. */
#include "mask.h"
#include "identity.h"
#include "match.h"
#include "util.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK_MAX_SUSPECTED 4096  /* suspected values (detector rules) masked in free text */

struct mask_value {              /* a detector rule's value, with its masked form */
	const char *v;               /* the leak's found[] (the report outlives the masker) */
	size_t n;
	uint32_t head;               /* its first 4 bytes */
	char m[sizeof ((struct report_leak *)0)->found];
};

#define MASK_HEAD_BITS 16        /* the filter of first-4-byte hashes: 8 KiB */

struct mask {
	struct matcher *m;           /* a clone of the audit's: this writer's own scratch; NULL none */
	int show;                    /* --show-identifiers: nothing is masked */
	struct mask_value *sus;      /* distinct suspected values of 4 bytes or more, by head */
	size_t nsus;
	uint64_t heads[(1u << MASK_HEAD_BITS) / 64];  /* hashes of their heads */
};

/* One text being masked: s as read, out written only once something is found. */
struct mask_run {
	const char *s;
	char *out;
	size_t n;                    /* bytes of s looked at (s may be longer than out) */
	int copied;                  /* out holds s[0, n) */
};

static void run_copy(struct mask_run *r)
{
	if (r->copied)
		return;
	memcpy(r->out, r->s, r->n);
	r->out[r->n] = 0;
	r->copied = 1;
}

/* Masks out[start, end) as identity_mask masks a value of that length. */
static void run_mask(struct mask_run *r, size_t start, size_t end)
{
	char v[PH_MATCH_MAX_PATTERN + 1], m[PH_MATCH_MAX_PATTERN + 1];
	if (start >= end || end > r->n)  /* a hit outside the text scanned */
		return;
	size_t n = end - start > PH_MATCH_MAX_PATTERN ? PH_MATCH_MAX_PATTERN : end - start;
	run_copy(r);
	memcpy(v, r->out + start, n);
	v[n] = 0;
	identity_mask(v, m, sizeof m);
	memcpy(r->out + start, m, strlen(m));
}

static void run_hit(void *arg, const struct match_hit *h)
{
	run_mask(arg, h->start, h->end);
}

static uint32_t head_of(const char *p)
{
	uint32_t h;
	memcpy(&h, p, 4);
	return h;
}

static uint32_t head_hash(uint32_t h)
{
	return (h * 2654435761u) >> (32 - MASK_HEAD_BITS);
}

/* The suspected values at each offset, looked up by their first 4 bytes: a filter, then a
 * binary search, so a host name costs the same with 4000 distinct values as with one. */
static void run_suspected_at(struct mask_run *r, const struct mask *k)
{
	for (size_t i = 0; i + 4 <= r->n; i++) {
		const char *t = r->copied ? r->out : r->s;
		uint32_t h = head_of(t + i), x = head_hash(h);
		if (!(k->heads[x / 64] >> (x % 64) & 1))
			continue;
		size_t lo = 0, hi = k->nsus;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (k->sus[mid].head < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < k->nsus && k->sus[lo].head == h; lo++) {
			const struct mask_value *v = &k->sus[lo];
			if (v->n <= r->n - i && !memcmp(t + i, v->v, v->n)) {
				run_copy(r);
				memcpy(r->out + i, v->m, v->n);
				break;
			}
		}
	}
}

/* Every occurrence of the suspected values, in the text as masked so far. */
static void run_suspected(struct mask_run *r, const struct mask_value *sus, size_t nsus)
{
	for (size_t i = 0; i < nsus; i++) {
		const struct mask_value *x = &sus[i];
		if (x->n > r->n)
			continue;
		const char *t = r->copied ? r->out : r->s;
		const char *p = memmem(t, r->n, x->v, x->n);
		if (!p)
			continue;
		run_copy(r);
		for (size_t at = (size_t)(p - t); at + x->n <= r->n;) {
			memcpy(r->out + at, x->m, x->n);
			p = memmem(r->out + at + x->n, r->n - at - x->n, x->v, x->n);
			if (!p)
				break;
			at = (size_t)(p - r->out);
		}
	}
}

static int cmp_value(const void *x, const void *y)
{
	const struct mask_value *a = x, *b = y;
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	return strcmp(a->v, b->v);
}

/* The distinct values detector rules found (among the first MASK_MAX_SUSPECTED leaks). */
static void collect_suspected(struct mask *k, const struct report *r)
{
	size_t n = r->nleaks < MASK_MAX_SUSPECTED ? r->nleaks : MASK_MAX_SUSPECTED;
	k->sus = util_xcalloc(n + 1, sizeof *k->sus);
	for (size_t i = 0; i < n; i++) {
		const struct report_leak *l = &r->leaks[i];
		size_t len = strnlen(l->found, sizeof l->found);
		if (!l->suspected || len < 4 || len == sizeof l->found)
			continue;
		k->sus[k->nsus++] = (struct mask_value){ .v = l->found, .n = len, .head = head_of(l->found) };
	}
	if (k->nsus)
		qsort(k->sus, k->nsus, sizeof *k->sus, cmp_value);
	size_t u = 0;
	for (size_t i = 0; i < k->nsus; i++)
		if (!u || strcmp(k->sus[u - 1].v, k->sus[i].v))
			k->sus[u++] = k->sus[i];
	k->nsus = u;
	for (size_t i = 0; i < u; i++) {
		uint32_t x = head_hash(k->sus[i].head);
		k->heads[x / 64] |= 1ull << (x % 64);
		identity_mask(k->sus[i].v, k->sus[i].m, sizeof k->sus[i].m);
	}
}

struct mask *mask_open(const struct audit *a, char *errbuf, size_t errlen)
{
	struct mask *k = util_xcalloc(1, sizeof *k);
	k->show = a->o.show_identifiers;
	if (k->show)
		return k;
	if (a->m && !(k->m = match_clone(a->m, errbuf, errlen))) {
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	if (a->rep)
		collect_suspected(k, a->rep);
	return k;
}

void mask_free(struct mask *k)
{
	if (!k)
		return;
	match_free(k->m);
	free(k->sus);
	free(k);
}

const char *mask_str(struct mask *k, const char *s, char *out, size_t outlen)
{
	if (k->show || !s[0] || !outlen || (!k->m && !k->nsus))
		return s;
	struct mask_run r = { .s = s, .out = out, .n = strlen(s) };
	if (r.n >= outlen) {  /* cut to out first, as mask_text does: nothing unscanned is returned */
		r.n = outlen - 1;
		run_copy(&r);
		r.s = out;
	}
	if (k->m)
		match_scan(k->m, (const uint8_t *)r.s, r.n, run_hit, &r);
	if (k->nsus)
		run_suspected_at(&r, k);
	return r.copied ? out : s;
}

void mask_text(const struct audit *a, const char *s, char *out, size_t outlen)
{
	if (!outlen)
		return;
	if (a->mask && !a->o.show_identifiers) {  /* the writer's: rule values gathered once */
		const char *m = mask_str(a->mask, s, out, outlen);
		if (m != out)
			snprintf(out, outlen, "%s", m);
		return;
	}
	snprintf(out, outlen, "%s", s);
	if (a->o.show_identifiers || !out[0])
		return;
	struct mask_run r = { .s = out, .out = out, .n = strlen(out), .copied = 1 };
	if (a->m)
		match_scan(a->m, (const uint8_t *)out, r.n, run_hit, &r);
	const struct report *rep = a->rep;  /* values found by rules, not in the identity */
	for (size_t i = 0; rep && i < rep->nleaks && i < MASK_MAX_SUSPECTED; i++) {
		const struct report_leak *l = &rep->leaks[i];
		size_t n = strnlen(l->found, sizeof l->found);
		if (!l->suspected || n < 4 || n == sizeof l->found)
			continue;
		struct mask_value x = { .v = l->found, .n = n };
		identity_mask(x.v, x.m, sizeof x.m);
		run_suspected(&r, &x, 1);
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
