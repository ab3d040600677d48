/* pcapread.c - the read floor: libpcap reads every record of a capture and does nothing. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = argc == 2 ? pcap_open_offline(argv[1], err) : NULL;
	if (!pc) { fprintf(stderr, "usage: pcapread FILE\n"); return 2; }
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, b = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		n++;
		b += h->caplen;
	}
	printf("%llu packets %llu bytes\n", n, b);
	pcap_close(pc);
	return 0;
}
