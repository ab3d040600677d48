/* test_decode.c - link types, IPv4/IPv6 (extension headers), TCP/UDP, and
 * every truncation of a valid frame never reads past its length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"

/* IPv4 TCP 192.168.43.100:40000 -> 220.181.111.10:80, PSH|ACK, payload "GET /" */
static const uint8_t ip4_tcp[] = {
	0x45, 0, 0, 45, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 168, 43, 100, 220, 181, 111, 10,
	0x9c, 0x40, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	'G', 'E', 'T', ' ', '/',
};

static size_t wrap_eth(uint8_t *out, const uint8_t *ip, size_t n, int tags)
{
	static const uint8_t macs[12] = { 1, 2, 3, 4, 5, 6, 0x64, 0x09, 0x80, 0x12, 0x34, 0x56 };
	size_t off = 12;
	memcpy(out, macs, 12);
	for (int i = 0; i < tags; i++) {
		out[off] = i == 0 && tags == 2 ? 0x88 : 0x81;
		out[off + 1] = i == 0 && tags == 2 ? 0xa8 : 0x00;
		out[off + 2] = 0;
		out[off + 3] = 10;
		off += 4;
	}
	out[off] = 0x08;
	out[off + 1] = 0x00;
	memcpy(out + off + 2, ip, n);
	return off + 2 + n;
}

static void check_tcp(const struct packet *p)
{
	assert_int_equal(p->family, 4);
	assert_int_equal(p->proto, 6);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 80);
	assert_int_equal(p->seq, 100);
	assert_int_equal(p->payload_len, 5);
	assert_memory_equal(p->payload, "GET /", 5);
}

static void test_ethernet_vlan_qinq(void **state)
{
	(void)state;
	uint8_t buf[128];
	for (int tags = 0; tags <= 2; tags++) {
		size_t n = wrap_eth(buf, ip4_tcp, sizeof ip4_tcp, tags);
		struct packet p = { 0 };
		assert_int_equal(decode_packet(DLT_EN10MB, buf, n, &p), DR_OK);
		check_tcp(&p);
		assert_true(p.has_mac);
		assert_int_equal(p.smac[0], 0x64);
	}
}

static void test_padding_not_payload(void **state)
{
	(void)state;
	uint8_t buf[128];
	size_t n = wrap_eth(buf, ip4_tcp, sizeof ip4_tcp, 0);
	memset(buf + n, 0xee, 10);  /* Ethernet trailer padding */
	struct packet p = { 0 };
	assert_int_equal(decode_packet(DLT_EN10MB, buf, n + 10, &p), DR_OK);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.l3_len, sizeof ip4_tcp);
}

static void test_sll_sll2_raw_null(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct packet p;
	memset(buf, 0, 16);
	buf[14] = 0x08;
	memcpy(buf + 16, ip4_tcp, sizeof ip4_tcp);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_LINUX_SLL, buf, 16 + sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
	memset(buf, 0, 20);
	buf[0] = 0x08;
	memcpy(buf + 20, ip4_tcp, sizeof ip4_tcp);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(276, buf, 20 + sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_RAW, ip4_tcp, sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
	uint8_t af_le[4] = { 2, 0, 0, 0 }, af_be[4] = { 0, 0, 0, 2 };
	memcpy(buf, af_le, 4);
	memcpy(buf + 4, ip4_tcp, sizeof ip4_tcp);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_NULL, buf, 4 + sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
	memcpy(buf, af_be, 4);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_LOOP, buf, 4 + sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
}

static void test_ppp_and_hdlc(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct packet p;
	static const uint8_t hdr[][4] = { { 0xff, 0x03, 0x00, 0x21 }, { 0x00, 0x21 }, { 0x21 } };
	static const size_t hl[] = { 4, 2, 1 };
	for (int i = 0; i < 3; i++) {  /* with address/control, without, compressed protocol */
		memcpy(buf, hdr[i], hl[i]);
		memcpy(buf + hl[i], ip4_tcp, sizeof ip4_tcp);
		memset(&p, 0, sizeof p);
		assert_int_equal(decode_packet(DLT_PPP, buf, hl[i] + sizeof ip4_tcp, &p), DR_OK);
		check_tcp(&p);
	}
	static const uint8_t hdlc[4] = { 0x0f, 0x00, 0x08, 0x00 };
	memcpy(buf, hdlc, 4);
	memcpy(buf + 4, ip4_tcp, sizeof ip4_tcp);
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_C_HDLC, buf, 4 + sizeof ip4_tcp, &p), DR_OK);
	check_tcp(&p);
	uint8_t lcp[6] = { 0xff, 0x03, 0xc0, 0x21, 1, 1 };
	assert_int_equal(decode_packet(DLT_PPP, lcp, sizeof lcp, &p), DR_NOT_IP);
	assert_int_equal(decode_packet(DLT_PPP, lcp, 3, &p), DR_TRUNCATED_LINK);
	assert_int_equal(decode_packet(DLT_C_HDLC, hdlc, 3, &p), DR_TRUNCATED_LINK);
}

static void test_ipv6_ext_headers(void **state)
{
	(void)state;
	uint8_t b[40 + 8 + 8 + 8 + 3] = { 0x60, 0, 0, 0, 0, 8 + 8 + 8 + 3, 0 /* hop-by-hop */, 64 };
	b[8] = 0xfd;
	b[24] = 0x24;
	uint8_t *e = b + 40;
	e[0] = 60;  /* hop-by-hop -> destination options */
	e[8] = 17;  /* destination options -> UDP */
	uint8_t *u = b + 56;
	u[0] = 0x13; u[1] = 0x88; u[2] = 0x16; u[3] = 0x33; u[5] = 11;
	memcpy(u + 8, "abc", 3);
	struct packet p = { 0 };
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 5683);
	assert_int_equal(p.payload_len, 3);
	b[41] = 200;  /* extension header length runs off the packet */
	memset(&p, 0, sizeof p);
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_BAD_IPV6_EXT);
}

static void test_bad_and_skipped(void **state)
{
	(void)state;
	uint8_t b[sizeof ip4_tcp];
	struct packet p;
	memcpy(b, ip4_tcp, sizeof b);
	b[3] = 200;  /* total length past the capture */
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_TRUNCATED_IP);
	memcpy(b, ip4_tcp, sizeof b);
	b[32] = 0xf0;  /* TCP data offset 60 > segment */
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_BAD_L4);
	memcpy(b, ip4_tcp, sizeof b);
	b[9] = 1;  /* ICMP */
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_NOT_TCP_UDP);
	memcpy(b, ip4_tcp, sizeof b);
	b[6] = 0x20;  /* more fragments */
	assert_int_equal(decode_packet(DLT_RAW, b, sizeof b, &p), DR_FRAGMENT);
	uint8_t arp[42] = { 0 };
	arp[12] = 0x08;
	arp[13] = 0x06;
	assert_int_equal(decode_packet(DLT_EN10MB, arp, sizeof arp, &p), DR_NOT_IP);
	assert_true(decode_reason_malformed(DR_TRUNCATED_IP));
	assert_false(decode_reason_malformed(DR_NOT_IP));
}

/* Every prefix of a valid frame, in a buffer of exactly that size: ASan catches overreads. */
static void test_every_truncation(void **state)
{
	(void)state;
	uint8_t full[128];
	size_t n = wrap_eth(full, ip4_tcp, sizeof ip4_tcp, 2);
	for (size_t len = 0; len <= n; len++) {
		uint8_t *b = malloc(len ? len : 1);
		memcpy(b, full, len);
		struct packet p;
		enum decode_reason r = decode_packet(DLT_EN10MB, b, len, &p);
		assert_true(len == n ? r == DR_OK : r != DR_OK);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_vlan_qinq),
		cmocka_unit_test(test_padding_not_payload),
		cmocka_unit_test(test_sll_sll2_raw_null),
		cmocka_unit_test(test_ppp_and_hdlc),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_bad_and_skipped),
		cmocka_unit_test(test_every_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
