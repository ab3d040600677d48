/* test_diff.c - phonehome diff on hand-written report.json pairs: the registrable-domain rule,
 * destinations by name and organisation (not address), cleartext to TLS, subjects, findings, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diff.h"

static void test_domain_rule(void **state)
{
	(void)state;
	char d[256];
	static const char *const cases[][2] = {
		{ "sdkconfig.ad.xiaomi.com", "xiaomi.com" }, { "www.google.com", "google.com" },
		{ "xiaomi.com", "xiaomi.com" }, { "localhost", "localhost" }, { "", "" },
		{ "api.example.co.uk", "example.co.uk" }, { "a.b.shop.com.cn", "shop.com.cn" },
		{ "m.loja.com.br", "loja.com.br" }, { "api.jio.co.in", "jio.co.in" }, { "www.ocn.ne.jp", "ocn.ne.jp" },
		{ "example.co.uk", "example.co.uk" }, { "co.uk", "co.uk" },
		{ "api.co.com", "co.com" },              /* com is no country code: two labels */
		{ "x.y.example.de", "example.de" },      /* example is no common second level */
		{ "API.Example.COM.", "example.com" },   /* case and the root dot */
		{ "api.example.com:8080", "example.com" },
		{ "220.181.111.10", "220.181.111.10" }, { "2405:200::10", "2405:200::10" },
		{ "[2405:200::10]:443", "[2405:200::10]:443" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		diff_domain(cases[i][0], d, sizeof d);
		if (strcmp(d, cases[i][1]))
			fail_msg("diff_domain(\"%s\") = \"%s\", want \"%s\"", cases[i][0], d, cases[i][1]);
	}
}

/* A report with the given leaks (and findings when not NULL). */
static struct diff_side *side(const char *leaks, const char *findings, const char *tool_extra)
{
	char doc[16384], err[256];
	snprintf(doc, sizeof doc, "{\"tool\":{\"name\":\"phonehome\",\"version\":\"0.1.0\"%s},"
		 "\"inputs\":[{\"first_seen\":\"2014-08-10T09:00:00.000000Z\",\"last_seen\":\"2014-08-10T09:00:01.000000Z\"}],"
		 "\"leaks\":[%s]%s%s%s}", tool_extra, leaks, findings ? ",\"findings\":[" : "", findings ? findings : "",
		 findings ? "]" : "");
	json_error_t je;
	json_t *root = json_loads(doc, 0, &je);
	if (!root)
		fail_msg("bad test JSON: %s: %s", je.text, doc);
	struct diff_side *s = diff_side_parse(root, "test.json", err, sizeof err);
	if (!s)
		fail_msg("parse: %s", err);
	json_decref(root);
	return s;
}

/* One leak object; extra is more members (",\"subject\":\"device\""). */
static const char *leak(char *buf, const char *kind, const char *host, const char *ip, int port, const char *cc,
			int asn, const char *extra)
{
	char h[128], a[64];
	snprintf(h, sizeof h, host ? "\"%s\"" : "null", host);
	snprintf(a, sizeof a, asn ? "%d" : "null", asn);
	sprintf(buf, "{\"kind\":\"%s\",\"identifier\":\"8623xxxxxxx4568\",\"encoding\":\"plain\",\"dest_ip\":\"%s\","
		     "\"dest_port\":%d,\"proto\":\"TCP\",\"host\":%s,\"country\":\"%s\",\"asn\":%s,\"asn_org\":\"%s\","
		     "\"foreign\":%s,\"encrypted\":false,\"severity\":\"high\"%s}",
		kind, ip, port, h, cc, a, asn == 23724 ? "IDC, China Telecommunications Corporation" : asn ? "GOOGLE" : "",
		strcmp(cc, "IN") ? "true" : "false", extra);
	return buf;
}

static void test_cdn_and_org_are_same_destination(void **state)
{
	(void)state;
	char a[1024], b[1024], l1[2100], l2[2100];
	/* same name, another address; no name, another address of the same ASN */
	snprintf(l1, sizeof l1, "%s,%s", leak(a, "imei", "api.account.xiaomi.com", "220.181.111.10", 80, "CN", 23724, ""),
		 leak(b, "android_id", NULL, "142.250.70.10", 443, "US", 15169, ""));
	struct diff_side *o = side(l1, NULL, "");
	snprintf(l2, sizeof l2, "%s,%s", leak(a, "imei", "api.account.xiaomi.com", "220.181.5.5", 80, "CN", 23724, ""),
		 leak(b, "android_id", NULL, "142.251.1.1", 443, "US", 15169, ""));
	struct diff_side *n = side(l2, NULL, ",\"report_format\":1");
	struct diff *d = diff_compare(o, n);
	assert_string_equal(d->unit, "leaks");
	assert_int_equal(d->ngone, 0);
	assert_int_equal(d->nadded, 0);
	assert_int_equal(d->nchanged, 0);
	assert_int_equal(d->nsame, 2);
	char v[512];
	diff_verdict(d, v, sizeof v);
	assert_string_equal(v, "No change: the same 2 leaks to the same destinations");
	assert_int_equal(diff_new_foreign(d), 0);
	diff_free(d);
	diff_side_free(o);
	diff_side_free(n);
}

static void test_gone_new_changed(void **state)
{
	(void)state;
	char a[1024], b[1024], c[1024], l1[4000], l2[4000];
	snprintf(l1, sizeof l1, "%s,%s,%s",
		 leak(a, "imei", "api.account.xiaomi.com", "220.181.111.10", 80, "CN", 23724, ""),
		 leak(b, "email", "api.example.in", "49.44.0.10", 80, "IN", 0, ""),
		 leak(c, "android_id", "track.example.com", "142.250.70.10", 80, "US", 15169, ""));
	struct diff_side *o = side(l1, NULL, "");
	/* the IMEI moved to TLS (decrypted with a key), the e-mail is gone, the Android ID moved
	 * country, the advertising ID is new and foreign */
	snprintf(l2, sizeof l2, "%s,%s,%s",
		 leak(a, "imei", "api.account.xiaomi.com", "220.181.111.10", 443, "CN", 23724,
		      ",\"encrypted\":true,\"decrypted\":true,\"encoding\":\"tls>plain\""),
		 leak(b, "android_id", "track.example.com", "103.1.0.10", 80, "SG", 131111, ""),
		 leak(c, "advertising_id", "sdkconfig.ad.xiaomi.com", "220.181.111.20", 80, "CN", 23724, ""));
	/* a later member wins in jansson: the "encrypted":true above overrides false */
	struct diff_side *n = side(l2, NULL, "");
	struct diff *d = diff_compare(o, n);
	assert_int_equal(d->ngone, 1);
	assert_string_equal(d->gone[0]->kind, "email");
	assert_int_equal(d->nadded, 1);
	assert_string_equal(d->added[0]->kind, "advertising_id");
	assert_int_equal(d->nchanged, 2);
	assert_int_equal(d->nsame, 0);
	for (size_t i = 0; i < d->nchanged; i++) {
		const struct diff_pair *p = &d->changed[i];
		if (!strcmp(p->old->kind, "imei")) {
			assert_int_equal(p->changes, DF_TLS | DF_TRANSPORT);
			assert_string_equal(diff_item_transport_state(p->new), "TLS (decrypted)");
		} else {
			assert_string_equal(p->old->kind, "android_id");
			assert_int_equal(p->changes, DF_COUNTRY);  /* the organisation moved too: not a change */
		}
	}
	char v[512];
	diff_verdict(d, v, sizeof v);
	assert_string_equal(v, "1 leak gone, 1 new, 2 changed: the advertising ID now goes to sdkconfig.ad.xiaomi.com in China");
	assert_int_equal(diff_new_foreign(d), 1);
	json_t *j = diff_report_json(d);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "changed")), 2);
	assert_true(json_is_true(json_object_get(j, "new_foreign")));
	json_decref(j);
	diff_free(d);
	diff_side_free(o);
	diff_side_free(n);
}

static void test_domain_and_subject(void **state)
{
	(void)state;
	char a[1024], b[1024], l1[2100], l2[2100];
	/* another host of the same registrable domain: changed (host); another subject: not the same leak;
	 * a missing subject is null */
	snprintf(l1, sizeof l1, "%s,%s", leak(a, "imei", "a.tracker.com.cn", "220.181.1.1", 80, "CN", 23724, ""),
		 leak(b, "phone_number", "api.example.in", "49.44.0.10", 80, "IN", 55836, ""));
	snprintf(l2, sizeof l2, "%s,%s", leak(a, "imei", "b.tracker.com.cn", "220.181.1.2", 80, "CN", 23724,
					       ",\"subject\":null"),
		 leak(b, "phone_number", "api.example.in", "49.44.0.10", 80, "IN", 55836, ",\"subject\":\"third_party\""));
	struct diff_side *o = side(l1, NULL, ""), *n = side(l2, NULL, "");
	struct diff *d = diff_compare(o, n);
	assert_int_equal(d->nchanged, 1);
	assert_int_equal(d->changed[0].changes, DF_HOST);
	assert_int_equal(d->ngone, 1);
	assert_int_equal(d->nadded, 1);
	assert_string_equal(d->added[0]->subject, "third_party");
	assert_int_equal(diff_new_foreign(d), 0);  /* the new one stays in India */
	diff_free(d);
	diff_side_free(o);
	diff_side_free(n);
}

static void test_tiers(void **state)
{
	(void)state;
	char a[1024], b[1024], c[1024], l1[4000], l2[4000];
	/* tier 0 takes b.x.com first, then tier 1 pairs a.x.com with c.x.com; the raw stream with no
	 * host name before is paired by ASN with a named one after (tier 2) */
	snprintf(l1, sizeof l1, "%s,%s,%s", leak(a, "imei", "a.x.com", "220.181.1.1", 80, "CN", 23724, ""),
		 leak(b, "imei", "b.x.com", "220.181.1.2", 80, "CN", 23724, ""),
		 leak(c, "serial", NULL, "142.250.1.1", 5228, "US", 15169, ""));
	snprintf(l2, sizeof l2, "%s,%s,%s", leak(a, "imei", "c.x.com", "220.181.1.3", 80, "CN", 23724, ""),
		 leak(b, "imei", "b.x.com", "220.181.1.9", 80, "CN", 23724, ""),
		 leak(c, "serial", "mtalk.google.com", "142.251.1.1", 5228, "US", 15169, ""));
	struct diff_side *o = side(l1, NULL, ""), *n = side(l2, NULL, "");
	struct diff *d = diff_compare(o, n);
	assert_int_equal(d->ngone + d->nadded, 0);
	assert_int_equal(d->nsame, 1);
	assert_string_equal(d->same[0].old->host, "b.x.com");
	assert_int_equal(d->nchanged, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(d->changed[i].changes, DF_HOST);
		if (!strcmp(d->changed[i].old->kind, "imei")) {
			assert_string_equal(d->changed[i].old->host, "a.x.com");
			assert_string_equal(d->changed[i].new->host, "c.x.com");
		} else {
			assert_string_equal(d->changed[i].old->host, "");
			assert_string_equal(d->changed[i].new->host, "mtalk.google.com");
		}
	}
	diff_free(d);
	diff_side_free(o);
	diff_side_free(n);
}

static void test_findings_when_both_have_them(void **state)
{
	(void)state;
	char a[1024], l1[2100], f1[1024], f2[2048];
	leak(a, "imei", "api.account.xiaomi.com", "220.181.111.10", 80, "CN", 23724, ",\"subject\":\"device\"");
	snprintf(l1, sizeof l1, "%s,%s", a, a);
	snprintf(f1, sizeof f1, "{\"kind\":\"imei\",\"subject\":\"device\",\"count\":2,\"host\":\"api.account.xiaomi.com\","
				"\"dest_ip\":\"220.181.111.10\",\"dest_port\":80,\"country\":\"CN\",\"foreign\":true,"
				"\"encrypted\":false,\"decrypted\":false,\"severity\":\"high\",\"leaks\":[0,1],"
				"\"identifiers\":[\"8623xxxxxxx4568\"]}");
	snprintf(f2, sizeof f2, "%s,%s", f1, f1);
	struct diff_side *o = side(l1, f1, ""), *n = side(l1, f2, ""), *legacy = side(l1, NULL, "");
	struct diff *d = diff_compare(o, n);
	assert_string_equal(d->unit, "findings");
	assert_int_equal(d->nsame, 1);
	assert_int_equal(d->same[0].old->count, 1);
	assert_int_equal(d->same[0].new->count, 2);
	assert_int_equal(d->same[0].new->asn, 23724);  /* from the leak the finding points at */
	assert_string_equal(d->same[0].new->transports.v[0], "TCP/80");
	diff_free(d);
	d = diff_compare(legacy, n);  /* one without findings: leaks on both sides */
	assert_string_equal(d->unit, "leaks");
	assert_int_equal(d->nsame, 1);
	assert_int_equal(d->same[0].old->count, 2);
	diff_free(d);
	diff_side_free(o);
	diff_side_free(n);
	diff_side_free(legacy);
}

static void test_bad_input(void **state)
{
	(void)state;
	char err[512];
	struct {
		const char *doc, *want;
	} cases[] = {
		{ "{\"tool\":{\"name\":\"tcpdump\"},\"leaks\":[]}", "not a phonehome report" },
		{ "{\"tool\":{\"name\":\"phonehome\"}}", "not a phonehome report" },
		{ "[1,2]", "not a phonehome report" },
		{ "{\"tool\":{\"name\":\"phonehome\",\"report_format\":2},\"leaks\":[]}", "report format 2 is unknown" },
		{ "{\"tool\":{\"name\":\"phonehome\",\"report_format\":\"1\"},\"leaks\":[]}", "report format \"1\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *root = json_loads(cases[i].doc, 0, NULL);
		assert_non_null(root);
		err[0] = 0;
		assert_null(diff_side_parse(root, "x.json", err, sizeof err));
		if (strncmp(err, "x.json: ", 8) || !strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\"", i, err);
		json_decref(root);
	}
	assert_null(diff_side_read("/nonexistent/report.json", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/report.json: cannot read"));
	char path[] = "/tmp/test_diff.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"tool\": ", 9), 9);
	close(fd);
	assert_null(diff_side_read(path, err, sizeof err));
	assert_non_null(strstr(err, ": not JSON"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_rule), cmocka_unit_test(test_cdn_and_org_are_same_destination),
		cmocka_unit_test(test_gone_new_changed), cmocka_unit_test(test_domain_and_subject), cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_findings_when_both_have_them), cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
