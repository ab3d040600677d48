/* capture_ng.h - pcapng files whose interfaces have different link types (dumpcap -i wlan0
 * -i wwan0), which libpcap refuses: each packet read with its own interface's link type. */
#ifndef PH_CAPTURE_NG_H
#define PH_CAPTURE_NG_H
#include "capture.h"
#include <stdio.h>

/* 1 when fp, at its start, is a pcapng whose interfaces declared before its first packet do not
 * all share one link type; 0 otherwise (not pcapng, one link type, unreadable). */
int capture_ng_mixed(FILE *fp);
/* Reads every packet of the pcapng fp into fn, each with its interface's link type; fills in's
 * link type ("EN10MB+RAW"), counts and times. Packets of an interface whose link type is not
 * read are counted in a warning; a damaged block ends the read with a warning. */
void capture_ng_read(FILE *fp, const char *path, capture_fn fn, void *arg, struct report_input *in,
		     volatile int *stop);

#endif
