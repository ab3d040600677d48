/* live.h - the live audit loop on an interface: poll, dispatch, stop conditions,
 * and what a tester watches (one line per new leak or device, a status line). */
#ifndef PH_LIVE_H
#define PH_LIVE_H
#include "audit.h"
#include "capture.h"
#include <stdint.h>

struct live_opts {
	double duration_s;             /* 0: until stopped */
	uint64_t count;                /* packets; 0: no limit */
	int quiet;                     /* no leak lines, no status line */
	int color;                     /* ANSI colours on the leak lines */
	int status_tty;                /* status line redrawn in place (stderr is a terminal) */
};

struct live_signals {              /* set by main.c's signal handlers */
	volatile int *stop;
	volatile int *hup;
};

/* Runs until a stop condition; calls interim(arg) on SIGHUP. Returns 0, or -1 with errbuf
 * when the capture fails (the audit so far stays valid and is reported). */
int live_run(struct audit *a, struct capture_live *c, const struct live_opts *o, struct live_signals sig,
	     void (*interim)(void *arg), void *arg, char *errbuf, size_t errlen);
/* Hooks the leak and device printers into the audit (before live_run). */
void live_attach(struct audit *a, const struct live_opts *o);

#endif
