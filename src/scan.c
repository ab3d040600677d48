/* scan.c - feeds what a device sends to the matcher: TCP through reassembly and,
 * when the stream is HTTP/1.x, through the request parser; UDP per datagram. */
#include "scan.h"
#include "config.h"
#include "identity.h"
#include "match.h"
#include "tls.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEND_MAX 64
#define WIN_MAX (2 * PH_EVIDENCE_CONTEXT + PH_MATCH_MAX_PATTERN)

enum dir_mode { MODE_UNDECIDED, MODE_HTTP, MODE_TLS, MODE_RAW };

struct flow_dir {
	struct reasm r;
	struct http_parser *http;
	struct match_stream ms;
	struct tls_stream tls;
	uint8_t mode;
	uint8_t head[16];              /* first bytes, until we can tell HTTP from not */
	uint8_t headlen;
	uint32_t nleaks;
	uint32_t *leak_idx;            /* this direction's leaks in rep->leaks, for de-duplication */
};

struct pend_hit {                  /* a hit copied out of the scan callback */
	uint8_t kind;
	uint32_t value_index;
	uint8_t where;
	char encoding[64], name[64];
	uint8_t win[WIN_MAX];
	size_t winlen, start, end;     /* the identifier is win[start, end) */
};

struct scan_pending {
	struct pend_hit hit[PEND_MAX];
	size_t n;
};

/* What the callbacks need to know about the bytes being scanned. */
struct unit_ctx {
	struct scan_ctx *s;
	struct flow *f;
	int dir;
	int where;
	const char *chain;             /* decoding applied before the matcher */
	const char *name;
};

void scan_init(struct scan_ctx *s, struct matcher *m, const struct identity *id, struct report *rep)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->id = id;
	s->rep = rep;
	reasm_ctx_init(&s->rc);
	s->pend = util_xcalloc(1, sizeof *s->pend);
}

void scan_free(struct scan_ctx *s)
{
	free(s->pend);
	s->pend = NULL;
}

static void build_encoding(char *out, size_t outlen, const char *chain, const char *variant)
{
	if (!chain || !chain[0])
		snprintf(out, outlen, "%s", variant);
	else if (!strcmp(variant, "plain"))
		snprintf(out, outlen, "%s", chain);
	else
		snprintf(out, outlen, "%s>%s", chain, variant);
}

static int already_reported(struct scan_ctx *s, struct flow_dir *d, const struct pend_hit *h)
{
	for (uint32_t i = 0; i < d->nleaks; i++) {
		const struct report_leak *l = &s->rep->leaks[d->leak_idx[i]];
		if (l->kind == h->kind && l->value_index == h->value_index && l->where == h->where &&
		    !strcmp(l->encoding, h->encoding))
			return 1;
	}
	return 0;
}

/* Matcher callback: copy the hit and its surroundings; leaks are made after the scan,
 * when the matcher is free again to find other identifiers in the evidence. */
static void on_hit(void *arg, const struct match_hit *h)
{
	struct unit_ctx *u = arg;
	struct scan_pending *pd = u->s->pend;
	if (pd->n == PEND_MAX) {
		u->s->rep->st.leaks_dropped++;
		return;
	}
	struct pend_hit *p = &pd->hit[pd->n];
	p->kind = (uint8_t)h->kind;
	p->value_index = (uint32_t)h->value_index;
	p->where = (uint8_t)u->where;
	build_encoding(p->encoding, sizeof p->encoding, u->chain, h->variant);
	snprintf(p->name, sizeof p->name, "%s", u->name ? u->name : "");
	for (size_t i = 0; i < pd->n; i++) {  /* one hit per leak key within a scan */
		struct pend_hit *q = &pd->hit[i];
		if (q->kind == p->kind && q->value_index == p->value_index && q->where == p->where &&
		    !strcmp(q->encoding, p->encoding))
			return;
	}
	size_t idlen = h->end - h->start;
	if (idlen > PH_MATCH_MAX_PATTERN)
		idlen = PH_MATCH_MAX_PATTERN;
	size_t lo = h->start > PH_EVIDENCE_CONTEXT ? h->start - PH_EVIDENCE_CONTEXT : 0;
	size_t hi = h->start + idlen + PH_EVIDENCE_CONTEXT;
	if (hi > h->buflen)
		hi = h->buflen;
	memcpy(p->win, h->buf + lo, hi - lo);
	p->winlen = hi - lo;
	p->start = h->start - lo;
	p->end = p->start + idlen;
	pd->n++;
}

/* Masks win[a, b) as identity_mask does for a value. */
static void mask_range(uint8_t *win, size_t a, size_t b)
{
	char v[PH_MATCH_MAX_PATTERN + 1], m[PH_MATCH_MAX_PATTERN + 1];
	size_t n = b - a > PH_MATCH_MAX_PATTERN ? PH_MATCH_MAX_PATTERN : b - a;
	for (size_t i = 0; i < n; i++)
		v[i] = win[a + i] ? (char)win[a + i] : '?';
	v[n] = 0;
	identity_mask(v, m, sizeof m);
	memcpy(win + a, m, n);
}

static void mask_other(void *arg, const struct match_hit *h)
{
	mask_range(arg, h->start, h->end);
}

static int is_word(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%';
}

/* Printable evidence: masked identifiers, partial tokens cut at the edges, \xNN escapes. */
static char *make_evidence(struct scan_ctx *s, struct pend_hit *p)
{
	size_t a = 0, b = p->winlen;
	if (!s->show_identifiers) {
		match_scan(s->m, p->win, p->winlen, mask_other, p->win);
		mask_range(p->win, p->start, p->end);
		while (a < p->start && is_word(p->win[a]))  /* a cut-off token may be an identifier */
			a++;
		while (b > p->end && is_word(p->win[b - 1]))
			b--;
		if (a == p->start)
			a = 0;
		if (b == p->end)
			b = p->winlen;
	}
	char *out = util_xmalloc(4 * (b - a) + 1), *o = out;
	for (size_t i = a; i < b; i++) {
		uint8_t c = p->win[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	*o = 0;
	return out;
}

/* Turns the pending hits of one scan into leaks of flow f. */
static void flush_pending(struct scan_ctx *s, struct flow *f, int dir)
{
	struct scan_pending *pd = s->pend;
	struct flow_dir *d = f->dir[dir];
	size_t n = pd->n;
	pd->n = 0;  /* make_evidence scans again: its hits must not land here */
	for (size_t i = 0; i < n; i++) {
		struct pend_hit *p = &pd->hit[i];
		if (already_reported(s, d, p))
			continue;
		if (d->nleaks == PH_MAX_LEAKS_PER_FLOW || s->rep->nleaks == PH_MAX_LEAKS) {
			s->rep->st.leaks_dropped++;
			continue;
		}
		struct pend_hit copy = *p;
		struct report_leak *l = report_add_leak(s->rep);
		l->flow_id = f->id;
		l->dir = (uint8_t)dir;
		l->kind = copy.kind;
		l->value_index = copy.value_index;
		l->where = copy.where;
		l->ts_us = s->now_us;
		snprintf(l->encoding, sizeof l->encoding, "%s", copy.encoding);
		snprintf(l->name, sizeof l->name, "%s", copy.name);
		l->evidence = make_evidence(s, &copy);
		d->leak_idx = util_xrealloc(d->leak_idx, (d->nleaks + 1) * sizeof *d->leak_idx);
		d->leak_idx[d->nleaks++] = (uint32_t)(s->rep->nleaks - 1);
		f->nleaks++;
	}
}

static void scan_block(struct unit_ctx *u, const uint8_t *p, size_t len)
{
	match_scan(u->s->m, p, len, on_hit, u);
	flush_pending(u->s, u->f, u->dir);
}

/* Stream bytes; an empty piece would end the stream (match_stream_scan's flush). */
static void scan_stream(struct unit_ctx *u, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	match_stream_scan(u->s->m, &u->f->dir[u->dir]->ms, p, len, on_hit, u);
	flush_pending(u->s, u->f, u->dir);
}

static void on_request(void *arg, const struct http_request *r)
{
	struct unit_ctx *u = arg;
	struct flow *f = u->f;
	if (!r->host[0] || f->host_source == HOST_HTTP)
		return;
	size_t n = strcspn(r->host, ":");  /* a port is not part of the name */
	if (r->host[0] == '[')
		n = strcspn(r->host, "]") + 1;
	snprintf(f->host, sizeof f->host, "%.*s", (int)n, r->host);
	f->host_source = HOST_HTTP;
}

static void on_unit(void *arg, const struct http_unit *hu)
{
	struct unit_ctx *u = arg;
	struct unit_ctx v = *u;
	static const int where[] = { WHERE_URL, WHERE_HEADER, WHERE_BODY, WHERE_PAYLOAD };
	v.where = where[hu->where];
	v.chain = hu->encoding;
	v.name = hu->name;
	if (hu->where == HTTP_WHERE_PAYLOAD)
		scan_stream(&v, hu->p, hu->len);
	else
		scan_block(&v, hu->p, hu->len);
}

/* Plaintext TLS records (the ClientHello and its extensions). */
static void on_tls_plain(void *arg, const uint8_t *p, size_t len)
{
	scan_stream(arg, p, len);
}

/* In-order stream bytes from reassembly. */
static void on_stream(void *arg, const uint8_t *p, size_t len)
{
	struct unit_ctx *u = arg;
	struct flow_dir *d = u->f->dir[u->dir];
	if (d->mode == MODE_UNDECIDED) {
		size_t take = len < sizeof d->head - d->headlen ? len : sizeof d->head - d->headlen;
		memcpy(d->head + d->headlen, p, take);
		d->headlen = (uint8_t)(d->headlen + take);
		p += take;
		len -= take;
		int is = http_is_request(d->head, d->headlen), tls = tls_is_record(d->head, d->headlen);
		if ((is < 0 || tls < 0) && d->headlen < sizeof d->head && is != 1 && tls != 1)
			return;
		d->mode = is == 1 ? MODE_HTTP : tls == 1 ? MODE_TLS : MODE_RAW;
		if (d->mode == MODE_HTTP)
			d->http = http_parser_new(&u->s->hs);
		on_stream(arg, d->head, d->headlen);
	}
	if (!len)
		return;
	if (d->mode == MODE_HTTP) {
		http_parser_on_request(d->http, on_request, u);  /* u lives on the caller's stack */
		http_parser_feed(d->http, p, len, on_unit, u);
	} else if (d->mode == MODE_TLS) {
		if (tls_stream_feed(&d->tls, p, len, on_tls_plain, u) < 0) {
			d->mode = MODE_RAW;  /* not TLS after all: scan everything from here */
			u->s->rep->st.tls_not_tls++;
			scan_stream(u, p, len);
		}
	} else {
		scan_stream(u, p, len);
	}
}

static struct flow_dir *dir_get(struct flow *f, int dir)
{
	if (!f->dir[dir])
		f->dir[dir] = util_xcalloc(1, sizeof(struct flow_dir));
	return f->dir[dir];
}

void scan_tcp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	if (!s->m)
		return;
	struct flow_dir *d = dir_get(f, dir);
	struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = WHERE_PAYLOAD };
	if ((p->tcp_flags & TCPF_SYN) && !d->r.started)
		reasm_set_isn(&d->r, p->seq);
	if (p->payload_len)
		reasm_push(&s->rc, &d->r, p->seq + ((p->tcp_flags & TCPF_SYN) ? 1 : 0), p->payload,
			   p->payload_len, on_stream, &u);
}

void scan_udp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	if (!s->m || !p->payload_len)
		return;
	dir_get(f, dir);
	struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = WHERE_PAYLOAD };
	scan_block(&u, p->payload, p->payload_len);
}

void scan_finish(struct scan_ctx *s, struct flow *f)
{
	for (int dir = 0; dir < 2; dir++) {
		struct flow_dir *d = f->dir[dir];
		if (!d)
			continue;
		struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = WHERE_PAYLOAD };
		if (f->proto == 6) {
			reasm_flush(&s->rc, &d->r, on_stream, &u);
			if (d->mode == MODE_UNDECIDED && d->headlen) {  /* too short to tell: scan as is */
				d->mode = MODE_RAW;
				scan_stream(&u, d->head, d->headlen);
			}
			if (d->http) {
				http_parser_on_request(d->http, on_request, &u);
				http_parser_finish(d->http, on_unit, &u);
			}
			/* a value on the stream's last byte waits for a boundary: the flush reports it */
			match_stream_scan(s->m, &d->ms, NULL, 0, on_hit, &u);
			flush_pending(s, f, dir);
		}
		s->rep->st.tls_bytes_skipped += d->tls.skipped;
		http_parser_free(d->http);
		match_stream_free(&d->ms);
		reasm_free(&s->rc, &d->r);
		free(d->leak_idx);
		free(d);
		f->dir[dir] = NULL;
	}
}
