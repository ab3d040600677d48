/* report_html.c - the auditor's HTML report: verdict, device and capture, leaks by destination,
 * chart per country, timeline, foreign destinations, appendix with the chain of custody. */
#include "report_html.h"
#include "app.h"
#include "config.h"
#include "decode.h"
#include "escape.h"
#include "findings.h"
#include "flow.h"
#include "identity.h"
#include "mask.h"
#include "report_json.h"
#include "summary.h"
#include "util.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HTML_MAX_LEAKS 2000        /* leak rows in the page; report.json has them all */
#define HTML_MAX_COUNTRIES 12      /* bars in the chart */
#define HTML_MAX_DEVICES 16        /* device addresses listed */
#define HTML_MAX_IDS 10            /* identifiers listed in a finding's row; its hits have the rest */

static const char *sev_name(int s) { return policy_severity_name((enum policy_severity)s); }

void report_html_time(uint64_t us, char *out, size_t outlen)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void report_html_request(const struct audit *a, const struct report_leak *l, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	const struct report_http *best = NULL;
	out[0] = 0;
	if (l->where == WHERE_PAYLOAD)
		return;
	for (size_t i = 0; i < r->nhttp; i++) {  /* the last request of the flow sent before the leak */
		const struct report_http *h = &r->http[i];
		if (h->flow_id == l->flow_id && h->ts_us <= l->ts_us && (!best || h->ts_us >= best->ts_us))
			best = h;
	}
	if (!best)
		return;
	char line[600];
	snprintf(line, sizeof line, "%s %s", best->method, best->uri);
	mask_text(a, line, out, outlen);
}

static int cmp_dest(const void *x, const void *y)
{
	const struct report_dest *a = x, *b = y;
	if (a->max_sev != b->max_sev)
		return b->max_sev - a->max_sev;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* 1 when two flows go to the same destination (remote address and host). */
static int same_dest(const struct report_flow *a, const struct report_flow *b)
{
	return a->family == b->family && !memcmp(a->addr[a->remote], b->addr[b->remote], 16) && !strcmp(a->host, b->host);
}

/* The hash of what same_dest compares (and of the app protocol, with_proto); 0 for no flow. */
static uint64_t dest_hash(const struct report_flow *f, int with_proto)
{
	if (!f)
		return 0;
	uint64_t h = util_fnv(UTIL_FNV_BASIS, &f->family, 1);
	h = util_fnv(h, f->addr[f->remote], 16);
	h = util_fnv(h, f->host, strlen(f->host) + 1);
	return with_proto ? util_fnv(h, f->app_proto, strlen(f->app_proto)) : h;
}

size_t report_html_dests(const struct report *r, struct report_dest **out, size_t **idx)
{
	struct report_dest *d = util_xcalloc(r->nleaks + 1, sizeof *d);
	size_t *gi = util_xcalloc(r->nleaks + 1, sizeof *gi), nd = 0;
	struct util_index ix = { 0 };
	for (size_t i = 0; i < r->nleaks; i++) {  /* group of each leak, groups in first-leak order */
		const struct report_flow *f = report_flow_by_id(r, r->leaks[i].flow_id);
		uint64_t h = dest_hash(f, 0);
		size_t g, pos = 0;
		while ((g = util_index_next(&ix, h, &pos)) != SIZE_MAX &&
		       !(f && d[g].flow && same_dest(d[g].flow, f)) && !(!f && !d[g].flow))
			;
		if (g == SIZE_MAX) {
			g = nd;
			util_index_add(&ix, h, g);
			d[nd].flow = f;
			d[nd].first = i;  /* provisional: first leak index, for ordering */
			nd++;
		}
		gi[i] = g;
		d[g].n++;
		if (r->leaks[i].severity > d[g].max_sev)
			d[g].max_sev = r->leaks[i].severity;
	}
	size_t *order = util_xcalloc(r->nleaks + 1, sizeof *order);
	for (size_t g = 0; g < nd; g++)
		d[g].first = d[g].first * (r->nleaks + 1) + g;  /* keep the group number through the sort */
	qsort(d, nd, sizeof *d, cmp_dest);
	size_t *rank = util_xcalloc(nd + 1, sizeof *rank), pos = 0;
	for (size_t k = 0; k < nd; k++) {
		size_t g = d[k].first % (r->nleaks + 1);
		rank[g] = k;
		d[k].first = pos;
		pos += d[k].n;
	}
	size_t *fill = util_xcalloc(nd + 1, sizeof *fill);
	for (size_t i = 0; i < r->nleaks; i++) {
		size_t k = rank[gi[i]];
		order[d[k].first + fill[k]++] = i;
	}
	free(fill);
	free(rank);
	free(gi);
	util_index_free(&ix);
	*out = d;
	*idx = order;
	return nd;
}

static void esc(FILE *f, const char *s) { escape_html_put(f, s); }

/* A captured string with identifiers masked, then escaped. */
static void esc_masked(FILE *f, const struct audit *a, const char *s)
{
	char b[1024];
	mask_text(a, s, b, sizeof b);
	esc(f, b);
}

static void human_bytes(uint64_t n, char *out, size_t outlen)
{
	if (n < 10000)
		snprintf(out, outlen, "%llu B", (unsigned long long)n);
	else if (n < 10000000)
		snprintf(out, outlen, "%.1f kB", n / 1e3);
	else
		snprintf(out, outlen, "%.1f MB", n / 1e6);
}

static const char CSS[] =
	":root{--ink:#1d2430;--mute:#5b6573;--line:#d9dee5;--bg:#f6f7f9;--crit:#b3261e;--high:#d4561b;"
	"--med:#b58a00;--low:#4b7f52;--bytes:#4a6fa5}\n"
	"*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
	"'DejaVu Sans',Arial,sans-serif;color:var(--ink);background:#fff}\n"
	"main{max-width:1040px;margin:0 auto;padding:28px 32px 48px}\n"
	"h1{font-size:26px;margin:4px 0 14px}h2{font-size:20px;margin:36px 0 10px;padding-bottom:4px;"
	"border-bottom:2px solid var(--ink)}h3{font-size:16px;margin:0 0 2px;word-break:break-all}\n"
	".tool{color:var(--mute);font-size:13px;margin:0;text-transform:uppercase;letter-spacing:.06em}\n"
	".verdict{border-left:8px solid var(--low);background:var(--bg);padding:14px 18px;margin:8px 0 18px}\n"
	".verdict.bad{border-color:var(--crit);background:#fbeeed}.verdict p{margin:0}\n"
	".verdict .label{font-size:12px;text-transform:uppercase;letter-spacing:.08em;color:var(--mute)}\n"
	".verdict .text{font-size:21px;font-weight:700;margin-top:2px}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}\n"
	"dl.facts dt{color:var(--mute)}dl.facts dd{margin:0;word-break:break-all}\n"
	"table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0 4px}\n"
	"th{text-align:left;font-weight:600;color:var(--mute);border-bottom:1px solid var(--ink);padding:4px 6px}\n"
	"td{border-bottom:1px solid var(--line);padding:4px 6px;vertical-align:top;word-break:break-word}\n"
	"td.num,th.num{text-align:right;white-space:nowrap}.nw{white-space:nowrap}td.host{min-width:13em;overflow-wrap:anywhere;word-break:normal}\n"
	"table.kv{width:auto;min-width:60%}table.kv td:first-child{padding-right:24px}\n"
	".dest{border:1px solid var(--line);border-radius:6px;padding:12px 14px;margin:12px 0}\n"
	"tr,svg,.dest h3,.dest .meta{break-inside:avoid;page-break-inside:avoid}.dest h3{break-after:avoid}\n"
	".dest .meta{color:var(--mute);margin:0 0 6px;font-size:13.5px}\n"
	".sev{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px;font-weight:600}\n"
	".sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}"
	".sev-low{background:var(--low)}\n"
	"tr.ev td{border-bottom:1px solid var(--line);padding-top:0;color:var(--mute)}\n"
	"code,.mono{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}\n"
	"code.evidence{display:block;background:var(--bg);border:1px solid var(--line);padding:3px 6px;"
	"white-space:pre-wrap;word-break:break-all;color:var(--ink)}\n"
	".req{display:block;white-space:pre-wrap;word-break:break-all}\n"
	"tr.finding td{border-bottom:none}tr.hits>td{padding-top:0}details summary{color:var(--mute);cursor:pointer}\n"
	"details table{margin-left:12px;width:calc(100% - 12px)}.ids{overflow-wrap:anywhere}\n"
	"svg{max-width:100%;height:auto}svg text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:var(--ink)}\n"
	".note{color:var(--mute);font-size:13px}\n"
	".accepted{border:1px solid var(--mute);border-radius:3px;padding:0 4px;color:var(--mute);font-size:12px}\n"
	"footer{margin-top:40px;color:var(--mute);font-size:12px;border-top:1px solid var(--line);padding-top:8px}\n"
	"@media print{main{padding:0;max-width:none}h2{break-after:avoid}body{font-size:10pt}"
	"table{font-size:8.5pt}code,.mono{font-size:8pt}"
	".verdict,.dest{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

const char *report_html_css(void) { return CSS; }

static void html_head(FILE *f, const char *verdict)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"phonehome " PH_VERSION "\">\n<title>phonehome audit: ", f);
	esc(f, verdict);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", CSS);
}

struct cc_row { char cc[8]; uint64_t bytes; uint64_t leaks, flows; int foreign; };

struct dest_row { struct report_flow f; uint64_t out, in, flows, leaks; };  /* f: its first flow */

/* What the page says of all flows, gathered in one pass over them (the spilled ones read back). */
struct html_flows {
	size_t n, foreign;
	char dev[HTML_MAX_DEVICES][INET6_ADDRSTRLEN];  /* distinct device addresses, first seen first */
	size_t ndev, more;              /* more: device addresses seen past the first HTML_MAX_DEVICES */
	struct cc_row *cc; size_t ncc, capcc;       /* per destination country */
	struct dest_row *dest; size_t ndest, capdest;  /* foreign destinations (every one without --home) */
	struct util_index dest_ix;      /* dest by destination and app protocol */
};

static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 64;
	return util_xrealloc(v, *cap * size);
}

static void flows_devices(struct html_flows *h, const struct report_flow *fl)
{
	for (int s = 0; s < 2; s++) {
		if (!fl->dev[s])
			continue;
		char a[INET6_ADDRSTRLEN];
		report_addr_str(fl->family, fl->addr[s], a, sizeof a);
		size_t j = 0;
		while (j < h->ndev && strcmp(h->dev[j], a))
			j++;
		if (j < h->ndev)
			continue;
		if (h->ndev < HTML_MAX_DEVICES)
			memcpy(h->dev[h->ndev++], a, sizeof a);
		else
			h->more++;
	}
}

static void flows_country(struct html_flows *h, const struct report_flow *fl)
{
	const char *cc = fl->geo.country[0] ? fl->geo.country : fl->geo.status == GEO_RESERVED ? "local" : "unknown";
	size_t j = 0;
	while (j < h->ncc && strcmp(h->cc[j].cc, cc))
		j++;
	if (j == h->ncc) {
		h->cc = grow(h->cc, h->ncc, &h->capcc, sizeof *h->cc);
		memset(&h->cc[j], 0, sizeof h->cc[j]);
		snprintf(h->cc[h->ncc++].cc, sizeof h->cc[0].cc, "%s", cc);
	}
	h->cc[j].bytes += fl->bytes[0] + fl->bytes[1];
	h->cc[j].leaks += fl->nleaks;
	h->cc[j].flows++;
	h->cc[j].foreign |= fl->foreign;
}

static void flows_dest(struct html_flows *h, const struct report_flow *fl, int all)
{
	if (!(fl->foreign || (all && fl->geo.country[0])))
		return;
	uint64_t k = dest_hash(fl, 1);
	size_t j, pos = 0;
	while ((j = util_index_next(&h->dest_ix, k, &pos)) != SIZE_MAX &&
	       !(same_dest(&h->dest[j].f, fl) && !strcmp(h->dest[j].f.app_proto, fl->app_proto)))
		;
	if (j == SIZE_MAX) {
		j = h->ndest;
		util_index_add(&h->dest_ix, k, j);
		h->dest = grow(h->dest, h->ndest, &h->capdest, sizeof *h->dest);
		memset(&h->dest[j], 0, sizeof h->dest[j]);
		h->dest[h->ndest++].f = *fl;
	}
	h->dest[j].out += fl->bytes[!fl->remote];
	h->dest[j].in += fl->bytes[fl->remote];
	h->dest[j].flows++;
	h->dest[j].leaks += fl->nleaks;
}

static void html_flows_collect(const struct audit *a, struct html_flows *h)
{
	int all = !a->o.policy.home[0];  /* no home: every destination placed in a country */
	memset(h, 0, sizeof *h);
	struct report_iter *it = report_flows_begin(a->rep);
	for (const struct report_flow *fl; (fl = report_flows_next(it));) {
		h->n++;
		h->foreign += fl->foreign;
		flows_devices(h, fl);
		flows_country(h, fl);
		flows_dest(h, fl, all);
	}
	report_flows_end(it);
}

/* Distinct device addresses seen in flows. */
static void device_list(FILE *f, const struct html_flows *h)
{
	for (size_t i = 0; i < h->ndev; i++) {
		fputs(i ? ", " : "", f);
		esc(f, h->dev[i]);
	}
	if (h->more)
		fprintf(f, " and %zu more", h->more);
	if (!h->ndev)
		fputs("none seen", f);
}

/* Without --device: how devices were told, and the MACs found (devices.c). */
static void device_macs(FILE *f, const struct audit *a)
{
	const char *reason, *method = audit_device_method(a, &reason);
	size_t n = 0;
	if (strcmp(method, "address-ranges"))
		for (size_t i = 0; a->devs && i < devices_count(a->devs); i++) {
			const struct device *v = devices_get(a->devs, i);
			if (!devices_is_device(v))
				continue;
			if (n++ < HTML_MAX_DEVICES)
				fprintf(f, "%s%02x:%02x:%02x:%02x:%02x:%02x (%u address%s)", n > 1 ? ", " : "", v->mac[0],
					v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5], v->naddr + v->unlisted,
					v->naddr + v->unlisted == 1 ? "" : "es");
		}
	if (n > HTML_MAX_DEVICES)
		fprintf(f, " and %zu more", n - HTML_MAX_DEVICES);
	if (n)
		fputs(", found by MAC, with every address each sent from; seen: ", f);
	else if (!strcmp(method, "address-ranges"))
		fputs("every private, CGNAT, ULA or link-local address (the capture has no link layer); seen: ", f);
	else
		fputs("every private, CGNAT, ULA or link-local address; seen: ", f);
}

static void section_header(FILE *f, const struct audit *a, const struct html_flows *h, const char *verdict)
{
	const struct report *r = a->rep;
	const struct policy *p = &a->o.policy;
	size_t sev[4] = { 0 };
	for (size_t i = 0; i < r->nleaks; i++)
		sev[r->leaks[i].severity & 3]++;
	int bad = 0;
	for (size_t i = 0; i < r->nleaks; i++)
		bad |= r->leaks[i].foreign;
	fprintf(f, "<header>\n<p class=\"tool\">phonehome %s &middot; privacy traffic audit</p>\n"
		   "<h1>What the phone sent, to whom, and where</h1>\n", PH_VERSION);
	fprintf(f, "<div class=\"verdict%s\" id=\"verdict\"><p class=\"label\">Verdict</p><p class=\"text\">",
		bad ? " bad" : "");
	esc(f, verdict);
	fputs(".</p></div>\n<dl class=\"facts\">\n<dt>Device under test</dt><dd>", f);
	for (size_t i = 0; i < p->ndev; i++) {
		fputs(i ? ", " : "", f);
		esc(f, p->dev[i].text);
	}
	if (!p->ndev)
		device_macs(f, a);
	else
		fputs("; seen: ", f);
	device_list(f, h);
	fputs("</dd>\n<dt>Home country</dt><dd>", f);
	if (p->home[0]) {
		esc(f, summary_country_name(p->home));
		fputs(" (", f);
		esc(f, p->home);
		fputs(")", f);
		for (size_t i = 0; i < p->nallow; i++) {
			fputs(i ? ", " : "; also allowed: ", f);
			esc(f, p->allow[i]);
		}
	} else {
		fputs("not given (--home): no destination counts as foreign", f);
	}
	fputs("</dd>\n<dt>Capture</dt><dd>", f);
	uint64_t first = 0, last = 0;
	int any = 0;
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct report_input *in = &r->inputs[i];
		fputs(i ? "<br>" : "", f);
		esc(f, in->path);
		fprintf(f, " (%s%s%s, %llu packets", in->compression ? in->compression : "", in->compression ? ", " : "",
			in->link_type ? in->link_type : "?", (unsigned long long)in->packets);
		if (in->nfiles)  /* live -w: where the raw copy went */
			fprintf(f, "; written to %zu file%s from ", in->nfiles, in->nfiles > 1 ? "s" : ""), esc(f, in->files[0].path);
		fputs(")", f);
		if (in->packets && (!any || in->first_us < first))
			first = in->first_us;
		if (in->packets && (!any || in->last_us > last))
			last = in->last_us;
		any |= in->packets > 0;
	}
	fputs("</dd>\n", f);
	if (any) {
		char t0[40], t1[40];
		report_html_time(first, t0, sizeof t0);
		report_html_time(last, t1, sizeof t1);
		fprintf(f, "<dt>Captured</dt><dd>%s to %s (%.3f s)</dd>\n", t0, t1, (last - first) / 1e6);
	}
	fprintf(f, "<dt>Identity</dt><dd>%s</dd>\n", a->id ? "given: identifiers searched in every encoding"
							     : "not given (--identity): flows only");
	fprintf(f, "<dt>Traffic</dt><dd>%llu packets, %zu flows, %zu to foreign servers</dd>\n",
		(unsigned long long)r->st.packets, h->n, h->foreign);
	char cnt[160];
	summary_findings_count(r, cnt, sizeof cnt);
	fputs("<dt>Findings</dt><dd>", f);
	esc(f, cnt);
	fputs("</dd>\n", f);
	if (summary_accepted(r, "appendix", cnt, sizeof cnt)) {
		fputs("<dt>Accepted</dt><dd id=\"accepted-count\"><a href=\"#accepted\">", f);
		esc(f, cnt);
		fputs("</a> (judged and accepted, left out of the verdict)</dd>\n", f);
	}
	char what[1536];
	summary_what(a, 0, what, sizeof what);
	if (what[0]) {
		fputs("<dt>Sent, anywhere</dt><dd>", f);
		esc(f, what);
		fputs("</dd>\n", f);
	}
	fprintf(f, "<dt>Leaks</dt><dd>%zu: %zu critical, %zu high, %zu medium, %zu low</dd>\n</dl>\n</header>\n",
		r->nleaks, sev[SEV_CRITICAL], sev[SEV_HIGH], sev[SEV_MEDIUM], sev[SEV_LOW]);
}

/* Apps (app.c), first after the verdict when any flow has one: who sent what, and where. */
static void section_apps(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	struct summary_app *v;
	size_t n = summary_apps(r, &v);
	if (!n) {
		free(v);
		return;
	}
	fputs("<section id=\"apps\">\n<h2>Apps</h2>\n<table id=\"apps-table\"><tr><th>UID</th><th>Package</th>"
	      "<th>Name</th><th>Source</th><th>Leaks</th><th>Foreign destinations</th><th class=\"num\">Flows</th>"
	      "<th class=\"num\">Bytes sent</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		struct summary_app_cells c;
		char bytes[32];
		summary_app_cells(r, &v[i], &c);
		if (c.hint)
			fputs("<tr><td class=\"num\">-</td><td class=\"mono\">", f);
		else
			fprintf(f, "<tr><td class=\"num\">%d</td><td class=\"mono\">", (int)v[i].uid);
		esc(f, c.package);
		fputs("</td><td>", f);
		esc(f, c.name);
		fputs("</td><td>", f);
		esc(f, c.source);
		if (c.origin) {
			fputs(" (", f);
			esc(f, c.origin);
			fputs(")", f);
		}
		human_bytes(v[i].bytes, bytes, sizeof bytes);
		fputs("</td><td>", f);
		esc(f, c.kinds);
		fprintf(f, "</td><td>%llu flow%s", (unsigned long long)v[i].foreign, v[i].foreign == 1 ? "" : "s");
		if (v[i].countries[0]) {
			fputs(" (", f);
			esc(f, v[i].countries);
			fputs(")", f);
		}
		fprintf(f, "</td><td class=\"num\">%llu</td><td class=\"num\">%s</td></tr>\n",
			(unsigned long long)v[i].flows, bytes);
	}
	fputs("</table>\n<p class=\"note\">Source: the PCAPdroid capture (pcapdroid), NFLOG (nflog), the connections "
	      "CSV given with --apps (csv), or a hint: a package name the app sent itself (hint).</p>\n</section>\n", f);
	free(v);
}

static void dest_heading(FILE *f, const struct audit *a, const struct report_flow *fl)
{
	char addr[INET6_ADDRSTRLEN];
	report_addr_str(fl->family, fl->addr[fl->remote], addr, sizeof addr);
	fputs("<h3>", f);
	if (fl->host[0])
		esc_masked(f, a, fl->host);
	else
		esc(f, addr);
	fputs("</h3>\n<p class=\"meta\">", f);
	esc(f, addr);
	fprintf(f, " port %u &middot; ", fl->port[fl->remote]);
	if (fl->geo.country[0]) {
		esc(f, summary_country_name(fl->geo.country));
		fputs(" (", f);
		esc(f, fl->geo.country);
		fputs(")", f);
	} else {
		fputs(fl->geo.status == GEO_RESERVED ? "local network" : "country unknown", f);
	}
	if (fl->geo.asn) {
		fprintf(f, " &middot; AS%u ", fl->geo.asn);
		esc(f, fl->geo.asn_org);
	}
	fputs(" &middot; ", f);
	esc(f, fl->app_proto[0] ? fl->app_proto : "Unknown");
	fputs(fl->foreign ? " &middot; <strong>foreign</strong>" : "", f);
	fputs("</p>\n", f);
}

static void leak_row(FILE *f, const struct audit *a, const struct report_leak *l, size_t n)
{
	char t[40], id[512], req[1024];
	util_iso8601(l->ts_us, t, sizeof t);  /* 2014-08-10T09:00:00.110000Z: HH:MM:SS.mmm shown */
	mask_identifier(a, l, id, sizeof id);
	report_html_request(a, l, req, sizeof req);
	fprintf(f, "<tr id=\"leak-%zu\" class=\"leak\"><td class=\"mono nw\">%.12s</td><td>", n, t + 11);
	esc(f, summary_kind_label(l->kind));
	if (l->suspected) {
		fputs(" <em title=\"", f);
		esc(f, l->rule_desc ? l->rule_desc : "found by a detector rule, not an identity value");
		fputs("\">(suspected)</em>", f);
	}
	fputs("</td><td class=\"mono\">", f);
	esc(f, id[0] ? id : "-");
	fputs("</td><td class=\"mono\">", f);
	esc(f, l->encoding);
	fputs("</td><td>", f);
	esc(f, report_where_name(l->where));
	if (l->name[0]) {
		fputs(" <span class=\"mono\">", f);
		esc(f, l->name);
		fputs("</span>", f);
	}
	fprintf(f, "</td><td>%s</td><td><span class=\"sev sev-%s\">%s</span></td></tr>\n",
		l->encrypted ? "TLS" : "cleartext", sev_name(l->severity), sev_name(l->severity));
	fputs("<tr class=\"ev\"><td colspan=\"7\">", f);
	if (req[0]) {
		fputs("<span class=\"req mono\">", f);
		esc(f, req);
		fputs("</span>", f);
	}
	fputs("<code class=\"evidence\">", f);
	esc(f, l->evidence ? l->evidence : "");
	fputs("</code></td></tr>\n", f);
}

static void add_id_html(void *arg, const char *text, int confirmed)
{
	void **x = arg;
	FILE *f = x[0];
	size_t *n = x[1];
	if ((*n)++ >= HTML_MAX_IDS)
		return;
	fputs(*n > 1 ? "<br>" : "", f);
	escape_html_put(f, text);
	if (confirmed)
		fputs(" <em>(the identity's)</em>", f);
}

/* A finding's row, then its hits under <details> (no script: the browser opens it). */
static void finding_rows(FILE *f, const struct audit *a, const struct report_finding *fd, size_t *shown)
{
	const struct report *r = a->rep;
	char t[40], where[64];
	util_iso8601(fd->ts_us, t, sizeof t);
	findings_where(r, fd, where, sizeof where);
	fprintf(f, "<tr id=\"finding-%u\" class=\"finding\"><td class=\"mono nw\">%.12s</td><td>", fd->id, t + 11);
	esc(f, summary_kind_label(fd->kind));
	if (fd->accepted)
		fputs(" <span class=\"accepted\">accepted</span>", f);
	fputs("</td><td>", f);
	esc(f, summary_subject_label(fd->subject));
	fprintf(f, "</td><td class=\"num\">%u</td><td class=\"mono ids\">", fd->count);
	size_t nid = 0;
	void *x[2] = { f, &nid };
	findings_identifiers(r, a->id, a->o.show_identifiers, fd, add_id_html, x);
	if (nid > HTML_MAX_IDS)
		fprintf(f, "<br>and %zu more (in the hits)", nid - HTML_MAX_IDS);
	fputs(nid ? "" : "-", f);
	fputs("</td><td>", f);
	esc(f, where);
	fprintf(f, "</td><td>%s</td><td><span class=\"sev sev-%s\">%s</span></td></tr>\n",
		fd->encrypted ? "TLS" : "cleartext", sev_name(fd->severity), sev_name(fd->severity));
	fprintf(f, "<tr class=\"hits\"><td colspan=\"8\"><details><summary>%zu hit%s%s: encoding, place and evidence"
		   "</summary>\n<table><tr><th>Time</th><th>Kind</th><th>Identifier</th><th>Encoding</th><th>Where</th>"
		   "<th>Transport</th><th>Severity</th></tr>\n", fd->n, fd->n == 1 ? "" : "s",
		fd->confirmed && fd->n > 1 ? ", the identity's first" : "");
	for (size_t k = 0; k < fd->n && *shown < HTML_MAX_LEAKS; k++, (*shown)++)
		leak_row(f, a, &r->leaks[r->fidx[fd->first + k]], r->fidx[fd->first + k]);
	fputs("</table></details></td></tr>\n", f);
}

static void section_leaks(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	fputs("<section id=\"leaks\">\n<h2>1. Findings, by destination</h2>\n", f);
	if (!r->nleaks) {
		fprintf(f, "<p>%s</p>\n</section>\n", a->id ? "No identifier of the phone was found in what it sent."
						      : "No --identity was given, so no identifier was searched for.");
		return;
	}
	fputs("<p class=\"note\">Times are capture times (UTC). Identifiers and evidence are masked"
	      " unless the report was made with --show-identifiers. The evidence is the bytes around the"
	      " identifier as sent; the line above it is the HTTP request it was in. A finding is what one"
	      " message (an HTTP request, a stream piece) sent of one kind and whose: an address book"
	      " upload is one finding with a count; its hits open below it.</p>\n", f);
	struct report_dest *d;
	size_t *idx, shown = 0;
	size_t nd = report_html_dests(r, &d, &idx);
	for (size_t g = 0; g < nd; g++) {
		fputs("<article class=\"dest\">\n", f);
		if (d[g].flow)
			dest_heading(f, a, d[g].flow);
		else
			fputs("<h3>unknown flow</h3>\n", f);
		size_t nf = 0;
		for (size_t k = 0; k < d[g].n; k++) {
			const struct report_leak *l = &r->leaks[idx[d[g].first + k]];
			nf += l->finding && r->fidx[r->findings[l->finding - 1].first] == idx[d[g].first + k];
		}
		fprintf(f, "<p class=\"meta\">%zu finding%s, %zu leak%s</p>\n<table><tr><th>Time</th><th>Kind</th>"
			   "<th>Whose</th><th class=\"num\">Count</th><th>Identifiers</th><th>Where</th><th>Transport</th>"
			   "<th>Severity</th></tr>\n", nf, nf == 1 ? "" : "s", d[g].n, d[g].n == 1 ? "" : "s");
		for (size_t k = 0; k < d[g].n && shown < HTML_MAX_LEAKS; k++) {  /* each finding at its first hit */
			size_t li = idx[d[g].first + k];
			const struct report_leak *l = &r->leaks[li];
			if (l->finding && r->fidx[r->findings[l->finding - 1].first] == li)
				finding_rows(f, a, &r->findings[l->finding - 1], &shown);
		}
		fputs("</table>\n</article>\n", f);
	}
	if (shown < r->nleaks)
		fprintf(f, "<p class=\"note\">%zu more leaks are in report.json.</p>\n", r->nleaks - shown);
	free(d);
	free(idx);
	fputs("</section>\n", f);
}

static int cmp_cc(const void *x, const void *y)
{
	const struct cc_row *a = x, *b = y;
	if (a->leaks != b->leaks)
		return a->leaks > b->leaks ? -1 : 1;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return strcmp(a->cc, b->cc);
}

static void section_chart(FILE *f, struct html_flows *hf)
{
	struct cc_row *rows = hf->cc;
	size_t n = hf->ncc;
	if (n)
		qsort(rows, n, sizeof *rows, cmp_cc);
	size_t shown = n < HTML_MAX_COUNTRIES ? n : HTML_MAX_COUNTRIES;
	uint64_t maxb = 1, maxl = 1;
	for (size_t i = 0; i < shown; i++) {
		maxb = rows[i].bytes > maxb ? rows[i].bytes : maxb;
		maxl = rows[i].leaks > maxl ? rows[i].leaks : maxl;
	}
	fputs("<section id=\"chart\">\n<h2>2. Destination countries</h2>\n", f);
	const int W = 760, L = 210, BW = 420, RH = 44, top = 26;
	int h = top + (int)shown * RH + 8;
	fprintf(f, "<svg id=\"country-chart\" role=\"img\" aria-label=\"Bytes and leaks per destination country\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, h, W, h);
	fprintf(f, "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"10\" fill=\"#4a6fa5\"/><text x=\"%d\" y=\"15\">bytes "
		   "(both ways)</text><rect x=\"%d\" y=\"6\" width=\"12\" height=\"10\" fill=\"#b3261e\"/>"
		   "<text x=\"%d\" y=\"15\">leaks</text>\n", L, L + 16, L + 140, L + 156);
	for (size_t i = 0; i < shown; i++) {
		const struct cc_row *c = &rows[i];
		int y = top + (int)i * RH;
		int wb = (int)(BW * (double)c->bytes / (double)maxb), wl = (int)(BW * (double)c->leaks / (double)maxl);
		char hb[32];
		human_bytes(c->bytes, hb, sizeof hb);
		fprintf(f, "<g class=\"bar\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\"%s>", L - 8, y + 22,
			c->foreign ? " font-weight=\"700\"" : "");
		if (!strcmp(c->cc, "local") || !strcmp(c->cc, "unknown")) {
			esc(f, !strcmp(c->cc, "local") ? "local network" : "unknown");
		} else {
			const char *name = summary_country_name(c->cc);
			esc(f, strncmp(name, "the ", 4) ? name : name + 4);  /* a label, not a sentence */
			fputs(" (", f);
			esc(f, c->cc);
			fputs(")", f);
		}
		fprintf(f, "%s</text>\n", c->foreign ? " *" : "");
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"#4a6fa5\"/>"
			   "<text x=\"%d\" y=\"%d\">%s, %llu flow%s</text>\n", L, y + 4, wb > 1 ? wb : 1, L + (wb > 1 ? wb : 1) + 6,
			y + 15, hb, (unsigned long long)c->flows, c->flows == 1 ? "" : "s");
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"14\" fill=\"#b3261e\"/>"
			   "<text x=\"%d\" y=\"%d\">%llu leak%s</text></g>\n", L, y + 20, c->leaks ? (wl > 1 ? wl : 1) : 0,
			L + (c->leaks ? (wl > 1 ? wl : 1) : 0) + 6, y + 31, (unsigned long long)c->leaks,
			c->leaks == 1 ? "" : "s");
	}
	fputs("</svg>\n", f);
	if (n > shown)
		fprintf(f, "<p class=\"note\">%zu more countries are in report.json.</p>\n", n - shown);
	fputs("<p class=\"note\">* foreign (outside the home country and the allowed ones).</p>\n</section>\n", f);
}

static const char *sev_color(int s)
{
	static const char *c[] = { "#4b7f52", "#b58a00", "#d4561b", "#b3261e" };
	return c[s & 3];
}

static void section_timeline(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	for (size_t i = 0; i < r->ninputs; i++)
		if (r->inputs[i].packets) {
			t0 = r->inputs[i].first_us < t0 ? r->inputs[i].first_us : t0;
			t1 = r->inputs[i].last_us > t1 ? r->inputs[i].last_us : t1;
		}
	fputs("<section id=\"timeline\">\n<h2>3. Timeline of leaks</h2>\n", f);
	if (!r->nleaks || t0 == UINT64_MAX) {
		fputs("<p>No leak to place on the timeline.</p>\n</section>\n", f);
		return;
	}
	int lane[ID__COUNT], nl = 0;
	for (int k = 0; k < ID__COUNT; k++)
		lane[k] = -1;
	for (size_t i = 0; i < r->nleaks; i++)
		if (r->leaks[i].kind < ID__COUNT && lane[r->leaks[i].kind] < 0)
			lane[r->leaks[i].kind] = 0;
	for (int k = 0; k < ID__COUNT; k++)
		if (lane[k] == 0 || lane[k] > 0)
			lane[k] = nl++;
	const int W = 760, L = 150, PW = 580, LH = 26, top = 10;
	int h = top + nl * LH + 40;
	double span = t1 > t0 ? (double)(t1 - t0) : 1.0;
	fprintf(f, "<svg id=\"leak-timeline\" role=\"img\" aria-label=\"Leaks over the capture\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, h, W, h);
	for (int k = 0; k < ID__COUNT; k++) {
		if (lane[k] < 0)
			continue;
		int y = top + lane[k] * LH + 13;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 10, y + 4);
		esc(f, summary_kind_label(k));
		fprintf(f, "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d9dee5\"/>\n", L, y, L + PW, y);
	}
	int axis = top + nl * LH + 6;
	char s0[40];
	report_html_time(t0, s0, sizeof s0);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1d2430\"/>\n", L, axis, L + PW, axis);
	fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">+%.3f s</text>\n", L,
		axis + 18, s0, L + PW, axis + 18, (t1 - t0) / 1e6);
	for (size_t i = 0; i < r->nleaks && i < HTML_MAX_LEAKS; i++) {
		const struct report_leak *l = &r->leaks[i];
		if (l->kind >= ID__COUNT)
			continue;
		double x = L + PW * (double)(l->ts_us - t0) / span;
		int y = top + lane[l->kind] * LH + 13;
		char t[40];
		report_html_time(l->ts_us, t, sizeof t);
		const struct report_flow *fl = report_flow_by_id(r, l->flow_id);
		fprintf(f, "<circle class=\"leak-dot\" cx=\"%.1f\" cy=\"%d\" r=\"6\" fill=\"%s\" fill-opacity=\"0.85\">"
			   "<title>%s: ", x, y, sev_color(l->severity), t);
		esc(f, summary_kind_label(l->kind));
		fputs(" to ", f);
		if (fl && fl->host[0])
			esc_masked(f, a, fl->host);
		else
			fputs("?", f);
		fprintf(f, " (%s)</title></circle>\n", sev_name(l->severity));
	}
	fputs("</svg>\n<p class=\"note\">Colour: severity (red critical, orange high, yellow medium, green low).</p>\n"
	      "</section>\n", f);
}

static void section_foreign(FILE *f, const struct audit *a, const struct html_flows *h)
{
	int all = !a->o.policy.home[0];
	const struct dest_row *rows = h->dest;
	size_t n = h->ndest;
	fprintf(f, "<section id=\"foreign\">\n<h2>4. %s</h2>\n",
		all ? "Destinations (no --home: none counts as foreign)" : "Foreign destinations");
	if (!n) {
		fputs("<p>None.</p>\n</section>\n", f);
		return;
	}
	fputs("<table id=\"foreign-table\"><tr><th>Host</th><th>Address</th><th>Country</th><th>Organisation</th>"
	      "<th>App protocol</th><th class=\"num\">Flows</th><th class=\"num\">Bytes sent</th>"
	      "<th class=\"num\">Bytes received</th><th class=\"num\">Leaks</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct report_flow *fl = &rows[i].f;
		char addr[INET6_ADDRSTRLEN];
		report_addr_str(fl->family, fl->addr[fl->remote], addr, sizeof addr);
		fputs("<tr><td class=\"host\">", f);
		if (fl->host[0])
			esc_masked(f, a, fl->host);
		else
			fputs("-", f);
		fputs("</td><td class=\"mono nw\">", f);
		esc(f, addr);
		fputs("</td><td>", f);
		esc(f, fl->geo.country[0] ? fl->geo.country : "-");
		fputs("</td><td>", f);
		if (fl->geo.asn) {
			fprintf(f, "AS%u ", fl->geo.asn);
			esc(f, fl->geo.asn_org);
		} else {
			fputs("-", f);
		}
		fputs("</td><td>", f);
		esc(f, fl->app_proto[0] ? fl->app_proto : "Unknown");
		fprintf(f, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
			   "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)rows[i].flows,
			(unsigned long long)rows[i].out, (unsigned long long)rows[i].in, (unsigned long long)rows[i].leaks);
	}
	fputs("</table>\n</section>\n", f);
}

static void kv_u64(FILE *f, const char *k, uint64_t v)
{
	fprintf(f, "<tr><td>%s</td><td class=\"num\">%llu</td></tr>\n", k, (unsigned long long)v);
}

static void kv_str(FILE *f, const char *k, const char *v)
{
	fprintf(f, "<tr><td>%s</td><td class=\"mono\">", k);
	esc(f, v && v[0] ? v : "-");
	fputs("</td></tr>\n", f);
}

static void appendix_stats(FILE *f, const struct report *r)
{
	const struct report_stats *s = &r->st;
	fputs("<h3>A. Statistics</h3>\n<table class=\"kv\">\n", f);
	kv_u64(f, "packets", s->packets);
	kv_u64(f, "bytes", s->bytes);
	kv_u64(f, "flows", s->flows);
	kv_u64(f, "flows at once (peak)", s->flows_peak);
	kv_u64(f, "flows evicted (memory cap)", s->evicted);
	kv_u64(f, "HTTP requests", s->http_requests);
	kv_u64(f, "DNS responses", s->dns_responses);
	kv_u64(f, "TLS bytes not inspected (encrypted)", s->tls_bytes_skipped);
	kv_u64(f, "flows nDPI could not classify", s->ndpi_unknown);
	kv_u64(f, "identifier patterns searched", s->patterns);
	fputs("</table>\n<h3>B. Decoder anomalies and warnings</h3>\n<table class=\"kv\">\n", f);
	for (int i = 1; i < DR__COUNT; i++)
		if (s->skipped[i]) {
			char k[64];
			snprintf(k, sizeof k, "skipped: %s", decode_reason_name((enum decode_reason)i));
			kv_u64(f, k, s->skipped[i]);
		}
	kv_u64(f, "malformed packets", s->malformed);
	kv_u64(f, "TCP reassembly gaps", s->reasm_gaps);
	kv_u64(f, "TCP bytes lost in gaps", s->reasm_gap_bytes);
	kv_u64(f, "out-of-order segments", s->reasm_ooo);
	kv_u64(f, "reassembly memory-cap drops", s->reasm_memcap_drops);
	kv_u64(f, "HTTP parse errors", s->http_parse_errors);
	kv_u64(f, "HTTP decode errors", s->http_decode_errors);
	kv_u64(f, "HTTP bodies cut at the cap", s->http_bodies_truncated);
	kv_u64(f, "DNS responses malformed", s->dns_malformed);
	kv_u64(f, "streams that stopped parsing as TLS", s->tls_not_tls);
	kv_u64(f, "leaks dropped (caps)", s->leaks_dropped);
	kv_u64(f, "EVE events dropped (caps)", r->events_dropped);
	fputs("</table>\n", f);
	for (size_t i = 0; i < r->nwarnings; i++) {
		fputs("<p class=\"note\">warning: ", f);
		esc(f, r->warnings[i]);
		fputs("</p>\n", f);
	}
	for (size_t i = 0; i < r->ninputs; i++)
		if (r->inputs[i].warning) {
			fputs("<p class=\"note\">warning: ", f);
			esc(f, r->inputs[i].warning);
			fputs("</p>\n", f);
		}
}

static void appendix_custody(FILE *f, const struct audit *a, const struct custody *c)
{
	const struct policy *p = &a->o.policy;
	fputs("<h3>C. Options</h3>\n<table class=\"kv\">\n", f);
	kv_str(f, "home", p->home);
	char buf[POLICY_MAX_ALLOW * 4 + 1] = "";
	for (size_t i = 0; i < p->nallow; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", p->allow[i]);
	kv_str(f, "allow", buf);
	kv_str(f, "identifiers shown", a->o.show_identifiers ? "yes (--show-identifiers)" : "no (masked)");
	fputs("</table>\n<h3>D. Chain of custody</h3>\n<table class=\"kv\" id=\"custody\">\n", f);
	kv_str(f, "tool", "phonehome " PH_VERSION);
	kv_str(f, "command line", c->command_line);
	kv_str(f, "analysis time", c->analysis_time);
	char w[32];
	snprintf(w, sizeof w, "%zu", c->workers);
	kv_str(f, "workers (--threads)", w);
	for (size_t i = 0; i < a->rep->ninputs; i++) {
		char k[64];
		snprintf(k, sizeof k, "input %zu", i + 1);
		kv_str(f, k, a->rep->inputs[i].path);
		kv_str(f, "&nbsp;&nbsp;SHA-256", a->rep->inputs[i].sha256);
	}
	kv_str(f, "identity file", c->identity_path);
	kv_str(f, "&nbsp;&nbsp;SHA-256", c->identity_sha256);
	for (size_t i = 0; i < a->acc.nfiles; i++) {
		kv_str(f, "accept file", a->acc.files[i].path);
		kv_str(f, "&nbsp;&nbsp;SHA-256", a->acc.files[i].sha256);
	}
	kv_str(f, "rules (nDPI host rules)", c->rules_path);
	kv_str(f, "&nbsp;&nbsp;SHA-256", c->rules_sha256);
	for (size_t i = 0; i < c->ndb; i++) {
		kv_str(f, "database", c->db[i].path);
		char t[160];
		snprintf(t, sizeof t, "%s, built %s", c->db[i].type ? c->db[i].type : "?", c->db[i].build_date);
		kv_str(f, "&nbsp;&nbsp;type, build date", t);
	}
	if (!c->ndb)
		kv_str(f, "databases", "none (no geolocation)");
	fputs("</table>\n", f);
}

/* --accept: each accepted finding, the entry that accepted it and why. */
static void appendix_accepted(FILE *f, const struct audit *a)
{
	const struct report *r = a->rep;
	if (!accept_count_findings(r))
		return;
	fputs("<h3 id=\"accepted\">E. Accepted findings</h3>\n<p class=\"note\">Judged and accepted (--accept): listed"
	      " with the findings, left out of the verdict and its counts.</p>\n<table id=\"accepted-table\">\n<tr><th>#"
	      "</th><th>Kind</th><th>Whose</th><th>Destination</th><th>Country</th><th>Reason</th><th>Accepted by</th>"
	      "<th>Date</th><th>Entry</th></tr>\n", f);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct report_finding *fd = &r->findings[i];
		const struct accept_entry *e = accept_of_finding(&a->acc, r, fd);
		const struct report_flow *fl = report_flow_by_id(r, fd->flow_id);
		if (!e)
			continue;
		fprintf(f, "<tr class=\"accepted-finding\"><td class=\"num\"><a href=\"#finding-%u\">%u</a></td><td>", fd->id,
			fd->id);
		esc(f, summary_kind_label(fd->kind));
		fputs("</td><td>", f);
		esc(f, summary_subject_label(fd->subject));
		fputs("</td><td class=\"mono\">", f);
		if (fl && fl->host[0])
			esc_masked(f, a, fl->host);
		else
			fputs("-", f);
		fputs("</td><td>", f);
		esc(f, fl && fl->geo.country[0] ? fl->geo.country : "-");
		fputs("</td><td class=\"reason\">", f);
		esc(f, e->reason);
		fputs("</td><td>", f);
		esc(f, e->by ? e->by : "-");
		fputs("</td><td class=\"nw\">", f);
		esc(f, e->date ? e->date : "-");
		fprintf(f, "</td><td>%zu of ", e->index);
		esc(f, a->acc.files[e->file].path);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int report_html_write(FILE *f, const struct audit *a, const struct custody *c)
{
	char verdict[1024];
	summary_verdict(a, verdict, sizeof verdict);
	struct html_flows h;
	html_flows_collect(a, &h);
	html_head(f, verdict);
	section_header(f, a, &h, verdict);
	section_apps(f, a);
	section_leaks(f, a);
	section_chart(f, &h);
	section_timeline(f, a);
	section_foreign(f, a, &h);
	fputs("<section id=\"appendix\">\n<h2>Appendix</h2>\n", f);
	appendix_stats(f, a->rep);
	appendix_custody(f, a, c);
	appendix_accepted(f, a);
	fputs("</section>\n<footer>Made by phonehome " PH_VERSION " from capture files only; nothing was sent. "
	      "Geolocation and ASN data: see the databases above (ip-location-db data is CC BY 4.0).</footer>\n"
	      "</main>\n</body>\n</html>\n", f);
	free(h.cc);
	free(h.dest);
	util_index_free(&h.dest_ix);
	return ferror(f) ? -1 : 0;
}
