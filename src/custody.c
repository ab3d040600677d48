/* custody.c - the chain of custody: what was analysed (SHA-256 of each file), with what
 * (version, command line, databases and their build dates) and when. */
#include "custody.h"
#include "config.h"
#include "identity.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t custody_now(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	if (e && *e) {
		char *end;
		long long v = strtoll(e, &end, 10);
		if (!*end && v >= 0)
			return v;
	}
	return (int64_t)time(NULL);
}

/* 1 when s needs quoting for a POSIX shell. */
static int needs_quote(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *s))
			return 1;
	return 0;
}

const char *custody_command_line(int argc, char **argv)
{
	static char buf[8192];
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < argc && n + 1 < sizeof buf; i++) {
		if (i)
			buf[n++] = ' ';
		const char *s = argv[i];
		int q = needs_quote(s);
		if (q && n + 1 < sizeof buf)
			buf[n++] = '\'';
		for (; *s && n + 5 < sizeof buf; s++) {
			if (*s == '\'') {  /* ' closes, escaped quote, reopens */
				memcpy(buf + n, "'\\''", 4);
				n += 4;
			} else {
				buf[n++] = *s;
			}
		}
		if (q && n + 1 < sizeof buf)
			buf[n++] = '\'';
		buf[n] = 0;
	}
	return buf;
}

void custody_collect(const struct audit *a, struct custody *c)
{
	memset(c, 0, sizeof *c);
	time_t t = (time_t)a->o.analysis_time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(c->analysis_time, sizeof c->analysis_time, "%Y-%m-%dT%H:%M:%SZ", &tm);
	c->command_line = a->o.command_line ? a->o.command_line : "";
	c->workers = a->o.workers ? a->o.workers : 1;
	c->identity_path = a->o.identity_path;
	if (a->id)
		snprintf(c->identity_sha256, sizeof c->identity_sha256, "%s", a->id->sha256);
	c->rules_path = a->o.protos_path;
	if (c->rules_path && util_sha256_file(c->rules_path, c->rules_sha256) < 0)
		snprintf(c->rules_sha256, sizeof c->rules_sha256, "unreadable");
	for (int w = 0; w < 2; w++) {
		struct geo_db_meta m;
		if (geo_db_meta(a->geo, w, &m) < 0)
			continue;
		c->db[c->ndb].path = m.path;
		c->db[c->ndb].type = m.database_type;
		c->db[c->ndb].layout = m.layout;
		time_t bt = (time_t)m.build_epoch;
		gmtime_r(&bt, &tm);
		strftime(c->db[c->ndb].build_date, sizeof c->db[c->ndb].build_date, "%Y-%m-%dT%H:%M:%SZ", &tm);
		c->ndb++;
	}
}

json_t *custody_json(const struct audit *a, const struct custody *c)
{
	json_t *o = json_object(), *in = json_array(), *rules = json_array(), *dbs = json_array();
	json_object_set_new(o, "tool_version", json_string(PH_VERSION));
	json_object_set_new(o, "command_line", json_string(c->command_line));
	json_object_set_new(o, "workers", json_integer((json_int_t)c->workers));
	for (size_t i = 0; i < a->rep->ninputs; i++) {
		const struct report_input *ri = &a->rep->inputs[i];
		json_t *e = json_pack("{s:s,s:s}", "path", ri->path, "sha256", ri->sha256);
		if (ri->nfiles) {  /* a live input: the -w files written, each hashed as written */
			json_t *files = json_array();
			for (size_t k = 0; k < ri->nfiles; k++)
				json_array_append_new(files, json_pack("{s:s,s:s,s:b}", "path", ri->files[k].path, "sha256",
								       ri->files[k].sha256, "overwritten", ri->files[k].overwritten));
			json_object_set_new(e, "files", files);
		}
		json_array_append_new(in, e);
	}
	json_object_set_new(o, "inputs", in);
	json_t *kl = json_array();
	for (size_t i = 0; i < a->nkeylogs; i++) {
		const struct audit_keylog *e = &a->keylogs[i];
		json_t *k = json_pack("{s:s,s:s}", "path", e->path, "source", e->source);
		if (e->sha256[0])
			json_object_set_new(k, "sha256", json_string(e->sha256));
		else {
			json_object_set_new(k, "decryption_secrets_blocks", json_integer((json_int_t)e->dsbs));
			json_object_set_new(k, "decryption_secrets_blocks_malformed", json_integer((json_int_t)e->dsbs_malformed));
			json_object_set_new(k, "secrets", json_integer((json_int_t)e->secrets));
		}
		json_array_append_new(kl, k);
	}
	json_object_set_new(o, "keylogs", kl);
	json_object_set_new(o, "identity_path", c->identity_path ? json_string(c->identity_path) : json_null());
	json_object_set_new(o, "identity_sha256", c->identity_sha256[0] ? json_string(c->identity_sha256) : json_null());
	if (c->rules_path)
		json_array_append_new(rules, json_pack("{s:s,s:s}", "path", c->rules_path, "sha256", c->rules_sha256));
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "accept_files", accept_files_json(&a->acc));
	for (size_t i = 0; i < c->ndb; i++)
		json_array_append_new(dbs, json_pack("{s:s,s:s,s:s,s:s}", "path", c->db[i].path, "type",
						     c->db[i].type ? c->db[i].type : "", "layout",
						     c->db[i].layout ? c->db[i].layout : "", "build_date",
						     c->db[i].build_date));
	json_object_set_new(o, "databases", dbs);
	json_object_set_new(o, "analysis_time", json_string(c->analysis_time));
	return o;
}
