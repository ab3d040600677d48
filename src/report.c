/* report.c - the in-memory report: growable arrays of finished flows and leaks,
 * sorted once at the end for deterministic output. */
#include "report.h"
#include "util.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct report *report_new(void)
{
	return util_xcalloc(1, sizeof(struct report));
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ninputs; i++) {
		free(r->inputs[i].path);
		free(r->inputs[i].warning);
		report_input_files_free(&r->inputs[i]);
	}
	for (size_t i = 0; i < r->nleaks; i++)
		free(r->leaks[i].evidence);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->inputs);
	free(r->http);
	free(r->dns);
	free(r->flows);
	free(r->leaks);
	free(r->warnings);
	free(r->findings);
	free(r->fidx);
	report_spill_free(r);
	if (r->leaks_out)
		fclose(r->leaks_out);
	free(r);
}

/* Grows an array by doubling; returns the new element, zeroed. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = util_xrealloc(*arr, *cap * size);
	}
	void *e = (char *)*arr + (*n)++ * size;
	memset(e, 0, size);
	return e;
}

void report_input_files_free(struct report_input *in)
{
	for (size_t i = 0; i < in->nfiles; i++)
		free(in->files[i].path);
	free(in->files);
	in->files = NULL;
	in->nfiles = 0;
}

void report_input_set_files(struct report_input *in, const struct report_file *f, size_t n)
{
	report_input_files_free(in);
	in->files = n ? util_xcalloc(n, sizeof *f) : NULL;
	for (size_t i = 0; i < n; i++) {
		in->files[i] = f[i];
		in->files[i].path = util_xstrdup(f[i].path);
	}
	in->nfiles = n;
}

struct report_input *report_add_input(struct report *r, const char *path)
{
	size_t cap = r->ninputs;
	struct report_input *in = grow((void **)&r->inputs, &r->ninputs, &cap, sizeof *in);
	in->path = util_xstrdup(path);
	return in;
}

struct report_flow *report_add_flow(struct report *r)
{
	return grow((void **)&r->flows, &r->nflows, &r->capflows, sizeof(struct report_flow));
}

struct report_leak *report_add_leak(struct report *r)
{
	struct report_leak *l = grow((void **)&r->leaks, &r->nleaks, &r->capleaks, sizeof(struct report_leak));
	l->encoding = l->name = l->key = l->tls_version = l->cipher = l->transport = "";
	return l;
}

void report_warn(struct report *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r->warnings = util_xrealloc(r->warnings, (r->nwarnings + 1) * sizeof *r->warnings);
	r->warnings[r->nwarnings++] = util_xstrdup(buf);
}

static int cmp_flow(const void *a, const void *b)
{
	uint64_t x = ((const struct report_flow *)a)->id, y = ((const struct report_flow *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_leak(const void *a, const void *b)
{
	const struct report_leak *x = a, *y = b;
	if (x->ts_us != y->ts_us)
		return x->ts_us < y->ts_us ? -1 : 1;
	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->value_index != y->value_index)
		return x->value_index < y->value_index ? -1 : 1;
	if (x->where != y->where)
		return x->where - y->where;
	int c = strcmp(x->encoding, y->encoding);
	if (c || (c = strcmp(x->found, y->found)) || (c = strcmp(x->key, y->key)) || (c = strcmp(x->name, y->name)))
		return c;  /* rule hits of one rule differ by the value found: a total order, whatever the sharding */
	if (x->msg != y->msg)
		return x->msg < y->msg ? -1 : 1;
	return x->dir - y->dir;
}

#define CMP_EVENT(T) \
	static int cmp_##T(const void *a, const void *b) \
	{ \
		const struct report_##T *x = a, *y = b; \
		if (x->ts_us != y->ts_us) \
			return x->ts_us < y->ts_us ? -1 : 1; \
		if (x->flow_id != y->flow_id) \
			return x->flow_id < y->flow_id ? -1 : 1; \
		return x->seq < y->seq ? -1 : x->seq > y->seq; \
	}
CMP_EVENT(http)
CMP_EVENT(dns)

/* qsort, unless v is in order already (merged from sorted shards). */
static void sort(void *v, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	for (size_t i = 1; i < n; i++) {
		if (cmp((char *)v + (i - 1) * sz, (char *)v + i * sz) > 0) {
			qsort(v, n, sz, cmp);
			return;
		}
	}
}

/* Sorts n events of size sz and keeps the first REPORT_MAX_EVENTS. */
static void sort_events(void *v, size_t *n, size_t sz, int (*cmp)(const void *, const void *), uint64_t *dropped)
{
	sort(v, *n, sz, cmp);
	if (*n > REPORT_MAX_EVENTS) {
		*dropped += *n - REPORT_MAX_EVENTS;
		*n = REPORT_MAX_EVENTS;
	}
}

void report_sort(struct report *r)
{
	report_offload_reload(r);
	report_spill_seal(r);
	sort(r->flows, r->nflows, sizeof *r->flows, cmp_flow);
	sort(r->leaks, r->nleaks, sizeof *r->leaks, cmp_leak);
	sort_events(r->http, &r->nhttp, sizeof *r->http, cmp_http, &r->events_dropped);
	sort_events(r->dns, &r->ndns, sizeof *r->dns, cmp_dns, &r->events_dropped);
}

/* dst's n elements and src's m, each sorted by cmp, into dst grown in place and merged from
 * the back (no third array: the peak is what append would take); among equals dst's come
 * first, as a stable sort of dst then src would put them. src is freed. */
static void *merge(void *dst, size_t *n, size_t *cap, void *src, size_t m, size_t sz, int (*cmp)(const void *, const void *))
{
	if (!*n) {
		free(dst);
		*n = *cap = m;
		return src;
	}
	if (*n + m > *cap) {
		*cap = *n + m;
		dst = util_xrealloc(dst, *cap * sz);
	}
	char *d = dst, *s = src;
	size_t i = *n, j = m, k = *n + m;
	while (j) {
		if (i && cmp(d + (i - 1) * sz, s + (j - 1) * sz) > 0)
			memmove(d + --k * sz, d + --i * sz, sz);
		else
			memcpy(d + --k * sz, s + --j * sz, sz);
	}
	*n += m;
	free(src);
	return dst;
}

static void stats_add(struct report_stats *d, const struct report_stats *s)
{
	/* every counter before `patterns` is a uint64_t: add them all, none can be forgotten */
	_Static_assert(offsetof(struct report_stats, patterns) % sizeof(uint64_t) == 0, "counters are uint64_t");
	uint64_t *dv = (uint64_t *)d;
	const uint64_t *sv = (const uint64_t *)s;
	for (size_t i = 0; i < offsetof(struct report_stats, patterns) / sizeof(uint64_t); i++)
		dv[i] += sv[i];
}

void report_merge(struct report *dst, struct report *src)
{
	report_sort(dst);  /* cheap when sorted already (a shard sorts itself) */
	report_sort(src);
	if (src->offload_err[0] && !dst->offload_err[0])
		memcpy(dst->offload_err, src->offload_err, sizeof dst->offload_err);
	report_spill_merge(dst, src);
	dst->flows = merge(dst->flows, &dst->nflows, &dst->capflows, src->flows, src->nflows, sizeof *src->flows, cmp_flow);
	dst->leaks = merge(dst->leaks, &dst->nleaks, &dst->capleaks, src->leaks, src->nleaks, sizeof *src->leaks, cmp_leak);
	dst->http = merge(dst->http, &dst->nhttp, &dst->caphttp, src->http, src->nhttp, sizeof *src->http, cmp_http);
	dst->dns = merge(dst->dns, &dst->ndns, &dst->capdns, src->dns, src->ndns, sizeof *src->dns, cmp_dns);
	src->flows = NULL, src->leaks = NULL, src->http = NULL, src->dns = NULL;
	src->nflows = src->capflows = src->nleaks = src->capleaks = 0;
	src->nhttp = src->caphttp = src->ndns = src->capdns = 0;
	for (size_t i = 0; i < src->nwarnings; i++) {
		dst->warnings = util_xrealloc(dst->warnings, (dst->nwarnings + 1) * sizeof *dst->warnings);
		dst->warnings[dst->nwarnings++] = src->warnings[i];
	}
	src->nwarnings = 0;
	dst->events_dropped += src->events_dropped;
	stats_add(&dst->st, &src->st);
}

const struct report_flow *report_flow_by_id(const struct report *r, uint64_t id)
{
	size_t lo = 0, hi = r->nflows;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->flows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nflows && r->flows[lo].id == id ? &r->flows[lo] : NULL;
}

const char *report_where_name(int where)
{
	static const char *names[] = { "url", "header", "body", "payload", "dns", "websocket", "mqtt", "xmpp" };
	return where >= 0 && where <= WHERE_XMPP ? names[where] : "payload";
}

enum report_subject report_leak_subject(const struct report_leak *l)
{
	return l->subject < SUBJECT__COUNT ? (enum report_subject)l->subject : SUBJECT_UNKNOWN;
}

const char *report_subject_name(int subject)
{
	return subject == SUBJECT_DEVICE ? "device" : subject == SUBJECT_THIRD_PARTY ? "third_party" : NULL;
}

struct report_http *report_add_http(struct report *r, uint64_t flow_id, uint64_t ts_us, const char *method,
				    const char *host, const char *uri, const char *user_agent)
{
	if (r->no_events)
		return NULL;
	if (r->nhttp >= REPORT_MAX_EVENTS) {
		r->events_dropped++;
		return NULL;
	}
	struct report_http *h = grow((void **)&r->http, &r->nhttp, &r->caphttp, sizeof *h);
	h->seq = r->nhttp;
	h->flow_id = flow_id;
	h->ts_us = ts_us;
	snprintf(h->method, sizeof h->method, "%s", method ? method : "");
	snprintf(h->host, sizeof h->host, "%s", host ? host : "");
	snprintf(h->uri, sizeof h->uri, "%s", uri ? uri : "");
	snprintf(h->user_agent, sizeof h->user_agent, "%s", user_agent ? user_agent : "");
	h->length = -1;
	report_spill_note_event(r, flow_id);
	return h;
}

#define REPORT_RESPONSE_LOOKBACK 64  /* requests looked back at for a response's request */

void report_http_response(struct report *r, uint64_t flow_id, int status, int64_t length)
{
	struct report_http *best = NULL;
	for (size_t i = r->nhttp, k = 0; i > 0 && k < REPORT_RESPONSE_LOOKBACK; i--, k++) {
		struct report_http *h = &r->http[i - 1];
		if (h->flow_id != flow_id)
			continue;
		if (h->status)
			break;  /* responses come in request order: this one is answered */
		best = h;
	}
	if (!best)
		return;
	best->status = (int16_t)status;
	best->length = length;
}

void report_dns_begin(struct report *r, uint64_t flow_id, uint64_t ts_us)
{
	r->dns_flow = flow_id;
	r->dns_ts = ts_us;
}

void report_dns_head(struct report *r, uint16_t id, uint16_t qtype, uint8_t rcode)
{
	r->dns_id = id;
	r->dns_qtype = qtype;
	r->dns_rcode = rcode;
}

void report_add_dns(struct report *r, int type, const char *rrname, int family, const uint8_t *addr, uint32_t ttl)
{
	if (r->no_events)
		return;
	if (r->ndns >= REPORT_MAX_EVENTS) {
		r->events_dropped++;
		return;
	}
	struct report_dns *d = grow((void **)&r->dns, &r->ndns, &r->capdns, sizeof *d);
	d->seq = r->ndns;
	d->flow_id = r->dns_flow;
	d->ts_us = r->dns_ts;
	d->type = (uint8_t)type;
	d->id = r->dns_id;
	d->qtype = r->dns_qtype;
	d->rcode = r->dns_rcode;
	d->ttl = ttl;
	d->family = (uint8_t)family;
	if (family)
		memcpy(d->addr, addr, family == 4 ? 4 : 16);
	snprintf(d->rrname, sizeof d->rrname, "%s", rrname);
	report_spill_note_event(r, r->dns_flow);
}
