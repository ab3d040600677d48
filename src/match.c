/* match.c - scan payload for identifier variants with one Hyperscan block-mode database.
 * Boundaries, de-duplication and location pairing are applied to the raw Hyperscan hits. */
#include "match.h"
#include "config.h"
#include "rules.h"
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
	hs_database_t *udb;          /* rule patterns scoped to HTTP units ("scope": "http") */
	hs_database_t *somdb;        /* rule patterns with start of match, run only around their hits */
	hs_scratch_t *scratch;
	size_t tailmax;              /* stream bytes kept: longest pattern + 1 */
	struct raw *hits;            /* grown, reused */
	size_t nhits, hitcap;
	uint8_t *sbuf;               /* tail + piece, grown, reused */
	size_t sbufcap;
	struct run_pat *runs;        /* digit-run rules matched without Hyperscan */
	size_t nruns;
	const struct matcher *parent; /* a clone (match_clone): databases and variants are the parent's */
};

/* Rules matched without Hyperscan, with the same hits (after accept()): a Hyperscan repeat or a
 * leading class over every byte cost more than the 1100 literal variants together.
 * A "[0-9]{min,max}" rule with a digit bound accepts whole runs of min to max digits, found by
 * looking at every min-th byte; the e-mail rule (EMAIL_RE, as in rules/detectors.json) is
 * found from each '@'. */
enum run_type { RUN_DIGITS, RUN_EMAIL };

#define EMAIL_RE "[A-Za-z0-9._%+\\-]+@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.[A-Za-z]{2,12}"

struct run_pat {
	unsigned pat, min, max;    /* max: the longest match (e-mail: the start window, max_len) */
	int unit_only;
	enum run_type type;
};

/* Which hits a scan may report (stream pieces overlap by the kept tail). */
struct window {
	size_t t;                    /* bytes of buf that are the previous piece's tail */
	int stream, flush;
	int unit;                    /* an HTTP unit or WebSocket message: the unit-only rules too */
};

/* Location pairing state of one scan or stream. */
struct locstate {
	uint32_t lat, lon, done;     /* seen before this scan, and reported */
	uint32_t nlat, nlon;         /* seen in this scan */
	size_t s[IDENTITY_MAX_LOCATIONS][2], e[IDENTITY_MAX_LOCATIONS][2];
};

struct matcher *match_compile(const struct identity *id, char *errbuf, size_t errlen)
{
	return match_compile_rules(id, NULL, errbuf, errlen);
}

/* Which patterns a database holds. */
enum set { SET_STREAM, SET_UNIT, SET_SOM };

/* Pattern i as a digit run (min, max), or 0 when it is not one. */
static int as_digit_run(const struct variant_pat *p, unsigned *min, unsigned *max)
{
	char tail;
	if (p->rule < 0 || p->bound != VB_DIGIT || (p->flags & HS_FLAG_CASELESS))
		return 0;
	if (sscanf(p->expr, "[0-9]{%u,%u%c", min, max, &tail) == 3 && tail == '}' && !p->expr[strcspn(p->expr, "}") + 1])
		return *min >= 1 && *min <= *max;
	if (sscanf(p->expr, "[0-9]{%u%c", min, &tail) == 2 && tail == '}' && !p->expr[strcspn(p->expr, "}") + 1]) {
		*max = *min;
		return *min >= 1;
	}
	return 0;
}

static void find_digit_runs(struct matcher *m)
{
	for (size_t i = 0; i < m->vs.n; i++) {
		const struct variant_pat *p = &m->vs.pats[i];
		unsigned lo, hi;
		enum run_type t = RUN_DIGITS;
		if (p->rule >= 0 && p->bound == VB_ALNUM && !(p->flags & HS_FLAG_CASELESS) && !strcmp(p->expr, EMAIL_RE)) {
			t = RUN_EMAIL;
			lo = 6;
			hi = p->max_len;
		} else if (!as_digit_run(p, &lo, &hi)) {
			continue;
		}
		m->runs = util_xrealloc(m->runs, (m->nruns + 1) * sizeof *m->runs);
		m->runs[m->nruns++] = (struct run_pat){ (unsigned)i, lo, hi, p->unit_only, t };
	}
}

static int is_run(const struct matcher *m, size_t i)
{
	for (size_t k = 0; k < m->nruns; k++)
		if (m->runs[k].pat == i)
			return 1;
	return 0;
}

/* Compile the patterns of one set into *db (NULL when the set is empty); 0 ok, -1 with errbuf. */
static int compile_set(struct matcher *m, enum set which, hs_database_t **db, char *errbuf, size_t errlen)
{
	size_t n = m->vs.n;
	const char **exprs = util_xcalloc(n + 1, sizeof *exprs);
	unsigned *flags = util_xcalloc(n + 1, sizeof *flags), *ids = util_xcalloc(n + 1, sizeof *ids), k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct variant_pat *p = &m->vs.pats[i];
		int som_rule = p->rule >= 0 && (p->flags & HS_FLAG_SOM_LEFTMOST);
		if ((which == SET_SOM ? !som_rule : (p->unit_only != (which == SET_UNIT))) || is_run(m, i))
			continue;
		exprs[k] = p->expr;
		/* the start of a regex match costs much: rule hits get theirs from SET_SOM later */
		flags[k] = which != SET_SOM && som_rule ? p->flags & ~(unsigned)HS_FLAG_SOM_LEFTMOST : p->flags;
		ids[k++] = (unsigned)i;
	}
	int rc = 0;
	hs_compile_error_t *ce = NULL;
	if (k && hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, db, &ce) != HS_SUCCESS) {
		int bad = ce ? ce->expression : -1;
		snprintf(errbuf, errlen, "hyperscan: pattern %d (%s): %s", bad,
			 bad >= 0 && (unsigned)bad < k ? exprs[bad] : "-", ce ? ce->message : "compile failed");
		hs_free_compile_error(ce);
		rc = -1;
	} else if (k && hs_alloc_scratch(*db, &m->scratch) != HS_SUCCESS) {
		snprintf(errbuf, errlen, "hyperscan: cannot allocate scratch space");
		rc = -1;
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

struct matcher *match_compile_rules(const struct identity *id, const struct rules *rules,
				    char *errbuf, size_t errlen)
{
	struct matcher *m = util_xcalloc(1, sizeof *m);
	variant_build(id, &m->vs);
	if (rules)
		rules_add_patterns(rules, &m->vs);
	for (size_t i = 0; i < m->vs.n; i++)
		if (m->vs.pats[i].max_len + 1u > m->tailmax)
			m->tailmax = m->vs.pats[i].max_len + 1u;
	find_digit_runs(m);
	if (compile_set(m, SET_STREAM, &m->db, errbuf, errlen) < 0 ||
	    compile_set(m, SET_UNIT, &m->udb, errbuf, errlen) < 0 ||
	    compile_set(m, SET_SOM, &m->somdb, errbuf, errlen) < 0) {
		match_free(m);
		return NULL;
	}
	return m;
}

struct matcher *match_clone(const struct matcher *m, char *errbuf, size_t errlen)
{
	struct matcher *c = util_xcalloc(1, sizeof *c);
	c->vs = m->vs;
	c->db = m->db;
	c->udb = m->udb;
	c->somdb = m->somdb;
	c->tailmax = m->tailmax;
	c->runs = m->runs;
	c->nruns = m->nruns;
	c->parent = m;
	if (m->scratch && hs_clone_scratch(m->scratch, &c->scratch) != HS_SUCCESS) {
		snprintf(errbuf, errlen, "hyperscan: cannot allocate scratch space");
		free(c);
		return NULL;
	}
	return c;
}

void match_free(struct matcher *m)
{
	if (!m)
		return;
	hs_free_scratch(m->scratch);
	if (!m->parent) {
		hs_free_database(m->db);
		hs_free_database(m->somdb);
		hs_free_database(m->udb);
		variant_set_free(&m->vs);
		free(m->runs);
	}
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

/* Room for one more raw hit; 0 when the cap is reached. */
static int hit_room(struct matcher *m)
{
	if (m->nhits == m->hitcap) {
		if (m->hitcap >= PH_MATCH_MAX_HITS)
			return 0;
		m->hitcap = m->hitcap ? 2 * m->hitcap : 64;
		m->hits = util_xrealloc(m->hits, m->hitcap * sizeof *m->hits);
	}
	return 1;
}

/* Hyperscan callback: collect; stop the scan when the cap is reached. */
static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
	struct matcher *m = ctx;
	(void)fl;
	if (!hit_room(m))
		return 1;
	const struct variant_pat *p = &m->vs.pats[id];
	size_t start = p->fixed_len ? (size_t)to - p->fixed_len : (size_t)from;
	if (p->rule >= 0 && !p->fixed_len)
		start = SIZE_MAX;  /* found later by start_of() */
	m->hits[m->nhits++] = (struct raw){ .pat = id, .start = start, .end = (size_t)to };
	return 0;
}

static int digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int letter(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int local_char(uint8_t c)  /* [A-Za-z0-9._%+-] */
{
	return letter(c) || digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int add_run_hit(struct matcher *m, unsigned pat, size_t s, size_t e)
{
	if (!hit_room(m))
		return 0;
	m->hits[m->nhits++] = (struct raw){ .pat = pat, .start = s, .end = e };
	return 1;
}

/* EMAIL_RE's hits with the '@' at a: every end after a label of 2 to 12 letters that follows a
 * dot and non-empty labels, not followed by a letter or digit (accept() drops those), each
 * from the leftmost start of the local part within the pattern's longest match. */
static size_t scan_email_at(struct matcher *m, const struct run_pat *r, const uint8_t *buf, size_t len, size_t a)
{
	size_t s = a;
	while (s > 0 && local_char(buf[s - 1]))
		s--;
	if (s == a)
		return a + 1;
	size_t e = a + 1, label = 0, labels = 0, tld = 0;  /* tld: letters since the last dot, or 0 */
	for (; e < len && (letter(buf[e]) || digit(buf[e]) || buf[e] == '-' || buf[e] == '.'); e++) {
		if (buf[e] == '.') {
			if (!label)
				break;  /* an empty label: no match goes further */
			labels++;
			label = 0;
			tld = 1;
			continue;
		}
		label++;
		tld = tld && letter(buf[e]) ? tld + 1 : 0;
		int end_here = e + 1 == len || !(letter(buf[e + 1]) || digit(buf[e + 1]));
		if (end_here && labels && tld >= 3 && tld <= 13) {
			size_t lo = e + 1 > r->max ? e + 1 - r->max : 0, st = s > lo ? s : lo;
			if (st < a && !add_run_hit(m, r->pat, st, e + 1))
				return len;
		}
	}
	return e > a + 1 ? e : a + 1;
}

static void scan_email(struct matcher *m, const struct run_pat *r, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		const uint8_t *at = memchr(buf + i, '@', len - i);
		if (!at)
			return;
		i = scan_email_at(m, r, buf, len, (size_t)(at - buf));
	}
}

/* Every whole run of r->min to r->max digits in buf: a run of min digits holds one of the
 * bytes looked at, every min-th; a longer run is no hit (a digit glues to any part of it). */
static void scan_runs(struct matcher *m, const struct run_pat *r, const uint8_t *buf, size_t len)
{
	for (size_t i = r->min - 1; i < len;) {
		if (!digit(buf[i])) {
			i += r->min;
			continue;
		}
		size_t s = i, e = i + 1;
		while (s > 0 && digit(buf[s - 1]))
			s--;
		while (e < len && digit(buf[e]))
			e++;
		if (e - s >= r->min && e - s <= r->max) {
			if (!hit_room(m))
				return;
			m->hits[m->nhits++] = (struct raw){ .pat = r->pat, .start = s, .end = e };
		}
		i = e + r->min;  /* the next run starts after e and covers this byte if long enough */
	}
}

/* Leftmost start of pattern pat ending at the window's end (somdb callback). */
struct som {
	unsigned pat;
	unsigned long long end, best;
};

static int on_som(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
	struct som *q = ctx;
	(void)fl;
	if (id == q->pat && to == q->end && from < q->best)
		q->best = from;
	return 0;
}

/* Start of a rule hit that the main scan found without one; SIZE_MAX when none. */
static size_t start_of(struct matcher *m, const uint8_t *buf, const struct raw *r)
{
	size_t max = m->vs.pats[r->pat].max_len, lo = r->end > max ? r->end - max : 0;
	struct som q = { .pat = r->pat, .end = r->end - lo, .best = ULLONG_MAX };
	hs_scan(m->somdb, (const char *)buf + lo, (unsigned)(r->end - lo), 0, m->scratch, on_som, &q);
	return q.best == ULLONG_MAX ? SIZE_MAX : lo + (size_t)q.best;
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
	if (px->rule != py->rule)
		return px->rule < py->rule ? -1 : 1;
	if (px->layers != py->layers)
		return px->layers < py->layers ? -1 : 1;
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
static void report_locations(const struct matcher *m, struct locstate *ls, const uint8_t *b, size_t len,
			     match_fn fn, void *arg)
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
		struct match_hit h = { .kind = ID_LOCATION, .value_index = i, .variant = variant_name(&m->vs, 0),
				       .rule = -1, .buf = b, .buflen = len, .start = s, .end = e };
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
	if ((!m->db && !(w->unit && m->udb) && !m->nruns) || len == 0)
		return;
	if (len > UINT_MAX)
		len = UINT_MAX;
	if (m->db)
		hs_scan(m->db, (const char *)buf, (unsigned)len, 0, m->scratch, on_hs, m);
	if (w->unit && m->udb)
		hs_scan(m->udb, (const char *)buf, (unsigned)len, 0, m->scratch, on_hs, m);
	for (size_t i = 0; i < m->nruns; i++) {
		if (m->runs[i].unit_only && !w->unit)
			continue;
		if (m->runs[i].type == RUN_EMAIL)
			scan_email(m, &m->runs[i], buf, len);
		else
			scan_runs(m, &m->runs[i], buf, len);
	}
	size_t k = 0;
	for (size_t i = 0; i < m->nhits; i++) {
		struct raw *r = &m->hits[i];
		if (r->start == SIZE_MAX) {
			unsigned b = m->vs.pats[r->pat].bound;
			if (r->end < len && glues(b, buf[r->end]) && glues(b, buf[r->end - 1]))
				continue;  /* glued on the right: accept() would drop it, skip the start search */
			if ((r->start = start_of(m, buf, r)) == SIZE_MAX)
				continue;
		}
		if (accept(&m->vs.pats[r->pat], buf, len, r, w))
			m->hits[k++] = *r;
	}
	if (k > 1)  /* qsort_r(NULL, 0, ...) is undefined */
		qsort_r(m->hits, k, sizeof *m->hits, cmp_hit, m->vs.pats);
	const struct variant_pat *last = NULL;
	size_t last_end = 0;
	for (size_t i = 0; i < k; i++) {
		const struct raw *r = &m->hits[i];
		const struct variant_pat *p = &m->vs.pats[r->pat];
		if (p->kind == ID_LOCATION && p->rule < 0) {
			note_coord(ls, p, r);
			continue;
		}
		/* one hit per value and end offset: the longest, e.g. "%2B91..." over "91..." */
		if (last && last_end == r->end && last->kind == p->kind && last->index == p->index &&
		    last->rule == p->rule)
			continue;
		last = p;
		last_end = r->end;
		struct match_hit h = { .kind = p->kind, .value_index = p->index,
				       .variant = variant_name(&m->vs, p->variant), .rule = p->rule,
				       .buf = buf, .buflen = len, .start = r->start, .end = r->end };
		fn(arg, &h);
	}
	report_locations(m, ls, buf, len, fn, arg);
}

void match_scan(struct matcher *m, const uint8_t *p, size_t len, match_fn fn, void *arg)
{
	struct window w = { 0 };
	struct locstate ls = { 0 };
	scan_core(m, p, len, &w, &ls, fn, arg);
}

void match_scan_unit(struct matcher *m, const uint8_t *p, size_t len, match_fn fn, void *arg)
{
	struct window w = { .unit = 1 };
	struct locstate ls = { 0 };
	scan_core(m, p, len, &w, &ls, fn, arg);
}

void match_stream_scan(struct matcher *m, struct match_stream *s, const uint8_t *p, size_t len,
		       match_fn fn, void *arg)
{
	if (!m->db && !m->nruns)
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
