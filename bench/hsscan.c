/* hsscan.c - the matcher floor: phonehome's decoder and Hyperscan database of every
 * identifier variant, one block scan per TCP/UDP payload; no flows, no reassembly. */
#include "decode.h"
#include "identity.h"
#include "match.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static void on_hit(void *arg, const struct match_hit *h)
{
	(void)h;
	(*(unsigned long long *)arg)++;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE > 1024 ? PCAP_ERRBUF_SIZE : 1024];
	struct identity *id;
	if (argc != 3) { fprintf(stderr, "usage: hsscan IDENTITY FILE\n"); return 2; }
	if (identity_load(argv[1], &id, err, sizeof err) < 0) { fprintf(stderr, "%s\n", err); return 2; }
	struct matcher *m = match_compile(id, err, sizeof err);
	pcap_t *pc = m ? pcap_open_offline(argv[2], err) : NULL;
	if (!pc) { fprintf(stderr, "%s\n", err); return 2; }
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long hits = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		struct packet p;
		memset(&p, 0, sizeof p);
		if (decode_packet(dlt, d, h->caplen, &p) == DR_OK && p.payload_len)
			match_scan(m, p.payload, p.payload_len, on_hit, &hits);
	}
	printf("%zu patterns, %llu hits\n", match_pattern_count(m), hits);
	pcap_close(pc);
	match_free(m);
	identity_free(id);
	return 0;
}
