/* report_offload.c - ended flows' leaks out of memory while a capture file is read: every
 * PH_LEAKS_OFFLOAD leaks, the flows that ended with leaks and their leaks (evidence and all)
 * go to an unlinked temporary file, and come back before the report is sorted. What stays in
 * memory is the leaks of the flows still open. */
#include "config.h"
#include "report.h"
#include "util.h"
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { REC_FLOW = 'F', REC_LEAK = 'L' };

static int write_error(struct report *r)
{
	if (!r->offload_err[0])
		snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot write (disk full?)");
	return 0;
}

static int put(struct report *r, const void *p, size_t n)
{
	return fwrite(p, 1, n, r->leaks_out) == n ? 1 : write_error(r);
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

/* This round's flows and leaks to the file; 0 when it could not be written (put said why). */
static int write_round(struct report *r, const uint64_t *set, size_t mask)
{
	int ok = 1;
	for (size_t i = 0; i < r->nflows && ok; i++) {
		const struct report_flow *f = &r->flows[i];
		uint8_t t = REC_FLOW;
		if (f->nleaks)
			ok = put(r, &t, 1) && put(r, f, sizeof *f);
	}
	for (size_t i = 0; i < r->nleaks && ok; i++) {
		const struct report_leak *l = &r->leaks[i];
		uint8_t t = REC_LEAK;
		uint32_t n = l->evidence ? (uint32_t)strlen(l->evidence) : UINT32_MAX;
		if (in_set(set, mask, l->flow_id))
			ok = put(r, &t, 1) && put(r, l, sizeof *l) && put(r, &n, sizeof n) && (!l->evidence || put(r, l->evidence, n));
	}
	return ok && fflush(r->leaks_out) == 0 ? 1 : write_error(r);
}

/* What write_round wrote leaves memory. */
static void drop_round(struct report *r, const uint64_t *set, size_t mask)
{
	size_t k = 0;
	for (size_t i = 0; i < r->nflows; i++)
		if (!r->flows[i].nleaks)
			r->flows[k++] = r->flows[i];
	r->nflows = k;
	k = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		struct report_leak *l = &r->leaks[i];
		if (!in_set(set, mask, l->flow_id)) {
			r->leaks[k++] = *l;
			continue;
		}
		free(l->evidence);
		r->nleaks_out++;
	}
	r->nleaks = k;
	r->offload_mark = k;
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
			if (fd >= 0)
				close(fd);
			return;
		}
	}
	off_t start = ftello(r->leaks_out);
	size_t mask;
	uint64_t *set = ended_set(r, &mask);
	if (write_round(r, set, mask)) {
		drop_round(r, set, mask);
	} else if (r->keep_on_error) {  /* live: the round stays in memory, and so does every later one */
		snprintf(r->disk_note, sizeof r->disk_note, "%s: leaks of ended flows kept in memory from then on",
			 r->offload_err);
		r->offload_err[0] = 0;
		__fpurge(r->leaks_out);  /* the round's bytes not written are dropped, the earlier rounds kept */
		clearerr(r->leaks_out);
		if (ftruncate(fileno(r->leaks_out), start) == 0)
			fseeko(r->leaks_out, start, SEEK_SET);
		r->offload_every = SIZE_MAX / 2;
	} else {
		drop_round(r, set, mask);  /* the run ends in an error before any report */
	}
	free(set);
}

/* The offload file read from its start with pread: its writer's FILE keeps its place. */
struct back {
	int fd;
	off_t off;
	uint8_t buf[65536];
	size_t len, pos;
};

static int back_read(struct back *b, void *dst, size_t n)
{
	uint8_t *d = dst;
	while (n) {
		if (b->pos == b->len) {
			ssize_t got = pread(b->fd, b->buf, sizeof b->buf, b->off);
			if (got <= 0)
				return 0;
			b->off += got, b->len = (size_t)got, b->pos = 0;
		}
		size_t k = b->len - b->pos < n ? b->len - b->pos : n;
		memcpy(d, b->buf + b->pos, k);
		b->pos += k, d += k, n -= k;
	}
	return 1;
}

/* Every flow and leak in the offload file of out, added to r. */
static void read_back(FILE *out, struct report *r)
{
	if (fflush(out) != 0 && !r->offload_err[0])
		snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot write (disk full?)");
	struct back *b = util_xcalloc(1, sizeof *b);
	b->fd = fileno(out);
	uint8_t t;
	while (!r->offload_err[0] && back_read(b, &t, 1)) {
		int ok;
		if (t == REC_FLOW) {
			ok = back_read(b, report_add_flow(r), sizeof(struct report_flow));
		} else {
			struct report_leak *l = report_add_leak(r);
			uint32_t n;
			ok = t == REC_LEAK && back_read(b, l, sizeof *l) && back_read(b, &n, sizeof n);
			l->evidence = NULL;
			if (ok && n != UINT32_MAX) {
				l->evidence = util_xmalloc((size_t)n + 1);
				ok = back_read(b, l->evidence, n);
				l->evidence[ok ? n : 0] = 0;
			}
			r->nleaks_out--;
		}
		if (!ok)
			snprintf(r->offload_err, sizeof r->offload_err, "temporary file for leaks: cannot read it back");
	}
	free(b);
}

void report_offload_reload(struct report *r)
{
	if (!r->leaks_out)
		return;
	FILE *out = r->leaks_out;
	r->leaks_out = NULL;
	read_back(out, r);
	fclose(out);
}

void report_offload_copy(const struct report *live, struct report *snap)
{
	snap->leaks_out = NULL;
	if (live->leaks_out)
		read_back(live->leaks_out, snap);
}
