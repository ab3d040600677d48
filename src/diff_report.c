/* diff_report.c - phonehome diff's outputs: the text on stdout (verdict first, then Gone, New,
 * Changed, Unchanged), the machine-readable diff.json, and DIR/diff.html + DIR/diff.json written atomically. */
#include "diff.h"
#include "config.h"
#include "escape.h"
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIFF_MAX_SHOWN 5000        /* items per section in the text; diff.json has them all */

/* ---------------------------------------------------------------- text */

static void put_term(FILE *f, const char *s)
{
	char b[1024];
	fputs(escape_term(s, b, sizeof b), f);
}

/* "(China, AS23724 Org): 2 leaks, foreign, cleartext, TCP/80, plain" */
static void item_facts(FILE *f, const struct diff_item *it, const char *unit)
{
	char t[600];
	fputs(" (", f);
	diff_set_join(&it->countries, t, sizeof t);
	put_term(f, it->countries.n ? t : "country unknown");
	if (it->host[0] && (it->asn || it->org[0])) {
		snprintf(t, sizeof t, ", AS%u %s", it->asn, it->org);
		put_term(f, t);
	}
	fprintf(f, "): %zu %.*s%s, %s", it->count, (int)strlen(unit) - 1, unit, it->count == 1 ? "" : "s",
		diff_item_transport_state(it));
	if (it->foreign)
		fputs(", foreign", f);
	diff_set_join(&it->transports, t, sizeof t);
	fputs(", ", f);
	put_term(f, t);
	diff_set_join(&it->encodings, t, sizeof t);
	fputs(", ", f);
	put_term(f, t);
	if (it->identifier) {
		fputs(", ", f);
		put_term(f, it->identifier);
	}
}

static void item_line(FILE *f, char mark, const struct diff_item *it)
{
	char label[128], dest[300];
	diff_item_label(it, label, sizeof label);
	diff_item_dest(it, dest, sizeof dest);
	fprintf(f, "  %c %s to ", mark, label);
	put_term(f, dest);
}

static void side_line(FILE *f, const char *name, const struct diff_side *s, const char *unit)
{
	fprintf(f, "%s: ", name);
	put_term(f, s->path);
	fputs(" (phonehome ", f);
	put_term(f, s->version);
	fprintf(f, ", %zu %s", !strcmp(unit, "findings") ? s->nfindings : s->nleaks, unit);
	if (s->first_seen[0]) {
		fputs(", captured ", f);
		put_term(f, s->first_seen);
		fputs(" to ", f);
		put_term(f, s->last_seen);
	}
	fputs(")\n", f);
}

void diff_report_text(FILE *f, const struct diff *d)
{
	char v[1200], t[2048];
	diff_verdict(d, v, sizeof v);
	put_term(f, v);
	fputs(".\n", f);
	side_line(f, "old", d->old, d->unit);
	side_line(f, "new", d->new, d->unit);
	fprintf(f, "compared: %s by kind, subject and destination (host name, registrable domain, organisation)\n",
		d->unit);
	fprintf(f, "\nGone (%zu)\n", d->ngone);
	for (size_t i = 0; i < d->ngone && i < DIFF_MAX_SHOWN; i++) {
		item_line(f, '-', d->gone[i]);
		item_facts(f, d->gone[i], d->unit);
		fputc('\n', f);
	}
	fprintf(f, "\nNew (%zu)\n", d->nadded);
	for (size_t i = 0; i < d->nadded && i < DIFF_MAX_SHOWN; i++) {
		item_line(f, '+', d->added[i]);
		item_facts(f, d->added[i], d->unit);
		fputc('\n', f);
	}
	fprintf(f, "\nChanged (%zu)\n", d->nchanged);
	for (size_t i = 0; i < d->nchanged && i < DIFF_MAX_SHOWN; i++) {
		item_line(f, '~', d->changed[i].old);
		diff_pair_changes(&d->changed[i], t, sizeof t);
		fputs(": ", f);
		put_term(f, t);
		fputc('\n', f);
	}
	fprintf(f, "\nUnchanged (%zu)\n", d->nsame);
	for (size_t i = 0; i < d->nsame && i < DIFF_MAX_SHOWN; i++) {
		item_line(f, '=', d->same[i].old);
		fprintf(f, ": %zu before, %zu after\n", d->same[i].old->count, d->same[i].new->count);
	}
	if (d->ngone > DIFF_MAX_SHOWN || d->nadded > DIFF_MAX_SHOWN || d->nchanged > DIFF_MAX_SHOWN ||
	    d->nsame > DIFF_MAX_SHOWN)
		fprintf(f, "(sections cut at %d lines; diff.json has them all)\n", DIFF_MAX_SHOWN);
}

/* ---------------------------------------------------------------- JSON */

static json_t *set_json(const struct diff_set *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static json_t *item_json(const struct diff_item *it)
{
	json_t *o = json_object(), *dst = json_object();
	json_object_set_new(o, "kind", json_string(it->kind));
	json_object_set_new(o, "subject", it->subject ? json_string(it->subject) : json_null());
	json_object_set_new(dst, "host", it->host[0] ? json_string(it->host) : json_null());
	json_object_set_new(dst, "domain", it->domain[0] ? json_string(it->domain) : json_null());
	json_object_set_new(dst, "asn", it->asn ? json_integer(it->asn) : json_null());
	json_object_set_new(dst, "asn_org", it->org[0] ? json_string(it->org) : json_null());
	json_object_set_new(dst, "dest_ip", it->dest_ip[0] ? json_string(it->dest_ip) : json_null());
	json_object_set_new(o, "destination", dst);
	json_object_set_new(o, "count", json_integer((json_int_t)it->count));
	json_object_set_new(o, "countries", set_json(&it->countries));
	json_object_set_new(o, "transports", set_json(&it->transports));
	json_object_set_new(o, "encodings", set_json(&it->encodings));
	json_object_set_new(o, "encrypted", json_boolean(it->tls));
	json_object_set_new(o, "decrypted", json_boolean(it->decrypted));
	json_object_set_new(o, "cleartext", json_boolean(it->cleartext));
	json_object_set_new(o, "transport_state", json_string(diff_item_transport_state(it)));
	json_object_set_new(o, "foreign", json_boolean(it->foreign));
	json_object_set_new(o, "severity", diff_severity_name(it->severity) ? json_string(diff_severity_name(it->severity))
								       : json_null());
	json_object_set_new(o, "identifier", it->identifier ? json_string(it->identifier) : json_null());
	return o;
}

static json_t *pair_json(const struct diff_pair *p)
{
	json_t *o = json_object(), *ch = json_array();
	static const struct { unsigned bit; const char *name; } F[] = {
		{ DF_HOST, "host" }, { DF_COUNTRY, "country" }, { DF_TLS, "tls" },
		{ DF_TRANSPORT, "transport" }, { DF_ENCODING, "encoding" },
	};
	for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
		if (p->changes & F[i].bit)
			json_array_append_new(ch, json_string(F[i].name));
	char t[2048];
	diff_pair_changes(p, t, sizeof t);
	json_object_set_new(o, "kind", json_string(p->old->kind));
	json_object_set_new(o, "subject", p->old->subject ? json_string(p->old->subject) : json_null());
	json_object_set_new(o, "changes", ch);
	json_object_set_new(o, "summary", json_string(t));
	json_object_set_new(o, "old", item_json(p->old));
	json_object_set_new(o, "new", item_json(p->new));
	return o;
}

static json_t *side_json(const struct diff_side *s)
{
	return json_pack("{s:s,s:s,s:i,s:I,s:o,s:o,s:o}", "path", s->path, "tool_version", s->version,
			 "report_format", s->format, "leaks", (json_int_t)s->nleaks,
			 "findings", s->has_findings ? json_integer((json_int_t)s->nfindings) : json_null(),
			 "first_seen", s->first_seen[0] ? json_string(s->first_seen) : json_null(),
			 "last_seen", s->last_seen[0] ? json_string(s->last_seen) : json_null());
}

json_t *diff_report_json(const struct diff *d)
{
	char v[1200];
	diff_verdict(d, v, sizeof v);
	json_t *o = json_object(), *g = json_array(), *n = json_array(), *c = json_array(), *s = json_array();
	json_object_set_new(o, "tool", json_pack("{s:s,s:s,s:i}", "name", "phonehome", "version", PH_VERSION,
						  "diff_format", DIFF_FORMAT));
	json_object_set_new(o, "reports", json_pack("{s:o,s:o}", "old", side_json(d->old), "new", side_json(d->new)));
	json_object_set_new(o, "compared", json_string(d->unit));
	json_object_set_new(o, "verdict", json_string(v));
	json_object_set_new(o, "new_foreign", json_boolean(diff_new_foreign(d)));
	json_object_set_new(o, "counts", json_pack("{s:I,s:I,s:I,s:I}", "gone", (json_int_t)d->ngone, "new",
						    (json_int_t)d->nadded, "changed", (json_int_t)d->nchanged,
						    "unchanged", (json_int_t)d->nsame));
	for (size_t i = 0; i < d->ngone; i++)
		json_array_append_new(g, item_json(d->gone[i]));
	for (size_t i = 0; i < d->nadded; i++)
		json_array_append_new(n, item_json(d->added[i]));
	for (size_t i = 0; i < d->nchanged; i++)
		json_array_append_new(c, pair_json(&d->changed[i]));
	for (size_t i = 0; i < d->nsame; i++) {
		json_t *u = item_json(d->same[i].new);
		json_object_set_new(u, "old_count", json_integer((json_int_t)d->same[i].old->count));
		json_array_append_new(s, u);
	}
	json_object_set_new(o, "gone", g);
	json_object_set_new(o, "new", n);
	json_object_set_new(o, "changed", c);
	json_object_set_new(o, "unchanged", s);
	return o;
}

/* ---------------------------------------------------------------- files */

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

static int put_json(FILE *f, const struct diff *d)
{
	json_t *o = diff_report_json(d);
	int ok = json_dumpf(o, f, DUMP_FLAGS) == 0 && fputc('\n', f) != EOF;
	json_decref(o);
	return ok ? 0 : -1;
}

/* Writes path through a temporary file beside it, fsync'd; renamed only when all went well. */
static int put_file(const char *path, int (*fn)(FILE *, const struct diff *), const struct diff *d, char *tmp,
		    size_t tmplen, char *errbuf, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	snprintf(tmp, tmplen, "%.*s.%s.tmpXXXXXX", slash ? (int)(slash - path + 1) : 0, path, slash ? slash + 1 : path);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok = f && fn(f, d) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	int err = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	} else if (!f && fd >= 0) {
		close(fd);
	}
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		snprintf(errbuf, errlen, "%s: cannot write: %s", path, strerror(err));
		return -1;
	}
	mode_t um = umask(0);  /* mkstemp made it 0600: the mode any new file would get */
	umask(um);
	chmod(tmp, 0666 & ~um);
	return 0;
}

int diff_report_write_json(const struct diff *d, const char *path, char *errbuf, size_t errlen)
{
	char tmp[PATH_MAX];
	if (!strcmp(path, "-")) {
		if (put_json(stdout, d) < 0 || fflush(stdout) != 0) {
			snprintf(errbuf, errlen, "-: cannot write JSON to stdout: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (util_special_file(path)) {  /* /dev/null: written straight, never replaced */
		FILE *f = fopen(path, "w");
		int ok = f && put_json(f, d) == 0;
		if ((f && fclose(f) != 0) || !ok) {
			snprintf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (put_file(path, put_json, d, tmp, sizeof tmp, errbuf, errlen) < 0)
		return -1;
	if (rename(tmp, path) != 0) {
		snprintf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int diff_report_write_dir(const struct diff *d, const char *dir, char *errbuf, size_t errlen)
{
	char html[PATH_MAX], json[PATH_MAX], th[PATH_MAX], tj[PATH_MAX];
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		snprintf(errbuf, errlen, "-o %s: cannot create it: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(html, sizeof html, "%s/diff.html", dir);
	snprintf(json, sizeof json, "%s/diff.json", dir);
	if (put_file(html, diff_html_write, d, th, sizeof th, errbuf, errlen) < 0)
		return -1;
	if (put_file(json, put_json, d, tj, sizeof tj, errbuf, errlen) < 0) {
		unlink(th);
		return -1;
	}
	if (rename(th, html) != 0 || rename(tj, json) != 0) {
		snprintf(errbuf, errlen, "-o %s: cannot write: %s", dir, strerror(errno));
		unlink(th);
		unlink(tj);
		return -1;
	}
	return 0;
}
