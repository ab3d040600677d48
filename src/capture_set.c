/* capture_set.c - the capture files -r names, in the order they are read; a pattern's
 * matches sorted by their first packet's time, then by version (raw.pcap, raw.pcap1, ...). */
#include "capture_set.h"
#include "capture.h"
#include "config.h"
#include "util.h"
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add(struct capture_set *l, const char *path, char *owned, char *errbuf, size_t errlen)
{
	if (l->n == PH_MAX_INPUTS) {
		snprintf(errbuf, errlen, "-r: more than %s inputs", PH_MAX_INPUTS_TEXT);
		free(owned);
		return -1;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->paths = util_xrealloc(l->paths, l->cap * sizeof *l->paths);
		l->owned = util_xrealloc(l->owned, l->cap * sizeof *l->owned);
	}
	l->paths[l->n++] = path;
	if (owned)
		l->owned[l->nowned++] = owned;
	return 0;
}

int capture_set_add(struct capture_set *l, const char *path, char *errbuf, size_t errlen)
{
	return add(l, path, NULL, errbuf, errlen);
}

struct match {
	char *path;
	uint64_t first_us;             /* its first packet's time; UINT64_MAX none (files without packets last) */
};

static int cmp_capture_order(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return strverscmp(x->path, y->path);
}

int capture_set_glob(struct capture_set *l, const char *pattern, char *errbuf, size_t errlen)
{
	glob_t g;
	int rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc != 0) {
		snprintf(errbuf, errlen, "-r %s: %s", pattern, rc == GLOB_NOMATCH ? "no file matches" : "cannot expand the pattern");
		globfree(&g);
		return -1;
	}
	struct match *m = util_xcalloc(g.gl_pathc, sizeof *m);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		m[i].path = g.gl_pathv[i];
		if (capture_first_time(m[i].path, &m[i].first_us) < 0)
			m[i].first_us = UINT64_MAX;
	}
	qsort(m, g.gl_pathc, sizeof *m, cmp_capture_order);
	rc = 0;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
		char *path = util_xstrdup(m[i].path);
		rc = add(l, path, path, errbuf, errlen);
	}
	free(m);
	globfree(&g);
	return rc;
}

void capture_set_free(struct capture_set *l)
{
	for (size_t i = 0; i < l->nowned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->paths);
	memset(l, 0, sizeof *l);
}
