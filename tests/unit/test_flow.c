/* test_flow.c - unit tests of the flow table: both directions in one flow, flow ids from
 * frame numbers, expiry per window of capture time (closed flows after their grace even
 * behind busier open flows), eviction at the cap preferring closed flows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "config.h"
#include "flow.h"

#define SEC 1000000ull

struct ended { uint64_t ids[64]; size_t n; };

static void on_end(void *arg, struct flow *f)
{
	struct ended *e = arg;
	if (e->n < 64)
		e->ids[e->n++] = f->id;
}

/* A TCP packet 192.0.2.c:cport -> 192.0.2.1:80 (or back when reply), frame num at ts seconds. */
static struct packet pkt(uint8_t c, uint16_t cport, int reply, uint8_t flags, uint64_t num, uint64_t ts)
{
	struct packet p;
	memset(&p, 0, sizeof p);
	p.family = 4;
	p.proto = 6;
	p.num = num;
	p.ts_us = ts * SEC;
	p.tcp_flags = flags;
	uint8_t cl[4] = { 192, 0, 2, c }, sv[4] = { 192, 0, 2, 1 };
	memcpy(reply ? p.dst : p.src, cl, 4);
	memcpy(reply ? p.src : p.dst, sv, 4);
	p.sport = reply ? 80 : cport;
	p.dport = reply ? cport : 80;
	return p;
}

static struct flow *feed(struct flow_table *t, struct packet p, int *dir)
{
	flow_expire(t, p.ts_us);
	struct flow *f = flow_lookup(t, &p, dir);
	flow_update(t, f, &p, *dir);
	return f;
}

static void test_both_directions(void **state)
{
	(void)state;
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(16, on_end, &e);
	int d0, d1;
	struct flow *f = feed(t, pkt(2, 40000, 0, TCPF_SYN, 7, 1), &d0);
	struct flow *g = feed(t, pkt(2, 40000, 1, TCPF_SYN | TCPF_ACK, 8, 1), &d1);
	assert_ptr_equal(f, g);
	assert_int_equal(d0, 0);
	assert_int_equal(d1, 1);
	assert_int_equal(f->id, 7);  /* the frame number of its first packet */
	assert_int_equal(f->port[0], 40000);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 1);
	flow_table_free(t);
	assert_int_equal(e.n, 1);
}

static void test_closed_expire_behind_open(void **state)
{
	(void)state;
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(16, on_end, &e);
	int d;
	feed(t, pkt(2, 40000, 0, TCPF_SYN, 1, 100), &d);
	feed(t, pkt(3, 40001, 0, TCPF_SYN, 2, 101), &d);
	feed(t, pkt(3, 40001, 0, TCPF_RST, 3, 101), &d);  /* flow 2 closed at 101 s */
	feed(t, pkt(2, 40000, 0, TCPF_ACK, 4, 105), &d);  /* flow 1 busier, open */
	assert_int_equal(e.n, 0);
	feed(t, pkt(2, 40000, 0, TCPF_ACK, 5, 119), &d);  /* window 110: 101 + 10 > 110 */
	assert_int_equal(e.n, 0);
	feed(t, pkt(2, 40000, 0, TCPF_ACK, 6, 121), &d);  /* window 120: closed flow 2 ends */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ids[0], 2);
	/* open TCP: idle 600 s; swept as of the window's start, whatever packet comes first */
	feed(t, pkt(9, 40009, 0, TCPF_SYN, 7, 121 + PH_FLOW_IDLE_TCP_S + 8), &d);
	assert_int_equal(e.n, 1);
	feed(t, pkt(9, 40009, 0, TCPF_ACK, 8, 121 + PH_FLOW_IDLE_TCP_S + 10), &d);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.ids[1], 1);
	assert_int_equal(flow_table_stats(t)->expired, 2);
	flow_table_free(t);
}

static void test_evict_prefers_closed(void **state)
{
	(void)state;
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(2, on_end, &e);
	int d;
	feed(t, pkt(2, 40000, 0, TCPF_SYN, 1, 1), &d);
	feed(t, pkt(3, 40001, 0, TCPF_SYN, 2, 1), &d);
	feed(t, pkt(3, 40001, 0, TCPF_RST, 3, 1), &d);
	feed(t, pkt(4, 40002, 0, TCPF_SYN, 4, 1), &d);  /* at the cap: the closed flow 2 goes */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ids[0], 2);
	feed(t, pkt(5, 40003, 0, TCPF_SYN, 5, 1), &d);  /* then the least recently active: 1 */
	assert_int_equal(e.ids[1], 1);
	assert_int_equal(flow_table_stats(t)->evicted, 2);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_closed_expire_behind_open),
		cmocka_unit_test(test_evict_prefers_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
