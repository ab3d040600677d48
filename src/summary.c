/* summary.c - the short table a tester reads first: foreign destinations,
 * then leaks (kind, host, country, encoding), then a one-line verdict. */
#include "summary.h"
#include "config.h"
#include "identity.h"
#include "report_json.h"
#include <arpa/inet.h>
#include <string.h>

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static void print_foreign(FILE *out, const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nflows; i++)
		n += r->flows[i].foreign;
	fprintf(out, "\nForeign destinations: %zu flow%s\n", n, n == 1 ? "" : "s");
	if (!n)
		return;
	fprintf(out, "  %-2s  %-32s %-39s %-14s %10s %5s\n", "CC", "HOST", "ADDRESS", "APP", "BYTES OUT", "LEAKS");
	for (size_t i = 0; i < r->nflows; i++) {
		const struct report_flow *f = &r->flows[i];
		if (!f->foreign)
			continue;
		char addr[INET6_ADDRSTRLEN];
		report_addr_str(f->family, f->addr[f->remote], addr, sizeof addr);
		fprintf(out, "  %-2s  %-32.32s %-39s %-14.14s %10llu %5u\n", f->geo.country, or_dash(f->host), addr,
			or_dash(f->app_proto), (unsigned long long)f->bytes[!f->remote], f->nleaks);
	}
}

static void print_leaks(FILE *out, const struct report *r)
{
	fprintf(out, "\nLeaks: %zu\n", r->nleaks);
	if (!r->nleaks)
		return;
	fprintf(out, "  %-8s %-14s %-32s %-7s %-7s %s\n", "SEVERITY", "KIND", "HOST", "COUNTRY", "WHERE", "ENCODING");
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		const struct report_flow *f = report_flow_by_id(r, l->flow_id);
		fprintf(out, "  %-8s %-14s %-32.32s %-7s %-7s %s\n", policy_severity_name(l->severity),
			identity_kind_name(l->kind), f ? or_dash(f->host) : "-", f ? or_dash(f->geo.country) : "-",
			report_where_name(l->where), l->encoding);
	}
}

/* Appends s to a comma-separated list ending in "and". */
static void list_join(char *out, size_t outlen, const char **items, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		size_t len = strlen(out);
		snprintf(out + len, outlen - len, "%s%s", sep, items[i]);
	}
}

void summary_verdict(const struct audit *a, char *out, size_t outlen)
{
	const struct report *r = a->rep;
	const char *kinds[ID__COUNT], *ccs[64];
	size_t nk = 0, nc = 0;
	int seen[ID__COUNT] = { 0 };
	for (size_t i = 0; i < r->nleaks; i++) {
		const struct report_leak *l = &r->leaks[i];
		const struct report_flow *f = report_flow_by_id(r, l->flow_id);
		if (!l->foreign || !f)
			continue;
		if (!seen[l->kind]++)
			kinds[nk++] = identity_kind_name(l->kind);
		size_t j = 0;
		while (j < nc && strcmp(ccs[j], f->geo.country))
			j++;
		if (j == nc && nc < 64)
			ccs[nc++] = f->geo.country;
	}
	char k[512], c[256];
	if (!a->o.policy.home[0]) {
		snprintf(out, outlen, "%zu leak%s found; no --home given, so no destination is foreign", r->nleaks,
			 r->nleaks == 1 ? "" : "s");
	} else if (!nk) {
		snprintf(out, outlen, "no identifier sent to servers outside %s%s", a->o.policy.home,
			 r->nleaks ? " (leaks to domestic or allowed servers are listed above)" : "");
	} else {
		list_join(k, sizeof k, kinds, nk);
		list_join(c, sizeof c, ccs, nc);
		snprintf(out, outlen, "%s sent to servers in %s (outside home %s)", k, c, a->o.policy.home);
	}
}

void summary_print(FILE *out, const struct audit *a)
{
	const struct report *r = a->rep;
	size_t foreign = 0;
	for (size_t i = 0; i < r->nflows; i++)
		foreign += r->flows[i].foreign;
	fprintf(out, "phonehome %s: %zu input%s, %llu packets, %zu flows (%zu foreign), %zu leaks\n", PH_VERSION,
		r->ninputs, r->ninputs == 1 ? "" : "s", (unsigned long long)r->st.packets, r->nflows, foreign, r->nleaks);
	if (!a->id)
		fprintf(out, "No --identity given: flows only, no identifier matching.\n");
	print_foreign(out, r);
	print_leaks(out, r);
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(out, "warning: %s\n", r->warnings[i]);
	char v[1024];
	summary_verdict(a, v, sizeof v);
	fprintf(out, "\nVerdict: %s.\n", v);
}
