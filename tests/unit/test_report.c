/* test_report.c - unit tests of the in-memory report: merging the reports of workers
 * (arrays moved, every counter added), sorting that makes the order independent of which
 * worker found what, the cap on EVE events after a merge, and findings: one per kind and
 * subject in one message, the same whichever worker found its hits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "findings.h"
#include "report.h"
#include "report_eve.h"
#include "identity.h"

static void add_flow(struct report *r, uint64_t id)
{
	report_add_flow(r)->id = id;
}

static void add_leak(struct report *r, uint64_t flow, uint64_t ts, uint8_t kind)
{
	struct report_leak *l = report_add_leak(r);
	l->flow_id = flow;
	l->ts_us = ts;
	l->kind = kind;
}

static void test_merge_sorts(void **state)
{
	(void)state;
	struct report *a = report_new(), *b = report_new();
	add_flow(a, 30);
	add_flow(a, 5);
	add_flow(b, 17);
	add_leak(a, 30, 300, 1);
	add_leak(b, 17, 100, 2);
	add_leak(b, 17, 100, 1);
	report_dns_begin(b, 17, 50);
	report_add_dns(b, REPORT_DNS_ANSWER, "b.example", 4, (const uint8_t *)"\xc0\x00\x02\x01", 60);
	report_add_dns(b, REPORT_DNS_ANSWER, "a.example", 4, (const uint8_t *)"\xc0\x00\x02\x02", 60);
	report_dns_begin(a, 5, 40);
	report_add_dns(a, REPORT_DNS_ANSWER, "c.example", 4, (const uint8_t *)"\xc0\x00\x02\x03", 60);
	report_warn(b, "from b");
	report_merge(a, b);
	assert_int_equal(b->nflows, 0);
	assert_int_equal(b->nleaks, 0);
	report_sort(a);
	assert_int_equal(a->nflows, 3);
	assert_int_equal(a->flows[0].id, 5);
	assert_int_equal(a->flows[1].id, 17);
	assert_int_equal(a->flows[2].id, 30);
	assert_int_equal(a->nleaks, 3);
	assert_int_equal(a->leaks[0].kind, 1);  /* time, flow, then kind */
	assert_int_equal(a->leaks[1].kind, 2);
	assert_int_equal(a->leaks[2].flow_id, 30);
	assert_int_equal(a->ndns, 3);
	assert_string_equal(a->dns[0].rrname, "c.example");  /* by time */
	assert_string_equal(a->dns[1].rrname, "b.example");  /* then as found in the flow */
	assert_string_equal(a->dns[2].rrname, "a.example");
	assert_int_equal(a->nwarnings, 1);
	assert_string_equal(a->warnings[0], "from b");
	assert_ptr_equal(report_flow_by_id(a, 17), &a->flows[1]);
	report_free(a);
	report_free(b);
}

static void test_stats_added(void **state)
{
	(void)state;
	struct report *a = report_new(), *b = report_new();
	a->st.packets = 10;
	b->st.packets = 5;
	b->st.skipped[3] = 2;
	b->st.kernel_dropped = 7;  /* the last counter: none is forgotten */
	b->st.patterns = 99;       /* not a counter: the same in every worker */
	a->st.patterns = 99;
	report_merge(a, b);
	assert_int_equal(a->st.packets, 15);
	assert_int_equal(a->st.skipped[3], 2);
	assert_int_equal(a->st.kernel_dropped, 7);
	assert_int_equal(a->st.patterns, 99);
	report_free(a);
	report_free(b);
}

static void test_events_capped_after_merge(void **state)
{
	(void)state;
	struct report *a = report_new(), *b = report_new();
	for (uint64_t i = 0; i < REPORT_MAX_EVENTS; i++) {
		report_add_http(i % 2 ? a : b, 1 + i % 2, 2 * i, "GET", "h", "/", "ua");
		report_add_http(i % 2 ? b : a, 2 - i % 2, 2 * i + 1, "GET", "h", "/", "ua");
	}
	report_merge(a, b);
	assert_int_equal(a->nhttp, 2 * REPORT_MAX_EVENTS);
	report_sort(a);
	assert_int_equal(a->nhttp, REPORT_MAX_EVENTS);  /* the earliest are kept */
	assert_int_equal(a->http[REPORT_MAX_EVENTS - 1].ts_us, REPORT_MAX_EVENTS - 1);
	assert_int_equal(a->events_dropped, REPORT_MAX_EVENTS);
	report_free(a);
	report_free(b);
}

/* The EVE alert numbering is documented and must not move: 9100000 + kind * 4 + subject. */
static void test_signature_ids(void **state)
{
	(void)state;
	assert_int_equal(report_eve_signature_id(ID_IMEI, SUBJECT_UNKNOWN), 9100000);
	assert_int_equal(report_eve_signature_id(ID_PHONE_NUMBER, SUBJECT_UNKNOWN), 9100012);
	assert_int_equal(report_eve_signature_id(ID_CONTACT, SUBJECT_DEVICE), 9100045);
	assert_int_equal(report_eve_signature_id(ID_DEVICE_ID, SUBJECT_THIRD_PARTY), 9100058);
	char seen[ID__COUNT * 4] = { 0 };
	for (int k = 0; k < ID__COUNT; k++)
		for (int s = 0; s < 3; s++) {
			int i = report_eve_signature_id(k, (enum report_subject)s) - 9100000;
			assert_true(i >= 0 && i < ID__COUNT * 4 && !seen[i]);
			seen[i] = 1;
		}
}

/* A rule hit (found set) or an identity value (found NULL) in message msg of flow 7. */
static void add_hit(struct report *r, uint32_t msg, uint8_t kind, uint8_t subject, const char *found, uint32_t vi,
		    uint8_t sev)
{
	struct report_leak *l = report_add_leak(r);
	l->flow_id = 7;
	l->ts_us = 1000 + msg;
	l->msg = msg;
	l->kind = kind;
	l->subject = subject;
	l->value_index = vi;
	l->severity = sev;
	l->suspected = found != NULL;
	snprintf(l->found, sizeof l->found, "%s", found ? found : "");
}

/* An upload of 4 contacts (2 of them the identity's, one sent twice: url and body) and the
 * phone's own number in one message, a looked-up number in the next. */
static void add_upload(struct report *r, int order)
{
	struct report *part[2] = { r, report_new() };
	add_hit(part[order], 1, ID_CONTACT, SUBJECT_THIRD_PARTY, "+919845100001", 2, 3);
	add_hit(part[!order], 1, ID_CONTACT, SUBJECT_THIRD_PARTY, "+919845100002", 2, 3);
	add_hit(part[order], 1, ID_CONTACT, SUBJECT_THIRD_PARTY, NULL, 11, 2);
	add_hit(part[!order], 1, ID_CONTACT, SUBJECT_THIRD_PARTY, NULL, 12, 3);
	struct report_leak *twice = report_add_leak(part[order]);
	*twice = part[!order]->leaks[part[!order]->nleaks - 1];
	twice->where = WHERE_URL;
	add_hit(part[!order], 1, ID_PHONE_NUMBER, SUBJECT_DEVICE, NULL, 3, 3);
	add_hit(part[order], 2, ID_PHONE_NUMBER, SUBJECT_THIRD_PARTY, "+919845012345", 4, 3);
	report_merge(r, part[1]);
	report_free(part[1]);
	report_sort(r);
}

static void test_findings_group(void **state)
{
	(void)state;
	struct report *r = report_new();
	add_upload(r, 0);
	findings_build(r, NULL, 0);
	assert_int_equal(r->nfindings, 3);
	const struct report_finding *book = NULL;
	for (size_t i = 0; i < r->nfindings; i++) {
		assert_int_equal(r->findings[i].id, i + 1);
		if (r->findings[i].kind == ID_CONTACT)
			book = &r->findings[i];
	}
	assert_non_null(book);
	assert_int_equal(book->subject, SUBJECT_THIRD_PARTY);
	assert_int_equal(book->n, 5);          /* every hit */
	assert_int_equal(book->count, 4);      /* distinct identifiers */
	assert_int_equal(book->confirmed, 2);
	assert_int_equal(book->severity, 3);   /* the highest */
	for (size_t k = 0; k < book->n; k++) {  /* the identity's hits first */
		const struct report_leak *l = &r->leaks[r->fidx[book->first + k]];
		assert_int_equal(l->suspected, k >= 3);
		assert_int_equal(l->finding, book->id);
	}
	for (size_t i = 0; i < r->nfindings; i++)
		if (&r->findings[i] != book)
			assert_int_equal(r->findings[i].n, 1);
	/* found by the other worker: the same findings, ids and hits */
	struct report *o = report_new();
	add_upload(o, 1);
	findings_build(o, NULL, 0);
	assert_int_equal(o->nfindings, r->nfindings);
	for (size_t i = 0; i < r->nfindings; i++) {
		assert_int_equal(o->findings[i].kind, r->findings[i].kind);
		assert_int_equal(o->findings[i].count, r->findings[i].count);
		assert_int_equal(o->findings[i].first, r->findings[i].first);
	}
	for (size_t i = 0; i < r->nleaks; i++) {
		assert_int_equal(o->fidx[i], r->fidx[i]);
		assert_int_equal(o->leaks[i].finding, r->leaks[i].finding);
	}
	findings_build(o, NULL, 0);  /* again: replaces, does not add */
	assert_int_equal(o->nfindings, 3);
	report_free(o);
	report_free(r);
}

static void test_subject_names(void **state)
{
	(void)state;
	struct report_leak l = { .subject = SUBJECT_THIRD_PARTY };
	assert_int_equal(report_leak_subject(&l), SUBJECT_THIRD_PARTY);
	assert_string_equal(report_subject_name(report_leak_subject(&l)), "third_party");
	l.subject = SUBJECT_DEVICE;
	assert_string_equal(report_subject_name(report_leak_subject(&l)), "device");
	l.subject = 200;
	assert_int_equal(report_leak_subject(&l), SUBJECT_UNKNOWN);
	assert_null(report_subject_name(SUBJECT_UNKNOWN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_sorts),
		cmocka_unit_test(test_stats_added),
		cmocka_unit_test(test_events_capped_after_merge),
		cmocka_unit_test(test_signature_ids),
		cmocka_unit_test(test_findings_group),
		cmocka_unit_test(test_subject_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
