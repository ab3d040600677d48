/* diff_html.c - phonehome diff's page: one self-contained HTML file in report.html's style
 * (same CSS, no script, nothing fetched): verdict, the two reports, Gone, New, Changed, Unchanged. */
#include "diff.h"
#include "config.h"
#include "escape.h"
#include "report_html.h"
#include "summary.h"
#include <string.h>

#define DIFF_HTML_MAX_ROWS 2000    /* rows per section; diff.json has them all */

static void esc(FILE *f, const char *s) { escape_html_put(f, s); }

static void head(FILE *f, const char *verdict)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"phonehome " PH_VERSION "\">\n<title>phonehome diff: ", f);
	esc(f, verdict);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", report_html_css());
}

static void side_facts(FILE *f, const char *name, const struct diff_side *s, const char *unit)
{
	fprintf(f, "<dt>%s</dt><dd><span class=\"mono\">", name);
	esc(f, s->path);
	fputs("</span> (phonehome ", f);
	esc(f, s->version);
	fprintf(f, ", %zu %s", !strcmp(unit, "findings") ? s->nfindings : s->nleaks, unit);
	if (s->first_seen[0]) {
		fputs(", captured ", f);
		esc(f, s->first_seen);
		fputs(" to ", f);
		esc(f, s->last_seen);
	}
	fputs(")</dd>\n", f);
}

static void cell(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc(f, s && s[0] ? s : "-");
	fputs("</td>", f);
}

/* Kind, destination, country, organisation of an item: the first cells of every row. */
static void item_cells(FILE *f, const struct diff_item *it)
{
	char t[600];
	diff_item_label(it, t, sizeof t);
	cell(f, "nw", t);
	diff_item_dest(it, t, sizeof t);
	cell(f, "host", t);
	diff_set_join(&it->countries, t, sizeof t);
	cell(f, NULL, t);
	if (it->asn)
		snprintf(t, sizeof t, "AS%u %s", it->asn, it->org);
	else
		snprintf(t, sizeof t, "%s", it->org);
	cell(f, NULL, t);
}

static void item_table(FILE *f, const char *id, const char *title, const struct diff_item *const *v, size_t n,
		       const char *none)
{
	char t[600];
	fprintf(f, "<section id=\"%s\">\n<h2>%s (%zu)</h2>\n", id, title, n);
	if (!n) {
		fprintf(f, "<p>%s</p>\n</section>\n", none);
		return;
	}
	fputs("<table><tr><th>Kind</th><th>Destination</th><th>Country</th><th>Organisation</th><th>Transport</th>"
	      "<th>Encoding</th><th>Identifier</th><th class=\"num\">Count</th></tr>\n", f);
	for (size_t i = 0; i < n && i < DIFF_HTML_MAX_ROWS; i++) {
		const struct diff_item *it = v[i];
		fprintf(f, "<tr class=\"item\">");
		item_cells(f, it);
		diff_set_join(&it->transports, t, sizeof t);
		size_t k = strlen(t);
		snprintf(t + k, sizeof t - k, ", %s%s", diff_item_transport_state(it), it->foreign ? ", foreign" : "");
		cell(f, NULL, t);
		diff_set_join(&it->encodings, t, sizeof t);
		cell(f, "mono", t);
		cell(f, "mono", it->identifier);
		fprintf(f, "<td class=\"num\">%zu</td></tr>\n", it->count);
	}
	fputs("</table>\n", f);
	if (n > DIFF_HTML_MAX_ROWS)
		fprintf(f, "<p class=\"note\">%zu more are in diff.json.</p>\n", n - DIFF_HTML_MAX_ROWS);
	fputs("</section>\n", f);
}

static void pair_table(FILE *f, const char *id, const char *title, const struct diff_pair *p, size_t n,
		       int changes, const char *none)
{
	char t[2048];
	fprintf(f, "<section id=\"%s\">\n<h2>%s (%zu)</h2>\n", id, title, n);
	if (!n) {
		fprintf(f, "<p>%s</p>\n</section>\n", none);
		return;
	}
	fprintf(f, "<table><tr><th>Kind</th><th>Destination</th><th>Country</th><th>Organisation</th>%s"
		   "<th class=\"num\">Before</th><th class=\"num\">After</th></tr>\n",
		changes ? "<th>What changed</th>" : "<th>Transport</th>");
	for (size_t i = 0; i < n && i < DIFF_HTML_MAX_ROWS; i++) {
		fputs("<tr class=\"item\">", f);
		item_cells(f, p[i].new);
		if (changes)
			diff_pair_changes(&p[i], t, sizeof t);
		else
			snprintf(t, sizeof t, "%s", diff_item_transport_state(p[i].new));
		cell(f, NULL, t);
		fprintf(f, "<td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n", p[i].old->count, p[i].new->count);
	}
	fputs("</table>\n", f);
	if (n > DIFF_HTML_MAX_ROWS)
		fprintf(f, "<p class=\"note\">%zu more are in diff.json.</p>\n", n - DIFF_HTML_MAX_ROWS);
	fputs("</section>\n", f);
}

int diff_html_write(FILE *f, const struct diff *d)
{
	char verdict[1200];
	diff_verdict(d, verdict, sizeof verdict);
	head(f, verdict);
	fprintf(f, "<header>\n<p class=\"tool\">phonehome %s &middot; re-test comparison</p>\n"
		   "<h1>What changed between two audits</h1>\n", PH_VERSION);
	fprintf(f, "<div class=\"verdict%s\" id=\"verdict\"><p class=\"label\">Verdict</p><p class=\"text\">",
		diff_new_foreign(d) ? " bad" : "");
	esc(f, verdict);
	fputs(".</p></div>\n<dl class=\"facts\">\n", f);
	side_facts(f, "Before", d->old, d->unit);
	side_facts(f, "After", d->new, d->unit);
	fprintf(f, "<dt>Compared</dt><dd>%s grouped by kind, subject and destination; destinations by host name, "
		   "registrable domain and organisation (ASN), not by address</dd>\n</dl>\n</header>\n", d->unit);
	item_table(f, "gone", "1. Gone", d->gone, d->ngone, "Nothing that was sent before is missing now.");
	item_table(f, "new", "2. New", d->added, d->nadded, "Nothing new is sent.");
	pair_table(f, "changed", "3. Changed", d->changed, d->nchanged, 1, "No leak changed how or where it goes.");
	pair_table(f, "unchanged", "4. Unchanged", d->same, d->nsame, 0, "None.");
	fputs("<p class=\"note\">Identifiers are as in the two reports: masked unless they were made with "
	      "--show-identifiers.</p>\n<footer>Made by phonehome " PH_VERSION " from two report.json files; "
	      "nothing was sent.</footer>\n</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
