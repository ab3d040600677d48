/* mkcap.c - builds the benchmark capture: the real captures given on the command line,
 * turned into Ethernet frames and repeated with rewritten addresses and ports, plus HTTP leaks.
 *
 * usage: mkcap OUT.pcap MEGABYTES LEAKS MANIFEST IMEI PHONE EMAIL FILE...
 * Deterministic: the same inputs give the same bytes. Copy k moves IPv4 addresses by k in
 * the third octet (private stays private, public stays in its /16), IPv6 addresses by k in
 * the sixth byte, and ephemeral ports (>= 32768) by 7k (addresses repeat every 256 copies, the
 * ports and times do not); IPv4 header, TCP and UDP checksums
 * are updated. Packet gaps are capped at 1 s and files follow each other in time, so the
 * output's timestamps only grow. LEAKS HTTP flows from 192.168.77.x to 220.181.38.148
 * (CN) are spread over the output, each sending the IMEI in the URL, the phone number in a
 * header and the e-mail base64-encoded in a POST body; MANIFEST lists them, one a line:
 * "client_port kind where". */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct pkt { uint64_t ts; uint32_t len; uint8_t *l3; };

static struct pkt *pk;
static size_t npk, cappk;
static uint64_t in_bytes;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) { perror("mkcap"); exit(2); }
	return p;
}

/* Offset of the IP header in a frame of link type dlt, or -1. */
static long l3_offset(int dlt, const uint8_t *p, size_t n)
{
	size_t off;
	uint16_t et;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14) return -1;
		off = 12;
		et = (uint16_t)(p[12] << 8 | p[13]);
		while ((et == 0x8100 || et == 0x88a8) && off + 6 <= n) {
			off += 4;
			et = (uint16_t)(p[off] << 8 | p[off + 1]);
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (n < 16) return -1;
		off = 16; et = (uint16_t)(p[14] << 8 | p[15]);
		break;
	case DLT_LINUX_SLL2:
		if (n < 20) return -1;
		off = 20; et = (uint16_t)(p[0] << 8 | p[1]);
		break;
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
		return 0;
	case DLT_NULL: case DLT_LOOP:
		return n < 4 ? -1 : 4;
	default:
		return -1;
	}
	if (et != 0x0800 && et != 0x86dd)
		return -1;
	return off <= n ? (long)off : -1;
}

/* Reads every IP packet of one file; timestamps are rebased to follow the previous file. */
static void load(const char *path, uint64_t *clock)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc) { fprintf(stderr, "mkcap: skip %s: %s\n", path, err); return; }
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t prev = 0;
	int first = 1;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		long off = l3_offset(dlt, d, h->caplen);
		if (off < 0 || h->caplen - (size_t)off < 20)
			continue;
		const uint8_t *ip = d + off;
		if ((ip[0] >> 4) != 4 && (ip[0] >> 4) != 6)
			continue;
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		uint64_t gap = first || ts <= prev ? 1 : ts - prev;
		if (gap > 1000000)
			gap = 1000000;
		*clock += gap;
		prev = ts;
		first = 0;
		if (npk == cappk) {
			cappk = cappk ? 2 * cappk : 65536;
			pk = xrealloc(pk, cappk * sizeof *pk);
		}
		size_t n = h->caplen - (size_t)off;
		pk[npk].ts = *clock;
		pk[npk].len = (uint32_t)n;
		pk[npk].l3 = xrealloc(NULL, n);
		memcpy(pk[npk].l3, ip, n);
		npk++;
		in_bytes += n + 14 + 16;
	}
	pcap_close(pc);
	*clock += 1000;
}

/* One's-complement checksum adjustment (RFC 1624) for 16-bit word old -> new. */
static void csum_adj(uint8_t *c, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~(c[0] << 8 | c[1]);
	s += (uint16_t)~old;
	s += new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (uint16_t)~s;
	c[0] = (uint8_t)(s >> 8);
	c[1] = (uint8_t)s;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Rewrites a 16-bit word at w and every checksum in cs (NULL ends the list). */
static void set16(uint8_t *w, uint16_t v, uint8_t *cs1, uint8_t *cs2)
{
	uint16_t old = rd16(w);
	wr16(w, v);
	if (cs1) csum_adj(cs1, old, v);
	if (cs2) csum_adj(cs2, old, v);
}

/* Copy k of an IP packet in buf (already a copy). */
static void rewrite(uint8_t *ip, size_t n, unsigned k)
{
	if (!k)
		return;
	size_t l4off;
	uint8_t proto;
	uint8_t *ipcs = NULL;
	uint8_t *addr[2];
	int v4 = (ip[0] >> 4) == 4;
	if (v4) {
		l4off = (size_t)(ip[0] & 15) * 4;
		proto = ip[9];
		ipcs = ip + 10;
		addr[0] = ip + 12; addr[1] = ip + 16;
		if ((rd16(ip + 6) & 0x1fff) != 0)  /* non-first fragment: no L4 header */
			proto = 0;
	} else {
		if (n < 40) return;
		l4off = 40;
		proto = ip[6];
		addr[0] = ip + 8; addr[1] = ip + 24;
	}
	uint8_t *l4cs = NULL;
	int has_l4 = l4off + 8 <= n && (proto == 6 || proto == 17);
	if (has_l4 && proto == 6 && l4off + 18 <= n)
		l4cs = ip + l4off + 16;
	else if (has_l4 && proto == 17 && rd16(ip + l4off + 6))
		l4cs = ip + l4off + 6;
	for (int s = 0; s < 2; s++) {
		/* the word holding the third octet (v4) / sixth byte (v6) */
		uint8_t *w = v4 ? addr[s] + 2 : addr[s] + 4;
		int lo = v4 ? 0 : 1;
		uint16_t v = rd16(w);
		uint8_t b = (uint8_t)(lo ? v : v >> 8);
		b = (uint8_t)(b + k);
		v = lo ? (uint16_t)((v & 0xff00) | b) : (uint16_t)((v & 0x00ff) | b << 8);
		set16(w, v, ipcs, l4cs);
	}
	if (has_l4) {
		for (int s = 0; s < 2; s++) {
			uint8_t *pp = ip + l4off + 2 * s;
			uint16_t port = rd16(pp);
			if (port >= 32768)
				set16(pp, (uint16_t)(32768 + (port - 32768 + 7 * k) % 32768), l4cs, NULL);
		}
	}
}

static pcap_dumper_t *dump;
static uint8_t frame[65536 + 14];
static uint64_t out_bytes, out_pkts;

static void emit(uint64_t ts, const uint8_t *ip, size_t n, int from_dev)
{
	static const uint8_t dev[6] = { 0x64, 0x09, 0x80, 0x12, 0x34, 0x56 }, gw[6] = { 0x00, 0x1b, 0x21, 0, 0, 1 };
	if (n > 65535) n = 65535;
	memcpy(frame, from_dev ? gw : dev, 6);
	memcpy(frame + 6, from_dev ? dev : gw, 6);
	frame[12] = (ip[0] >> 4) == 6 ? 0x86 : 0x08;
	frame[13] = (ip[0] >> 4) == 6 ? 0xdd : 0x00;
	memcpy(frame + 14, ip, n);
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(ts / 1000000u);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000u);
	h.caplen = h.len = (bpf_u_int32)(n + 14);
	pcap_dump((u_char *)dump, &h, frame);
	out_bytes += n + 14 + 16;
	out_pkts++;
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1) s += (uint32_t)p[n - 1] << 8;
	while (s >> 16) s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One IPv4 TCP segment cli->srv (dir 0) or back, with valid checksums. */
static void tcp_seg(uint64_t ts, int dir, const uint8_t cli[4], uint16_t cport, uint32_t seq,
		    uint32_t ack, uint8_t flags, const char *data, size_t dlen)
{
	static const uint8_t srv[4] = { 220, 181, 38, 148 };
	uint8_t b[1600];
	size_t n = 40 + dlen;
	memset(b, 0, 40);
	b[0] = 0x45;
	wr16(b + 2, (uint16_t)n);
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, dir ? srv : cli, 4);
	memcpy(b + 16, dir ? cli : srv, 4);
	wr16(b + 10, ip_csum(b, 20));
	uint8_t *t = b + 20;
	wr16(t, dir ? 80 : cport);
	wr16(t + 2, dir ? cport : 80);
	t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16); t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
	t[8] = (uint8_t)(ack >> 24); t[9] = (uint8_t)(ack >> 16); t[10] = (uint8_t)(ack >> 8); t[11] = (uint8_t)ack;
	t[12] = 0x50;
	t[13] = flags;
	wr16(t + 14, 64240);
	memcpy(t + 20, data, dlen);
	uint8_t ph[12 + 1600];
	memcpy(ph, b + 12, 8);
	ph[8] = 0; ph[9] = 6;
	wr16(ph + 10, (uint16_t)(20 + dlen));
	memcpy(ph + 12, t, 20 + dlen);
	wr16(t + 16, ip_csum(ph, 12 + 20 + dlen));
	emit(ts, b, n, !dir);
}

static void b64(const char *in, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16 | (uint32_t)(uint8_t)in[i + 1] << 8 | (uint8_t)in[i + 2];
		*out++ = t[v >> 18]; *out++ = t[(v >> 12) & 63]; *out++ = t[(v >> 6) & 63]; *out++ = t[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
		*out++ = t[v >> 18]; *out++ = t[(v >> 12) & 63]; *out++ = '='; *out++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16 | (uint32_t)(uint8_t)in[i + 1] << 8;
		*out++ = t[v >> 18]; *out++ = t[(v >> 12) & 63]; *out++ = t[(v >> 6) & 63]; *out++ = '=';
	}
	*out = 0;
}

/* One leaking HTTP flow; port is unique in the capture. */
static void leak_flow(uint64_t *clock, unsigned i, FILE *man, const char *imei, const char *phone,
		      const char *email)
{
	uint8_t cli[4] = { 192, 168, 77, (uint8_t)(10 + i % 200) };
	uint16_t port = (uint16_t)(20000 + i);
	uint32_t cs = 1000u * i + 7, ss = 5000000u + i;
	char enc[256], body[400], req[1400];
	b64(email, enc);
	int bl = snprintf(body, sizeof body, "{\"v\":1,\"acct\":\"%s\",\"n\":%u}", enc, i);
	int rl = snprintf(req, sizeof req,
		"POST /api/v1/register?imei=%s&seq=%u HTTP/1.1\r\nHost: bench-leak.example.cn\r\n"
		"User-Agent: Dalvik/1.6.0\r\nX-Phone: %s\r\nContent-Type: application/json\r\n"
		"Content-Length: %d\r\n\r\n%s", imei, i, phone, bl, body);
	uint64_t t = *clock;
	tcp_seg(t, 0, cli, port, cs, 0, 0x02, "", 0);
	tcp_seg(t + 20000, 1, cli, port, ss, cs + 1, 0x12, "", 0);
	tcp_seg(t + 20100, 0, cli, port, cs + 1, ss + 1, 0x10, "", 0);
	tcp_seg(t + 20200, 0, cli, port, cs + 1, ss + 1, 0x18, req, (size_t)rl);
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	tcp_seg(t + 40000, 1, cli, port, ss + 1, cs + 1 + (uint32_t)rl, 0x18, resp, strlen(resp));
	tcp_seg(t + 40100, 0, cli, port, cs + 1 + (uint32_t)rl, ss + 1 + (uint32_t)strlen(resp), 0x11, "", 0);
	tcp_seg(t + 60000, 1, cli, port, ss + 1 + (uint32_t)strlen(resp), cs + 2 + (uint32_t)rl, 0x11, "", 0);
	tcp_seg(t + 60100, 0, cli, port, cs + 2 + (uint32_t)rl, ss + 2 + (uint32_t)strlen(resp), 0x10, "", 0);
	*clock = t + 61000;
	fprintf(man, "%u imei url\n%u phone_number header\n%u email body\n", port, port, port);
}

int main(int argc, char **argv)
{
	if (argc < 9) {
		fprintf(stderr, "usage: mkcap OUT.pcap MEGABYTES LEAKS MANIFEST IMEI PHONE EMAIL FILE...\n");
		return 2;
	}
	uint64_t target = strtoull(argv[2], NULL, 10) << 20;
	unsigned leaks = (unsigned)strtoul(argv[3], NULL, 10);
	uint64_t clock = 1700000000ull * 1000000u;
	for (int i = 8; i < argc; i++)
		load(argv[i], &clock);
	if (!npk) { fprintf(stderr, "mkcap: no packets\n"); return 2; }
	uint64_t span = clock - 1700000000ull * 1000000u;
	unsigned copies = (unsigned)((target + in_bytes - 1) / in_bytes);
	if (copies > 1024) copies = 1024;  /* about 37 GB of the shared captures */
	FILE *man = fopen(argv[4], "w");
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535 + 14);
	dump = pcap_dump_open(dead, argv[1]);
	if (!dump || !man) { fprintf(stderr, "mkcap: cannot write %s\n", argv[1]); return 2; }
	uint64_t total = (uint64_t)copies * npk, every = leaks ? total / leaks : total + 1, done = 0;
	unsigned nleak = 0;
	uint64_t lclock = 0;
	static uint8_t buf[65536];
	for (unsigned k = 0; k < copies; k++) {
		uint64_t base = (uint64_t)k * (span + 1000000);
		for (size_t i = 0; i < npk; i++, done++) {
			size_t n = pk[i].len > sizeof buf ? sizeof buf : pk[i].len;
			memcpy(buf, pk[i].l3, n);
			rewrite(buf, n, k);
			uint64_t ts = pk[i].ts + base;
			emit(ts, buf, n, 1);
			if (nleak < leaks && done % every == every - 1) {
				lclock = lclock > ts ? lclock : ts;
				leak_flow(&lclock, nleak++, man, argv[5], argv[6], argv[7]);
			}
		}
	}
	pcap_dump_close(dump);
	fclose(man);
	fprintf(stderr, "mkcap: %s: %u copies of %zu packets, %llu packets, %.1f MB, %u leaking flows\n",
		argv[1], copies, npk, (unsigned long long)out_pkts, out_bytes / 1e6, nleak);
	return 0;
}
