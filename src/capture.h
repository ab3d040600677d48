/* capture.h - capture files through libpcap (pcap and pcapng).
 * Every input is checked before any is read, so a bad one stops the run early. */
#ifndef PH_CAPTURE_H
#define PH_CAPTURE_H
#include "report.h"
#include <stddef.h>
#include <stdint.h>

typedef void (*capture_fn)(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen);

/* Opens path, checks that its link type is supported; -1 with errbuf naming the file. */
int capture_check_file(const char *path, char *errbuf, size_t errlen);
/* Reads every record of path into fn and fills in (link type, counts, times, warning).
 * A record cut short ends the file with a warning, not an error. -1 only if it cannot be opened. */
int capture_read_file(const char *path, capture_fn fn, void *arg, struct report_input *in,
		      volatile int *stop, char *errbuf, size_t errlen);

#endif
