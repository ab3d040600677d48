/* diff.c - phonehome diff: reads two report.json files (jansson), groups their leaks by kind,
 * subject and destination, pairs the groups in three tiers and words what is gone, new or changed. */
#include "diff.h"
#include "config.h"
#include "identity.h"
#include "report_json.h"
#include "summary.h"
#include "util.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- registrable domain */

/* Second-level labels under which a country code registry sells names (co.uk, com.cn,
 * com.br, co.in, ne.jp ...): the registrable domain is then the last three labels. */
static const char *const SLD[] = {
	"ac", "co", "com", "edu", "gen", "go", "gob", "gouv", "gov", "govt", "in", "info", "lg", "ltd",
	"mil", "ne", "net", "nic", "nom", "or", "org", "plc", "sch", "web",
};

static int is_sld(const char *label, size_t n)
{
	for (size_t i = 0; i < sizeof SLD / sizeof SLD[0]; i++)
		if (strlen(SLD[i]) == n && !strncmp(SLD[i], label, n))
			return 1;
	return 0;
}

/* Lower case, no trailing dot, no ":port"; an address literal is kept as it is. */
static void host_norm(const char *host, char *out, size_t outlen)
{
	size_t n = 0;
	const char *colon = strchr(host, ':');
	int port = colon && !strchr(colon + 1, ':') && host[0] != '[';  /* one colon: name:port */
	for (const char *s = host; *s && n + 1 < outlen && !(port && s == colon); s++)
		out[n++] = (char)tolower((unsigned char)*s);
	while (n && out[n - 1] == '.')
		n--;
	out[n] = 0;
}

/* The rule: the last two labels, or the last three when the top level is a two-letter
 * country code and the second level is one of SLD; an address or a one-label name is
 * its own domain.  No public-suffix list: private suffixes (github.io) are not known. */
const char *diff_domain(const char *host, char *out, size_t outlen)
{
	char h[256];
	host_norm(host ? host : "", h, sizeof h);
	size_t n = strlen(h);
	int digits = 1;
	for (size_t i = 0; i < n; i++)
		digits &= isdigit((unsigned char)h[i]) || h[i] == '.';
	if (strchr(h, ':') || h[0] == '[' || digits) {
		snprintf(out, outlen, "%s", h);
		return out;
	}
	const char *dot[3] = { NULL, NULL, NULL };  /* the last three dots, last first */
	size_t nd = 0;
	for (size_t i = n; i-- > 0 && nd < 3;)
		if (h[i] == '.')
			dot[nd++] = h + i;
	const char *start = h;
	if (nd >= 2) {
		size_t tld = (size_t)(h + n - dot[0] - 1), sld = (size_t)(dot[0] - dot[1] - 1);
		int three = tld == 2 && is_sld(dot[1] + 1, sld);
		start = three ? (nd == 3 ? dot[2] + 1 : h) : dot[1] + 1;
	}
	snprintf(out, outlen, "%s", start);
	return out;
}

/* ---------------------------------------------------------------- string sets */

static void set_add(struct diff_set *s, const char *v)
{
	if (!v || !v[0])
		return;
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->v[mid], v);
		if (!c)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->v = util_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
	s->v[lo] = util_xstrdup(v);
	s->n++;
}

static int set_equal(const struct diff_set *a, const struct diff_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

static void set_free(struct diff_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void diff_set_join(const struct diff_set *s, char *out, size_t outlen)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < s->n && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? ", " : "", s->v[i]);
	if (!s->n)
		snprintf(out, outlen, "-");
}

/* ---------------------------------------------------------------- reading */

/* One leak or finding as read, before grouping. */
struct rec {
	char *key;                     /* kind \x1f subject \x1f destination key */
	size_t ord;                    /* position in the report: ties keep it */
	const char *kind, *subject, *org, *dest_ip, *country, *proto, *encoding, *identifier;
	char host[256];
	json_int_t asn, port;
	int encrypted, decrypted, foreign, severity;
};

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_int_t jint(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	if (json_is_integer(v))
		return json_integer_value(v);
	const char *s = json_string_value(v);  /* "AS123" from another writer */
	if (s && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
		s += 2;
	return s ? strtoll(s, NULL, 10) : 0;
}

static int severity_rank(const char *s)
{
	static const char *names[] = { "low", "medium", "high", "critical" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *diff_severity_name(int s)
{
	static const char *names[] = { "low", "medium", "high", "critical" };
	return s >= 0 && s < 4 ? names[s] : NULL;
}

/* Fills r from a leak object; from, when not NULL, is the leak a finding points at
 * (asn, organisation, transport and encoding, which findings do not carry). */
static int rec_fill(struct rec *r, const json_t *o, const json_t *from, size_t ord)
{
	const json_t *sub = json_object_get(o, "subject");
	memset(r, 0, sizeof *r);
	r->kind = json_string_value(json_object_get(o, "kind"));
	if (!r->kind)  /* nothing to compare it by */
		return -1;
	r->subject = json_string_value(sub);
	if (r->subject && !strcmp(r->subject, "unknown"))
		r->subject = NULL;
	const json_t *x = from ? from : o;
	host_norm(jstr(o, "host"), r->host, sizeof r->host);
	r->asn = jint(x, "asn");
	r->org = jstr(x, "asn_org");
	r->dest_ip = jstr(o, "dest_ip")[0] ? jstr(o, "dest_ip") : jstr(x, "dest_ip");
	r->country = jstr(o, "country");
	r->proto = jstr(x, "proto");
	r->port = json_object_get(o, "dest_port") ? jint(o, "dest_port") : jint(x, "dest_port");
	r->encoding = jstr(x, "encoding");
	if (!strncmp(r->encoding, "tls>", 4))  /* the transport, compared on its own (DF_TLS) */
		r->encoding += 4;
	else if (!strncmp(r->encoding, "quic>", 5))  /* QUIC too (proto UDP tells it apart) */
		r->encoding += 5;
	r->encrypted = json_is_true(json_object_get(o, "encrypted"));
	r->decrypted = json_is_true(json_object_get(o, "decrypted"));
	r->foreign = json_is_true(json_object_get(o, "foreign"));
	r->severity = severity_rank(jstr(o, "severity"));
	const json_t *ids = json_object_get(o, "identifiers");  /* a finding's */
	r->identifier = json_is_array(ids) ? json_string_value(json_array_get(ids, 0))
					   : json_string_value(json_object_get(o, "identifier"));
	char dk[320];
	if (r->host[0])
		snprintf(dk, sizeof dk, "%s", r->host);
	else if (r->asn > 0)
		snprintf(dk, sizeof dk, "AS%lld", (long long)r->asn);
	else if (r->org[0])
		snprintf(dk, sizeof dk, "org:%s", r->org);
	else
		snprintf(dk, sizeof dk, "ip:%s", r->dest_ip);
	size_t n = strlen(r->kind) + (r->subject ? strlen(r->subject) : 0) + strlen(dk) + 3;
	r->key = util_xmalloc(n);
	snprintf(r->key, n, "%s\x1f%s\x1f%s", r->kind, r->subject ? r->subject : "", dk);
	r->ord = ord;
	return 0;
}

static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : a->ord < b->ord ? -1 : a->ord > b->ord;
}

static char *dup_or_null(const char *s)
{
	return s ? util_xstrdup(s) : NULL;
}

static void item_start(struct diff_item *it, const struct rec *r)
{
	char dom[256];
	memset(it, 0, sizeof *it);
	it->kind = util_xstrdup(r->kind);
	it->subject = dup_or_null(r->subject);
	it->host = util_xstrdup(r->host);
	it->domain = util_xstrdup(r->host[0] ? diff_domain(r->host, dom, sizeof dom) : "");
	it->dkey = util_xstrdup(strrchr(r->key, '\x1f') + 1);
	it->key = util_xstrdup(r->key);
	it->asn = r->asn > 0 && r->asn <= UINT32_MAX ? (uint32_t)r->asn : 0;
	it->org = util_xstrdup(r->org);
	it->dest_ip = util_xstrdup(r->dest_ip);
	it->identifier = dup_or_null(r->identifier);
	it->severity = -1;
}

static void item_add(struct diff_item *it, const struct rec *r)
{
	char t[64];
	it->count++;
	set_add(&it->encodings, r->encoding);
	set_add(&it->countries, r->country);
	if (r->proto[0] || r->port) {
		snprintf(t, sizeof t, "%s/%lld", r->proto[0] ? r->proto : "?", (long long)r->port);
		set_add(&it->transports, t);
	}
	it->cleartext |= !r->encrypted;
	it->tls |= r->encrypted;
	it->decrypted |= r->encrypted && r->decrypted;
	it->foreign |= r->foreign;
	if (r->severity > it->severity)
		it->severity = r->severity;
}

static void item_free(struct diff_item *it)
{
	free(it->kind);
	free(it->subject);
	free(it->host);
	free(it->domain);
	free(it->dkey);
	free(it->key);
	free(it->org);
	free(it->dest_ip);
	free(it->identifier);
	set_free(&it->encodings);
	set_free(&it->countries);
	set_free(&it->transports);
}

/* Groups the records by key into items (key order). */
static struct diff_item *group(struct rec *r, size_t n, size_t *nitems)
{
	struct diff_item *it = util_xcalloc(n + 1, sizeof *it);
	size_t k = 0;
	if (n)
		qsort(r, n, sizeof *r, cmp_rec);
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(r[i].key, r[i - 1].key))
			item_start(&it[k++], &r[i]);
		item_add(&it[k - 1], &r[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(r[i].key);
	free(r);
	*nitems = k;
	return it;
}

static struct diff_item *group_leaks(const json_t *leaks, size_t *nitems)
{
	size_t n = json_array_size(leaks), m = 0;
	struct rec *r = util_xcalloc(n + 1, sizeof *r);
	for (size_t i = 0; i < n; i++)
		m += rec_fill(&r[m], json_array_get(leaks, i), NULL, i) == 0;
	return group(r, m, nitems);
}

static struct diff_item *group_findings(const json_t *findings, const json_t *leaks, size_t *nitems)
{
	size_t n = json_array_size(findings), m = 0;
	struct rec *r = util_xcalloc(n + 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		const json_t *fd = json_array_get(findings, i);
		const json_t *li = json_array_get(json_object_get(fd, "leaks"), 0);
		const json_t *from = json_is_integer(li) ? json_array_get(leaks, (size_t)json_integer_value(li)) : NULL;
		m += rec_fill(&r[m], fd, json_is_object(from) ? from : NULL, i) == 0;
	}
	return group(r, m, nitems);
}

/* First and last capture time over the inputs (ISO 8601 strings sort as times). */
static void capture_span(struct diff_side *s, const json_t *inputs)
{
	const char *first = "", *last = "";
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		const char *a = jstr(json_array_get(inputs, i), "first_seen");
		const char *b = jstr(json_array_get(inputs, i), "last_seen");
		if (a[0] && (!first[0] || strcmp(a, first) < 0))
			first = a;
		if (b[0] && strcmp(b, last) > 0)
			last = b;
	}
	s->first_seen = util_xstrdup(first);
	s->last_seen = util_xstrdup(last);
}

struct diff_side *diff_side_parse(const json_t *root, const char *name, char *errbuf, size_t errlen)
{
	const json_t *tool = json_object_get(root, "tool");
	const json_t *leaks = json_object_get(root, "leaks"), *findings = json_object_get(root, "findings");
	if (!json_is_object(root) || strcmp(jstr(tool, "name"), "phonehome") || !json_is_array(leaks)) {
		snprintf(errbuf, errlen, "%s: not a phonehome report (no tool.name \"phonehome\" and leaks array)", name);
		return NULL;
	}
	const json_t *fmt = json_object_get(tool, "report_format");
	if (fmt && (!json_is_integer(fmt) || json_integer_value(fmt) != REPORT_JSON_FORMAT)) {
		char *v = json_dumps(fmt, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(errbuf, errlen, "%s: report format %.40s is unknown to phonehome %s (it reads format %d)", name,
			 v ? v : "?", PH_VERSION, REPORT_JSON_FORMAT);
		free(v);
		return NULL;
	}
	struct diff_side *s = util_xcalloc(1, sizeof *s);
	s->path = util_xstrdup(name);
	s->version = util_xstrdup(jstr(tool, "version")[0] ? jstr(tool, "version") : "?");
	s->format = REPORT_JSON_FORMAT;  /* absent: written before the field, format 1 */
	capture_span(s, json_object_get(root, "inputs"));
	s->nleaks = json_array_size(leaks);
	s->leaks = group_leaks(leaks, &s->nleak_items);
	s->has_findings = json_is_array(findings);
	s->nfindings = json_array_size(findings);
	s->findings = s->has_findings ? group_findings(findings, leaks, &s->nfinding_items) : NULL;
	return s;
}

struct diff_side *diff_side_read(const char *path, char *errbuf, size_t errlen)
{
	struct stat sb;
	char file[PATH_MAX];
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		snprintf(file, sizeof file, "%s%sreport.json", path, path[strlen(path) - 1] == '/' ? "" : "/");
	else
		snprintf(file, sizeof file, "%s", path);
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot read: %s", file, strerror(errno));
		return NULL;
	}
	json_error_t je;
	size_t cap = 1 << 16, len = 0, got;  /* the whole file, then one parse: json_loadf reads a byte at a time */
	char *buf = util_xmalloc(cap);
	while ((got = fread(buf + len, 1, cap - len, f)) > 0)
		if ((len += got) == cap)
			buf = util_xrealloc(buf, cap *= 2);
	int rerr = ferror(f);
	fclose(f);
	json_t *root = rerr ? NULL : json_loadb(buf, len, 0, &je);
	free(buf);
	if (!root) {
		if (rerr)
			snprintf(errbuf, errlen, "%s: cannot read: %s", file, strerror(EIO));
		else
			snprintf(errbuf, errlen, "%s: not JSON (line %d: %s)", file, je.line, je.text);
		return NULL;
	}
	struct diff_side *s = diff_side_parse(root, file, errbuf, errlen);
	json_decref(root);
	return s;
}

void diff_side_free(struct diff_side *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nleak_items; i++)
		item_free(&s->leaks[i]);
	for (size_t i = 0; i < s->nfinding_items; i++)
		item_free(&s->findings[i]);
	free(s->leaks);
	free(s->findings);
	free(s->path);
	free(s->version);
	free(s->first_seen);
	free(s->last_seen);
	free(s);
}

/* ---------------------------------------------------------------- comparison */

static int same_subject(const struct diff_item *a, const struct diff_item *b)
{
	return !strcmp(a->kind, b->kind) && (a->subject && b->subject ? !strcmp(a->subject, b->subject)
								 : !a->subject && !b->subject);
}

/* Tier 2, after the same key (tier 0) and the same registrable domain (tier 1): one of the
 * two has no host name, and the ASN or the organisation's name is the same. */
static int same_org(const struct diff_item *a, const struct diff_item *b)
{
	return (!a->host[0] || !b->host[0]) && ((a->asn && a->asn == b->asn) || (a->org[0] && !strcasecmp(a->org, b->org)));
}

struct dom_ref {                   /* an unmatched new item with a host name, for tier 1 */
	const char *kind, *subject, *domain;
	size_t j;
};

static int cmp_dom_ref(const void *x, const void *y)
{
	const struct dom_ref *a = x, *b = y;
	int c = strcmp(a->kind, b->kind);
	c = c ? c : strcmp(a->subject, b->subject);
	c = c ? c : strcmp(a->domain, b->domain);
	return c ? c : a->j < b->j ? -1 : a->j > b->j;
}

/* Tier 1: each unmatched old item with a host takes the first unmatched new item of the same
 * kind, subject and registrable domain (new items sorted by those; a cursor per run). */
static void match_domains(const struct diff_item *a, size_t na, const struct diff_item *b, size_t nb, ssize_t *ma,
			  ssize_t *mb)
{
	struct dom_ref *r = util_xcalloc(nb + 1, sizeof *r);
	size_t n = 0;
	for (size_t j = 0; j < nb; j++)
		if (mb[j] < 0 && b[j].host[0])
			r[n++] = (struct dom_ref){ b[j].kind, b[j].subject ? b[j].subject : "", b[j].domain, j };
	if (n)
		qsort(r, n, sizeof *r, cmp_dom_ref);
	size_t *cur = util_xcalloc(n + 1, sizeof *cur);  /* at a run's first index: its next free one */
	for (size_t k = 0; k < n; k++)
		cur[k] = k;
	for (size_t i = 0; i < na && n; i++) {
		if (ma[i] >= 0 || !a[i].host[0])
			continue;
		struct dom_ref key = { a[i].kind, a[i].subject ? a[i].subject : "", a[i].domain, 0 };
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cmp_dom_ref(&r[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t c = lo < n ? cur[lo] : n;
		key.j = c < n ? r[c].j : 0;
		if (c < n && !cmp_dom_ref(&r[c], &key)) {  /* still in the run: the same kind, subject and domain */
			ma[i] = (ssize_t)r[c].j;
			mb[r[c].j] = (ssize_t)i;
			cur[lo] = c + 1;
		}
	}
	free(cur);
	free(r);
}

static unsigned changes_of(const struct diff_item *o, const struct diff_item *n)
{
	unsigned c = 0;
	c |= strcmp(o->host, n->host) ? DF_HOST : 0;
	c |= !set_equal(&o->countries, &n->countries) ? DF_COUNTRY : 0;
	c |= strcmp(diff_item_transport_state(o), diff_item_transport_state(n)) ? DF_TLS : 0;
	c |= !set_equal(&o->transports, &n->transports) ? DF_TRANSPORT : 0;
	c |= !set_equal(&o->encodings, &n->encodings) ? DF_ENCODING : 0;
	return c;
}

/* Foreign first, then the most severe, then key order. */
static int cmp_item(const void *x, const void *y)
{
	const struct diff_item *a = *(const struct diff_item *const *)x, *b = *(const struct diff_item *const *)y;
	if (a->foreign != b->foreign)
		return b->foreign - a->foreign;
	if (a->severity != b->severity)
		return b->severity - a->severity;
	return a < b ? -1 : a > b;
}

struct diff *diff_compare(const struct diff_side *old, const struct diff_side *new)
{
	struct diff *d = util_xcalloc(1, sizeof *d);
	int fd = old->has_findings && new->has_findings;
	const struct diff_item *a = fd ? old->findings : old->leaks, *b = fd ? new->findings : new->leaks;
	size_t na = fd ? old->nfinding_items : old->nleak_items, nb = fd ? new->nfinding_items : new->nleak_items;
	ssize_t *ma = util_xcalloc(na + 1, sizeof *ma), *mb = util_xcalloc(nb + 1, sizeof *mb);
	d->old = old;
	d->new = new;
	d->unit = fd ? "findings" : "leaks";
	for (size_t i = 0; i < na; i++)
		ma[i] = -1;
	for (size_t j = 0; j < nb; j++)
		mb[j] = -1;
	for (size_t i = 0; i < na; i++) {  /* tier 0, the same key: a binary search, both are sorted by it */
		size_t lo = 0, hi = nb;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (strcmp(b[mid].key, a[i].key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nb && !strcmp(b[lo].key, a[i].key)) {
			ma[i] = (ssize_t)lo;
			mb[lo] = (ssize_t)i;
		}
	}
	match_domains(a, na, b, nb, ma, mb);
	size_t *ua = util_xcalloc(na + 1, sizeof *ua), *ub = util_xcalloc(nb + 1, sizeof *ub), nua = 0, nub = 0;
	for (size_t i = 0; i < na; i++)  /* tier 2 among the few left */
		if (ma[i] < 0)
			ua[nua++] = i;
	for (size_t j = 0; j < nb; j++)
		if (mb[j] < 0)
			ub[nub++] = j;
	for (size_t x = 0; x < nua; x++)
		for (size_t y = 0; ma[ua[x]] < 0 && y < nub; y++) {
			size_t i = ua[x], j = ub[y];
			if (mb[j] < 0 && same_subject(&a[i], &b[j]) && same_org(&a[i], &b[j])) {
				ma[i] = (ssize_t)j;
				mb[j] = (ssize_t)i;
			}
		}
	free(ua);
	free(ub);
	d->gone = util_xcalloc(na + 1, sizeof *d->gone);
	d->added = util_xcalloc(nb + 1, sizeof *d->added);
	d->changed = util_xcalloc(na + 1, sizeof *d->changed);
	d->same = util_xcalloc(na + 1, sizeof *d->same);
	for (size_t i = 0; i < na; i++) {
		if (ma[i] < 0) {
			d->gone[d->ngone++] = &a[i];
			continue;
		}
		struct diff_pair p = { &a[i], &b[ma[i]], changes_of(&a[i], &b[ma[i]]) };
		if (p.changes)
			d->changed[d->nchanged++] = p;
		else
			d->same[d->nsame++] = p;
	}
	for (size_t j = 0; j < nb; j++)
		if (mb[j] < 0)
			d->added[d->nadded++] = &b[j];
	qsort(d->gone, d->ngone, sizeof *d->gone, cmp_item);
	qsort(d->added, d->nadded, sizeof *d->added, cmp_item);
	free(ma);
	free(mb);
	return d;
}

void diff_free(struct diff *d)
{
	if (!d)
		return;
	free(d->gone);
	free(d->added);
	free(d->changed);
	free(d->same);
	free(d);
}

int diff_new_foreign(const struct diff *d)
{
	for (size_t i = 0; i < d->nadded; i++)
		if (d->added[i]->foreign)
			return 1;
	for (size_t i = 0; i < d->nchanged; i++)
		if (d->changed[i].new->foreign && !d->changed[i].old->foreign)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- wording */

void diff_item_label(const struct diff_item *it, char *out, size_t outlen)
{
	int k = identity_kind_parse(it->kind);
	const char *label = k >= 0 ? summary_kind_label(k) : it->kind;
	int third = it->subject && !strcmp(it->subject, "third_party");
	snprintf(out, outlen, "%s%s", label, third ? " (third party)" : "");
}

void diff_item_dest(const struct diff_item *it, char *out, size_t outlen)
{
	if (it->host[0])
		snprintf(out, outlen, "%s", it->host);
	else if (it->asn)
		snprintf(out, outlen, "AS%u%s%s", it->asn, it->org[0] ? " " : "", it->org);
	else if (it->org[0])
		snprintf(out, outlen, "%s", it->org);
	else
		snprintf(out, outlen, "%s", it->dest_ip[0] ? it->dest_ip : "an unknown destination");
}

const char *diff_item_transport_state(const struct diff_item *it)
{
	if (it->cleartext && it->tls)
		return "cleartext and TLS";
	if (it->tls)
		return it->decrypted ? "TLS (decrypted)" : "TLS";
	return "cleartext";
}

/* " in China" when the item went to one known country, else "". */
static void in_country(const struct diff_item *it, char *out, size_t outlen)
{
	out[0] = 0;
	if (it->countries.n == 1)
		snprintf(out, outlen, " in %s", summary_country_name(it->countries.v[0]));
}

void diff_pair_changes(const struct diff_pair *p, char *out, size_t outlen)
{
	char a[512], b[512];
	size_t n = 0;
	out[0] = 0;
#define CHANGE(bit, fmt, x, y) \
	if ((p->changes & (bit)) && n < outlen) \
		n += (size_t)snprintf(out + n, outlen - n, "%s" fmt, n ? "; " : "", x, y)
	CHANGE(DF_HOST, "host %s -> %s", p->old->host[0] ? p->old->host : "none", p->new->host[0] ? p->new->host : "none");
	diff_set_join(&p->old->countries, a, sizeof a);
	diff_set_join(&p->new->countries, b, sizeof b);
	CHANGE(DF_COUNTRY, "country %s -> %s", a, b);
	CHANGE(DF_TLS, "%s -> %s", diff_item_transport_state(p->old), diff_item_transport_state(p->new));
	diff_set_join(&p->old->transports, a, sizeof a);
	diff_set_join(&p->new->transports, b, sizeof b);
	CHANGE(DF_TRANSPORT, "transport %s -> %s", a, b);
	diff_set_join(&p->old->encodings, a, sizeof a);
	diff_set_join(&p->new->encodings, b, sizeof b);
	CHANGE(DF_ENCODING, "encoding %s -> %s", a, b);
#undef CHANGE
}

/* What the first change of a pair means, as the end of a sentence about it. */
static void change_phrase(const struct diff_pair *p, char *out, size_t outlen)
{
	char c[64], t[512];
	if (p->changes & DF_COUNTRY) {
		in_country(p->new, c, sizeof c);
		snprintf(out, outlen, "now goes%s", c[0] ? c : " to other countries");
	} else if (p->changes & DF_TLS) {
		snprintf(out, outlen, "moved from %s to %s", diff_item_transport_state(p->old),
			 diff_item_transport_state(p->new));
	} else if (p->changes & DF_TRANSPORT) {
		diff_set_join(&p->new->transports, t, sizeof t);
		snprintf(out, outlen, "now goes over %s", t);
	} else if (p->changes & DF_ENCODING) {
		diff_set_join(&p->new->encodings, t, sizeof t);
		snprintf(out, outlen, "is now sent as %s", t);
	} else {
		snprintf(out, outlen, "now goes to %s", p->new->host[0] ? p->new->host : "another host");
	}
}

void diff_verdict(const struct diff *d, char *out, size_t outlen)
{
	char parts[256] = "", label[128], dest[300], c[64], ph[600];
	size_t n = 0;
	if (d->ngone)
		n += (size_t)snprintf(parts + n, sizeof parts - n, "%zu leak%s gone", d->ngone, d->ngone == 1 ? "" : "s");
	if (d->nadded)
		n += (size_t)snprintf(parts + n, sizeof parts - n, "%s%zu new", n ? ", " : "", d->nadded);
	else if (d->ngone)
		n += (size_t)snprintf(parts + n, sizeof parts - n, ", none new");
	if (d->nchanged)
		snprintf(parts + n, sizeof parts - n, "%s%zu changed", n ? ", " : "", d->nchanged);
	if (d->nadded) {
		const struct diff_item *it = d->added[0];
		diff_item_label(it, label, sizeof label);
		diff_item_dest(it, dest, sizeof dest);
		in_country(it, c, sizeof c);
		snprintf(out, outlen, "%s: the %s now goes to %s%s", parts, label, dest, c);
	} else if (d->nchanged) {
		diff_item_label(d->changed[0].old, label, sizeof label);
		diff_item_dest(d->changed[0].old, dest, sizeof dest);
		change_phrase(&d->changed[0], ph, sizeof ph);
		snprintf(out, outlen, "%s: the %s to %s %s", parts, label, dest, ph);
	} else if (d->ngone) {
		snprintf(out, outlen, "%s", parts);
	} else if (d->nsame) {
		snprintf(out, outlen, "No change: the same %zu leak%s to the same destinations", d->nsame,
			 d->nsame == 1 ? "" : "s");
	} else {
		snprintf(out, outlen, "No change: no leak before or after");
	}
}
