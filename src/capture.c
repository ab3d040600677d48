/* capture.c - offline capture input through libpcap: pcap, pcapng, any link type
 * decode.c knows; timestamps kept in microseconds. */
#include "capture.h"
#include "decode.h"
#include "util.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static pcap_t *open_file(const char *path, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!pc) {
		/* libpcap says "unknown file format" for text; keep its words, name the file */
		const char *why = perr;
		if (!strncmp(why, path, strlen(path)) && why[strlen(path)] == ':')
			why += strlen(path) + 2;
		snprintf(errbuf, errlen, "%s: cannot read capture: %s", path, why);
		return NULL;
	}
	int dlt = pcap_datalink(pc);
	if (!decode_dlt_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(errbuf, errlen, "%s: unsupported link type %d (%s)", path, dlt, name ? name : "unknown");
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

int capture_check_file(const char *path, char *errbuf, size_t errlen)
{
	pcap_t *pc = open_file(path, errbuf, errlen);
	if (!pc)
		return -1;
	pcap_close(pc);
	return 0;
}

int capture_read_file(const char *path, capture_fn fn, void *arg, struct report_input *in,
		      volatile int *stop, char *errbuf, size_t errlen)
{
	pcap_t *pc = open_file(path, errbuf, errlen);
	if (!pc)
		return -1;
	int dlt = pcap_datalink(pc);
	in->link_type = decode_dlt_name(dlt);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while (!(stop && *stop) && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		if (!in->packets || ts < in->first_us)
			in->first_us = ts;
		if (ts > in->last_us)
			in->last_us = ts;
		in->packets++;
		in->bytes += h->caplen;
		fn(arg, dlt, ts, data, h->caplen);
	}
	if (!(stop && *stop) && rc == PCAP_ERROR) {
		char w[PCAP_ERRBUF_SIZE + 128];
		snprintf(w, sizeof w, "%s: read stopped after %llu packets: %s", path,
			 (unsigned long long)in->packets, pcap_geterr(pc));
		in->warning = util_xstrdup(w);
	}
	pcap_close(pc);
	if (util_sha256_file(path, in->sha256) < 0)
		snprintf(in->sha256, sizeof in->sha256, "unreadable");
	return 0;
}
