/* test_spill.c - unit tests of report_spill.c: flows written in sorted runs to a temporary
 * file come back whole and in id order, merged with the ones in memory and with other
 * workers' runs; --max-report-flows leaves out the latest flows without leaks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "config.h"
#include "report.h"

/* A flow whose every field follows from its id. */
static struct report_flow mkflow(uint64_t id)
{
	struct report_flow f;
	memset(&f, 0, sizeof f);
	f.id = id;
	f.family = 4;
	f.proto = 6;
	f.addr[0][0] = 10, f.addr[1][3] = (uint8_t)id;
	f.port[0] = (uint16_t)(40000 + id), f.port[1] = 443;
	f.first_us = id * 10, f.last_us = id * 10 + 5;
	f.bytes[1] = id * 3;
	snprintf(f.app_proto, sizeof f.app_proto, "TLS.%llu", (unsigned long long)id);
	memset(f.host, 'h', id % 255);  /* up to the longest host */
	snprintf(f.geo.country, sizeof f.geo.country, "CN");
	f.geo.latitude = 1.5 * (double)id;
	snprintf(f.geo.asn_org, sizeof f.geo.asn_org, "org %llu", (unsigned long long)id);
	f.tls_version = 0x0304;
	return f;
}

static void spill(struct report *r, uint64_t id)
{
	struct report_flow f = mkflow(id);
	report_spill_flow(r, &f);
}

static void test_runs_merged_in_order(void **state)
{
	(void)state;
	char err[256];
	setenv("PHONEHOME_SPILL_BATCH", "7", 1);  /* many runs */
	struct report *a = report_new(), *b = report_new();
	assert_int_equal(report_spill_open(a, err, sizeof err), 0);
	assert_int_equal(report_spill_open(b, err, sizeof err), 0);
	for (uint64_t id = 1000; id > 0; id--) {
		if (id % 50 == 0) {  /* a flow with a leak stays in memory */
			*report_add_flow(id % 100 ? a : b) = mkflow(id);
			(id % 100 ? a : b)->flows[(id % 100 ? a : b)->nflows - 1].nleaks = 1;
		} else {
			spill(id % 3 ? a : b, id);
		}
	}
	report_merge(a, b);
	assert_null(report_spill_error(a));
	assert_true(a->st.spill_bytes > 0);
	assert_int_equal(report_nflows(a), 1000);
	struct report_iter *it = report_flows_begin(a);
	uint64_t want = 1;
	for (const struct report_flow *f; (f = report_flows_next(it)); want++) {
		struct report_flow g = mkflow(want);
		g.nleaks = want % 50 == 0;
		assert_memory_equal(f, &g, sizeof g);  /* whole, padding included: both zeroed */
	}
	report_flows_end(it);
	assert_int_equal(want, 1001);
	a->max_quiet = 100;  /* --max-report-flows 100: the first 100 without leaks, every one with */
	a->quiet_cut = report_spill_cut(a, 100);
	assert_int_equal(a->quiet_cut, 102);  /* 50 and 100 have leaks */
	size_t n = 0;
	uint64_t first = 0, last = 0;
	it = report_flows_begin(a);
	for (const struct report_flow *f; (f = report_flows_next(it)); n++)
		last = f->id, first = first ? first : f->id;
	report_flows_end(it);
	assert_int_equal(n, 100 + 20);
	assert_int_equal(report_nflows(a), 120);
	assert_int_equal(first, 1);
	assert_int_equal(last, 1000);
	assert_int_equal(report_flow_listed(a, 1000)->id, 1000);  /* kept: a leak */
	a->flows[a->nflows - 1].nleaks = 0;  /* 1000 as a flow kept for its events, without leaks */
	assert_null(report_flow_listed(a, 1000));  /* beyond the cut: an event's flow is not listed */
	report_free(a);
	report_free(b);
	unsetenv("PHONEHOME_SPILL_BATCH");
}

/* The packages that spilled flows name as hints are kept apart, one entry each (its first
 * flow by id, that flow's origin, how many), across merged workers, so that without a CSV the
 * hints are resolved without reading every flow back; past PH_SPILL_HINTS packages, -1. */
static void test_hints_by_package(void **state)
{
	(void)state;
	char err[256];
	struct report *a = report_new(), *b = report_new();
	assert_int_equal(report_spill_open(a, err, sizeof err), 0);
	assert_int_equal(report_spill_open(b, err, sizeof err), 0);
	const struct report_hint *h;
	size_t n;
	assert_int_equal(report_spill_hints(a, &h, &n), 0);
	assert_int_equal(n, 0);
	for (uint64_t id = 300; id > 0; id--) {  /* ended latest first: the first by id comes last */
		struct report_flow f = mkflow(id);
		if (id % 7 == 0 || id % 11 == 0) {
			f.app_hint_origin = (uint8_t)(1 + id % 3);
			snprintf(f.app_hint, sizeof f.app_hint, "com.example.app%llu", (unsigned long long)(id % 5));
		}
		f.app_source = id % 11 == 0 && id % 7;  /* a hint, but the app is known: not counted */
		report_spill_flow(id % 4 ? a : b, &f);
	}
	report_merge(a, b);
	assert_int_equal(report_spill_hints(a, &h, &n), 0);
	assert_int_equal(n, 5);
	uint64_t prev = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t first = 0, count = 0;
		for (uint64_t id = 7; id <= 300; id += 7) {  /* this package's flows, written out */
			char want[32];
			snprintf(want, sizeof want, "com.example.app%llu", (unsigned long long)(id % 5));
			if (!strcmp(h[i].hint, want))
				first = first ? first : id, count++;
		}
		assert_true(first > prev);  /* in order of their first flow */
		assert_int_equal(h[i].first, first);
		assert_int_equal(h[i].origin, 1 + first % 3);
		assert_int_equal(h[i].n, count);
		prev = first, total += count;
	}
	assert_int_equal(total, 300 / 7);
	report_free(a);
	report_free(b);

	struct report *c = report_new();
	assert_int_equal(report_spill_open(c, err, sizeof err), 0);
	for (uint64_t id = 1; id <= PH_SPILL_HINTS + 1; id++) {
		struct report_flow f = mkflow(id);
		f.app_hint_origin = 1;
		snprintf(f.app_hint, sizeof f.app_hint, "com.example.p%llu", (unsigned long long)id);
		report_spill_flow(c, &f);
	}
	assert_int_equal(report_spill_hints(c, &h, &n), -1);  /* one package too many: a walk says */
	report_free(c);
}

/* A writer's re-ordering (EVE): every flow once, by (last_us, id), through many runs. */
static void test_order_by_time(void **state)
{
	(void)state;
	char err[256];
	setenv("PHONEHOME_SPILL_BATCH", "5", 1);
	struct report *o = report_order_new(0, err, sizeof err);
	assert_non_null(o);
	for (uint64_t id = 1; id <= 300; id++) {
		struct report_flow f = mkflow(id);
		f.last_us = (id * 7919) % 101;  /* out of id order, with ties */
		report_spill_flow(o, &f);
	}
	unsetenv("PHONEHOME_SPILL_BATCH");
	assert_true(o->st.spill_bytes > 0);
	struct report_iter *it = report_order_begin(o);
	uint64_t n = 0, prev_t = 0, prev_id = 0;
	for (const struct report_flow *f; (f = report_flows_next(it)); n++) {
		assert_true(f->last_us > prev_t || (f->last_us == prev_t && f->id > prev_id));
		prev_t = f->last_us;
		prev_id = f->id;
	}
	report_flows_end(it);  /* frees o */
	assert_int_equal(n, 300);
}

static void test_events_keep_flows(void **state)
{
	(void)state;
	char err[256];
	struct report *r = report_new();
	assert_int_equal(report_spill_keeps(r, 5), 1);  /* no spill: everything stays */
	assert_int_equal(report_spill_open(r, err, sizeof err), 0);
	report_add_http(r, 5, 1, "GET", "h", "/", "ua");
	report_dns_begin(r, 9, 2);
	report_add_dns(r, REPORT_DNS_QUERY, "x.example", 0, NULL, 0);
	assert_int_equal(report_spill_keeps(r, 5), 1);
	assert_int_equal(report_spill_keeps(r, 9), 1);
	assert_int_equal(report_spill_keeps(r, 6), 0);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_merged_in_order),
		cmocka_unit_test(test_order_by_time),
		cmocka_unit_test(test_hints_by_package),
		cmocka_unit_test(test_events_keep_flows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
