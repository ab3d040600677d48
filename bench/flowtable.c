/* flowtable.c - a bare 5-tuple flow table: phonehome's decoder, an open-addressing
 * hash of (proto, addresses, ports), packet and byte counts; nothing else. */
#include "decode.h"
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot { uint8_t used, proto; uint16_t sport, dport; uint8_t src[16], dst[16]; uint64_t pkts, bytes; };

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = argc == 2 ? pcap_open_offline(argv[1], err) : NULL;
	if (!pc) { fprintf(stderr, "usage: flowtable FILE\n"); return 2; }
	size_t cap = 1u << 22, flows = 0;
	struct slot *t = calloc(cap, sizeof *t);
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		struct packet p;
		memset(&p, 0, sizeof p);
		if (decode_packet(dlt, d, h->caplen, &p) != DR_OK)
			continue;
		uint32_t x = 2166136261u;
		for (int i = 0; i < 16; i++) x = (x ^ (p.src[i] ^ p.dst[i])) * 16777619u;
		x ^= (uint32_t)(p.sport ^ p.dport) * 2654435761u ^ p.proto;
		size_t i = x & (cap - 1);
		for (;; i = (i + 1) & (cap - 1)) {
			struct slot *s = &t[i];
			if (!s->used) {
				if (flows > cap / 2) break;
				s->used = 1; s->proto = p.proto; s->sport = p.sport; s->dport = p.dport;
				memcpy(s->src, p.src, 16); memcpy(s->dst, p.dst, 16);
				flows++;
			}
			if (s->proto == p.proto &&
			    ((s->sport == p.sport && s->dport == p.dport && !memcmp(s->src, p.src, 16) && !memcmp(s->dst, p.dst, 16)) ||
			     (s->sport == p.dport && s->dport == p.sport && !memcmp(s->src, p.dst, 16) && !memcmp(s->dst, p.src, 16)))) {
				s->pkts++; s->bytes += p.payload_len;
				break;
			}
		}
	}
	printf("%zu flows\n", flows);
	pcap_close(pc);
	free(t);
	return 0;
}
