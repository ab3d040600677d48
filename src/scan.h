/* scan.h - the match stage: what a device sends (reassembled TCP streams, UDP
 * datagrams, HTTP units) goes through the identifier matcher; hits become leaks. */
#ifndef PH_SCAN_H
#define PH_SCAN_H
#include "decode.h"
#include "flow.h"
#include "http.h"
#include "reasm.h"
#include "report.h"

struct matcher;
struct identity;

struct scan_pending;

struct scan_ctx {                  /* one per run */
	struct matcher *m;             /* NULL: no identity, nothing is scanned */
	const struct identity *id;
	struct report *rep;
	struct reasm_ctx rc;
	struct http_stats hs;
	int show_identifiers;          /* evidence unmasked (--show-identifiers) */
	uint64_t now_us;               /* time of the packet being processed */
	struct scan_pending *pend;     /* hits of the current scan, turned into leaks after it */
};

void scan_init(struct scan_ctx *s, struct matcher *m, const struct identity *id, struct report *rep);
void scan_free(struct scan_ctx *s);
/* A TCP segment sent by side dir of f (a device). */
void scan_tcp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* A UDP datagram sent by side dir of f (a device). */
void scan_udp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* Flow end: deliver what reassembly still holds, finish HTTP, free the state. */
void scan_finish(struct scan_ctx *s, struct flow *f);

#endif
