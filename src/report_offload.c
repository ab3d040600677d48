/* report_offload.c - ended flows' leaks out of memory while a capture file is read: every
 * PH_LEAKS_OFFLOAD leaks, the flows that ended with leaks and their leaks (evidence and all)
 * go to an unlinked temporary file, and come back before the report is sorted. What stays in
 * memory is the leaks of the flows still open. */
#include "config.h"
#include "report.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REC_FLOW = 'F', REC_LEAK = 'L' };

static int put(struct report *r, const void *p, size_t n)
{
	if (fwrite(p, 1, n, r->leaks_out) == n)
		return 1;
	if (!r->offload_err[0])
		snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot write (disk full?)");
	return 0;
}

/* Ids of the ended flows with leaks, in a hash set (0 empty; ids are frame numbers, never 0). */
static uint64_t *ended_set(const struct report *r, size_t *mask)
{
	size_t cap = 16;
	while (cap < 2 * r->nflows + 2)
		cap *= 2;
	uint64_t *set = util_xcalloc(cap, sizeof *set);
	for (size_t i = 0; i < r->nflows; i++) {
		if (!r->flows[i].nleaks)
			continue;
		size_t j = (size_t)(r->flows[i].id * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
		while (set[j])
			j = (j + 1) & (cap - 1);
		set[j] = r->flows[i].id;
	}
	*mask = cap - 1;
	return set;
}

static int in_set(const uint64_t *set, size_t mask, uint64_t id)
{
	size_t j = (size_t)(id * 0x9e3779b97f4a7c15ull >> 20) & mask;
	for (; set[j]; j = (j + 1) & mask)
		if (set[j] == id)
			return 1;
	return 0;
}

void report_offload(struct report *r)
{
	if (!r->offload_every) {
		const char *env = getenv("PHONEHOME_LEAKS_OFFLOAD");  /* tests: every leak */
		r->offload_every = env && atoi(env) > 0 ? (size_t)atoi(env) : PH_LEAKS_OFFLOAD;
	}
	if (!r->spill || r->nleaks < r->offload_mark + r->offload_every || r->offload_err[0])
		return;
	if (!r->leaks_out) {
		char err[sizeof r->offload_err - 8];
		int fd = util_tmpfd("phonehome-leaks", err, sizeof err);
		r->leaks_out = fd >= 0 ? fdopen(fd, "w+") : NULL;
		if (!r->leaks_out) {
			snprintf(r->offload_err, sizeof r->offload_err, "%s", fd >= 0 ? "temporary file for leaks" : err);
			return;
		}
	}
	size_t mask, k = 0;
	uint64_t *set = ended_set(r, &mask);
	for (size_t i = 0; i < r->nflows; i++) {
		const struct report_flow *f = &r->flows[i];
		if (!f->nleaks) {
			r->flows[k++] = *f;
			continue;
		}
		uint8_t t = REC_FLOW;
		if (put(r, &t, 1))
			put(r, f, sizeof *f);
	}
	r->nflows = k;
	k = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		struct report_leak *l = &r->leaks[i];
		if (!in_set(set, mask, l->flow_id)) {
			r->leaks[k++] = *l;
			continue;
		}
		uint8_t t = REC_LEAK;
		uint32_t n = l->evidence ? (uint32_t)strlen(l->evidence) : UINT32_MAX;
		if (put(r, &t, 1) && put(r, l, sizeof *l) && put(r, &n, sizeof n) && l->evidence)
			put(r, l->evidence, n);
		free(l->evidence);
		r->nleaks_out++;
	}
	r->nleaks = k;
	r->offload_mark = k;
	free(set);
}

void report_offload_reload(struct report *r)
{
	if (!r->leaks_out)
		return;
	FILE *in = r->leaks_out;
	r->leaks_out = NULL;
	if (fflush(in) != 0 && !r->offload_err[0])
		snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot write (disk full?)");
	rewind(in);
	uint8_t t;
	while (!r->offload_err[0] && fread(&t, 1, 1, in) == 1) {
		int ok;
		if (t == REC_FLOW) {
			ok = fread(report_add_flow(r), sizeof(struct report_flow), 1, in) == 1;
		} else {
			struct report_leak *l = report_add_leak(r);
			uint32_t n;
			ok = t == REC_LEAK && fread(l, sizeof *l, 1, in) == 1 && fread(&n, sizeof n, 1, in) == 1;
			l->evidence = NULL;
			if (ok && n != UINT32_MAX) {
				l->evidence = util_xmalloc((size_t)n + 1);
				ok = fread(l->evidence, 1, n, in) == n;
				l->evidence[ok ? n : 0] = 0;
			}
			r->nleaks_out--;
		}
		if (!ok)
			snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot read it back");
	}
	fclose(in);
}
