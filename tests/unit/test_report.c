/* test_report.c - unit tests of the in-memory report: merging the reports of workers
 * (arrays moved, every counter added), sorting that makes the order independent of which
 * worker found what, and the cap on EVE events after a merge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
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
	assert_int_equal(report_eve_signature_id(ID_IMEI, REPORT_EVE_SUBJECT_UNKNOWN), 9100000);
	assert_int_equal(report_eve_signature_id(ID_PHONE_NUMBER, REPORT_EVE_SUBJECT_UNKNOWN), 9100012);
	assert_int_equal(report_eve_signature_id(ID_CONTACT, REPORT_EVE_SUBJECT_DEVICE), 9100045);
	assert_int_equal(report_eve_signature_id(ID_DEVICE_ID, REPORT_EVE_SUBJECT_THIRD_PARTY), 9100058);
	char seen[ID__COUNT * 4] = { 0 };
	for (int k = 0; k < ID__COUNT; k++)
		for (int s = 0; s < 3; s++) {
			int i = report_eve_signature_id(k, (enum report_eve_subject)s) - 9100000;
			assert_true(i >= 0 && i < ID__COUNT * 4 && !seen[i]);
			seen[i] = 1;
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_sorts),
		cmocka_unit_test(test_stats_added),
		cmocka_unit_test(test_events_capped_after_merge),
		cmocka_unit_test(test_signature_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
