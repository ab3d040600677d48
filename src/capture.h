/* capture.h - capture files through libpcap (pcap and pcapng).
 * Every input is checked before any is read, so a bad one stops the run early. */
#ifndef PH_CAPTURE_H
#define PH_CAPTURE_H
#include "report.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*capture_fn)(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen);

/* Opens path, checks that its link type is supported; -1 with errbuf naming the file. */
int capture_check_file(const char *path, char *errbuf, size_t errlen);
/* The time of path's first packet; -1 when it has none or cannot be read (or is a pipe). */
int capture_first_time(const char *path, uint64_t *ts_us);
/* Reads every record of path into fn and fills in (link type, counts, times, warning, and the
 * SHA-256 of the whole file, taken from the same read). A record cut short ends the file with
 * a warning, not an error. -1 only if it cannot be opened. */
int capture_read_file(const char *path, capture_fn fn, void *arg, struct report_input *in,
		      volatile int *stop, char *errbuf, size_t errlen);

/* A custody hash still being taken (a regular file is hashed by a thread of idle priority). */
struct capture_hash;
/* Starts path's custody hash before its read, so that the hashing thread works while the
 * pipeline is still being set up; NULL when it cannot be opened (the read then says why). */
struct capture_hash *capture_hash_start(const char *path);
/* Stops and frees a hash that is no longer wanted (its file was never read). */
void capture_hash_abandon(struct capture_hash *h);
/* As capture_read_file, but the hash may still be running on return: *pending gets it, for
 * capture_hash_finish once the hash is needed (the workers' ends can run beside it). A hash
 * capture_hash_start gave for this path may be passed in *pending; the call takes it over. */
int capture_read_file_async(const char *path, capture_fn fn, void *arg, struct report_input *in,
			    volatile int *stop, struct capture_hash **pending, char *errbuf, size_t errlen);
/* Waits for the hash and writes it into in (the same input, wherever it is now), with a
 * warning if the file changed while read; 1 when that warning was added. Frees h. */
int capture_hash_finish(struct capture_hash *h, struct report_input *in);

struct capture_live;

struct capture_live_opts {
	const char *iface;
	const char *filter;            /* BPF, or NULL */
	int promisc;
	const char *write_path;        /* -w: raw capture copy, or NULL */
	uint64_t max_bytes;            /* -C: rotate before a file passes this many bytes; 0 never */
	uint64_t every_us;             /* -G: rotate every this much capture time; 0 never */
	size_t count;                  /* -W: a ring of files (-C), or the last file (-G alone) */
};

struct capture_live_stats {
	uint64_t received, dropped, if_dropped;  /* pcap_stats */
	uint64_t first_us, last_us;    /* times of the first and last packet handed over */
};

/* Opens an interface for live capture (full snaplen, non-blocking), with its filter; the -w
 * file is opened by capture_live_write_open. NULL with errbuf naming the interface or filter. */
struct capture_live *capture_live_open(const struct capture_live_opts *o, char *errbuf, size_t errlen);
/* Opens the -w file, the first of a rotated set (nothing without o->write_path): called once
 * root is dropped, so that every file of a -C/-G set belongs to the -Z user, as tcpdump creates
 * its files, and -W can remove the oldest one in a sticky directory such as /tmp. -1 with
 * errbuf naming the file. */
int capture_live_write_open(struct capture_live *c, const struct capture_live_opts *o, char *errbuf, size_t errlen);
/* A descriptor to poll(2) for readability. */
int capture_live_fd(const struct capture_live *c);
/* Hands every waiting packet to fn (and to the -w file); returns the count or -1
 * (the interface is gone, or a -w file failed: capture_live_error says which). */
int capture_live_dispatch(struct capture_live *c, capture_fn fn, void *arg, int max);
/* 1 once -W's last -G file is done: the capture is to stop. */
int capture_live_done(const struct capture_live *c);
/* Why a -w file stopped the capture, or NULL. */
const char *capture_live_error(const struct capture_live *c);
/* The -w files so far in capture order (the open one flushed and hashed as it stands). */
const struct report_file *capture_live_files(struct capture_live *c, size_t *n);
int capture_live_link_type(const struct capture_live *c);
void capture_live_stats(struct capture_live *c, struct capture_live_stats *st);
/* Stops capturing; the -w file is flushed and closed, its list stays readable until
 * capture_live_free. -1 with errbuf if the file could not be finished. */
int capture_live_close(struct capture_live *c, char *errbuf, size_t errlen);
void capture_live_free(struct capture_live *c);
/* Prints the interfaces libpcap can capture on; -1 with errbuf on failure. */
int capture_list_interfaces(FILE *out, char *errbuf, size_t errlen);

#endif
