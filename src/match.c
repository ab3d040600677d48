/* match.c - scan payload for identifier variants with one Hyperscan block-mode database.
 * Boundaries, de-duplication and location pairing are applied to the raw Hyperscan hits. */
#include "match.h"
#include "config.h"
#include "util.h"
#include "variant.h"
#include <ctype.h>
#include <hs/hs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct raw {
	uint32_t pat;
	size_t start, end;
};

struct matcher {
	struct variant_set vs;
	hs_database_t *db;
	hs_scratch_t *scratch;
	size_t tailmax;              /* stream bytes kept: longest pattern + 1 */
	struct raw *hits;            /* grown, reused */
	size_t nhits, hitcap;
	uint8_t *sbuf;               /* tail + piece, grown, reused */
	size_t sbufcap;
};

/* Which hits a scan may report (stream pieces overlap by the kept tail). */
struct window {
	size_t t;                    /* bytes of buf that are the previous piece's tail */
	int stream, flush;
};

/* Location pairing state of one scan or stream. */
struct locstate {
	uint32_t lat, lon, done;     /* seen before this scan, and reported */
	uint32_t nlat, nlon;         /* seen in this scan */
	size_t s[IDENTITY_MAX_LOCATIONS][2], e[IDENTITY_MAX_LOCATIONS][2];
};

struct matcher *match_compile(const struct identity *id, char *errbuf, size_t errlen)
{
	struct matcher *m = util_xcalloc(1, sizeof *m);
	variant_build(id, &m->vs);
	size_t n = m->vs.n;
	if (n == 0)
		return m;
	const char **exprs = util_xcalloc(n, sizeof *exprs);
	unsigned *flags = util_xcalloc(n, sizeof *flags), *ids = util_xcalloc(n, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		exprs[i] = m->vs.pats[i].expr;
		flags[i] = m->vs.pats[i].flags;
		ids[i] = (unsigned)i;
		if (m->vs.pats[i].max_len + 1u > m->tailmax)
			m->tailmax = m->vs.pats[i].max_len + 1u;
	}
	hs_compile_error_t *ce = NULL;
	hs_error_t rc = hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &m->db, &ce);
	if (rc != HS_SUCCESS) {
		int bad = ce ? ce->expression : -1;
		snprintf(errbuf, errlen, "hyperscan: pattern %d (%s): %s", bad,
			 bad >= 0 && (size_t)bad < n ? exprs[bad] : "-", ce ? ce->message : "compile failed");
		hs_free_compile_error(ce);
	} else if (hs_alloc_scratch(m->db, &m->scratch) != HS_SUCCESS) {
		snprintf(errbuf, errlen, "hyperscan: cannot allocate scratch space");
		rc = HS_NOMEM;
	}
	free(exprs);
	free(flags);
	free(ids);
	if (rc != HS_SUCCESS) {
		match_free(m);
		return NULL;
	}
	return m;
}

void match_free(struct matcher *m)
{
	if (!m)
		return;
	hs_free_scratch(m->scratch);
	hs_free_database(m->db);
	variant_set_free(&m->vs);
	free(m->hits);
	free(m->sbuf);
	free(m);
}

size_t match_pattern_count(const struct matcher *m)
{
	return m ? m->vs.n : 0;
}

size_t match_skipped_count(const struct matcher *m)
{
	return m ? m->vs.skipped : 0;
}

/* Hyperscan callback: collect; stop the scan when the cap is reached. */
static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
	struct matcher *m = ctx;
	(void)fl;
	if (m->nhits == m->hitcap) {
		if (m->hitcap >= PH_MATCH_MAX_HITS)
			return 1;
		m->hitcap = m->hitcap ? 2 * m->hitcap : 64;
		m->hits = util_xrealloc(m->hits, m->hitcap * sizeof *m->hits);
	}
	const struct variant_pat *p = &m->vs.pats[id];
	size_t start = p->fixed_len ? (size_t)to - p->fixed_len : (size_t)from;
	m->hits[m->nhits++] = (struct raw){ .pat = id, .start = start, .end = (size_t)to };
	return 0;
}

/* Would byte c glue onto a value of this bound class? */
static int glues(unsigned bound, uint8_t c)
{
	return bound == VB_DIGIT ? isdigit(c) != 0 : bound == VB_ALNUM ? isalnum(c) != 0 : 0;
}

/* Boundary and window checks of one raw hit. */
static int accept(const struct variant_pat *p, const uint8_t *b, size_t len, const struct raw *r,
		  const struct window *w)
{
	size_t s = r->start, e = r->end;
	int rcheck = glues(p->bound, b[e - 1]);
	if (w->flush) {
		if (!rcheck || e != len)
			return 0;
	} else if (w->stream) {
		/* a right-checked hit at the very end waits for the next byte */
		if (rcheck ? (e == len || e < w->t) : e <= w->t)
			return 0;
	}
	if (rcheck && e < len && glues(p->bound, b[e]))
		return 0;
	if (s == 0)
		return 1;
	uint8_t c = b[s - 1];
	if (p->bound == VB_COORD)
		return !isdigit(c) && c != '.' && !(c == '-' && b[s] != '-');
	return !(glues(p->bound, b[s]) && glues(p->bound, c));
}

/* Order: end, kind, value, longest first, variant. */
static int cmp_hit(const void *a, const void *b, void *ctx)
{
	const struct raw *x = a, *y = b;
	const struct variant_pat *pats = ctx, *px = &pats[x->pat], *py = &pats[y->pat];
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (px->kind != py->kind)
		return px->kind < py->kind ? -1 : 1;
	if (px->index != py->index)
		return px->index < py->index ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (px->variant != py->variant)
		return px->variant < py->variant ? -1 : 1;
	return x->pat < y->pat ? -1 : x->pat > y->pat;
}

/* Remember a coordinate seen in this scan (first occurrence gives the span). */
static void note_coord(struct locstate *ls, const struct variant_pat *p, const struct raw *r)
{
	uint32_t bit = 1u << p->index;
	int c = p->coord == 1 ? 0 : 1;
	uint32_t *mask = c ? &ls->nlon : &ls->nlat;
	if (*mask & bit)
		return;
	*mask |= bit;
	ls->s[p->index][c] = r->start;
	ls->e[p->index][c] = r->end;
}

/* Report locations whose both coordinates are now known and one was seen in this scan. */
static void report_locations(struct locstate *ls, const uint8_t *b, size_t len, match_fn fn, void *arg)
{
	uint32_t now = ls->nlat | ls->nlon;
	uint32_t both = (ls->lat | ls->nlat) & (ls->lon | ls->nlon) & now & ~ls->done;
	for (unsigned i = 0; i < IDENTITY_MAX_LOCATIONS; i++) {
		uint32_t bit = 1u << i;
		if (!(both & bit))
			continue;
		size_t s = SIZE_MAX, e = 0;
		for (int c = 0; c < 2; c++) {
			if (!((c ? ls->nlon : ls->nlat) & bit))
				continue;
			if (ls->s[i][c] < s)
				s = ls->s[i][c];
			if (ls->e[i][c] > e)
				e = ls->e[i][c];
		}
		struct match_hit h = { .kind = ID_LOCATION, .value_index = i, .variant = variant_name(VAR_PLAIN),
				       .buf = b, .buflen = len, .start = s, .end = e };
		fn(arg, &h);
		ls->done |= bit;
	}
	ls->lat |= ls->nlat;
	ls->lon |= ls->nlon;
}

/* Scan buf, filter and order the hits, report them. */
static void scan_core(struct matcher *m, const uint8_t *buf, size_t len, const struct window *w,
		      struct locstate *ls, match_fn fn, void *arg)
{
	m->nhits = 0;
	if (!m->db || len == 0)
		return;
	if (len > UINT_MAX)
		len = UINT_MAX;
	hs_scan(m->db, (const char *)buf, (unsigned)len, 0, m->scratch, on_hs, m);
	size_t k = 0;
	for (size_t i = 0; i < m->nhits; i++)
		if (accept(&m->vs.pats[m->hits[i].pat], buf, len, &m->hits[i], w))
			m->hits[k++] = m->hits[i];
	if (k > 1)  /* qsort_r(NULL, 0, ...) is undefined */
		qsort_r(m->hits, k, sizeof *m->hits, cmp_hit, m->vs.pats);
	const struct variant_pat *last = NULL;
	size_t last_end = 0;
	for (size_t i = 0; i < k; i++) {
		const struct raw *r = &m->hits[i];
		const struct variant_pat *p = &m->vs.pats[r->pat];
		if (p->kind == ID_LOCATION) {
			note_coord(ls, p, r);
			continue;
		}
		/* one hit per value and end offset: the longest, e.g. "%2B91..." over "91..." */
		if (last && last_end == r->end && last->kind == p->kind && last->index == p->index)
			continue;
		last = p;
		last_end = r->end;
		struct match_hit h = { .kind = p->kind, .value_index = p->index, .variant = variant_name(p->variant),
				       .buf = buf, .buflen = len, .start = r->start, .end = r->end };
		fn(arg, &h);
	}
	report_locations(ls, buf, len, fn, arg);
}

void match_scan(struct matcher *m, const uint8_t *p, size_t len, match_fn fn, void *arg)
{
	struct window w = { 0 };
	struct locstate ls = { 0 };
	scan_core(m, p, len, &w, &ls, fn, arg);
}

void match_stream_scan(struct matcher *m, struct match_stream *s, const uint8_t *p, size_t len,
		       match_fn fn, void *arg)
{
	if (!m->db)
		return;
	struct locstate ls = { .lat = s->loc_lat, .lon = s->loc_lon, .done = s->loc_done };
	if (len == 0) {
		struct window w = { .t = s->taillen, .stream = 1, .flush = 1 };
		if (s->taillen)
			scan_core(m, s->tail, s->taillen, &w, &ls, fn, arg);
		s->taillen = 0;
		return;
	}
	if (!s->tail)
		s->tail = util_xmalloc(m->tailmax);
	size_t t = s->taillen, n = t + len;
	if (n > m->sbufcap) {
		m->sbufcap = n;
		m->sbuf = util_xrealloc(m->sbuf, n);
	}
	memcpy(m->sbuf, s->tail, t);
	memcpy(m->sbuf + t, p, len);
	struct window w = { .t = t, .stream = 1 };
	scan_core(m, m->sbuf, n, &w, &ls, fn, arg);
	size_t keep = n < m->tailmax ? n : m->tailmax;
	memcpy(s->tail, m->sbuf + n - keep, keep);
	s->taillen = (uint16_t)keep;
	s->loc_lat = ls.lat;
	s->loc_lon = ls.lon;
	s->loc_done = ls.done;
}

void match_stream_free(struct match_stream *s)
{
	free(s->tail);
	memset(s, 0, sizeof *s);
}
