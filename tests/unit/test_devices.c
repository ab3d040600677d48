/* test_devices.c - DHCP (host name, vendor class, requested and acked address),
 * ARP and NDP learning; options that run off the datagram are ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "devices.h"

static const uint8_t MAC[6] = { 0x64, 0x09, 0x80, 0x12, 0x34, 0x56 };

/* A DHCPREQUEST (op 1) or DHCPACK (op 2) for MAC with the given options. */
static size_t dhcp(uint8_t *b, int op, const uint8_t *yiaddr, const uint8_t *opts, size_t optlen)
{
	memset(b, 0, 240);
	b[0] = (uint8_t)op;
	b[1] = 1;
	b[2] = 6;
	if (yiaddr)
		memcpy(b + 16, yiaddr, 4);
	memcpy(b + 28, MAC, 6);
	b[236] = 0x63; b[237] = 0x82; b[238] = 0x53; b[239] = 0x63;
	memcpy(b + 240, opts, optlen);
	return 240 + optlen;
}

static struct packet udp(const uint8_t *b, size_t len, uint16_t sport, uint16_t dport)
{
	struct packet p;
	memset(&p, 0, sizeof p);
	p.family = 4;
	p.proto = 17;
	p.sport = sport;
	p.dport = dport;
	p.payload = b;
	p.payload_len = len;
	return p;
}

static void test_dhcp(void **state)
{
	(void)state;
	struct devices *d = devices_new(4);
	uint8_t b[400];
	static const uint8_t req[] = { 53, 1, 3, 12, 7, 'R', 'e', 'd', 'm', 'i', '1', 'S', 60, 15, 'a', 'n', 'd', 'r',
				       'o', 'i', 'd', '-', 'd', 'h', 'c', 'p', '-', '1', '3', 50, 4, 192, 168, 43, 100, 255 };
	size_t n = dhcp(b, 1, NULL, req, sizeof req);
	struct packet p = udp(b, n, 68, 67);
	const struct device *v = devices_observe(d, &p);
	assert_non_null(v);
	assert_memory_equal(v->mac, MAC, 6);
	assert_string_equal(v->hostname, "Redmi1S");
	assert_string_equal(v->vendor, "android-dhcp-13");
	assert_true(v->has_ip4);
	assert_int_equal(v->ip4[3], 100);
	assert_null(devices_observe(d, &p));  /* nothing new the second time */
	static const uint8_t ack[] = { 53, 1, 5, 255 };
	static const uint8_t addr[4] = { 192, 168, 43, 101 };
	n = dhcp(b, 2, addr, ack, sizeof ack);
	p = udp(b, n, 67, 68);
	v = devices_observe(d, &p);
	assert_non_null(v);
	assert_int_equal(v->ip4[3], 101);  /* the phone changed address: same device */
	assert_int_equal(devices_count(d), 1);
	static const uint8_t bad[] = { 12, 200, 'x' };  /* option length past the datagram */
	n = dhcp(b, 1, NULL, bad, sizeof bad);
	p = udp(b, n, 68, 67);
	assert_null(devices_observe(d, &p));
	devices_free(d);
}

static void test_arp_and_cap(void **state)
{
	(void)state;
	struct devices *d = devices_new(1);
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, MAC, 6);
	arp[14] = 192; arp[15] = 168; arp[16] = 43; arp[17] = 100;
	struct packet p;
	memset(&p, 0, sizeof p);
	p.ethertype = 0x0806;
	p.l2_payload = arp;
	p.l2_len = sizeof arp;
	const struct device *v = devices_observe(d, &p);
	assert_non_null(v);
	assert_string_equal(v->source, "arp");
	arp[8] = 0x02;  /* another device: the table is full (cap 1) */
	assert_null(devices_observe(d, &p));
	assert_int_equal(devices_count(d), 1);
	p.l2_len = 27;  /* truncated ARP */
	assert_null(devices_observe(d, &p));
	arp[14] = 8;  /* a public sender address is not on the LAN */
	arp[8] = 0x64;
	p.l2_len = sizeof arp;
	assert_null(devices_observe(d, &p));
	devices_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_arp_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
