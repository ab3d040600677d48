/* test_accept.c - --accept files: parsing (one line naming file and entry on every bad entry),
 * matching by kind, subject, host pattern, registrable domain, ASN, country, encoding and app,
 * findings accepted only when all their hits are, stale entries, two files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "accept.h"
#include "app.h"
#include "findings.h"
#include "identity.h"

/* text written to a temporary file; its path into path (free with unlink). */
static void tmpfile_with(char *path, const char *text)
{
	strcpy(path, "/tmp/test_accept.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Loads text as one accept file into acc; returns accept_load's result, err filled. */
static int load(struct accept *acc, const char *text, char *err, size_t errlen, char *path)
{
	tmpfile_with(path, text);
	int rc = accept_load(acc, path, err, errlen);
	unlink(path);
	return rc;
}

static void test_parse_good(void **state)
{
	(void)state;
	struct accept acc = { 0 };
	char err[512], path[64];
	assert_int_equal(load(&acc, "[{\"kind\":\"imsi\",\"subject\":\"device\",\"host\":\"*.JIO.com\",\"reason\":\"carrier\","
				    "\"accepted_by\":\"A. Auditor\",\"date\":\"2024-05-02\"},"
				    "{\"kind\":\"*\",\"domain\":\"xiaomi.com\",\"asn\":23724,\"country\":\"cn\",\"reason\":\"r\","
				    "\"encoding\":\"base64\",\"app\":\"com.x\"}]", err, sizeof err, path), 0);
	assert_int_equal(acc.n, 2);
	assert_int_equal(acc.nfiles, 1);
	assert_int_equal(acc.e[0].kind, ID_IMSI);
	assert_int_equal(acc.e[0].subject, SUBJECT_DEVICE);
	assert_string_equal(acc.e[0].host, "*.jio.com");
	assert_string_equal(acc.e[0].by, "A. Auditor");
	assert_string_equal(acc.e[0].date, "2024-05-02");
	assert_int_equal(acc.e[0].index, 1);
	assert_int_equal(acc.e[1].kind, -1);
	assert_int_equal(acc.e[1].subject, -1);
	assert_int_equal(acc.e[1].asn, 23724);
	assert_string_equal(acc.e[1].country, "CN");
	assert_null(acc.e[1].by);
	assert_int_equal(strlen(acc.files[0].sha256), 64);
	char label[256];
	accept_entry_label(&acc.e[0], label, sizeof label);
	assert_string_equal(label, "IMSI of the phone to *.jio.com");
	accept_free(&acc);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } cases[] = {
		{ "[{\"kind\":\"imei\",\"host\":\"x.com\"}]", "entry 1: no reason" },
		{ "[{\"kind\":\"imei\",\"host\":\"x.com\",\"reason\":\"\"}]", "entry 1: no reason" },
		{ "[{\"kind\":\"imei\",\"host\":\"x.com\",\"reason\":\"r\"},{\"kind\":\"imei\",\"host\":\"x\",\"reason\":\"r\","
		  "\"colour\":1}]", "entry 2: unknown key \"colour\"" },
		{ "[{\"kind\":\"imei\",\"country\":\"India\",\"reason\":\"r\"}]", "entry 1: bad country code \"India\"" },
		{ "[{\"kind\":\"imei\",\"country\":\"1N\",\"reason\":\"r\"}]", "entry 1: bad country code" },
		{ "[{\"kind\":\"imei\",", "not JSON" },
		{ "{\"kind\":\"imei\"}", "not a list of entries" },
		{ "[{\"kind\":\"bogus\",\"host\":\"x\",\"reason\":\"r\"}]", "entry 1: unknown kind" },
		{ "[{\"host\":\"x\",\"reason\":\"r\"}]", "entry 1: no \"kind\"" },
		{ "[{\"kind\":\"imei\",\"reason\":\"r\"}]", "entry 1: no destination" },
		{ "[{\"kind\":\"imei\",\"domain\":\"api.xiaomi.com\",\"reason\":\"r\"}]", "not a registrable domain" },
		{ "[{\"kind\":\"imei\",\"asn\":\"AS1\",\"reason\":\"r\"}]", "\"asn\" is a number" },
		{ "[{\"kind\":\"imei\",\"host\":\"x\",\"reason\":\"r\",\"date\":\"2 May\"}]", "ISO date" },
		{ "[{\"kind\":\"imei\",\"host\":\"x\",\"reason\":\"r\",\"subject\":\"user\"}]", "\"subject\" is" },
		{ "[3]", "entry 1: not an object" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct accept acc = { 0 };
		char err[512], path[64];
		if (load(&acc, cases[i].text, err, sizeof err, path) == 0)
			fail_msg("case %zu loaded", i);
		char want_file[96];
		snprintf(want_file, sizeof want_file, "--accept %s: ", path);
		if (strncmp(err, want_file, strlen(want_file)) || !strstr(err, cases[i].want) || strchr(err, '\n'))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err, cases[i].want);
		assert_int_equal(acc.n, 0);
		accept_free(&acc);
	}
	struct accept acc = { 0 };
	char err[256];
	assert_int_equal(accept_load(&acc, "/nonexistent/accepted.json", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/accepted.json: cannot read"));
}

static struct report_flow flow(const char *host, uint32_t asn, const char *cc)
{
	struct report_flow f;
	memset(&f, 0, sizeof f);
	snprintf(f.host, sizeof f.host, "%s", host);
	f.geo.asn = asn;
	snprintf(f.geo.country, sizeof f.geo.country, "%s", cc);
	return f;
}

static struct report_leak leak(int kind, int subject, const char *encoding, int where)
{
	struct report_leak l;
	memset(&l, 0, sizeof l);
	l.kind = (uint8_t)kind;
	l.subject = (uint8_t)subject;
	l.where = (uint8_t)where;
	l.encoding = encoding;
	l.name = l.key = l.tls_version = l.cipher = l.transport = "";
	return l;
}

static void test_match(void **state)
{
	(void)state;
	struct accept acc = { 0 };
	char err[512], path[64];
	assert_int_equal(load(&acc, "["
		"{\"kind\":\"imei\",\"host\":\"*.xiaomi.com\",\"reason\":\"1\"},"
		"{\"kind\":\"imsi\",\"domain\":\"jio.co.in\",\"reason\":\"2\"},"
		"{\"kind\":\"*\",\"asn\":23724,\"reason\":\"3\"},"
		"{\"kind\":\"carrier\",\"country\":\"IN\",\"subject\":\"device\",\"reason\":\"4\"},"
		"{\"kind\":\"imei\",\"country\":\"SG\",\"encoding\":\"base64\",\"reason\":\"5\"},"
		"{\"kind\":\"imei\",\"country\":\"SG\",\"encoding\":\"body:plain\",\"reason\":\"6\"},"
		"{\"kind\":\"imei\",\"country\":\"DE\",\"app\":\"com.example\",\"reason\":\"7\"}]", err, sizeof err, path), 0);
	struct report_flow xi = flow("api.account.XIAOMI.com", 4134, "CN"), bare = flow("xiaomi.com", 4134, "CN"),
			   jio = flow("prov.sim.jio.co.in", 55836, "IN"), other = flow("a.example.com", 23724, "US"),
			   sg = flow("x.sg", 1, "SG"), de = flow("x.de", 1, "DE");
	struct report_leak imei = leak(ID_IMEI, SUBJECT_DEVICE, "plain", WHERE_URL);
	struct report_leak imsi = leak(ID_IMSI, SUBJECT_DEVICE, "plain", WHERE_URL);
	struct report_leak carrier = leak(ID_CARRIER, SUBJECT_DEVICE, "plain", WHERE_HEADER);
	struct report_leak carrier3 = leak(ID_CARRIER, SUBJECT_THIRD_PARTY, "plain", WHERE_HEADER);
	struct report_leak b64md5 = leak(ID_IMEI, SUBJECT_DEVICE, "base64>md5", WHERE_URL);
	struct report_leak b64url = leak(ID_IMEI, SUBJECT_DEVICE, "base64url", WHERE_URL);
	struct report_leak body = leak(ID_IMEI, SUBJECT_DEVICE, "plain", WHERE_BODY);
	/* wildcard host: a subdomain, any case; not the bare domain */
	assert_true(accept_match(&acc.e[0], &imei, &xi, NULL));
	assert_false(accept_match(&acc.e[0], &imei, &bare, NULL));
	assert_false(accept_match(&acc.e[0], &imsi, &xi, NULL));
	assert_false(accept_match(&acc.e[0], &imei, NULL, NULL));
	/* registrable domain with a country second level */
	assert_true(accept_match(&acc.e[1], &imsi, &jio, NULL));
	assert_false(accept_match(&acc.e[1], &imsi, &xi, NULL));
	/* ASN, any kind */
	assert_true(accept_match(&acc.e[2], &imsi, &other, NULL));
	assert_true(accept_match(&acc.e[2], &carrier, &other, NULL));
	assert_false(accept_match(&acc.e[2], &imei, &xi, NULL));
	/* country and subject */
	assert_true(accept_match(&acc.e[3], &carrier, &jio, NULL));
	assert_false(accept_match(&acc.e[3], &carrier3, &jio, NULL));
	assert_false(accept_match(&acc.e[3], &carrier, &xi, NULL));
	/* encoding: a chain prefix up to '>', or where:chain */
	assert_true(accept_match(&acc.e[4], &b64md5, &sg, NULL));
	assert_false(accept_match(&acc.e[4], &b64url, &sg, NULL));
	assert_false(accept_match(&acc.e[4], &imei, &sg, NULL));
	assert_true(accept_match(&acc.e[5], &body, &sg, NULL));
	assert_false(accept_match(&acc.e[5], &imei, &sg, NULL));
	/* app: by package or name; no app known matches nothing */
	struct app_info ex = { .uid = 10123, .source = 1, .package = "com.example", .name = "Example" };
	struct app_info other_app = { .uid = 10124, .source = 1, .package = "com.other", .name = "Other" };
	assert_false(accept_match(&acc.e[6], &imei, &de, NULL));
	assert_true(accept_match(&acc.e[6], &imei, &de, &ex));
	assert_false(accept_match(&acc.e[6], &imei, &de, &other_app));
	accept_free(&acc);
}

/* A flow and leaks on it, sorted, findings built, then two accept files applied. */
static void test_apply_two_files(void **state)
{
	(void)state;
	struct report *r = report_new();
	struct report_flow *f = report_add_flow(r);
	*f = flow("api.example.in", 55836, "IN");
	f->id = 5;
	struct report_flow *g = report_add_flow(r);
	*g = flow("api.account.xiaomi.com", 4134, "CN");
	g->id = 9;
	f = &r->flows[0];
	static const struct { uint64_t flow; int kind, subject; uint32_t msg; } L[] = {
		{ 5, ID_IMEI, SUBJECT_DEVICE, 1 }, { 5, ID_CARRIER, SUBJECT_DEVICE, 1 },
		{ 9, ID_CONTACT, SUBJECT_THIRD_PARTY, 1 }, { 9, ID_CONTACT, SUBJECT_THIRD_PARTY, 1 },
		{ 9, ID_IMEI, SUBJECT_DEVICE, 2 },
	};
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
		struct report_leak *l = report_add_leak(r);
		*l = leak(L[i].kind, L[i].subject, i == 3 ? "base64" : "plain", WHERE_URL);
		l->flow_id = L[i].flow;
		l->msg = L[i].msg;
		l->ts_us = 1000 + i;
		l->suspected = 1;
		snprintf(l->found, sizeof l->found, "v%zu", i);
	}
	report_sort(r);
	findings_build(r, NULL, 0);
	assert_int_equal(r->nfindings, 4);
	struct accept acc = { 0 };
	char err[512], path[64];
	assert_int_equal(load(&acc, "[{\"kind\":\"*\",\"country\":\"IN\",\"reason\":\"domestic\"},"
				    "{\"kind\":\"imsi\",\"host\":\"*.jio.com\",\"reason\":\"stale\"}]", err, sizeof err, path), 0);
	/* the second file accepts one of the two contacts of one finding (the other is base64): it stays */
	tmpfile_with(path, "[{\"kind\":\"contact\",\"host\":\"*.xiaomi.com\",\"encoding\":\"plain\",\"reason\":\"backup\"}]");
	assert_int_equal(accept_load(&acc, path, err, sizeof err), 0);
	unlink(path);
	assert_int_equal(acc.nfiles, 2);
	assert_int_equal(acc.n, 3);
	assert_int_equal(acc.e[2].file, 1);
	assert_int_equal(acc.e[2].index, 1);
	accept_apply(&acc, r, 1);
	size_t accepted = 0;
	for (size_t i = 0; i < r->nleaks; i++)
		accepted += r->leaks[i].accepted != 0;
	assert_int_equal(accepted, 3);  /* imei and carrier to IN, the plain contact */
	assert_int_equal(accept_count_findings(r), 2);
	assert_int_equal(acc.e[0].matched, 2);
	assert_int_equal(acc.e[1].matched, 0);
	assert_int_equal(acc.e[2].matched, 1);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct report_finding *fd = &r->findings[i];
		const struct accept_entry *e = accept_of_finding(&acc, r, fd);
		if (fd->flow_id == 9)
			assert_null(e);
		else
			assert_non_null(e);
	}
	assert_int_equal(r->nwarnings, 1);
	assert_non_null(strstr(r->warnings[0], "accept entry 2 of "));
	assert_non_null(strstr(r->warnings[0], "(IMSI to *.jio.com) matched nothing"));
	json_t *j = accept_leak_json(&acc, &r->leaks[0]);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "domestic");
	assert_int_equal(json_integer_value(json_object_get(j, "entry")), 1);
	json_decref(j);
	accept_apply(&acc, r, 0);  /* again, as an interim report does: the same, no warning added */
	assert_int_equal(accept_count_findings(r), 2);
	assert_int_equal(r->nwarnings, 1);
	accept_free(&acc);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good), cmocka_unit_test(test_parse_bad), cmocka_unit_test(test_match),
		cmocka_unit_test(test_apply_two_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
