/* summary.c - the short table a tester reads first: foreign destinations,
 * then leaks (kind, host, country, encoding), then a one-line verdict. */
#include "summary.h"
#include "app.h"
#include "country.h"
#include "util.h"
#include <stdlib.h>
#include "config.h"
#include "escape.h"
#include "findings.h"
#include "identity.h"
#include "mask.h"
#include "report_json.h"
#include <arpa/inet.h>
#include <string.h>

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* A host name as the terminal shows it: identifiers in it masked like in every report, and no
 * escape sequence a captured name could carry. */
static const char *term_host(const struct audit *a, const char *s, char *safe, size_t n)
{
	char masked[PH_DNS_MAX_NAME];
	mask_text(a, s, masked, sizeof masked);
	return escape_term(masked, safe, n);
}

#define SUMMARY_MAX_ROWS 25  /* a terminal's worth; the JSON report has every flow and leak */

/* A printed row of the foreign destinations. */
struct row {
	const char *cc, *host, *app;
	char addr[INET6_ADDRSTRLEN];
	uint64_t flows, bytes, leaks;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Same printed columns: one row. */
static int row_key_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	int c;
	if ((c = cmp_str(a->cc, b->cc)) || (c = cmp_str(a->host, b->host)) || (c = strcmp(a->addr, b->addr)))
		return c;
	return cmp_str(a->app, b->app);
}

/* Most important first: leaks, bytes, then the key for a stable order. */
static int row_rank_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	if (a->leaks != b->leaks)
		return a->leaks < b->leaks ? 1 : -1;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	return row_key_cmp(x, y);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;  /* FNV-1a */
	return (h ^ 0x1f) * 0x100000001b3ull;  /* a separator, so "ab","c" and "a","bc" differ */
}

/* t into its place among the m ranked rows of v (room for one more). */
static void rows_rank_put(struct row *v, size_t *m, const struct row *t)
{
	size_t j = (*m)++;
	for (; j > 0 && row_rank_cmp(t, &v[j - 1]) < 0; j--)
		v[j] = v[j - 1];
	v[j] = *t;
}

static void print_more(FILE *out, size_t shown, size_t n, const char *what)
{
	if (n > shown)
		fprintf(out, "  ... and %zu more %s (all of them are in the JSON report)\n", n - shown, what);
}

/* Distinct strings, each kept once: rows outlive the flow they were read from. */
struct strtab { char **slot; size_t n, cap; };

static const char *intern(struct strtab *t, const char *str)
{
	if (2 * (t->n + 1) > t->cap) {
		struct strtab old = *t;
		t->cap = old.cap ? old.cap * 2 : 256;
		t->slot = util_xcalloc(t->cap, sizeof *t->slot);
		t->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slot[i]) {
				size_t j = (size_t)hash_str(0, old.slot[i]) & (t->cap - 1);
				while (t->slot[j])
					j = (j + 1) & (t->cap - 1);
				t->slot[j] = old.slot[i];
				t->n++;
			}
		free(old.slot);
	}
	size_t j = (size_t)hash_str(0, str) & (t->cap - 1);
	while (t->slot[j] && strcmp(t->slot[j], str))
		j = (j + 1) & (t->cap - 1);
	if (!t->slot[j]) {
		t->slot[j] = util_xstrdup(str);
		t->n++;
	}
	return t->slot[j];
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
}

/* A foreign destination: one per country, host (or address) and app, whatever the number of
 * flows; its strings interned, so equal pointers are equal keys. A week's capture has many. */
struct dest {
	const char *cc, *host, *app;
	uint8_t addr[16], family;
	uint64_t flows, bytes, leaks;
};

struct dests {
	struct dest *v; size_t n, cap;
	uint32_t *slot; size_t nslot;  /* index + 1, 0 empty */
};

static uint64_t dest_hash(const struct dest *d)
{
	uint64_t h = (uintptr_t)d->cc * 31 + (uintptr_t)d->host * 17 + (uintptr_t)d->app;
	for (int i = 0; !d->host && i < 16; i++)
		h = (h ^ d->addr[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}

static int dest_eq(const struct dest *a, const struct dest *b)
{
	return a->cc == b->cc && a->host == b->host && a->app == b->app &&
	       (a->host || (a->family == b->family && !memcmp(a->addr, b->addr, 16)));
}

static size_t dest_slot(const struct dests *t, const struct dest *d)
{
	size_t j = (size_t)dest_hash(d) & (t->nslot - 1);
	while (t->slot[j] && !dest_eq(&t->v[t->slot[j] - 1], d))
		j = (j + 1) & (t->nslot - 1);
	return j;
}

static void dests_add(struct dests *t, const struct dest *d)
{
	if (2 * (t->n + 1) > t->nslot) {
		free(t->slot);
		t->nslot = t->nslot ? 2 * t->nslot : 1024;
		t->slot = util_xcalloc(t->nslot, sizeof *t->slot);
		for (size_t i = 0; i < t->n; i++)
			t->slot[dest_slot(t, &t->v[i])] = (uint32_t)(i + 1);
	}
	size_t j = dest_slot(t, d);
	if (t->slot[j]) {
		struct dest *w = &t->v[t->slot[j] - 1];
		w->flows += d->flows;
		w->bytes += d->bytes;
		w->leaks += d->leaks;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->v = util_xrealloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n] = *d;
	t->slot[j] = (uint32_t)++t->n;
}

/* A foreign flow into the table of destinations. */
static void foreign_add(struct dests *t, struct strtab *strs, const struct report_flow *f)
{
	struct dest d = { .cc = intern(strs, f->geo.country), .app = intern(strs, f->app_proto),
			  .family = (uint8_t)f->family, .flows = 1, .bytes = f->bytes[!f->remote], .leaks = f->nleaks };
	d.host = f->host[0] ? intern(strs, f->host) : NULL;
	if (!d.host)  /* no name: the address is the destination */
		memcpy(d.addr, f->addr[f->remote], f->family == 4 ? 4 : 16);
	dests_add(t, &d);
}

static void print_foreign(FILE *out, const struct audit *a, const struct dests *t, size_t nflows)
{
	size_t m = 0;
	struct row v[SUMMARY_MAX_ROWS + 1];  /* the most important, ranked */
	for (size_t i = 0; i < t->n; i++) {
		const struct dest *d = &t->v[i];
		struct row w = { .cc = d->cc, .host = d->host, .app = d->app, .flows = d->flows, .bytes = d->bytes,
				 .leaks = d->leaks };
		if (!d->host)
			report_addr_str(d->family, d->addr, w.addr, sizeof w.addr);
		if (m == SUMMARY_MAX_ROWS && row_rank_cmp(&w, &v[m - 1]) >= 0)
			continue;
		m -= m == SUMMARY_MAX_ROWS;  /* the last ranked row drops out */
		rows_rank_put(v, &m, &w);
	}
	size_t n = t->n;
	fprintf(out, "\nForeign destinations: %zu flow%s to %zu destination%s\n", nflows, nflows == 1 ? "" : "s", n,
		n == 1 ? "" : "s");
	if (n)
		fprintf(out, "  %-2s  %-40s %-16s %6s %11s %6s\n", "CC", "HOST OR ADDRESS", "APP", "FLOWS", "BYTES OUT", "LEAKS");
	char safe[PH_DNS_MAX_NAME];  /* captured names may hold terminal escape sequences */
	for (size_t i = 0; i < m; i++)
		fprintf(out, "  %-2s  %-40.40s %-16.16s %6llu %11llu %6llu\n", v[i].cc,
			term_host(a, v[i].host ? v[i].host : v[i].addr, safe, sizeof safe),
			or_dash(v[i].app), (unsigned long long)v[i].flows, (unsigned long long)v[i].bytes,
			(unsigned long long)v[i].leaks);
	print_more(out, SUMMARY_MAX_ROWS, n, "destinations");
}

/* Most severe first, then in order of discovery. */
static int cmp_finding_rank(const void *x, const void *y)
{
	const struct report_finding *a = *(const struct report_finding *const *)x, *b = *(const struct report_finding *const *)y;
	if (a->severity != b->severity)
		return b->severity - a->severity;
	return a->id < b->id ? -1 : a->id > b->id;
}

struct id_list {                   /* the first identifiers of a finding, for one cell */
	char text[96];
	size_t n;
};

static void add_id(void *arg, const char *text, int confirmed)
{
	struct id_list *l = arg;
	size_t len = strlen(l->text);
	if (l->n++ < 2)
		snprintf(l->text + len, sizeof l->text - len, "%s%s%s", l->n > 1 ? ", " : "", text, confirmed ? "*" : "");
}

const char *summary_subject_label(int subject)
{
	return subject == SUBJECT_DEVICE ? "the phone" : subject == SUBJECT_THIRD_PARTY ? "other people" : "unknown";
}

void summary_findings_count(const struct report *r, char *out, size_t outlen)
{
	size_t n[SUBJECT__COUNT] = { 0 };
	for (size_t i = 0; i < r->nfindings; i++)
		if (!r->findings[i].accepted)
			n[r->findings[i].subject < SUBJECT__COUNT ? r->findings[i].subject : SUBJECT_UNKNOWN]++;
	int len = snprintf(out, outlen, "%zu (%zu of the phone's own identifiers, %zu of other people's data",
			   r->nfindings - accept_count_findings(r), n[SUBJECT_DEVICE], n[SUBJECT_THIRD_PARTY]);
	if (len > 0 && (size_t)len < outlen)
		snprintf(out + len, outlen - (size_t)len, n[SUBJECT_UNKNOWN] ? ", %zu whose owner is unknown)" : ")",
			 n[SUBJECT_UNKNOWN]);
}

int summary_accepted(const struct report *r, const char *where, char *out, size_t outlen)
{
	size_t n = accept_count_findings(r);
	out[0] = 0;
	if (n)
		snprintf(out, outlen, "%zu accepted finding%s, see %s", n, n == 1 ? "" : "s", where);
	return n > 0;
}

/* --accept: the accepted findings, each with the entry that accepted it and its reason. */
static void print_accepted(FILE *out, const struct audit *a)
{
	const struct report *r = a->rep;
	size_t n = accept_count_findings(r), shown = 0;
	if (!n)
		return;
	fprintf(out, "\nAccepted findings: %zu (left out of the verdict)\n", n);
	fprintf(out, "  %4s %-14s %-12s %-32s %-7s  %s\n", "#", "KIND", "WHOSE", "HOST OR ADDRESS", "COUNTRY",
		"REASON (ENTRY OF FILE)");
	char safe[PH_DNS_MAX_NAME], why[600];
	for (size_t i = 0; i < r->nfindings && shown < SUMMARY_MAX_ROWS; i++) {
		const struct report_finding *fd = &r->findings[i];
		const struct accept_entry *e = accept_of_finding(&a->acc, r, fd);
		if (!e)
			continue;
		const struct report_flow *f = report_flow_by_id(r, fd->flow_id);
		char addr[INET6_ADDRSTRLEN] = "-";
		if (f)
			report_addr_str(f->family, f->addr[!fd->dir], addr, sizeof addr);
		snprintf(why, sizeof why, "%s (entry %zu of %s)", e->reason, e->index, a->acc.files[e->file].path);
		fprintf(out, "  %4u %-14s %-12s %-32.32s %-7s  %s\n", fd->id, identity_kind_name(fd->kind),
			summary_subject_label(fd->subject), term_host(a, f && f->host[0] ? f->host : addr, safe, sizeof safe),
			or_dash(f ? f->geo.country : NULL), why);
		shown++;
	}
	print_more(out, shown, n, "accepted findings");
}

/* One row per finding: the hits of one kind and subject in one message. */
static void print_findings(FILE *out, const struct audit *a)
{
	const struct report *r = a->rep;
	char cnt[160];
	char acc[96];
	summary_findings_count(r, cnt, sizeof cnt);
	summary_accepted(r, "below", acc, sizeof acc);
	fprintf(out, "\nFindings: %s from %zu leaks%s%s\n", cnt, r->nleaks, acc[0] ? "; " : "", acc);
	if (r->nfindings == accept_count_findings(r))
		return;
	const struct report_finding **v = util_xcalloc(r->nfindings, sizeof *v);
	for (size_t i = 0; i < r->nfindings; i++)
		v[i] = &r->findings[i];
	qsort(v, r->nfindings, sizeof *v, cmp_finding_rank);
	size_t nv = 0;
	for (size_t i = 0; i < r->nfindings; i++)  /* accepted ones are listed apart */
		if (!v[i]->accepted)
			v[nv++] = v[i];
	fprintf(out, "  %-8s %-14s %-12s %-32s %-7s %-11s %5s  %s\n", "SEVERITY", "KIND", "WHOSE", "HOST OR ADDRESS", "COUNTRY",
		"WHERE", "COUNT", "IDENTIFIERS (* the identity's)");
	char safe[PH_DNS_MAX_NAME], ids[192], where[64];
	for (size_t i = 0; i < nv && i < SUMMARY_MAX_ROWS; i++) {
		const struct report_finding *fd = v[i];
		const struct report_flow *f = report_flow_by_id(r, fd->flow_id);
		char addr[INET6_ADDRSTRLEN] = "-";
		if (f)
			report_addr_str(f->family, f->addr[!fd->dir], addr, sizeof addr);
		struct id_list il = { .n = 0 };
		il.text[0] = 0;
		findings_identifiers(r, a->id, a->o.show_identifiers, fd, add_id, &il);
		if (il.n > 2) {
			size_t len = strlen(il.text);
			snprintf(il.text + len, sizeof il.text - len, " +%zu more", il.n - 2);
		}
		findings_where(r, fd, where, sizeof where);
		fprintf(out, "  %-8s %-14s %-12s %-32.32s %-7s %-11s %5u  %s\n", policy_severity_name(fd->severity),
			identity_kind_name(fd->kind), summary_subject_label(fd->subject),
			term_host(a, f && f->host[0] ? f->host : addr, safe, sizeof safe), or_dash(f ? f->geo.country : NULL),
			where, fd->count, escape_term(il.text[0] ? il.text : "-", ids, sizeof ids));
	}
	print_more(out, SUMMARY_MAX_ROWS, nv, "findings");
	free(v);
}

/* Most leaks first (foreign ones, then all), then by uid. */
static int app_row_cmp(const void *x, const void *y)
{
	const struct summary_app *a = x, *b = y;
	if (a->foreign_leaks != b->foreign_leaks)
		return a->foreign_leaks > b->foreign_leaks ? -1 : 1;
	if (a->leaks != b->leaks)
		return a->leaks > b->leaks ? -1 : 1;
	if ((a->uid == -1) != (b->uid == -1))  /* "unknown" after the apps with a name */
		return a->uid == -1 ? 1 : -1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}

/* The row of (uid, src) in *v (n rows, room for *cap), added when new. */
static struct summary_app *app_row_of(struct summary_app **v, size_t *n, size_t *cap, int32_t uid, uint8_t src)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].uid == uid && (*v)[i].src == src)
			return &(*v)[i];
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*v = util_xrealloc(*v, *cap * sizeof **v);
	}
	struct summary_app *w = &(*v)[(*n)++];
	memset(w, 0, sizeof *w);
	w->uid = uid;
	w->src = src;
	return w;
}

/* The apps' rows being gathered, a flow at a time. */
struct app_rows {
	struct summary_app *v;
	size_t n, cap;
};

static void apps_flow(struct app_rows *t, const struct report_flow *f)
{
	if (!f->app_source)
		return;
	struct summary_app *w = app_row_of(&t->v, &t->n, &t->cap, f->app_uid, f->app_source);
	w->flows++;
	w->foreign += f->foreign;
	w->bytes += f->bytes[!f->remote];
	size_t cl = strlen(w->countries);
	if (f->foreign && f->geo.country[0] && !strstr(w->countries, f->geo.country) && cl + 5 < sizeof w->countries)
		snprintf(w->countries + cl, sizeof w->countries - cl, "%s%s", cl ? ", " : "", f->geo.country);
}

/* The leaks counted into the rows, which are then ranked; the count of rows. */
static size_t apps_finish(const struct report *r, struct app_rows *t)
{
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_flow *f = report_flow_by_id(r, r->leaks[i].flow_id);
		if (f && f->app_source) {
			struct summary_app *w = app_row_of(&t->v, &t->n, &t->cap, f->app_uid, f->app_source);
			w->leaks++;
			w->foreign_leaks += r->leaks[i].foreign && !r->leaks[i].accepted;
			if (r->leaks[i].kind < ID__COUNT)
				w->kinds[r->leaks[i].kind]++;
		}
	}
	if (t->n)
		qsort(t->v, t->n, sizeof *t->v, app_row_cmp);
	return t->n;
}

size_t summary_apps(const struct report *r, struct summary_app **out)
{
	struct app_rows t = { 0 };
	struct report_iter *it = report_flows_begin(r);  /* the spilled flows too */
	for (const struct report_flow *f; (f = report_flows_next(it));)
		apps_flow(&t, f);
	report_flows_end(it);
	size_t n = apps_finish(r, &t);
	*out = t.v;
	return n;
}

void summary_app_cells(const struct report *r, const struct summary_app *w, struct summary_app_cells *c)
{
	const struct app_info *e = apps_get(r->apps, w->uid, w->src);
	c->hint = w->src == APP_SRC_HINT;
	c->package = e && e->package[0] ? e->package : "-";
	c->name = e && e->name[0] ? e->name : "-";
	c->source = apps_source_name(w->src);
	c->source = c->source ? c->source : "-";
	c->origin = c->hint && e ? app_hint_origin_name(e->hint) : NULL;
	summary_app_kinds(w, c->kinds, sizeof c->kinds);
	if (!c->kinds[0])
		snprintf(c->kinds, sizeof c->kinds, "none");
}

void summary_app_kinds(const struct summary_app *w, char *out, size_t outlen)
{
	out[0] = 0;
	for (int k = 0; k < ID__COUNT; k++)
		if (w->kinds[k])
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s %llu", out[0] ? ", " : "", identity_kind_name(k),
				 (unsigned long long)w->kinds[k]);
}

static void print_apps(FILE *out, const struct report *r, const struct summary_app *v, size_t n)
{
	if (n)
		fprintf(out, "\nApps: %zu\n  %-7s %-40s %6s %8s %11s  %s\n", n, "UID", "APP", "FLOWS", "FOREIGN",
			"BYTES OUT", "LEAKS");
	for (size_t i = 0; i < n && i < SUMMARY_MAX_ROWS; i++) {
		const struct app_info *e = apps_get(r->apps, v[i].uid, v[i].src);
		char name[200], safe[200], kinds[256], uid[16];
		snprintf(name, sizeof name, "%s%s%s%s", e && e->package[0] ? e->package : "",
			 e && e->package[0] && e->name[0] ? " (" : "", e && e->name[0] ? e->name : e && e->package[0] ? "" : "-",
			 e && e->package[0] && e->name[0] ? ")" : "");
		summary_app_kinds(&v[i], kinds, sizeof kinds);
		snprintf(uid, sizeof uid, v[i].src == APP_SRC_HINT ? "hint" : "%d", (int)v[i].uid);
		fprintf(out, "  %-7s %-40.40s %6llu %8llu %11llu  %s\n", uid, escape_term(name, safe, sizeof safe),
			(unsigned long long)v[i].flows, (unsigned long long)v[i].foreign, (unsigned long long)v[i].bytes,
			kinds[0] ? kinds : "-");
	}
	print_more(out, SUMMARY_MAX_ROWS, n, "apps");
}

static void list_join(char *out, size_t outlen, const char **items, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		size_t len = strlen(out);
		snprintf(out + len, outlen - len, "%s%s", sep, items[i]);
	}
}

const char *summary_kind_label(int kind)
{
	static const char *names[ID__COUNT] = {
		[ID_IMEI] = "IMEI", [ID_IMSI] = "IMSI", [ID_ICCID] = "SIM serial (ICCID)",
		[ID_PHONE_NUMBER] = "phone number", [ID_CARRIER] = "carrier name", [ID_MAC] = "MAC address",
		[ID_ANDROID_ID] = "Android ID", [ID_ADVERTISING_ID] = "advertising ID", [ID_EMAIL] = "e-mail address",
		[ID_SERIAL] = "serial number", [ID_SMS] = "SMS sender", [ID_CONTACT] = "contact",
		[ID_LOCATION] = "location",
	};
	return kind >= 0 && kind < ID__COUNT && names[kind] ? names[kind] : "identifier";
}

const char *summary_country_name(const char *cc)
{
	const char *name = country_name(cc);
	return name ? name : cc && cc[0] ? cc : "an unknown country";
}

/* Which leaks a verdict clause speaks of: all (NULL), one app's (src 0: flows of no known app),
 * or those of apps other than the named ones. */
struct vsel {
	int rest;
	int32_t uid;
	uint8_t src;
	const struct summary_app *named;
	size_t nnamed;
};

static int leak_in(const struct report *r, const struct report_leak *l, const struct vsel *sel)
{
	if (!sel)
		return 1;
	const struct report_flow *f = report_flow_by_id(r, l->flow_id);
	int32_t uid = f ? f->app_uid : 0;
	uint8_t src = f ? f->app_source : 0;
	if (!sel->rest)
		return src == sel->src && (!src || uid == sel->uid);
	if (!src)
		return 0;
	for (size_t i = 0; i < sel->nnamed; i++)
		if (sel->named[i].uid == uid && sel->named[i].src == src)
			return 0;
	return 1;
}

struct seen_value { uint64_t key; int fields; };  /* a distinct identifier, the contact fields sent */

static int cmp_seen(const void *x, const void *y)
{
	uint64_t a = ((const struct seen_value *)x)->key, b = ((const struct seen_value *)y)->key;
	return a < b ? -1 : a > b;
}

/* Distinct identifiers of a kind and subject among foreign leaks (a contact's name and number
 * are one); with fields, how many contacts had their number [0], name [1], e-mail [2] sent. */
static size_t count_distinct(const struct audit *a, const struct vsel *sel, int kind, int subject, size_t fields[3])
{
	const struct report *r = a->rep;
	struct seen_value *v = util_xmalloc((r->nleaks + 1) * sizeof *v);
	size_t n = 0, k = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		if (l->foreign && l->kind == kind && l->subject == subject && !l->accepted && leak_in(r, l, sel))
			v[n++] = (struct seen_value){ findings_value_key(a->id, l), 1 << findings_contact_field(a->id, l) };
	}
	qsort(v, n, sizeof *v, cmp_seen);
	for (size_t i = 0; i < n; i++) {
		if (k && v[k - 1].key == v[i].key)
			v[k - 1].fields |= v[i].fields;
		else
			v[k++] = v[i];
	}
	for (int f = 0; fields && f < 3; f++) {
		fields[f] = 0;
		for (size_t i = 0; i < k; i++)
			fields[f] += (v[i].fields >> f) & 1;
	}
	free(v);
	return k;
}

/* The phone's own identifiers, as the verdict names them: singular, plural (with a count), and
 * whether it is the phone's ("the phone's" the first time, "its" after). */
static const struct { const char *one, *many; int own; } DEVICE_WORDS[ID__COUNT] = {
	[ID_IMEI] = { "IMEI", "%zu IMEIs", 0 }, [ID_IMSI] = { "IMSI", "%zu IMSIs", 0 },
	[ID_ICCID] = { "SIM serial (ICCID)", "%zu SIM serials (ICCID)", 0 },
	[ID_PHONE_NUMBER] = { "number", "%zu numbers", 1 }, [ID_CARRIER] = { "carrier", "%zu carriers", 1 },
	[ID_MAC] = { "MAC address", "%zu MAC addresses", 1 }, [ID_ANDROID_ID] = { "Android ID", "%zu Android IDs", 1 },
	[ID_ADVERTISING_ID] = { "advertising ID", "%zu advertising IDs", 1 },
	[ID_EMAIL] = { "the user's e-mail address", "the user's %zu e-mail addresses", 0 },
	[ID_SERIAL] = { "serial number", "%zu serial numbers", 1 }, [ID_LOCATION] = { "location", "%zu locations", 1 },
	[ID_MEID] = { "MEID", "%zu MEIDs", 0 }, [ID_DEVICE_ID] = { "a device ID", "%zu device IDs", 0 },
};

/* "the numbers of 34 contacts and 2 of their names", "the number and name of a contact". */
static void contacts_phrase(char *out, size_t outlen, size_t n, const size_t fields[3])
{
	static const char *one[3] = { "number", "name", "e-mail address" }, *many[3] = { "numbers", "names", "e-mail addresses" };
	const char *all[3], *some[3];
	size_t na = 0, ns = 0, somen[3];
	for (int f = 0; f < 3; f++) {
		if (fields[f] == n)
			all[na++] = n == 1 ? one[f] : many[f];
		else if (fields[f]) {
			somen[ns] = fields[f];
			some[ns++] = fields[f] == 1 ? one[f] : many[f];
		}
	}
	char main[128];
	if (!na) {  /* no field sent for every contact */
		for (size_t i = 0; i < ns; i++)
			all[na++] = some[i];
		ns = 0;
	}
	main[0] = 0;
	for (size_t i = 0; i < na; i++) {
		size_t len = strlen(main);
		snprintf(main + len, sizeof main - len, "%s%s", i == 0 ? "" : i + 1 == na ? " and " : ", ", all[i]);
	}
	if (n == 1)
		snprintf(out, outlen, "the %s of a contact", main);
	else
		snprintf(out, outlen, "the %s of %zu contacts", main, n);
	for (size_t i = 0; i < ns; i++) {
		size_t len = strlen(out);
		snprintf(out + len, outlen - len, " and %zu of their %s", somen[i], some[i]);
	}
}

/* Words for one kind of other people's data ("the numbers of 2 SMS senders"). */
static void third_party_phrase(const struct audit *a, const struct vsel *sel, int kind, char *out, size_t outlen)
{
	size_t fields[3], n = count_distinct(a, sel, kind, SUBJECT_THIRD_PARTY, fields);
	if (kind == ID_CONTACT)
		contacts_phrase(out, outlen, n, fields);
	else if (kind == ID_SMS)
		n == 1 ? snprintf(out, outlen, "an SMS sender's number") : snprintf(out, outlen, "the numbers of %zu SMS senders", n);
	else if (kind == ID_PHONE_NUMBER)
		n == 1 ? snprintf(out, outlen, "another person's number") : snprintf(out, outlen, "%zu other people's numbers", n);
	else if (kind == ID_EMAIL)
		n == 1 ? snprintf(out, outlen, "another person's e-mail address")
		       : snprintf(out, outlen, "%zu other people's e-mail addresses", n);
	else
		snprintf(out, outlen, "%s%s", n > 1 ? "other people's " : "another person's ", summary_kind_label(kind));
}

/* --keylog: TLS flows whose content could not be read (no key, or keys that fail): counted,
 * and the first ones kept as rows, by host. */
struct not_inspected {
	size_t n, tls, nrows;
	unsigned long long bytes, tls_bytes;
	struct ni_row {
		char host[sizeof ((struct report_flow *)0)->host];
		char addr[INET6_ADDRSTRLEN];
		unsigned long long bytes;
		int why;
	} rows[SUMMARY_MAX_ROWS];
};

static void not_inspected_flow(struct not_inspected *t, const struct report_flow *f)
{
	if (!f->tls_keys)
		return;
	t->tls++;
	t->tls_bytes += f->bytes[!f->remote];
	if (f->tls_keys == 1)
		return;
	t->n++;
	t->bytes += f->bytes[!f->remote];
	if (t->nrows == SUMMARY_MAX_ROWS)
		return;
	struct ni_row *w = &t->rows[t->nrows++];
	snprintf(w->host, sizeof w->host, "%s", f->host);
	report_addr_str(f->family, f->addr[f->remote], w->addr, sizeof w->addr);
	w->bytes = f->bytes[!f->remote];
	w->why = f->tls_keys;
}

static void print_not_inspected(FILE *out, const struct audit *a, const struct not_inspected *t)
{
	if (!t->n)
		return;
	fprintf(out, "\nHTTPS that could not be inspected: %zu of %zu TLS flows, %llu of %llu bytes sent (%.0f%%)\n", t->n,
		t->tls, t->bytes, t->tls_bytes, t->tls_bytes ? 100.0 * (double)t->bytes / (double)t->tls_bytes : 0.0);
	fprintf(out, "  %-32s %-39s %10s  %s\n", "HOST", "ADDRESS", "BYTES OUT", "WHY");
	char safe[PH_DNS_MAX_NAME];
	for (size_t i = 0; i < t->nrows; i++)
		fprintf(out, "  %-32.32s %-39s %10llu  %s\n", term_host(a, or_dash(t->rows[i].host), safe, sizeof safe),
			t->rows[i].addr, t->rows[i].bytes,
			t->rows[i].why == 2 ? "no key in the key log" : "keys fail authentication");
	print_more(out, t->nrows, t->n, "flows");
	fprintf(out, "  What these flows carry is unknown: export their keys, or report them as not audited.\n");
}

/* "2 phone numbers" from a label. */
static void plural(char *out, size_t outlen, const char *label, size_t n)
{
	size_t ll = strlen(label);
	if (n > 1)
		snprintf(out, outlen, "%zu %s%s", n, label, ll && label[ll - 1] == 's' ? "es" : "s");
	else
		snprintf(out, outlen, "%s", label);
}

static void what_sel(const struct audit *a, int foreign_only, const struct vsel *sel, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	uint8_t seen[SUBJECT__COUNT][ID__COUNT] = { { 0 } };
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		if ((l->foreign || !foreign_only) && l->kind < ID__COUNT && l->subject < SUBJECT__COUNT && !l->accepted &&
		    leak_in(r, l, sel))
			seen[l->subject][l->kind] = 1;
	}
	char words[ID__COUNT][192], dev[1024], unk[1024], t[160];
	const char *items[ID__COUNT];
	size_t n = 0, own = 0;
	out[0] = 0;
	for (int k = 0; k < ID__COUNT; k++) {  /* the phone's own, in the identity's order: IMEI first */
		if (!seen[SUBJECT_DEVICE][k])
			continue;
		size_t c = count_distinct(a, sel, k, SUBJECT_DEVICE, NULL);
		const char *pre = !DEVICE_WORDS[k].own ? "" : own++ ? "its " : "the phone's ";
		if (c > 1) {
			snprintf(t, sizeof t, DEVICE_WORDS[k].many ? DEVICE_WORDS[k].many : "%zu identifiers", c);
			snprintf(words[n], sizeof words[n], "%s%s", pre, t);
		} else {
			snprintf(words[n], sizeof words[n], "%s%s", pre, DEVICE_WORDS[k].one ? DEVICE_WORDS[k].one : "identifier");
		}
		items[n] = words[n];
		n++;
	}
	list_join(dev, sizeof dev, items, n);
	size_t len = 0;
	if (n)
		len = (size_t)snprintf(out, outlen, "%s", dev);
	static const int order[] = { ID_CONTACT, ID_SMS, ID_PHONE_NUMBER, ID_EMAIL };  /* other people's */
	for (int k = 0; k < ID__COUNT + 4 && len < outlen; k++) {
		int kind = k < 4 ? order[k] : k - 4;
		if (!seen[SUBJECT_THIRD_PARTY][kind] || (k >= 4 && (kind == ID_CONTACT || kind == ID_SMS || kind == ID_PHONE_NUMBER ||
								 kind == ID_EMAIL)))
			continue;
		third_party_phrase(a, sel, kind, t, sizeof t);
		len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? "; " : "", t);
	}
	n = 0;
	for (int k = 0; k < ID__COUNT; k++) {  /* whose unknown (no identity file): named as found */
		if (!seen[SUBJECT_UNKNOWN][k])
			continue;
		plural(words[n], sizeof words[n], summary_kind_label(k), count_distinct(a, sel, k, SUBJECT_UNKNOWN, NULL));
		items[n] = words[n];
		n++;
	}
	list_join(unk, sizeof unk, items, n);
	if (n && len < outlen)
		snprintf(out + len, outlen - len, "%s%s", len ? "; " : "", unk);
}

void summary_what(const struct audit *a, int foreign_only, char *out, size_t outlen)
{
	what_sel(a, foreign_only, NULL, out, outlen);
}

/* "<what> sent in cleartext to servers in China" for the selected leaks; 0 when none went abroad. */
static int sent_clause(const struct audit *a, const struct vsel *sel, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	const char *ccs[64], *names[64];
	size_t nc = 0, clear = 0, enc = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		const struct report_flow *f = report_flow_by_id(r, l->flow_id);
		if (l->accepted || !l->foreign || !f || l->kind >= ID__COUNT || !leak_in(r, l, sel))
			continue;
		l->encrypted ? enc++ : clear++;
		size_t j = 0;
		while (j < nc && strcmp(ccs[j], f->geo.country))
			j++;
		if (j == nc && nc < 64)
			ccs[nc++] = f->geo.country;
	}
	if (!clear && !enc)
		return 0;
	char k[1536], c[512];
	for (size_t i = 0; i < nc; i++)
		names[i] = summary_country_name(ccs[i]);
	what_sel(a, 1, sel, k, sizeof k);
	list_join(c, sizeof c, names, nc);
	const char *how = !enc ? " in cleartext" : !clear ? " encrypted (inside TLS)" : " (partly in cleartext)";
	snprintf(out, outlen, "%s%s to servers in %s", k, how, c);
	return 1;
}

void summary_app_label(const struct report *r, int32_t uid, uint8_t src, char *out, size_t outlen)
{
	const struct app_info *e = apps_get(r->apps, uid, src);
	if (uid == -1 && src != APP_SRC_HINT && !(e && e->package[0]))
		snprintf(out, outlen, "an app the capture could not name (uid -1)");
	else if (e && e->name[0])
		snprintf(out, outlen, "%s", e->name);
	else if (e && e->package[0])
		snprintf(out, outlen, "%s", e->package);
	else if (app_fixed_name(uid) && src != APP_SRC_HINT)
		snprintf(out, outlen, "%s", app_fixed_name(uid));
	else
		snprintf(out, outlen, "the app of uid %d", (int)uid);
}

#define VERDICT_MAX_APPS 3  /* apps named in the verdict; "and N other apps" after */

/* Apps known: one clause per app that sent something abroad, the most leaks first, from the
 * ranked rows (reordered here). 0 when no such leak has an app (the verdict then speaks of the
 * capture as a whole). */
static int verdict_apps(const struct audit *a, struct summary_app *v, size_t n, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	size_t k = 0, len = 0;
	for (size_t i = 0; i < n; i++)  /* only apps with foreign leaks, keeping the order */
		if (v[i].foreign_leaks)
			v[k++] = v[i];
	if (!k)
		return 0;
	char clause[2200], label[200];
	out[0] = 0;
	size_t named = k < VERDICT_MAX_APPS ? k : VERDICT_MAX_APPS;
	for (size_t i = 0; i < named && len < outlen; i++) {
		struct vsel sel = { .uid = v[i].uid, .src = v[i].src };
		if (!sent_clause(a, &sel, clause, sizeof clause))
			continue;
		summary_app_label(r, v[i].uid, v[i].src, label, sizeof label);
		len += (size_t)snprintf(out + len, outlen - len, "%s%s sent %s", len ? "; " : "", label, clause);
	}
	struct vsel rest = { .rest = 1, .named = v, .nnamed = named };
	if (k > named && len < outlen && sent_clause(a, &rest, clause, sizeof clause))
		len += (size_t)snprintf(out + len, outlen - len, "; and %zu other app%s sent %s", k - named,
					k - named == 1 ? "" : "s", clause);
	struct vsel none = { .src = 0 };
	if (len < outlen && sent_clause(a, &none, clause, sizeof clause))
		snprintf(out + len, outlen - len, "; flows of no known app sent %s", clause);
	return 1;
}

static void verdict(const struct audit *a, struct summary_app *apps, size_t napps, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	const char *ccs[64];
	size_t nc = 0, clear = 0, enc = 0, nleaks = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		const struct report_flow *f = report_flow_by_id(r, l->flow_id);
		if (l->accepted)  /* --accept: judged, counted apart */
			continue;
		nleaks++;
		if (!l->foreign || !f || l->kind >= ID__COUNT)
			continue;
		l->encrypted ? enc++ : clear++;
		size_t j = 0;
		while (j < nc && strcmp(ccs[j], f->geo.country))
			j++;
		if (j == nc && nc < 64)
			ccs[nc++] = f->geo.country;
	}
	char k[1536], c[512];
	const char *names[64];
	for (size_t i = 0; i < nc; i++)
		names[i] = summary_country_name(ccs[i]);
	if (!a->o.policy.home[0]) {
		snprintf(out, outlen, "%zu leak%s found; no --home given, so no destination is foreign", nleaks,
			 nleaks == 1 ? "" : "s");
	} else if (!a->o.geoip_path) {
		snprintf(out, outlen, "%zu leak%s found; no GeoIP database, so no destination is known to be foreign",
			 nleaks, nleaks == 1 ? "" : "s");
	} else if (!clear && !enc) {
		snprintf(out, outlen, "no identifier sent to servers outside %s%s", summary_country_name(a->o.policy.home),
			 nleaks ? " (leaks to domestic or allowed servers are listed)" : "");
	} else if (!verdict_apps(a, apps, napps, out, outlen)) {
		summary_what(a, 1, k, sizeof k);
		list_join(c, sizeof c, names, nc);
		const char *how = !enc ? " in cleartext" : !clear ? " encrypted (inside TLS)" : " (partly in cleartext)";
		snprintf(out, outlen, "%s sent%s to servers in %s", k, how, c);
	}
}

void summary_verdict(const struct audit *a, char *out, size_t outlen)
{
	struct summary_app *v;
	size_t n = summary_apps(a->rep, &v);
	verdict(a, v, n, out, outlen);
	free(v);
}

/* What the terminal shows of the flows, gathered in one pass over them (spilled ones too). */
struct flows_seen {
	size_t nflows, foreign;
	struct dests dests;
	struct strtab strs;
	struct app_rows apps;
	struct not_inspected ni;
};

static void flows_gather(const struct report *r, struct flows_seen *s)
{
	struct report_iter *it = report_flows_begin(r);
	for (const struct report_flow *f; (f = report_flows_next(it)); s->nflows++) {
		s->foreign += f->foreign;
		if (f->foreign)
			foreign_add(&s->dests, &s->strs, f);
		apps_flow(&s->apps, f);
		not_inspected_flow(&s->ni, f);
	}
	report_flows_end(it);
}

static void print_all(FILE *out, const struct audit *a)
{
	const struct report *r = a->rep;
	struct flows_seen *s = util_xcalloc(1, sizeof *s);
	flows_gather(r, s);
	size_t napps = apps_finish(r, &s->apps);
	fprintf(out, "phonehome %s: %zu input%s, %llu packets, %zu flows (%zu foreign), %zu leaks\n", PH_VERSION,
		r->ninputs, r->ninputs == 1 ? "" : "s", (unsigned long long)r->st.packets, s->nflows, s->foreign, r->nleaks);
	if (!a->id)
		fprintf(out, "No --identity given: flows only, no identifier matching.\n");
	print_foreign(out, a, &s->dests, s->foreign);
	print_findings(out, a);
	print_apps(out, r, s->apps.v, napps);
	print_accepted(out, a);
	print_not_inspected(out, a, &s->ni);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(out, "warning: %s\n", r->warnings[i]);
	char v[1024];
	verdict(a, s->apps.v, napps, v, sizeof v);
	fprintf(out, "\nVerdict: %s.\n", v);
	free(s->dests.v);
	free(s->dests.slot);
	strtab_free(&s->strs);
	free(s->apps.v);
	free(s);
}

void summary_print(FILE *out, const struct audit *a)
{
	struct audit view = *a;  /* a masker of this thread's own for the host names shown */
	char err[128];
	view.mask = mask_open(a, err, sizeof err);
	print_all(out, &view);
	mask_free(view.mask);
}
