/* report_spill.c - ended flows out of memory: flows without leaks or events are batched,
 * sorted by id, written as runs to an unlinked file in $TMPDIR, and read back by a k-way merge. */
#include "report.h"
#include "config.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_BATCH 16384          /* flows sorted in memory before they are written as one run */
#define SPILL_READ_BUF (16u << 10) /* read buffer per run while merging */
#define SPILL_REC_MAX 1024         /* longest encoded flow (its strings are < 256 bytes each) */
#define SPILL_ORDER_BATCH 4096     /* flows sorted in memory by a writer re-ordering them (EVE) */

enum { BY_ID, BY_LAST, BY_FIRST };  /* the order of a spill's runs: id, or (last_us, id), (first_us, id) */

struct spill_run {                 /* n flows sorted by id: in a file at off (len bytes), or in mem */
	int fd;
	uint64_t off, len;
	size_t n;
	struct report_flow *mem;
};

struct report_spill {
	FILE *out;                      /* this report's own file, unlinked; NULL after merge or error */
	uint64_t out_off;
	int *fds; size_t nfds;          /* every file its runs are in (merged reports gather them) */
	struct spill_run *runs; size_t nruns;
	struct spill_ent *batch; size_t nbatch, capbatch;  /* encoded flows, in the order they ended */
	uint8_t *arena; size_t alen, acap;  /* their encodings */
	uint64_t nspilled;              /* flows in runs and batch */
	uint64_t quiet;                 /* of which without leaks (all: the kept ones stay in flows) */
	char err[256];                  /* the first write error, "" none */
	int to_memory;                  /* keep_on_error and a write failed: runs stay in memory */
	int by;                         /* BY_ID, or a writer's order (report_order_new) */
	uint64_t *ev; size_t nev, capev;  /* flow ids with HTTP/DNS events (hash set, 0 empty) */
	struct report_hint *hints; size_t nhints;  /* the packages of spilled flows' hints */
	int hints_over;                 /* more than PH_SPILL_HINTS packages: not all are in hints */
};

struct spill_ent {                 /* a batched flow: its sort key, and its encoding in the arena */
	uint64_t key, id;
	size_t off;
};

/* The spill of r, its runs in order by, batches of batch flows unless the environment says. */
static int spill_open(struct report *r, int by, size_t batch, char *errbuf, size_t errlen)
{
	int fd = util_tmpfd("phonehome-spill", errbuf, errlen);
	if (fd < 0)
		return -1;
	struct report_spill *s = util_xcalloc(1, sizeof *s);
	s->out = fdopen(fd, "w");
	if (!s->out) {
		snprintf(errbuf, errlen, "temporary file: %s", strerror(errno));
		close(fd);
		free(s);
		return -1;
	}
	s->fds = util_xmalloc(sizeof *s->fds);
	s->fds[s->nfds++] = fd;
	const char *env = getenv("PHONEHOME_SPILL_BATCH");  /* tests: small runs on small captures */
	s->capbatch = env && atoi(env) > 0 ? (size_t)atoi(env) : batch;
	s->by = by;
	s->batch = util_xmalloc(s->capbatch * sizeof *s->batch);
	s->acap = s->capbatch * 256;  /* a flow's encoding is about 200 bytes; the arena grows if not */
	s->arena = util_xmalloc(s->acap);
	r->spill = s;
	return 0;
}

int report_spill_open(struct report *r, char *errbuf, size_t errlen)
{
	return spill_open(r, BY_ID, SPILL_BATCH, errbuf, errlen);
}

void report_spill_free(struct report *r)
{
	struct report_spill *s = r->spill;
	if (!s)
		return;
	if (s->out)
		fclose(s->out);  /* closes fds[0] */
	for (size_t i = s->out ? 1 : 0; i < s->nfds; i++)
		close(s->fds[i]);
	for (size_t i = 0; i < s->nruns; i++)
		free(s->runs[i].mem);
	free(s->fds);
	free(s->runs);
	free(s->batch);
	free(s->arena);
	free(s->ev);
	free(s->hints);
	free(s);
	r->spill = NULL;
}

static size_t ev_slot(const struct report_spill *s, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (s->capev - 1);
}

void report_spill_note_event(struct report *r, uint64_t flow_id)
{
	struct report_spill *s = r->spill;
	if (!s || !flow_id)
		return;
	if (2 * (s->nev + 1) > s->capev) {
		uint64_t *old = s->ev;
		size_t oldcap = s->capev;
		s->capev = oldcap ? oldcap * 2 : 1024;
		s->ev = util_xcalloc(s->capev, sizeof *s->ev);
		s->nev = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				report_spill_note_event(r, old[i]);
		free(old);
	}
	size_t j = ev_slot(s, flow_id);
	while (s->ev[j] && s->ev[j] != flow_id)
		j = (j + 1) & (s->capev - 1);
	if (!s->ev[j]) {
		s->ev[j] = flow_id;
		s->nev++;
	}
}

int report_spill_keeps(const struct report *r, uint64_t flow_id)
{
	const struct report_spill *s = r->spill;
	if (!s)
		return 1;
	if (!s->capev)
		return 0;
	for (size_t j = ev_slot(s, flow_id); s->ev[j]; j = (j + 1) & (s->capev - 1))
		if (s->ev[j] == flow_id)
			return 1;
	return 0;
}

static uint64_t key_of(int by, const struct report_flow *f)
{
	return by == BY_LAST ? f->last_us : by == BY_FIRST ? f->first_us : f->id;
}

/* Flow a before b in order by: its key, then its id (ids are unique). */
static int before(int by, const struct report_flow *a, const struct report_flow *b)
{
	uint64_t x = key_of(by, a), y = key_of(by, b);
	return x != y ? x < y : a->id < b->id;
}

/* Batched flows in order: their key, then their id (the keys were taken as they were batched). */
static int cmp_ent(const void *a, const void *b)
{
	const struct spill_ent *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorted are the small entries, not the flows (768 bytes each). */
static void sort_batch(struct report_spill *s)
{
	qsort(s->batch, s->nbatch, sizeof *s->batch, cmp_ent);
}

/* Field by field, strings with a length byte: about a quarter of the struct. */
#define PUT(v) (memcpy(p, &(v), sizeof(v)), p += sizeof(v))
#define GET(v) (memcpy(&(v), p, sizeof(v)), p += sizeof(v))
#define PUTS(a) do { size_t l_ = strnlen((a), sizeof(a) - 1); *p++ = (uint8_t)l_; memcpy(p, (a), l_); p += l_; } while (0)
#define GETS(a) do { size_t l_ = *p++; memcpy((a), p, l_); (a)[l_] = 0; p += l_; } while (0)

/* The encoding is never longer than the struct plus a length byte per string and its own 2. */
_Static_assert(sizeof(struct report_flow) + 16 <= SPILL_REC_MAX, "SPILL_REC_MAX below a flow's encoding");

static size_t encode(uint8_t *buf, const struct report_flow *f)
{
	uint8_t *p = buf + 2;
	PUT(f->id); PUT(f->family); PUT(f->proto); PUT(f->dev); PUT(f->remote);
	memcpy(p, f->addr[0], 16), p += 16;
	memcpy(p, f->addr[1], 16), p += 16;
	PUT(f->port); PUT(f->first_us); PUT(f->last_us); PUT(f->pkts); PUT(f->bytes);
	PUTS(f->app_proto); PUTS(f->category); PUTS(f->host);
	PUT(f->host_source); PUT(f->foreign); PUT(f->scanned); PUT(f->truncated); PUT(f->scan_stopped_at);
	PUT(f->geo.status); PUTS(f->geo.country); PUTS(f->geo.city); PUT(f->geo.latitude); PUT(f->geo.longitude);
	PUT(f->geo.has_location); PUT(f->geo.asn); PUTS(f->geo.asn_org);
	PUT(f->nleaks); PUT(f->tls_keys); PUT(f->closed); PUT(f->end_reason); PUT(f->tls_version);
	PUT(f->app_uid); PUT(f->app_source); PUT(f->app_hint_origin); PUTS(f->app_hint); PUT(f->quic_version);
	uint16_t len = (uint16_t)(p - buf);
	memcpy(buf, &len, 2);
	return len;
}

static void decode(const uint8_t *p, struct report_flow *f)
{
	memset(f, 0, sizeof *f);
	p += 2;
	GET(f->id); GET(f->family); GET(f->proto); GET(f->dev); GET(f->remote);
	memcpy(f->addr[0], p, 16), p += 16;
	memcpy(f->addr[1], p, 16), p += 16;
	GET(f->port); GET(f->first_us); GET(f->last_us); GET(f->pkts); GET(f->bytes);
	GETS(f->app_proto); GETS(f->category); GETS(f->host);
	GET(f->host_source); GET(f->foreign); GET(f->scanned); GET(f->truncated); GET(f->scan_stopped_at);
	GET(f->geo.status); GETS(f->geo.country); GETS(f->geo.city); GET(f->geo.latitude); GET(f->geo.longitude);
	GET(f->geo.has_location); GET(f->geo.asn); GETS(f->geo.asn_org);
	GET(f->nleaks); GET(f->tls_keys); GET(f->closed); GET(f->end_reason); GET(f->tls_version);
	GET(f->app_uid); GET(f->app_source); GET(f->app_hint_origin); GETS(f->app_hint); GET(f->quic_version);
}

static struct spill_run *add_run(struct report_spill *s)
{
	s->runs = util_xrealloc(s->runs, (s->nruns + 1) * sizeof *s->runs);
	struct spill_run *run = &s->runs[s->nruns++];
	memset(run, 0, sizeof *run);
	run->fd = -1;
	return run;
}

/* The batch, sorted, as a run in memory. */
static void memory_run(struct report_spill *s)
{
	struct spill_run *run = add_run(s);
	run->mem = util_xmalloc((s->nbatch + 1) * sizeof *run->mem);
	for (size_t i = 0; i < s->nbatch; i++)
		decode(s->arena + s->batch[i].off, &run->mem[i]);
	run->n = s->nbatch;
	s->nbatch = 0;
	s->alen = 0;
}

/* The batch, sorted, as a run in the file; on a write error the run is lost and err says why,
 * unless r keeps on error (live): then it, and every later one, is a run in memory. */
static void write_batch(struct report *r, struct report_spill *s)
{
	if (!s->nbatch)
		return;
	sort_batch(s);
	if (s->to_memory) {
		memory_run(s);
		return;
	}
	if (s->out && !s->err[0]) {
		uint64_t len = 0;
		for (size_t i = 0; i < s->nbatch; i++) {
			const uint8_t *rec = s->arena + s->batch[i].off;
			uint16_t n;
			memcpy(&n, rec, 2);
			if (fwrite(rec, 1, n, s->out) != n)
				break;
			len += n;
		}
		if (fflush(s->out) != 0 || ferror(s->out)) {
			snprintf(s->err, sizeof s->err, "temporary file for the report's flows: %s", strerror(errno));
			if (r->keep_on_error) {  /* what is written stays readable; the rest stays in memory */
				snprintf(r->disk_note, sizeof r->disk_note, "%s: ended flows kept in memory from then on",
					 s->err);
				s->err[0] = 0;
				s->to_memory = 1;
				__fpurge(s->out);  /* the runs written are read with pread; nothing more is written */
				clearerr(s->out);
				memory_run(s);
				return;
			}
		} else {
			struct spill_run *run = add_run(s);
			run->fd = fileno(s->out);
			run->off = s->out_off;
			run->len = len;
			run->n = s->nbatch;
			s->out_off += len;
		}
	}
	s->nbatch = 0;
	s->alen = 0;
}

/* A flow's hint into its package's entry: memory follows the packages, not the flows (an
 * app's WebView names it in every request). */
static void add_hint(struct report_spill *s, uint64_t first, uint64_t n, uint8_t origin, const char *hint)
{
	if (s->hints_over)
		return;  /* the list is no longer used */
	struct report_hint *h = s->hints;
	for (size_t i = 0; i < s->nhints; i++, h++) {
		if (strcmp(h->hint, hint))
			continue;
		if (first < h->first) {
			h->first = first;
			h->origin = origin;
		}
		h->n += n;
		return;
	}
	if (s->nhints == PH_SPILL_HINTS) {
		s->hints_over = 1;
		return;
	}
	if (!s->hints)
		s->hints = util_xmalloc(PH_SPILL_HINTS * sizeof *s->hints);
	h = &s->hints[s->nhints++];
	h->first = first;
	h->n = n;
	h->origin = origin;
	util_copy(h->hint, sizeof h->hint, hint);
}

static int cmp_hint(const void *a, const void *b)
{
	uint64_t x = ((const struct report_hint *)a)->first, y = ((const struct report_hint *)b)->first;
	return x < y ? -1 : x > y;
}

int report_spill_hints(struct report *r, const struct report_hint **out, size_t *n)
{
	struct report_spill *s = r->spill;
	*out = NULL;
	*n = 0;
	if (!s)
		return 0;
	if (s->hints_over)
		return -1;
	if (s->nhints)
		qsort(s->hints, s->nhints, sizeof *s->hints, cmp_hint);
	*out = s->hints;
	*n = s->nhints;
	return 0;
}

void report_spill_flow(struct report *r, const struct report_flow *f)
{
	struct report_spill *s = r->spill;
	if (s->acap - s->alen < SPILL_REC_MAX) {  /* room for the longest encoding */
		while (s->acap - s->alen < SPILL_REC_MAX)
			s->acap *= 2;
		s->arena = util_xrealloc(s->arena, s->acap);
	}
	if (!f->app_source && f->app_hint_origin && f->app_hint[0])
		add_hint(s, f->id, 1, f->app_hint_origin, f->app_hint);
	s->batch[s->nbatch++] = (struct spill_ent){ key_of(s->by, f), f->id, s->alen };
	s->alen += encode(s->arena + s->alen, f);
	s->nspilled++;
	s->quiet += !f->nleaks;
	if (s->nbatch == s->capbatch)
		write_batch(r, s);
	r->st.spill_bytes = s->out_off;
}

void report_spill_seal(struct report *r)
{
	struct report_spill *s = r->spill;
	if (!s || !s->nbatch)
		return;
	if (!s->nruns) {  /* nothing on disk: the batch stays, as a run in memory */
		sort_batch(s);
		memory_run(s);
	} else {
		write_batch(r, s);
	}
	r->st.spill_bytes = s->out_off;
}

void report_spill_merge(struct report *dst, struct report *src)
{
	struct report_spill *s = src->spill, *d = dst->spill;
	if (!s)
		return;
	report_spill_seal(src);
	if (!d) {
		dst->spill = s;
		src->spill = NULL;
		if (s->out) {  /* the runs stay readable; nothing more is written to it */
			fflush(s->out);
			s->fds[0] = dup(fileno(s->out));
			for (size_t i = 0; i < s->nruns; i++)
				if (s->runs[i].fd == fileno(s->out))
					s->runs[i].fd = s->fds[0];
			fclose(s->out);
			s->out = NULL;
		}
		return;
	}
	report_spill_seal(dst);
	if (s->out) {
		fflush(s->out);
		int fd = dup(fileno(s->out));
		for (size_t i = 0; i < s->nruns; i++)
			if (s->runs[i].fd == fileno(s->out))
				s->runs[i].fd = fd;
		fclose(s->out);
		s->out = NULL;
		s->fds[0] = fd;
	}
	d->fds = util_xrealloc(d->fds, (d->nfds + s->nfds) * sizeof *d->fds);
	memcpy(d->fds + d->nfds, s->fds, s->nfds * sizeof *s->fds);  /* nfds >= 1 */
	d->nfds += s->nfds;
	s->nfds = 0;
	if (s->nruns) {
		d->runs = util_xrealloc(d->runs, (d->nruns + s->nruns) * sizeof *d->runs);
		memcpy(d->runs + d->nruns, s->runs, s->nruns * sizeof *s->runs);
		d->nruns += s->nruns;
		s->nruns = 0;
	}
	for (size_t i = 0; i < s->nhints; i++)
		add_hint(d, s->hints[i].first, s->hints[i].n, s->hints[i].origin, s->hints[i].hint);
	d->hints_over |= s->hints_over;
	d->nspilled += s->nspilled;
	d->quiet += s->quiet;
	if (!d->err[0])
		memcpy(d->err, s->err, sizeof d->err);
	for (size_t i = 0; i < s->capev; i++)
		if (s->ev[i])
			report_spill_note_event(dst, s->ev[i]);
	report_spill_free(src);
}

const char *report_spill_error(const struct report *r)
{
	if (r->offload_err[0])  /* the leaks' temporary file (report_offload.c) */
		return r->offload_err;
	return r->spill && r->spill->err[0] ? r->spill->err : NULL;
}

uint64_t report_spill_quiet(const struct report *r)
{
	return r->spill ? r->spill->quiet : 0;
}

uint64_t report_spill_count(const struct report *r)
{
	return r->spill ? r->spill->nspilled : 0;
}

/* One source of the merge: r->flows or a run. */
struct iter_src {
	int inmem;
	const struct report_flow *mem;
	size_t i, n;
	int fd;
	uint64_t pos, end;
	uint8_t *buf;
	size_t blen, bpos;
	struct report_flow cur;
};

struct report_iter {
	struct iter_src *src;
	size_t nsrc;
	size_t *heap, nheap;            /* sources with a current flow, first in order on top */
	int by;                         /* the order of the runs */
	uint64_t quiet_cut;             /* r->quiet_cut */
	const struct apps *apps;        /* r->apps once r->apps_late, else NULL */
	struct report *own;             /* a writer's re-ordering (report_order_begin), freed at the end */
	struct report_flow out;
};

/* The next flow of src into cur; 0 at its end (or on a read error, counted as its end). */
static int src_next(struct iter_src *s)
{
	if (s->inmem) {
		if (s->i == s->n)
			return 0;
		s->cur = s->mem[s->i++];
		return 1;
	}
	if (s->i == s->n)
		return 0;
	if (s->blen - s->bpos < SPILL_REC_MAX && s->pos < s->end) {
		memmove(s->buf, s->buf + s->bpos, s->blen - s->bpos);
		s->blen -= s->bpos;
		s->bpos = 0;
		size_t want = SPILL_READ_BUF - s->blen;
		if (want > s->end - s->pos)
			want = (size_t)(s->end - s->pos);
		ssize_t got = pread(s->fd, s->buf + s->blen, want, (off_t)s->pos);
		if (got <= 0)
			return 0;
		s->blen += (size_t)got;
		s->pos += (uint64_t)got;
	}
	uint16_t len;
	if (s->blen - s->bpos < 2)
		return 0;
	memcpy(&len, s->buf + s->bpos, 2);
	if (len < 2 || len > s->blen - s->bpos)
		return 0;
	decode(s->buf + s->bpos, &s->cur);
	s->bpos += len;
	s->i++;
	return 1;
}

static int src_less(const struct report_iter *it, size_t a, size_t b)
{
	return before(it->by, &it->src[a].cur, &it->src[b].cur);
}

static void sift_down(struct report_iter *it, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < it->nheap && src_less(it, it->heap[l], it->heap[m]))
			m = l;
		if (l + 1 < it->nheap && src_less(it, it->heap[l + 1], it->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = it->heap[i];
		it->heap[i] = it->heap[m];
		it->heap[m] = t;
		i = m;
	}
}

struct report_iter *report_flows_begin(const struct report *r)
{
	struct report_iter *it = util_xcalloc(1, sizeof *it);
	const struct report_spill *s = r->spill;
	size_t nruns = s ? s->nruns : 0;
	it->src = util_xcalloc(nruns + 2, sizeof *it->src);
	it->heap = util_xmalloc((nruns + 2) * sizeof *it->heap);
	it->by = s ? s->by : BY_ID;
	it->quiet_cut = r->quiet_cut;
	it->apps = r->apps_late ? r->apps : NULL;
	it->src[it->nsrc++] = (struct iter_src){ .inmem = 1, .mem = r->flows, .n = r->nflows };
	for (size_t i = 0; i < nruns; i++) {
		const struct spill_run *run = &s->runs[i];
		struct iter_src *x = &it->src[it->nsrc++];
		x->n = run->n;
		if (run->mem) {
			x->inmem = 1;
			x->mem = run->mem;
			continue;
		}
		x->fd = run->fd;
		x->pos = run->off;
		x->end = run->off + run->len;
		x->buf = util_xmalloc(SPILL_READ_BUF);
	}
	for (size_t i = 0; i < it->nsrc; i++)
		if (src_next(&it->src[i]))
			it->heap[it->nheap++] = i;
	for (size_t i = it->nheap / 2; i-- > 0;)
		sift_down(it, i);
	return it;
}

/* A flow as the report lists it: the CSV row or hint it did not have when it ended (the
 * apps are learnt in audit_app_late, after every flow ended); 0 when --app leaves it out. */
static int late_app(const struct apps *apps, struct report_flow *f)
{
	int32_t uid;
	if (f->app_source) {
	} else if (apps_csv_find(apps, f->proto, f->family, f->addr[0], f->port[0], f->addr[1], f->port[1], f->first_us,
				 &uid)) {
		f->app_uid = uid;
		f->app_source = APP_SRC_CSV;
	} else if (f->app_hint_origin && f->app_hint[0] && apps_hint_find(apps, f->app_hint, &uid)) {
		f->app_uid = uid;
		f->app_source = APP_SRC_HINT;
	}
	return apps_match(apps, f->app_uid, f->app_source);
}

const struct report_flow *report_flows_next(struct report_iter *it)
{
	while (it->nheap) {
		struct iter_src *x = &it->src[it->heap[0]];
		it->out = x->cur;
		if (!src_next(x))
			it->heap[0] = it->heap[--it->nheap];
		sift_down(it, 0);
		if (!it->out.nleaks && it->quiet_cut && it->out.id > it->quiet_cut)
			continue;  /* beyond --max-report-flows: the latest flows without leaks are not listed */
		if (it->apps && !late_app(it->apps, &it->out))
			continue;
		return &it->out;
	}
	return NULL;
}

void report_flows_end(struct report_iter *it)
{
	if (!it)
		return;
	for (size_t i = 0; i < it->nsrc; i++)
		free(it->src[i].buf);
	free(it->src);
	free(it->heap);
	if (it->own) {
		report_spill_free(it->own);
		free(it->own);
	}
	free(it);
}

size_t report_nflows(const struct report *r)
{
	uint64_t n = r->nflows + report_spill_count(r);
	if (r->max_quiet) {
		uint64_t quiet = report_spill_quiet(r);
		for (size_t i = 0; i < r->nflows; i++)
			quiet += !r->flows[i].nleaks;
		if (quiet > r->max_quiet)
			n -= quiet - r->max_quiet;
	}
	return (size_t)n;
}

uint64_t report_spill_cut(const struct report *r, uint64_t max_quiet)
{
	uint64_t quiet = 0, cut = 0;
	struct report_iter *it = report_flows_begin(r);
	for (const struct report_flow *f; (f = report_flows_next(it));)
		if (!f->nleaks && ++quiet == max_quiet) {
			cut = f->id;
			break;
		}
	report_flows_end(it);
	return cut;
}

const struct report_flow *report_flow_listed(const struct report *r, uint64_t id)
{
	const struct report_flow *f = report_flow_by_id(r, id);
	return f && !f->nleaks && r->quiet_cut && id > r->quiet_cut ? NULL : f;
}

struct report *report_order_new(int by_first, char *errbuf, size_t errlen)
{
	struct report *o = util_xcalloc(1, sizeof *o);
	if (spill_open(o, by_first ? BY_FIRST : BY_LAST, SPILL_ORDER_BATCH, errbuf, errlen) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

struct report_iter *report_order_begin(struct report *o)
{
	report_spill_seal(o);
	if (report_spill_error(o)) {  /* a full disk: flows are missing */
		report_spill_free(o);
		free(o);
		return NULL;
	}
	struct report_iter *it = report_flows_begin(o);
	it->own = o;
	return it;
}
