/* test_devices.c - DHCP (host name, vendor class, requested and acked address), ARP, NDP
 * and DHCPv6 learning; source-MAC ties of global and temporary IPv6 addresses; the gateway
 * told apart; options that run off the datagram are ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "devices.h"
#include <arpa/inet.h>

static const uint8_t MAC[6] = { 0x64, 0x09, 0x80, 0x12, 0x34, 0x56 };
static const uint8_t GW[6] = { 0x02, 0x00, 0x00, 0x43, 0x00, 0x01 };

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

/* An IP frame from smac to dmac (no payload: the address rules only read the header fields). */
static struct packet ipf(const uint8_t *smac, const uint8_t *dmac, const char *src, const char *dst, uint64_t ts)
{
	struct packet p;
	memset(&p, 0, sizeof p);
	p.family = strchr(src, ':') ? 6 : 4;
	assert_int_equal(inet_pton(p.family == 4 ? AF_INET : AF_INET6, src, p.src), 1);
	assert_int_equal(inet_pton(p.family == 4 ? AF_INET : AF_INET6, dst, p.dst), 1);
	memcpy(p.smac, smac, 6);
	memcpy(p.dmac, dmac, 6);
	p.has_mac = PKT_SMAC | PKT_DMAC;
	p.proto = 6;
	p.ts_us = ts;
	return p;
}

static const struct device *owner(const struct devices *d, const char *addr)
{
	uint8_t a[16] = { 0 };
	int fam = strchr(addr, ':') ? 6 : 4;
	assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, addr, a), 1);
	return devices_by_addr(d, fam, a);
}

#define G1 "2409:4042:2a1b:3c4d:6609:80ff:fe12:3456"
#define T1 "2409:4042:2a1b:3c4d:8d1e:52f3:a4b0:917c"
#define CN6 "240e:ff:1::10"

/* A phone NATed over IPv4 then on IPv6: the gateway is found by routing, the phone's global
 * and temporary addresses by its MAC; the internet's addresses never become the device's. */
static void test_source_mac(void **state)
{
	(void)state;
	struct devices *d = devices_new(8);
	struct packet p = ipf(MAC, GW, "192.168.43.100", "220.181.111.10", 1);
	const struct device *v = devices_observe(d, &p);
	assert_non_null(v);
	assert_string_equal(v->source, "mac");
	assert_int_equal(v->role, DEV_ROLE_DEVICE);
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_GATEWAY);
	p = ipf(GW, MAC, "220.181.111.10", "192.168.43.100", 2);  /* the answer: nothing of the phone's */
	assert_null(devices_observe(d, &p));
	assert_null(owner(d, "220.181.111.10"));
	p = ipf(MAC, GW, G1, CN6, 3);  /* global address: through the gateway, so the phone's */
	assert_ptr_equal(devices_observe(d, &p), devices_by_mac(d, MAC));
	p = ipf(MAC, GW, T1, CN6, 4);  /* a temporary address */
	assert_non_null(devices_observe(d, &p));
	p = ipf(GW, MAC, CN6, T1, 5);
	assert_null(devices_observe(d, &p));
	v = devices_by_mac(d, MAC);
	assert_int_equal(v->naddr, 3);
	assert_ptr_equal(owner(d, G1), v);
	assert_ptr_equal(owner(d, T1), v);
	assert_null(owner(d, CN6));
	assert_int_equal(devices_addr(d, v, 2)->first_us, 4);
	assert_string_equal(devices_how_name(devices_addr(d, v, 2)->how), "mac");
	assert_false(devices_is_device(devices_by_mac(d, GW)));
	devices_free(d);
}

/* The gateway answering DNS from its own private address looks like a device until it is seen
 * routing; then it is a gateway for good, and its public sources are never tied to it. */
static void test_gateway_demoted(void **state)
{
	(void)state;
	struct devices *d = devices_new(8);
	struct packet p = ipf(GW, MAC, "192.168.43.1", "192.168.43.100", 1);
	assert_non_null(devices_observe(d, &p));
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_WEAK);
	p = ipf(GW, MAC, CN6, G1, 2);  /* weak: a public source is not tied to it */
	devices_observe(d, &p);
	assert_null(owner(d, CN6));
	p = ipf(MAC, GW, "192.168.43.100", "220.181.111.10", 3);
	devices_observe(d, &p);
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_GATEWAY);
	p = ipf(GW, MAC, "192.168.43.1", "192.168.43.100", 4);
	assert_null(devices_observe(d, &p));
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_GATEWAY);
	/* a MAC sending from many public /64s forwards the internet: a gateway */
	static const uint8_t R2[6] = { 0x02, 0, 0, 0, 0, 0x02 }, X[6] = { 0x02, 0, 0, 0, 0, 0x03 };
	const char *srcs[] = { "2a00:1450:4001::1", "2a03:2880:f1::1", "2600:1f18::1", "2a00:1450:4001::2" };
	for (int i = 0; i < 4; i++) {
		p = ipf(R2, X, srcs[i], "2001:4860::8888", 10 + (uint64_t)i);
		assert_null(devices_observe(d, &p));
	}
	assert_int_equal(devices_by_mac(d, R2)->role, DEV_ROLE_GATEWAY);
	devices_free(d);
}

/* RS, RA (with its prefix), DAD; then a global address is local: a new phone sending from the
 * LAN's /64 is a device from its first frame, without knowing where the frame went. */
static void test_ndp(void **state)
{
	(void)state;
	struct devices *d = devices_new(8);
	uint8_t m[32] = { 135 };
	struct packet p = ipf(MAC, GW, "::", "ff02::1:ff12:3456", 1);
	p.proto = 0;
	p.ip_proto = 58;
	p.l4 = m;
	p.l4_len = 24;
	inet_pton(AF_INET6, G1, m + 8);
	const struct device *v = devices_observe(d, &p);  /* DAD for the global address */
	assert_non_null(v);
	assert_string_equal(v->source, "ndp");
	assert_ptr_equal(owner(d, G1), v);
	uint8_t ra[48] = { 134 };
	ra[16] = 3, ra[17] = 4, ra[18] = 64;  /* prefix information, /64 */
	inet_pton(AF_INET6, "2409:4042:2a1b:3c4d::", ra + 32);
	p = ipf(GW, MAC, "fe80::1", "ff02::1", 2);
	p.proto = 0;
	p.ip_proto = 58;
	p.l4 = ra;
	p.l4_len = sizeof ra;
	assert_null(devices_observe(d, &p));
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_GATEWAY);
	static const uint8_t M2[6] = { 0x64, 0x09, 0x80, 0xab, 0xcd, 0xef };
	p = ipf(M2, GW, "2409:4042:2a1b:3c4d::99", CN6, 3);
	p.has_mac = PKT_SMAC;  /* Linux cooked: the sender's MAC only */
	v = devices_observe(d, &p);
	assert_non_null(v);
	assert_memory_equal(v->mac, M2, 6);
	assert_int_equal(v->role, DEV_ROLE_DEVICE);
	m[0] = 136;  /* NA with the router flag: the gateway */
	m[4] = 0x80;
	static const uint8_t R[6] = { 0x02, 0, 0, 0, 0, 0x09 };
	p = ipf(R, MAC, "fe80::9", "fe80::6609:80ff:fe12:3456", 4);
	p.proto = 0;
	p.ip_proto = 58;
	p.l4 = m;
	p.l4_len = 24;
	assert_null(devices_observe(d, &p));
	assert_int_equal(devices_by_mac(d, R)->role, DEV_ROLE_GATEWAY);
	devices_free(d);
}

/* DHCPv6: the client's Solicit makes it a device, the server's Reply gives it an address. */
static void test_dhcpv6(void **state)
{
	(void)state;
	struct devices *d = devices_new(8);
	uint8_t b[64] = { 1, 0, 0, 1 };
	struct packet p = ipf(MAC, GW, "fe80::6609:80ff:fe12:3456", "ff02::1:2", 1);
	p.proto = 17;
	p.sport = 546;
	p.dport = 547;
	p.payload = b;
	p.payload_len = 4;
	const struct device *v = devices_observe(d, &p);
	assert_non_null(v);
	assert_string_equal(v->source, "dhcpv6");
	/* Reply: IA_NA (3) of 12 + IAADDR (5) of 24 */
	uint8_t r[64] = { 7, 0, 0, 1, 0, 3, 0, 40 };
	r[20] = 0, r[21] = 5, r[22] = 0, r[23] = 24;
	inet_pton(AF_INET6, "2409:4042:2a1b:3c4d::1234", r + 24);
	p = ipf(GW, MAC, "fe80::1", "fe80::6609:80ff:fe12:3456", 2);
	p.proto = 17;
	p.sport = 547;
	p.dport = 546;
	p.payload = r;
	p.payload_len = 48;
	assert_ptr_equal(devices_observe(d, &p), v);
	assert_ptr_equal(owner(d, "2409:4042:2a1b:3c4d::1234"), v);
	assert_string_equal(devices_how_name(devices_addr(d, v, v->naddr - 1)->how), "dhcpv6");
	assert_int_equal(devices_by_mac(d, GW)->role, DEV_ROLE_GATEWAY);
	r[7] = 200;  /* IA_NA runs off the datagram */
	assert_null(devices_observe(d, &p));
	devices_free(d);
}

/* --device MAC: a device whatever it does, all its addresses tied as "option". */
static void test_option(void **state)
{
	(void)state;
	struct devices *d = devices_new(8);
	assert_int_equal(devices_add_option(d, MAC), 0);
	struct packet p = ipf(MAC, GW, CN6, "2001:4860::8888", 7);  /* even from a public address */
	assert_non_null(devices_observe(d, &p));
	const struct device *v = devices_by_mac(d, MAC);
	assert_string_equal(v->source, "option");
	assert_int_equal(v->first_us, 7);
	assert_string_equal(devices_how_name(devices_addr(d, v, 0)->how), "option");
	devices_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_arp_and_cap),
		cmocka_unit_test(test_source_mac),
		cmocka_unit_test(test_gateway_demoted),
		cmocka_unit_test(test_ndp),
		cmocka_unit_test(test_dhcpv6),
		cmocka_unit_test(test_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
