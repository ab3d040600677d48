/* report_md.c - Markdown report: every captured string through escape_md, identifiers masked
 * as in the HTML report. */
#include "report_md.h"
#include "app.h"
#include "config.h"
#include "escape.h"
#include "mask.h"
#include "findings.h"
#include "report_eve.h"
#include "report_html.h"
#include "report_json.h"
#include "summary.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define MD_MAX_FINDINGS 500        /* table rows; report.json has them all */
#define MD_MAX_IDS 10              /* identifiers listed in a finding's row */

static void md(FILE *f, const char *s) { escape_md_put(f, s); }

static void md_masked(FILE *f, const struct audit *a, const char *s)
{
	char b[1024];
	mask_text(a, s, b, sizeof b);
	md(f, b);
}

static void add_id_md(void *arg, const char *text, int confirmed)
{
	void **x = arg;
	FILE *f = x[0];
	size_t *n = x[1];
	if ((*n)++ >= MD_MAX_IDS)
		return;
	fputs(*n > 1 ? ", `" : "`", f);
	md(f, text);
	fputs(confirmed ? "` (the identity's)" : "`", f);
}

/* The apps (app.c) when any flow has one. */
static void apps_table(FILE *f, const struct report *r)
{
	struct summary_app *v;
	size_t n = summary_apps(r, &v);
	if (n)
		fputs("## Apps\n\n| UID | Package | Name | Source | Leaks | Foreign flows | Flows | Bytes sent |\n"
		      "|---:|---|---|---|---|---|---:|---:|\n", f);
	for (size_t i = 0; i < n; i++) {
		struct summary_app_cells c;
		summary_app_cells(r, &v[i], &c);
		if (c.hint)
			fputs("| - | ", f);
		else
			fprintf(f, "| %d | ", (int)v[i].uid);
		md(f, c.package);
		fputs(" | ", f);
		md(f, c.name);
		fputs(" | ", f);
		md(f, c.source);
		if (c.origin) {
			fputs(" (", f);
			md(f, c.origin);
			fputs(")", f);
		}
		fputs(" | ", f);
		md(f, c.kinds);
		fprintf(f, " | %llu", (unsigned long long)v[i].foreign);
		if (v[i].countries[0]) {
			fputs(" (", f);
			md(f, v[i].countries);
			fputs(")", f);
		}
		fprintf(f, " | %llu | %llu |\n", (unsigned long long)v[i].flows, (unsigned long long)v[i].bytes);
	}
	if (n)
		fputs("\n", f);
	free(v);
}

/* One row per finding (one message's hits of one kind and whose), identifiers confirmed first. */
static void findings_table(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	char cnt[160];
	summary_findings_count(r, cnt, sizeof cnt);
	fprintf(f, "## Findings: %s from %zu leaks\n\n", cnt, r->nleaks);
	if (!r->nfindings) {
		fputs(a->id ? "No identifier of the phone was found in what it sent.\n\n"
			    : "No --identity was given, so no identifier was searched for.\n\n", f);
		return;
	}
	fputs("| # | Time (UTC) | Severity | Kind | Whose | Count | Identifiers | Host | Country | ASN | Where | Evidence (first hit) |\n"
	      "|---|---|---|---|---|---:|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < r->nfindings && i < MD_MAX_FINDINGS; i++) {
		const struct report_finding *fd = &r->findings[i];
		const struct report_flow *fl = report_flow_by_id(r, fd->flow_id);
		const struct report_leak *l = &r->leaks[r->fidx[fd->first]];
		char t[40], where[64];
		if (fd->accepted)  /* listed in the appendix with its reason */
			continue;
		report_html_time(fd->ts_us, t, sizeof t);
		findings_where(r, fd, where, sizeof where);
		fprintf(f, "| %u | %.19s | %s | ", fd->id, t, policy_severity_name(fd->severity));
		md(f, summary_kind_label(fd->kind));
		fputs(" | ", f);
		md(f, summary_subject_label(fd->subject));
		fprintf(f, " | %u | ", fd->count);
		size_t nid = 0;
		void *x[2] = { f, &nid };
		findings_identifiers(r, a->id, a->o.show_identifiers, fd, add_id_md, x);
		if (nid > MD_MAX_IDS)
			fprintf(f, " and %zu more", nid - MD_MAX_IDS);
		fputs(nid ? " | " : "- | ", f);
		md_masked(f, a, fl && fl->host[0] ? fl->host : "-");
		fputs(" | ", f);
		md(f, fl && fl->geo.country[0] ? fl->geo.country : "-");
		fputs(" | ", f);
		if (fl && fl->geo.asn) {
			fprintf(f, "AS%u ", fl->geo.asn);
			md(f, fl->geo.asn_org);
		} else {
			fputs("-", f);
		}
		fputs(" | ", f);
		md(f, where);
		fputs(" | ", f);
		md(f, l->evidence ? l->evidence : "");
		fputs(" |\n", f);
	}
	if (r->nfindings > MD_MAX_FINDINGS)
		fprintf(f, "\n%zu more findings are in report.json.\n", r->nfindings - MD_MAX_FINDINGS);
	fputs("\nEvery hit of a finding (encoding, place, evidence) is in report.json (`findings[].leaks`).\n\n", f);
}

static void foreign_table(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	fputs("## Foreign destinations\n\n", f);
	size_t n = 0;
	struct report_iter *it = report_flows_begin(r);  /* the spilled flows too */
	for (const struct report_flow *fl; (fl = report_flows_next(it));) {
		if (!fl->foreign)
			continue;
		if (!n++)
			fputs("| Host | Address | Country | Organisation | App protocol | Bytes sent | Bytes received | Leaks |\n"
			      "|---|---|---|---|---|---:|---:|---:|\n", f);
		char addr[INET6_ADDRSTRLEN];
		report_addr_str(fl->family, fl->addr[fl->remote], addr, sizeof addr);
		fputs("| ", f);
		md_masked(f, a, fl->host[0] ? fl->host : "-");
		fputs(" | ", f);
		md(f, addr);
		fputs(" | ", f);
		md(f, fl->geo.country);
		fputs(" | ", f);
		md(f, fl->geo.asn_org[0] ? fl->geo.asn_org : "-");
		fputs(" | ", f);
		md(f, fl->app_proto[0] ? fl->app_proto : "Unknown");
		fprintf(f, " | %llu | %llu | %u |\n", (unsigned long long)fl->bytes[!fl->remote],
			(unsigned long long)fl->bytes[fl->remote], fl->nleaks);
	}
	report_flows_end(it);
	fputs(n ? "\n" : (a->o.policy.home[0] ? "None.\n\n" : "No --home given: none counts as foreign.\n\n"), f);
}

/* The devices under test: how they were told, each MAC with its addresses, what was not scanned. */
static void devices_list(FILE *f, const struct audit *a)
{
	const char *reason, *method = audit_device_method(a, &reason);
	fputs("## Devices under test\n\nMethod: ", f);
	md(f, method);
	fputs(" (", f);
	md(f, reason);
	fputs(").\n\n", f);
	for (size_t i = 0; a->devs && i < devices_count(a->devs); i++) {
		const struct device *v = devices_get(a->devs, i);
		if (!devices_is_device(v) || (a->o.policy.ndev && !v->option))
			continue;
		fprintf(f, "- %02x:%02x:%02x:%02x:%02x:%02x:", v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
		for (size_t k = 0; k < v->naddr; k++) {
			const struct device_addr *x = devices_addr(a->devs, v, k);
			char s[INET6_ADDRSTRLEN];
			report_addr_str(x->family, x->addr, s, sizeof s);
			fputs(k ? ", " : " ", f);
			md(f, s);
			fprintf(f, " (%s)", devices_how_name(x->how));
		}
		if (v->unlisted)
			fprintf(f, " and %u more", v->unlisted);
		fputs("\n", f);
	}
	if (a->unscanned_warning) {
		fputs("\n**Warning:** ", f);
		md(f, a->rep->warnings[a->unscanned_warning - 1]);
		fputs(".\n", f);
	}
	fputs("\n", f);
}

static void custody_list(FILE *f, const struct audit *a, const struct custody *c)
{
	fputs("## Chain of custody\n\n", f);
	fputs("- Tool: phonehome " PH_VERSION "\n- Command line: `", f);
	md(f, c->command_line);
	fprintf(f, "`\n- Analysis time: %s\n- Workers (--threads): %zu\n", c->analysis_time, c->workers);
	for (size_t i = 0; i < a->rep->ninputs; i++) {
		fputs("- Input: ", f);
		md(f, a->rep->inputs[i].path);
		fprintf(f, " (SHA-256 `%s`)\n", a->rep->inputs[i].sha256);
	}
	if (c->identity_path) {
		fputs("- Identity: ", f);
		md(f, c->identity_path);
		fprintf(f, " (SHA-256 `%s`)\n", c->identity_sha256);
	}
	for (size_t i = 0; i < a->acc.nfiles; i++) {
		fputs("- Accept file: ", f);
		md(f, a->acc.files[i].path);
		fprintf(f, " (SHA-256 `%s`)\n", a->acc.files[i].sha256);
	}
	if (c->rules_path) {
		fputs("- Rules: ", f);
		md(f, c->rules_path);
		fprintf(f, " (SHA-256 `%s`)\n", c->rules_sha256);
	}
	for (size_t i = 0; i < c->ndb; i++) {
		fputs("- Database: ", f);
		md(f, c->db[i].path);
		fputs(" (", f);
		md(f, c->db[i].type ? c->db[i].type : "?");
		fprintf(f, ", built %s)\n", c->db[i].build_date);
	}
}

/* --accept: each accepted finding with the entry that accepted it and why. */
static void accepted_list(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	if (!accept_count_findings(r))
		return;
	fputs("## Appendix: accepted findings\n\nLeft out of the verdict: each was judged and accepted "
	      "(--accept).\n\n| # | Kind | Whose | Host | Country | Reason | Accepted by | Date | Entry |\n"
	      "|---|---|---|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct report_finding *fd = &r->findings[i];
		const struct accept_entry *e = accept_of_finding(&a->acc, r, fd);
		const struct report_flow *fl = report_flow_by_id(r, fd->flow_id);
		if (!e)
			continue;
		fprintf(f, "| %u | ", fd->id);
		md(f, summary_kind_label(fd->kind));
		fputs(" | ", f);
		md(f, summary_subject_label(fd->subject));
		fputs(" | ", f);
		md_masked(f, a, fl && fl->host[0] ? fl->host : "-");
		fputs(" | ", f);
		md(f, fl && fl->geo.country[0] ? fl->geo.country : "-");
		fputs(" | ", f);
		md(f, e->reason);
		fputs(" | ", f);
		md(f, e->by ? e->by : "-");
		fputs(" | ", f);
		md(f, e->date ? e->date : "-");
		fprintf(f, " | %zu of ", e->index);
		md(f, a->acc.files[e->file].path);
		fputs(" |\n", f);
	}
	fputs("\n", f);
}

int report_md_write(FILE *f, const struct audit *a, const struct custody *c)
{
	const struct report *r = a->rep;
	char v[1024];
	summary_verdict(a, v, sizeof v);
	fputs("# phonehome audit report\n\n**Verdict: ", f);
	md(f, v);
	fputs(".**\n\n", f);
	char acc[96];
	if (summary_accepted(r, "appendix", acc, sizeof acc)) {
		md(f, acc);
		fputs(" (judged and accepted, left out of the verdict).\n\n", f);
	}
	size_t foreign = 0, nflows = 0;
	struct report_iter *it = report_flows_begin(r);
	for (const struct report_flow *fl; (fl = report_flows_next(it)); nflows++)
		foreign += fl->foreign;
	report_flows_end(it);
	fprintf(f, "%llu packets in %zu input%s, %zu flows (%zu foreign), %zu leaks. Home country: ",
		(unsigned long long)r->st.packets, r->ninputs, r->ninputs == 1 ? "" : "s", nflows, foreign, r->nleaks);
	md(f, a->o.policy.home[0] ? summary_country_name(a->o.policy.home) : "not given");
	fputs(". Identifiers are masked", f);
	fputs(a->o.show_identifiers ? " nowhere (--show-identifiers).\n\n" : ".\n\n", f);
	apps_table(f, r);
	findings_table(f, a);
	foreign_table(f, a);
	devices_list(f, a);
	accepted_list(f, a);
	custody_list(f, a, c);
	return ferror(f) ? -1 : 0;
}
