/* scan.c - feeds what a device sends to the matcher: TCP through reassembly and, when the stream
 * is HTTP/1.x, through the request parser and unpack.c (forms, JSON, base64, gzip); WebSocket
 * messages (ws.c); DNS query names; UDP per datagram. Detector rules (rules.c) add suspected hits. */
#include "scan.h"
#include "config.h"
#include "intern.h"
#include "context.h"
#include "dns.h"
#include "identity.h"
#include "match.h"
#include "quic.h"
#include "rules.h"
#include "ssh.h"
#include "tls.h"
#include "unpack.h"
#include "ws.h"
#include <ctype.h>
#include <strings.h>
#include "util.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEND_MAX 128
#define FOUND_MAX 64                   /* a suspected value kept for the report */
#define KEY_MAX 96
#define WIN_MAX (2 * PH_EVIDENCE_CONTEXT + PH_MATCH_MAX_PATTERN)

enum dir_mode { MODE_UNDECIDED, MODE_HTTP, MODE_TLS, MODE_SSH, MODE_RAW };

struct flow_dir {
	struct reasm r;
	struct http_parser *http;
	struct match_stream ms;
	struct tls_stream tls;
	struct ssh_stream ssh;         /* MODE_SSH: identification line, cleartext packets */
	struct tls_session *ts;        /* --keylog: the TLS session being decrypted */
	struct quic_conn *qc;          /* side 0 of a QUIC flow: its connection (quic.c) */
	uint8_t mode;
	uint8_t raw_where;             /* WHERE_PAYLOAD, or WHERE_MQTT / WHERE_XMPP by the first bytes */
	uint8_t websocket;             /* the HTTP request upgraded to WebSocket: payload is frames */
	struct ws_stream ws;
	uint8_t head[16];              /* first bytes, until we can tell HTTP from not */
	uint8_t headlen;
	uint32_t nleaks;
	struct leak_key *leak_keys;    /* this direction's leaks, for de-duplication (not indices:
	                                * ended flows' leaks leave rep->leaks, report_offload) */
	uint32_t msg;                  /* messages so far: HTTP requests, WebSocket messages, stream pieces, datagrams */
};

struct pend_hit {                  /* a hit copied out of the scan callback */
	uint8_t kind;
	uint32_t value_index;
	uint8_t where;
	char encoding[64], name[64];
	uint8_t win[WIN_MAX];
	size_t winlen, start, end;     /* the identifier is win[start, end) */
	uint8_t suspected, keyed, dead, depth;
	int16_t rule;                  /* detector rule, or -1 */
	unsigned buf;                  /* buffer of the unit it lies in (0: the unit, >0 decoded) */
	size_t bstart, bend;           /* its place in that buffer */
	char key[KEY_MAX];
	char found[FOUND_MAX];
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
	unsigned buf;                  /* buffer id being scanned (unpack.h) */
	const char *key;               /* field the buffer came from, or NULL */
	uint8_t depth;                 /* 0 the unit as sent, 1 decoded from it */
};

void scan_init(struct scan_ctx *s, struct matcher *m, const struct identity *id, struct report *rep)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->id = id;
	s->rep = rep;
	reasm_ctx_init(&s->rc);
	s->pend = util_xcalloc(1, sizeof *s->pend);
	s->up = unpack_new();
	s->cids = quic_cids_new();
	s->dirs = (struct util_pool){ .size = sizeof(struct flow_dir), .max = PH_STATE_POOL };
}

void scan_set_rules(struct scan_ctx *s, const struct rules *rules)
{
	s->rules = rules;
}

void scan_free(struct scan_ctx *s)
{
	free(s->pend);
	s->pend = NULL;
	unpack_free(s->up);
	s->up = NULL;
	quic_cids_free(s->cids);
	s->cids = NULL;
	util_pool_drain(&s->dirs);
}

static void build_encoding(char *out, size_t outlen, const char *chain, const char *variant)
{
	if (!chain || !chain[0])
		snprintf(out, outlen, "%s", variant);
	else if (!strcmp(variant, "plain") && !tls_chain_is_transport(chain))
		snprintf(out, outlen, "%s", chain);
	else
		snprintf(out, outlen, "%s>%s", chain, variant);
}

struct leak_key {                  /* what makes two hits of a direction one leak */
	uint32_t value_index;
	uint8_t kind, where, suspected;
	uint64_t text;                 /* FNV-1a of the encoding, and of the value a rule found */
};

static struct leak_key hit_key(const struct pend_hit *h)
{
	struct leak_key k = { h->value_index, h->kind, h->where, h->suspected, 0xcbf29ce484222325ull };
	for (const char *c = h->encoding; *c; c++)
		k.text = (k.text ^ (unsigned char)*c) * 0x100000001b3ull;
	k.text = (k.text ^ 0xff) * 0x100000001b3ull;  /* a separator no encoding holds */
	for (size_t i = 0; h->suspected && i < sizeof h->found && h->found[i]; i++)
		k.text = (k.text ^ (unsigned char)h->found[i]) * 0x100000001b3ull;
	return k;
}

static int already_reported(const struct flow_dir *d, const struct pend_hit *h)
{
	struct leak_key k = hit_key(h);
	for (uint32_t i = 0; i < d->nleaks; i++) {
		const struct leak_key *l = &d->leak_keys[i];
		if (l->kind == k.kind && l->value_index == k.value_index && l->where == k.where &&
		    l->suspected == k.suspected && l->text == k.text)
			return 1;
	}
	return 0;
}

/* Same leak key: kind, value (or rule and value found), where, encoding. */
static int same_hit(const struct pend_hit *q, const struct pend_hit *p)
{
	return q->kind == p->kind && q->value_index == p->value_index && q->where == p->where &&
	       q->suspected == p->suspected && !strcmp(q->encoding, p->encoding) &&
	       (!p->suspected || !strcmp(q->found, p->found));
}

/* Copy of v[0,n) for the report, cut to fit, NUL bytes as '?'. */
static void copy_found(char *out, const uint8_t *v, size_t n)
{
	if (n > FOUND_MAX - 1)
		n = FOUND_MAX - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = v[i] ? (char)v[i] : '?';
	out[n] = 0;
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
	if (h->rule >= 0 && !context_rule_ok(&u->s->rules->r[h->rule], h->buf, h->buflen, h->start, h->end))
		return;  /* the shape is right, the place is not (context.c) */
	struct pend_hit *p = &pd->hit[pd->n];
	p->kind = (uint8_t)h->kind;
	p->value_index = (uint32_t)h->value_index;
	p->where = (uint8_t)u->where;
	build_encoding(p->encoding, sizeof p->encoding, u->chain, h->variant);
	snprintf(p->name, sizeof p->name, "%s", u->name ? u->name : "");
	p->suspected = h->rule >= 0;
	p->rule = (int16_t)h->rule;
	p->keyed = p->dead = 0;
	p->depth = u->depth;
	p->buf = u->buf;
	p->bstart = h->start;
	p->bend = h->end;
	snprintf(p->key, sizeof p->key, "%s", u->key ? u->key : "");
	p->found[0] = 0;
	if (p->suspected)
		copy_found(p->found, h->buf + h->start, h->end - h->start);
	for (size_t i = 0; i < pd->n; i++) {  /* one hit per leak key within a scan */
		if (same_hit(&pd->hit[i], p))
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

/* Whose a hit is: an identity value by its kind (contacts and SMS senders are other people);
 * a rule hit is unknown without an identity file, a contact's or an SMS's is someone else's, a
 * phone number or e-mail someone else's when the identity lists the phone's own (a value equal
 * to it was reported as confirmed), and any other kind the device's. */
static uint8_t hit_subject(const struct scan_ctx *s, const struct pend_hit *p)
{
	if (p->kind == ID_CONTACT || p->kind == ID_SMS)
		return p->suspected && !s->id ? SUBJECT_UNKNOWN : SUBJECT_THIRD_PARTY;
	if (!p->suspected)
		return SUBJECT_DEVICE;
	if (!s->id)
		return SUBJECT_UNKNOWN;
	if (p->kind != ID_PHONE_NUMBER && p->kind != ID_EMAIL)
		return SUBJECT_DEVICE;
	for (size_t i = 0; i < s->id->nvalues; i++)
		if (s->id->values[i].kind == (enum id_kind)p->kind)
			return SUBJECT_THIRD_PARTY;
	return SUBJECT_UNKNOWN;  /* the phone's own is not in the identity: it may be this one */
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
		if (p->dead || already_reported(d, p))
			continue;
		if (d->nleaks == PH_MAX_LEAKS_PER_FLOW || s->rep->nleaks + s->rep->nleaks_out >= PH_MAX_LEAKS) {
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
		l->subject = hit_subject(s, &copy);
		l->msg = d->msg;
		l->ts_us = s->now_us;
		l->encoding = intern_str(copy.encoding);
		l->name = intern_str(copy.name);
		l->key = intern_str(copy.key);
		if (copy.suspected) {
			const struct rule *ru = &s->rules->r[copy.rule];
			l->suspected = 1;
			memcpy(l->found, copy.found, sizeof l->found);
			l->rule_id = ru->id;
			l->rule_desc = ru->description;
			l->rule_sev = ru->severity;
		}
		if (d->ts && !strncmp(copy.encoding, "tls>", 4))
			tls_session_leak(d->ts, l);
		if (d->qc && !strncmp(copy.encoding, "quic>", 5))
			quic_conn_leak(d->qc, l);
		l->evidence = make_evidence(s, &copy);
		d->leak_keys = util_xrealloc(d->leak_keys, (d->nleaks + 1) * sizeof *d->leak_keys);
		d->leak_keys[d->nleaks++] = hit_key(&copy);
		f->nleaks++;
		if (s->on_leak)
			s->on_leak(s->leak_arg, f, l);
	}
}

/* Letters and digits of v, lower-cased, into out; the length. */
static size_t norm_value(const char *v, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && v[i] && o + 1 < outlen; i++)
		if (isalnum((unsigned char)v[i]))
			out[o++] = (char)tolower((unsigned char)v[i]);
	out[o] = 0;
	return o;
}

/* Does a suspected value equal an identity value (letters and digits compared; phone numbers
 * by their last 10 digits)? Then the identity match reports it, as confirmed. */
static int equals_identity(const struct scan_ctx *s, const char *found)
{
	char a[FOUND_MAX], b[FOUND_MAX];
	size_t al = norm_value(found, strlen(found), a, sizeof a);
	if (!s->id || al == 0)
		return 0;
	for (size_t i = 0; i < s->id->nvalues; i++) {
		const char *v = s->id->values[i].value;
		size_t bl = norm_value(v, strlen(v), b, sizeof b);
		if (al == bl && !memcmp(a, b, al))
			return 1;
		if (al >= 10 && bl >= 10 && strspn(a, "0123456789") == al && strspn(b, "0123456789") == bl &&
		    !memcmp(a + al - 10, b + bl - 10, 10))
			return 1;
	}
	return 0;
}

/* Does a confirmed hit of the unit lie in buffer buf over [a, b)? */
static int confirmed_over(const struct scan_pending *pd, unsigned buf, size_t a, size_t b)
{
	for (size_t i = 0; i < pd->n; i++) {
		const struct pend_hit *q = &pd->hit[i];
		if (!q->suspected && !q->dead && q->buf == buf && q->bstart < b && q->bend > a)
			return 1;
	}
	return 0;
}

/* A key path of an upload of other people's data: a segment named like an address book or call log. */
static int upload_key(const char *key)
{
	static const char *names[] = { "contacts", "contactlist", "addressbook", "phonebook", "calllog", "calllogs",
				       "calls", "callhistory" };
	char seg[KEY_MAX];
	for (const char *k = key; *k;) {
		size_t n = strcspn(k, ".[]/");
		rules_norm_key(k, n, seg, sizeof seg);
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(seg, names[i]))
				return 1;
		k += n + (k[n] != 0);
	}
	return 0;
}

/* Is a live hit a person's number or address (an address book's entry, an SMS sender)? */
static int person_value(const struct pend_hit *p)
{
	if (p->dead)
		return 0;
	return p->suspected ? p->kind == ID_PHONE_NUMBER || p->kind == ID_EMAIL || p->kind == ID_CONTACT
			    : p->kind == ID_CONTACT || p->kind == ID_SMS;
}

/* An upload (an address book, a call log): with an identity file, the phone numbers and e-mails
 * rules found are the contacts' (kind contact) when they sit under an address-book key or when
 * the unit holds PH_UPLOAD_MIN_VALUES distinct ones (the identity's contacts and SMS senders
 * counted); the phone's own (confirmed) keep their kind. Then one leak per contact value. */
static void mark_upload(struct scan_ctx *s)
{
	struct scan_pending *pd = s->pend;
	if (!s->id)
		return;  /* without an identity file kinds stay as the rules say */
	size_t distinct = 0;
	for (size_t i = 0; i < pd->n; i++) {
		const struct pend_hit *p = &pd->hit[i];
		size_t j = 0;
		while (j < i && !(person_value(&pd->hit[j]) && pd->hit[j].suspected == p->suspected &&
				  (p->suspected ? !strcmp(pd->hit[j].found, p->found) : pd->hit[j].value_index == p->value_index)))
			j++;
		distinct += person_value(p) && j == i;
	}
	for (size_t i = 0; i < pd->n; i++) {
		struct pend_hit *p = &pd->hit[i];
		if (!p->dead && p->suspected && (p->kind == ID_PHONE_NUMBER || p->kind == ID_EMAIL) &&
		    (distinct >= PH_UPLOAD_MIN_VALUES || upload_key(p->key)))
			p->kind = ID_CONTACT;
	}
	for (size_t i = 0; i < pd->n; i++) {  /* two rules, one contact: reported once */
		struct pend_hit *p = &pd->hit[i];
		for (size_t j = 0; j < i && p->suspected && p->kind == ID_CONTACT && !p->dead; j++) {
			const struct pend_hit *q = &pd->hit[j];
			p->dead = q->suspected && !q->dead && q->kind == ID_CONTACT && !strcmp(q->found, p->found);
		}
	}
}

/* Before the hits of one unit become leaks: checks of suspected values, the simplest chain of
 * each identifier kept (a value found as sent is not reported again from a decoded copy). */
static void finalize_pending(struct scan_ctx *s)
{
	struct scan_pending *pd = s->pend;
	for (size_t i = 0; i < pd->n; i++) {
		struct pend_hit *p = &pd->hit[i];
		if (p->dead)
			continue;
		if (!p->suspected) {
			for (size_t j = 0; j < i && !p->dead; j++) {
				const struct pend_hit *q = &pd->hit[j];
				p->dead = !q->suspected && !q->dead && q->kind == p->kind &&
					  q->value_index == p->value_index && q->depth < p->depth;
			}
			continue;
		}
		const struct rule *r = &s->rules->r[p->rule];
		for (size_t j = 0; j < i && !p->dead; j++) {  /* two rules, one value: reported once */
			const struct pend_hit *q = &pd->hit[j];
			p->dead = q->suspected && !q->dead && q->kind == p->kind && !strcmp(q->found, p->found);
		}
		if (p->dead)
			continue;
		if (r->type == RULES_PATTERN &&
		    (!rules_check_value(r, (const uint8_t *)p->found, strlen(p->found), p->keyed) ||
		     confirmed_over(pd, p->buf, p->bstart, p->bend)))
			p->dead = 1;
		else if (equals_identity(s, p->found))
			p->dead = 1;
	}
	/* rules that need several values in one message (an address book): with an identity file
	 * all or none (mark_upload makes them contacts, the report one finding); without, one */
	for (size_t i = 0; i < pd->n; i++) {
		struct pend_hit *p = &pd->hit[i];
		if (p->dead || !p->suspected || s->rules->r[p->rule].min_count < 2)
			continue;
		unsigned cnt = 0;  /* every live hit of the rule: those before i were kept (identity) or are dead */
		for (size_t j = 0; j < pd->n; j++)
			cnt += !pd->hit[j].dead && pd->hit[j].suspected && pd->hit[j].rule == p->rule;
		for (size_t j = i + 1; j < pd->n; j++)
			pd->hit[j].dead |= (cnt < s->rules->r[p->rule].min_count || !s->id) && pd->hit[j].suspected &&
					   pd->hit[j].rule == p->rule;
		p->dead = cnt < s->rules->r[p->rule].min_count;
	}
	mark_upload(s);
}

static void unit_end(struct unit_ctx *u)
{
	finalize_pending(u->s);
	flush_pending(u->s, u->f, u->dir);
}

static void scan_block(struct unit_ctx *u, const uint8_t *p, size_t len)
{
	u->f->dir[u->dir]->msg++;
	match_scan(u->s->m, p, len, on_hit, u);
	unit_end(u);
}

/* unpack.c: decoded bytes to scan (hits stay pending until the unit ends). */
static void on_blob(void *arg, unsigned buf, const uint8_t *p, size_t n, const char *chain, const char *key)
{
	struct unit_ctx v = *(struct unit_ctx *)arg;
	v.buf = buf;
	v.chain = chain;
	v.key = key;
	v.depth = 1;  /* one more per layer undone: a simpler chain of the same value wins */
	for (const char *c = chain; c && *c; c++)
		v.depth = (uint8_t)(v.depth + (*c == '>' && v.depth < 255));
	match_scan_unit(v.s->m, p, n, on_hit, &v);
}

/* unpack.c: a key and its value. Names the key of hits inside the value; a key rule may make
 * a suspected hit of the value. */
static void on_pair(void *arg, unsigned buf, const char *key, size_t off, size_t rawlen, const uint8_t *v,
		    size_t vl, const char *chain)
{
	struct unit_ctx *u = arg;
	struct scan_ctx *s = u->s;
	struct scan_pending *pd = s->pend;
	char nk[KEY_MAX];
	if (!u->f->app_source && (u->where == WHERE_URL || u->where == WHERE_BODY || u->where == WHERE_WEBSOCKET))
		app_hint_offer(u->f->app_hint, &u->f->app_hint_origin, app_hint_key(key), v, vl);
	rules_norm_key(key, strlen(key), nk, sizeof nk);
	for (size_t i = 0; i < pd->n; i++) {
		struct pend_hit *p = &pd->hit[i];
		if (p->buf != buf || p->bstart < off || p->bend > off + rawlen)
			continue;
		snprintf(p->key, sizeof p->key, "%s", key);
		if (p->suspected && p->rule >= 0 && s->rules->r[p->rule].nkeys) {
			p->keyed = (uint8_t)rules_key_listed(&s->rules->r[p->rule], nk);
			p->dead |= !p->keyed;  /* the pattern under a key it does not name */
		}
	}
	int r = rules_find_key(s->rules, nk);
	if (r < 0 || !rules_check_value(&s->rules->r[r], v, vl, 1) || confirmed_over(pd, buf, off, off + rawlen))
		return;
	if (pd->n == PEND_MAX) {
		s->rep->st.leaks_dropped++;
		return;
	}
	struct pend_hit *p = &pd->hit[pd->n];
	memset(p, 0, offsetof(struct pend_hit, win));
	p->dead = 0;
	p->kind = (uint8_t)s->rules->r[r].kind;
	p->value_index = (uint32_t)r;
	p->where = (uint8_t)u->where;
	p->suspected = 1;
	p->keyed = 1;
	p->rule = (int16_t)r;
	p->buf = buf;
	p->bstart = off;
	p->bend = off + rawlen;
	p->depth = u->depth;
	build_encoding(p->encoding, sizeof p->encoding, chain, "plain");
	snprintf(p->name, sizeof p->name, "%s", u->name ? u->name : "");
	snprintf(p->key, sizeof p->key, "%s", key);
	copy_found(p->found, v, vl);
	for (size_t i = 0; i < pd->n; i++)
		if (same_hit(&pd->hit[i], p))
			return;
	/* evidence: " key=value" (the space keeps the key from looking like a cut-off token) */
	size_t kl = strlen(key) > PH_EVIDENCE_CONTEXT - 1 ? PH_EVIDENCE_CONTEXT - 1 : strlen(key);
	size_t n = vl > PH_MATCH_MAX_PATTERN ? PH_MATCH_MAX_PATTERN : vl;
	p->win[0] = ' ';
	memcpy(p->win + 1, key + strlen(key) - kl, kl);
	p->win[kl + 1] = '=';
	memcpy(p->win + kl + 2, v, n);
	p->winlen = kl + 2 + n;
	p->start = kl + 2;
	p->end = p->winlen;
	pd->n++;
}

/* An HTTP unit (URL, header, body) or a WebSocket message: scan it as sent, then take it apart. */
static void scan_structured(struct unit_ctx *u, enum unpack_type t, const char *ctype, const uint8_t *p,
			    size_t len)
{
	static const struct unpack_cb cb = { on_blob, on_pair };
	match_scan_unit(u->s->m, p, len, on_hit, u);
	unpack_run(u->s->up, t, ctype, p, len, u->chain, NULL, &cb, u);
	unit_end(u);
}

/* A header: its name is a key ("X-IMEI: ..."), Cookie holds pairs, other values may be blobs. */
static void scan_header(struct unit_ctx *u, const struct http_unit *hu)
{
	const char *name = hu->name ? hu->name : "";
	if (!u->f->app_source)  /* no capture format named the app: what it sends may */
		app_hint_offer(u->f->app_hint, &u->f->app_hint_origin, app_hint_header(name), hu->p, hu->len);
	if (!strcasecmp(name, "cookie")) {
		scan_structured(u, UNPACK_COOKIE, NULL, hu->p, hu->len);
		return;
	}
	match_scan_unit(u->s->m, hu->p, hu->len, on_hit, u);
	const char *key = !strncasecmp(name, "x-", 2) ? name + 2 : name;
	if (u->s->rules)
		on_pair(u, 0, key, 0, hu->len, hu->p, hu->len, u->chain);
	static const struct unpack_cb cb = { on_blob, on_pair };
	if (hu->len >= 16)  /* keys inside a header's blob are its own: the header is in name */
		unpack_run(u->s->up, UNPACK_VALUE, NULL, hu->p, hu->len, u->chain, NULL, &cb, u);
	unit_end(u);
}

/* Stream bytes; an empty piece would end the stream (match_stream_scan's flush). */
static void scan_stream(struct unit_ctx *u, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	u->f->dir[u->dir]->msg++;
	match_stream_scan(u->s->m, &u->f->dir[u->dir]->ms, p, len, on_hit, u);
	unit_end(u);
}

/* ws.c: one WebSocket text or binary message from the device. */
static void on_ws_message(void *arg, const uint8_t *p, size_t len, int text)
{
	(void)text;
	struct unit_ctx *u = arg;
	u->f->dir[u->dir]->msg++;
	scan_structured(arg, UNPACK_AUTO, NULL, p, len);
}

static void on_request(void *arg, const struct http_request *r)
{
	struct unit_ctx *u = arg;
	struct flow *f = u->f;
	f->dir[u->dir]->msg++;
	if (r->websocket)
		f->dir[u->dir]->websocket = 1;
	struct report_http *h = report_add_http(u->s->rep, f->id, u->s->now_us, r->method, r->host, r->uri, r->user_agent);
	if (h)
		memcpy(h->protocol, r->protocol, sizeof h->protocol);
	if (!r->host[0] || f->host_source == HOST_HTTP)
		return;
	size_t n = strcspn(r->host, ":");  /* a port is not part of the name */
	if (r->host[0] == '[')
		n = strcspn(r->host, "]") + 1;
	if (f->host_source == HOST_SNI && strlen(f->host) == n && !strncasecmp(f->host, r->host, n))
		return;  /* the name the ClientHello gave: it stays the source */
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
	struct flow_dir *d = u->f->dir[u->dir];
	if (hu->where == HTTP_WHERE_PAYLOAD && d->websocket) {
		v.where = WHERE_WEBSOCKET;
		ws_stream_feed(&d->ws, hu->p, hu->len, on_ws_message, &v);
	} else if (hu->where == HTTP_WHERE_PAYLOAD) {
		scan_stream(&v, hu->p, hu->len);
	} else if (hu->where == HTTP_WHERE_URL) {
		scan_structured(&v, UNPACK_QUERY, NULL, hu->p, hu->len);
	} else if (hu->where == HTTP_WHERE_HEADER) {
		scan_header(&v, hu);
	} else {
		const char *ct = hu->req ? hu->req->content_type : NULL;
		scan_structured(&v, unpack_type_of(ct), ct, hu->p, hu->len);
	}
}

/* Plaintext TLS records (the ClientHello and its extensions). */
static void on_tls_plain(void *arg, const uint8_t *p, size_t len)
{
	scan_stream(arg, p, len);
}

/* Where a non-HTTP, non-TLS stream's bytes are reported: MQTT (a CONNECT packet, MQTT 3.1.1 /
 * 5.0 section 3.1) and XMPP (RFC 6120 stream header) by their first bytes, else payload. */
static int raw_where(const uint8_t *h, size_t n)
{
	if (n >= 8 && h[0] == 0x10 && (memmem(h, n, "MQTT", 4) || memmem(h, n, "MQIsdp", 6)))
		return WHERE_MQTT;
	if (n >= 5 && (!memcmp(h, "<?xml", 5) || (n >= 7 && !memcmp(h, "<stream", 7))))
		return WHERE_XMPP;
	return WHERE_PAYLOAD;
}

/* Cleartext SSH bytes that may carry user data (ssh.c): not the KEXINIT name-lists. */
static void on_ssh_plain(void *arg, const uint8_t *p, size_t len)
{
	scan_stream(arg, p, len);
}

/* In-order stream bytes from reassembly. */
static void on_stream(void *arg, const uint8_t *p, size_t len)
{
	struct unit_ctx *u = arg;
	struct flow_dir *d = u->f->dir[u->dir];
	if (d->mode == MODE_UNDECIDED) {
		util_gather(d->head, &d->headlen, sizeof d->head, &p, &len);
		int is = http_is_request(d->head, d->headlen), tls = tls_is_record(d->head, d->headlen);
		int ssh = ssh_is_banner(d->head, d->headlen);
		if ((is < 0 || tls < 0 || ssh < 0) && d->headlen < sizeof d->head && is != 1 && tls != 1 && ssh != 1)
			return;
		d->mode = is == 1 ? MODE_HTTP : tls == 1 ? MODE_TLS : ssh == 1 ? MODE_SSH : MODE_RAW;
		d->raw_where = (uint8_t)raw_where(d->head, d->headlen);
		if (d->mode == MODE_HTTP)
			d->http = http_parser_new(&u->s->hs);
		if (d->mode == MODE_TLS && u->s->kl && u->dir == 0)
			d->ts = tls_session_new(u->s->kl, &u->s->hs);
		on_stream(arg, d->head, d->headlen);
	}
	if (!len)
		return;
	if (d->mode == MODE_HTTP) {
		http_parser_on_request(d->http, on_request, u);  /* u lives on the caller's stack */
		http_parser_feed(d->http, p, len, on_unit, u);
	} else if (d->mode == MODE_TLS) {
		static const struct tls_sink sink = { on_tls_plain, on_unit, on_request };
		if (d->ts ? tls_session_feed(d->ts, p, len, &sink, u) < 0
			  : tls_stream_feed(&d->tls, p, len, on_tls_plain, u) < 0) {
			d->mode = MODE_RAW;  /* not TLS after all: scan everything from here */
			u->s->rep->st.tls_not_tls++;
			scan_stream(u, p, len);
		}
	} else if (d->mode == MODE_SSH) {
		if (ssh_stream_feed(&d->ssh, p, len, on_ssh_plain, u) < 0) {
			d->mode = MODE_RAW;  /* not SSH packets after all: scan what follows as is */
			scan_stream(u, p, len);
		}
	} else {
		u->where = d->raw_where;
		scan_stream(u, p, len);
	}
}

static struct flow_dir *dir_get(struct scan_ctx *s, struct flow *f, int dir)
{
	if (!f->dir[dir])
		f->dir[dir] = util_pool_get(&s->dirs);
	return f->dir[dir];
}

void scan_tcp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	if (!s->m)
		return;
	struct flow_dir *d = dir_get(s, f, dir);
	struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = WHERE_PAYLOAD };
	if ((p->tcp_flags & TCPF_SYN) && !d->r.started)
		reasm_set_isn(&d->r, p->seq);
	if (p->payload_len)
		reasm_push(&s->rc, &d->r, p->seq + ((p->tcp_flags & TCPF_SYN) ? 1 : 0), p->payload,
			   p->payload_len, on_stream, &u);
}

/* The QUIC connection's name and version into the flow (an HTTP Host found inside wins). */
static void quic_name(struct flow *f, const struct quic_conn *q)
{
	const char *sni = quic_conn_sni(q);
	f->quic_version = quic_conn_version(q);
	if (sni && f->host_source != HOST_HTTP) {
		snprintf(f->host, sizeof f->host, "%s", sni);
		f->host_source = HOST_SNI;
	}
}

static const struct quic_sink quic_sink = { on_tls_plain, on_unit, on_request };

void scan_udp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	if (!s->m || !p->payload_len)
		return;
	struct flow_dir *d = dir_get(s, f, dir);
	struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = WHERE_PAYLOAD };
	if (dir == 0 && !d->qc && !d->msg && quic_is_initial(p->payload, p->payload_len)) {
		d->qc = quic_conn_new(s->kl, &s->hs);  /* a client's first datagram is a QUIC Initial */
		quic_conn_track(d->qc, s->cids, f);
	}
	if (d->qc) {
		quic_conn_client(d->qc, p->payload, p->payload_len, &quic_sink, &u);
		quic_name(f, d->qc);
		return;  /* ciphertext: what could be read was handed on */
	}
	char qname[PH_DNS_MAX_NAME];
	int to_dns = f->port[!dir] == 53 || f->port[!dir] == 5353;
	if (to_dns && dns_question_name(p->payload, p->payload_len, qname, sizeof qname) == 0) {
		u.where = WHERE_DNS;  /* labels carry hashes and encoded values (DNS exfiltration) */
		scan_block(&u, (const uint8_t *)qname, strlen(qname));
		return;
	}
	scan_block(&u, p->payload, p->payload_len);
}

void scan_finish(struct scan_ctx *s, struct flow *f)
{
	for (int dir = 0; dir < 2; dir++) {
		struct flow_dir *d = f->dir[dir];
		if (!d)
			continue;
		struct unit_ctx u = { .s = s, .f = f, .dir = dir, .where = d->raw_where };
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
			if (d->ts) {
				static const struct tls_sink sink = { on_tls_plain, on_unit, on_request };
				tls_session_finish(d->ts, &sink, &u);
			}
			/* a value on the stream's last byte waits for a boundary: the flush reports it */
			match_stream_scan(s->m, &d->ms, NULL, 0, on_hit, &u);
			unit_end(&u);
		}
		if (d->qc) {
			quic_conn_finish(d->qc, &quic_sink, &u);
			match_stream_scan(s->m, &d->ms, NULL, 0, on_hit, &u);
			unit_end(&u);
			quic_conn_account(d->qc, &s->rep->st);
			quic_conn_free(d->qc);
		}
		s->rep->st.tls_bytes_skipped += d->tls.skipped;
		if (d->ts)
			tls_session_account(d->ts, &s->rep->st);
		tls_session_free(d->ts, &s->rc);
		http_parser_free(d->http);
		ws_stream_free(&d->ws);
		match_stream_free(&d->ms);
		reasm_free(&s->rc, &d->r);
		free(d->leak_keys);
		util_pool_put(&s->dirs, d);
		f->dir[dir] = NULL;
	}
}

const struct reasm *scan_dir_reasm(const struct flow *f, int dir)
{
	return f->dir[dir] ? &f->dir[dir]->r : NULL;
}

void scan_tls_server(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	if (dir == 1 && f->dir[0] && f->dir[0]->ts && p->payload_len)
		tls_session_server(f->dir[0]->ts, &s->rc, p->seq + ((p->tcp_flags & TCPF_SYN) ? 1 : 0), p->payload,
				   p->payload_len);
}

void scan_quic_server(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p)
{
	(void)s;
	if (dir == 1 && f->dir[0] && f->dir[0]->qc && p->payload_len)
		quic_conn_server(f->dir[0]->qc, p->payload, p->payload_len);
}

struct flow *scan_quic_flow(const struct scan_ctx *s, const struct packet *p, int *dir)
{
	int d;
	struct flow *f = quic_cids_find(s->cids, p->payload, p->payload_len, &d);
	if (!f || f->family != p->family)
		return NULL;
	size_t alen = f->family == 4 ? 4 : 16;
	const uint8_t *srv = d == 0 ? p->dst : p->src;
	if (f->port[1] != (d == 0 ? p->dport : p->sport) || memcmp(f->addr[1], srv, alen))
		return NULL;  /* only the client moves (RFC 9000 9): the server's end is the flow's */
	*dir = d;
	return f;
}

int scan_tls_keys(const struct flow *f)
{
	if (f->dir[0] && f->dir[0]->qc)
		return quic_conn_keys(f->dir[0]->qc);
	return f->dir[0] && f->dir[0]->ts ? tls_session_keys(f->dir[0]->ts) : 0;
}
