/* rotate.h - the -w copy of a live capture, rotated like tcpdump -C/-G/-W: each packet in
 * exactly one file, each file flushed and closed before the next opens, hashed as written. */
#ifndef PH_ROTATE_H
#define PH_ROTATE_H
#include "report.h"
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

struct rotate_opts {
	const char *path;              /* -w FILE; with -G, strftime(3) conversions */
	uint64_t max_bytes;            /* -C: a file never grows past this (0: no limit) */
	uint64_t every_us;             /* -G: a new file every this much capture time (0: never) */
	size_t count;                  /* -W: with -C a ring of this many files, with -G alone the last */
};

struct rotate;

/* Opens the first file (named for now_us under -G); NULL with errbuf naming it. */
struct rotate *rotate_open(pcap_t *pc, const struct rotate_opts *o, uint64_t now_us, char *errbuf, size_t errlen);
/* Writes one packet, first rotating when it is due. 1 written; 0 not written because -W's
 * last file (-G without -C) is done: the capture stops; -1 with errbuf (a file cannot be opened). */
int rotate_write(struct rotate *r, const struct pcap_pkthdr *h, const u_char *data, char *errbuf, size_t errlen);
/* Every file so far, in capture order (the open one flushed and hashed as it stands);
 * n into *n. Valid until the next call on r. */
const struct report_file *rotate_files(struct rotate *r, size_t *n);
/* Flushes and closes the open file; the list stays readable through rotate_files until
 * rotate_free. -1 with errbuf if the file could not be written completely. */
int rotate_close(struct rotate *r, char *errbuf, size_t errlen);
void rotate_free(struct rotate *r);

#endif
