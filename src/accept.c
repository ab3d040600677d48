/* accept.c - accepted findings: --accept files (JSON, every entry with a reason) read and checked,
 * matched against each leak by kind, subject, destination, app and encoding after the merge. */
#include "accept.h"
#include "app.h"
#include "config.h"
#include "diff.h"
#include "identity.h"
#include "summary.h"
#include "util.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KEYS[] = { "kind", "subject", "host", "domain", "asn", "country", "app", "encoding",
				    "reason", "accepted_by", "date" };

static char *lower_dup(const char *s)
{
	char *d = util_xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* A member that must be a non-empty string when present: 0 absent, 1 *out set, -1 bad. */
static int opt_str(const json_t *o, const char *key, const char **out)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return -1;
	*out = json_string_value(v);
	return 1;
}

/* YYYY-MM-DD with a month 01-12 and a day 01-31. */
static int iso_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* One entry of file fi into e; -1 with why (no file or entry named: the caller adds them). */
static int entry_parse(const json_t *o, struct accept_entry *e, char *why, size_t whylen)
{
	const char *k, *s;
	json_t *v;
	memset(e, 0, sizeof *e);
	e->kind = e->subject = -1;
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not an object");
		return -1;
	}
	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;
		while (i < sizeof KEYS / sizeof KEYS[0] && strcmp(KEYS[i], k))
			i++;
		if (i == sizeof KEYS / sizeof KEYS[0]) {
			snprintf(why, whylen, "unknown key \"%.60s\" (known: kind, subject, host, domain, asn, country, "
				 "app, encoding, reason, accepted_by, date)", k);
			return -1;
		}
	}
	if (opt_str(o, "reason", &s) <= 0) {
		snprintf(why, whylen, "no reason (every accepted finding needs a non-empty \"reason\")");
		return -1;
	}
	e->reason = util_xstrdup(s);
	if (opt_str(o, "kind", &s) <= 0) {
		snprintf(why, whylen, "no \"kind\" (an identifier kind such as \"imsi\", or \"*\")");
		return -1;
	}
	if (strcmp(s, "*") && (e->kind = identity_kind_parse(s)) < 0) {
		snprintf(why, whylen, "unknown kind \"%.60s\"", s);
		return -1;
	}
	int r = opt_str(o, "subject", &s);
	if (r < 0 || (r > 0 && strcmp(s, "device") && strcmp(s, "third_party"))) {
		snprintf(why, whylen, "\"subject\" is \"device\" or \"third_party\" (or left out for any)");
		return -1;
	}
	if (r > 0)
		e->subject = !strcmp(s, "device") ? SUBJECT_DEVICE : SUBJECT_THIRD_PARTY;
	if ((r = opt_str(o, "host", &s)) < 0) {
		snprintf(why, whylen, "\"host\" is a host name pattern such as \"*.xiaomi.com\"");
		return -1;
	}
	if (r > 0)
		e->host = lower_dup(s);
	if ((r = opt_str(o, "domain", &s)) < 0) {
		snprintf(why, whylen, "\"domain\" is a registrable domain such as \"xiaomi.com\"");
		return -1;
	}
	if (r > 0) {
		char d[256];
		e->domain = lower_dup(s);
		if (strcmp(diff_domain(e->domain, d, sizeof d), e->domain)) {
			snprintf(why, whylen, "\"domain\" \"%.60s\" is not a registrable domain (\"%.60s\" is)", s, d);
			return -1;
		}
	}
	if ((v = json_object_get(o, "asn"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4294967295ll) {
			snprintf(why, whylen, "\"asn\" is a number (23724, not \"AS23724\")");
			return -1;
		}
		e->asn = (uint32_t)json_integer_value(v);
	}
	if ((r = opt_str(o, "country", &s)) != 0) {
		if (r < 0 || strlen(s) != 2 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1])) {
			snprintf(why, whylen, "bad country code \"%.20s\" (ISO 3166 alpha-2, such as \"IN\")",
				 r < 0 ? "" : s);
			return -1;
		}
		e->country[0] = (char)toupper((unsigned char)s[0]);
		e->country[1] = (char)toupper((unsigned char)s[1]);
	}
	if (!e->host && !e->domain && !e->asn && !e->country[0]) {
		snprintf(why, whylen, "no destination (give \"host\", \"domain\", \"asn\" or \"country\")");
		return -1;
	}
	if ((r = opt_str(o, "app", &s)) < 0) {
		snprintf(why, whylen, "\"app\" is a package name");
		return -1;
	}
	if (r > 0)
		e->app = util_xstrdup(s);
	if ((r = opt_str(o, "encoding", &s)) < 0) {
		snprintf(why, whylen, "\"encoding\" is an encoding chain such as \"plain\" or \"base64>md5\"");
		return -1;
	}
	if (r > 0)
		e->encoding = util_xstrdup(s);
	if ((r = opt_str(o, "accepted_by", &s)) < 0) {
		snprintf(why, whylen, "\"accepted_by\" is a name");
		return -1;
	}
	if (r > 0)
		e->by = util_xstrdup(s);
	if ((r = opt_str(o, "date", &s)) != 0) {
		if (r < 0 || !iso_date(s)) {
			snprintf(why, whylen, "\"date\" is an ISO date (YYYY-MM-DD)");
			return -1;
		}
		e->date = util_xstrdup(s);
	}
	return 0;
}

static void entry_free(struct accept_entry *e)
{
	free(e->host);
	free(e->domain);
	free(e->app);
	free(e->encoding);
	free(e->reason);
	free(e->by);
	free(e->date);
}

int accept_load(struct accept *acc, const char *path, char *errbuf, size_t errlen)
{
	json_error_t je;
	char sha[65];
	if (util_sha256_file(path, sha) < 0) {
		snprintf(errbuf, errlen, "--accept %s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(errbuf, errlen, "--accept %s: not JSON: line %d: %s", path, je.line, je.text);
		return -1;
	}
	if (!json_is_array(root)) {
		snprintf(errbuf, errlen, "--accept %s: not a list of entries (a JSON array)", path);
		json_decref(root);
		return -1;
	}
	size_t n = json_array_size(root);
	if (acc->n + n > PH_MAX_ACCEPT) {
		snprintf(errbuf, errlen, "--accept %s: more than %d entries in all", path, PH_MAX_ACCEPT);
		json_decref(root);
		return -1;
	}
	acc->e = util_xrealloc(acc->e, (acc->n + n + 1) * sizeof *acc->e);
	size_t start = acc->n;
	for (size_t i = 0; i < n; i++) {
		char why[256];
		struct accept_entry *e = &acc->e[acc->n];
		if (entry_parse(json_array_get(root, i), e, why, sizeof why) < 0) {
			snprintf(errbuf, errlen, "--accept %s: entry %zu: %s", path, i + 1, why);
			entry_free(e);
			while (acc->n > start)  /* the file is taken whole or not at all */
				entry_free(&acc->e[--acc->n]);
			json_decref(root);
			return -1;
		}
		e->file = acc->nfiles;
		e->index = i + 1;
		acc->n++;
	}
	json_decref(root);
	acc->files = util_xrealloc(acc->files, (acc->nfiles + 1) * sizeof *acc->files);
	acc->files[acc->nfiles].path = util_xstrdup(path);
	memcpy(acc->files[acc->nfiles].sha256, sha, sizeof sha);
	acc->nfiles++;
	return 0;
}

void accept_free(struct accept *acc)
{
	for (size_t i = 0; i < acc->n; i++)
		entry_free(&acc->e[i]);
	for (size_t i = 0; i < acc->nfiles; i++)
		free(acc->files[i].path);
	free(acc->e);
	free(acc->files);
	memset(acc, 0, sizeof *acc);
}

/* Glob match, case-insensitive: '*' is any run of characters (dots too). */
static int glob(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++, s++;
		} else if (star) {
			p = star + 1;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

/* pre is s, or s's beginning followed by '>' (the next encoding of the chain). */
static int chain_prefix(const char *pre, const char *s)
{
	size_t n = strlen(pre);
	return !strncmp(pre, s, n) && (s[n] == 0 || s[n] == '>');
}

int accept_match(const struct accept_entry *e, const struct report_leak *l, const struct report_flow *f,
		 const struct app_info *app)
{
	if ((e->kind >= 0 && e->kind != l->kind) || (e->subject >= 0 && e->subject != (int)report_leak_subject(l)))
		return 0;
	if (e->app && (!app || (strcmp(e->app, app->package) && strcmp(e->app, app->name))))
		return 0;
	if (e->encoding) {
		char chain[96];
		snprintf(chain, sizeof chain, "%s:%s", report_where_name(l->where), l->encoding);
		if (!chain_prefix(e->encoding, strchr(e->encoding, ':') ? chain : l->encoding))
			return 0;
	}
	if (!f)
		return 0;
	if (e->host && (!f->host[0] || !glob(e->host, f->host)))
		return 0;
	if (e->domain) {
		char d[256];
		if (!f->host[0] || strcmp(diff_domain(f->host, d, sizeof d), e->domain))
			return 0;
	}
	if (e->asn && f->geo.asn != e->asn)
		return 0;
	if (e->country[0] && strcmp(f->geo.country, e->country))
		return 0;
	return 1;
}

void accept_entry_label(const struct accept_entry *e, char *out, size_t outlen)
{
	size_t len = (size_t)snprintf(out, outlen, "%s%s to ", e->kind < 0 ? "any identifier" : summary_kind_label(e->kind),
				      e->subject == SUBJECT_DEVICE ? " of the phone" :
				      e->subject == SUBJECT_THIRD_PARTY ? " of other people" : "");
	const char *sep = "";
#define ADD(...) do { if (len < outlen) len += (size_t)snprintf(out + len, outlen - len, __VA_ARGS__); } while (0)
	if (e->host) {
		ADD("%s%s", sep, e->host);
		sep = ", ";
	}
	if (e->domain) {
		ADD("%s%s", sep, e->domain);
		sep = ", ";
	}
	if (e->asn) {
		ADD("%sAS%u", sep, e->asn);
		sep = ", ";
	}
	if (e->country[0])
		ADD("%s%s", sep, e->country);
	if (e->app)
		ADD(" from %s", e->app);
	if (e->encoding)
		ADD(" encoded %s", e->encoding);
#undef ADD
}

void accept_apply(struct accept *acc, struct report *r, int warn)
{
	for (size_t i = 0; i < acc->n; i++)
		acc->e[i].matched = 0;
	for (size_t i = 0; i < r->nleaks; i++) {
		struct report_leak *l = &r->leaks[i];
		const struct report_flow *f = report_flow_by_id(r, l->flow_id);
		const struct app_info *app = f && f->app_source && r->apps ?
			apps_get(r->apps, f->app_uid, f->app_source) : NULL;
		l->accepted = 0;
		for (size_t k = 0; k < acc->n && !l->accepted; k++)
			if (accept_match(&acc->e[k], l, f, app)) {
				l->accepted = (uint32_t)k + 1;
				acc->e[k].matched++;
			}
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		struct report_finding *fd = &r->findings[i];
		fd->accepted = fd->n > 0;
		for (size_t k = 0; k < fd->n && fd->accepted; k++)
			fd->accepted = r->leaks[r->fidx[fd->first + k]].accepted != 0;
	}
	for (size_t k = 0; warn && k < acc->n; k++) {
		const struct accept_entry *e = &acc->e[k];
		char label[512];
		if (e->matched)
			continue;
		accept_entry_label(e, label, sizeof label);
		report_warn(r, "accept entry %zu of %s (%s) matched nothing", e->index, acc->files[e->file].path, label);
	}
}

const struct accept_entry *accept_of_leak(const struct accept *acc, const struct report_leak *l)
{
	return acc && l->accepted && l->accepted <= acc->n ? &acc->e[l->accepted - 1] : NULL;
}

const struct accept_entry *accept_of_finding(const struct accept *acc, const struct report *r,
					     const struct report_finding *f)
{
	return f->accepted && f->n ? accept_of_leak(acc, &r->leaks[r->fidx[f->first]]) : NULL;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *accept_leak_json(const struct accept *acc, const struct report_leak *l)
{
	const struct accept_entry *e = accept_of_leak(acc, l);
	if (!e)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "reason", json_string(e->reason));
	json_object_set_new(o, "by", str_or_null(e->by));
	json_object_set_new(o, "date", str_or_null(e->date));
	json_object_set_new(o, "entry", json_integer((json_int_t)e->index));
	json_object_set_new(o, "file", json_string(acc->files[e->file].path));
	return o;
}

size_t accept_count_findings(const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		n += r->findings[i].accepted != 0;
	return n;
}

json_t *accept_files_json(const struct accept *acc)
{
	json_t *a = json_array();
	for (size_t i = 0; acc && i < acc->nfiles; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "path", acc->files[i].path, "sha256", acc->files[i].sha256));
	return a;
}
