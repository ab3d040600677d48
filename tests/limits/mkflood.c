/* mkflood.c - writes hostile captures for the limits tests, fast (pcap_dump, no scapy).
 *
 * usage: mkflood MODE N OUT.pcap
 *   syn   N SYNs from 192.168.0.0/16 with distinct source ports to 203.0.113.0/24:80
 *   body  one HTTP POST from 192.168.1.2 whose body is N MiB (Content-Length N MiB),
 *         the IMEI 862345021234568 in its URL and again at the very end of the body
 *   ooo   one stream of N segments of 100 bytes sent in reverse order, after a first
 *         in-order segment carrying the IMEI
 *   dns   N DNS responses from 192.0.2.53:53 to 192.168.1.2, each a new name with 101 A
 *         answers (far more than the cache holds); every 10th ends in a compression loop
 * Deterministic; checksums are left zero (phonehome does not check them). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pcap_dumper_t *dump;
static uint8_t frame[70000];
static uint64_t clock_us = 1700000000ull * 1000000u;

static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v & 0xffff); }

/* Ethernet + IPv4 header for proto with l4len bytes of L4 after it; returns the L4 pointer. */
static uint8_t *ip4(uint32_t src, uint32_t dst, uint8_t proto, size_t l4len)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	memcpy(frame, mac_b, 6);
	memcpy(frame + 6, mac_a, 6);
	wr16(frame + 12, 0x0800);
	uint8_t *ip = frame + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint32_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	return ip + 20;
}

static void out(size_t l4len)
{
	struct pcap_pkthdr h;
	clock_us += 10;
	h.ts.tv_sec = (time_t)(clock_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(clock_us % 1000000u);
	h.caplen = h.len = (bpf_u_int32)(14 + 20 + l4len);
	pcap_dump((u_char *)dump, &h, frame);
}

static void tcp(uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint32_t seq, uint32_t ack,
		uint8_t flags, const void *data, size_t len)
{
	uint8_t *t = ip4(src, dst, 6, 20 + len);
	memset(t, 0, 20);
	wr16(t, sp);
	wr16(t + 2, dp);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = 0x50;
	t[13] = flags;
	wr16(t + 14, 65535);
	if (len)
		memcpy(t + 20, data, len);
	out(20 + len);
}

#define DEV 0xc0a80102u      /* 192.168.1.2 */
#define SRV 0xcb007107u      /* 203.0.113.7 */

static void mode_syn(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		tcp(0xc0a80000u | (uint32_t)(i >> 14 & 0xffff), (uint16_t)(1024 + (i & 0x3fff)),
		    0xcb007100u | (uint32_t)(i & 0xff), 80, (uint32_t)i * 7919u, 0, 0x02, NULL, 0);
}

static void handshake(uint16_t sp, uint32_t cs, uint32_t ss)
{
	tcp(DEV, sp, SRV, 80, cs, 0, 0x02, NULL, 0);
	tcp(SRV, 80, DEV, sp, ss, cs + 1, 0x12, NULL, 0);
	tcp(DEV, sp, SRV, 80, cs + 1, ss + 1, 0x10, NULL, 0);
}

static void mode_body(unsigned long mib)
{
	uint64_t len = (uint64_t)mib << 20;
	char hdr[512];
	int hl = snprintf(hdr, sizeof hdr, "POST /upload?imei=862345021234568 HTTP/1.1\r\nHost: flood.example\r\n"
			  "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n\r\n",
			  (unsigned long long)len);
	uint32_t cs = 1000, ss = 9000, seq = cs + 1;
	handshake(40000, cs, ss);
	tcp(DEV, 40000, SRV, 80, seq, ss + 1, 0x18, hdr, (size_t)hl);
	seq += (uint32_t)hl;
	static uint8_t chunk[1448];
	memset(chunk, 'A', sizeof chunk);
	for (uint64_t off = 0; off < len; ) {
		size_t n = len - off < sizeof chunk ? (size_t)(len - off) : sizeof chunk;
		if (off + n == len && n >= 15)  /* the IMEI again, past every cap */
			memcpy(chunk + n - 15, "862345021234568", 15);
		tcp(DEV, 40000, SRV, 80, seq, ss + 1, 0x10, chunk, n);
		seq += (uint32_t)n;
		off += n;
	}
	tcp(DEV, 40000, SRV, 80, seq, ss + 1, 0x11, NULL, 0);
}

static void mode_ooo(unsigned long n)
{
	uint32_t cs = 5000, ss = 70000, seq = cs + 1;
	const char *first = "GET /a?imei=862345021234568 HTTP/1.1\r\nHost: ooo.example\r\n\r\n";
	handshake(40001, cs, ss);
	tcp(DEV, 40001, SRV, 80, seq, ss + 1, 0x18, first, strlen(first));
	seq += (uint32_t)strlen(first);
	static uint8_t seg[100];
	memset(seg, 'B', sizeof seg);
	for (unsigned long i = n; i > 0; i--)  /* segment 0 never comes: all of them wait */
		tcp(DEV, 40001, SRV, 80, seq + (uint32_t)(i * sizeof seg), ss + 1, 0x10, seg, sizeof seg);
	tcp(DEV, 40001, SRV, 80, seq + (uint32_t)((n + 1) * sizeof seg), ss + 1, 0x11, NULL, 0);
}

static void mode_dns(unsigned long n)
{
	static uint8_t m[8192];
	for (unsigned long r = 0; r < n; r++) {
		size_t o = 12;
		memset(m, 0, 12);
		wr16(m, (uint32_t)(r & 0xffff));
		wr16(m + 2, 0x8180);
		wr16(m + 4, 1);
		wr16(m + 6, 101);
		char q[24];
		int ql = snprintf(q, sizeof q, "q%lu", r);  /* a new name each response */
		m[o++] = (uint8_t)ql;
		memcpy(m + o, q, (size_t)ql);
		o += (size_t)ql;
		o += (size_t)sprintf((char *)m + o, "\x04" "bomb" "\x07" "example");
		m[o++] = 0;  /* the root label */
		wr16(m + o, 1); wr16(m + o + 2, 1); o += 4;
		for (unsigned a = 0; a < 100; a++) {
			m[o++] = 0xc0; m[o++] = 12;  /* owned by the question's name */
			wr16(m + o, 1); wr16(m + o + 2, 1); wr32(m + o + 4, 300); wr16(m + o + 8, 4);
			wr32(m + o + 10, 0xc6336400u | (uint32_t)((r * 100 + a) & 0xffff)); /* 198.51.x.x */
			o += 14;
		}
		/* answer 101: a name that points at itself (every 10th response; the rest are valid) */
		if (r % 10 == 0) {
			m[o] = 0xc0; m[o + 1] = (uint8_t)o; o += 2;
		} else {
			m[o++] = 0xc0; m[o++] = 12;
		}
		wr16(m + o, 1); wr16(m + o + 2, 1); wr32(m + o + 4, 300); wr16(m + o + 8, 4); o += 14;
		uint8_t *u = ip4(0xc0000235u, DEV, 17, 8 + o);
		wr16(u, 53); wr16(u + 2, (uint32_t)(30000 + (r & 0x3fff))); wr16(u + 4, (uint32_t)(8 + o)); wr16(u + 6, 0);
		memcpy(u + 8, m, o);
		out(8 + o);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mkflood syn|body|ooo|dns N OUT.pcap\n");
		return 2;
	}
	unsigned long n = strtoul(argv[2], NULL, 10);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	dump = pcap_dump_open(dead, argv[3]);
	if (!dump) {
		fprintf(stderr, "mkflood: %s: %s\n", argv[3], pcap_geterr(dead));
		return 2;
	}
	if (!strcmp(argv[1], "syn")) mode_syn(n);
	else if (!strcmp(argv[1], "body")) mode_body(n);
	else if (!strcmp(argv[1], "ooo")) mode_ooo(n);
	else if (!strcmp(argv[1], "dns")) mode_dns(n);
	else { fprintf(stderr, "mkflood: unknown mode %s\n", argv[1]); return 2; }
	pcap_dump_close(dump);
	pcap_close(dead);
	return 0;
}
