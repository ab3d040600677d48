/* classify.h - application protocol detection with nDPI 4.2.
 * Fed both directions of a flow until nDPI decides or PH_NDPI_MAX_PACKETS. */
#ifndef PH_CLASSIFY_H
#define PH_CLASSIFY_H
#include "decode.h"
#include "flow.h"
#include <stddef.h>

struct classifier;
struct classify_stats { uint64_t detected, guessed, unknown, packets_fed; };

/* protos_file: nDPI custom protocols file (host rules), or NULL. */
struct classifier *classify_open(const char *protos_file, char *errbuf, size_t errlen);
void classify_free(struct classifier *c);
/* Feeds pkt to nDPI while the flow is undecided; fills f->app_proto, category, host. */
void classify_packet(struct classifier *c, struct flow *f, const struct packet *p);
/* Flow end: gives up (with guessing) if still undecided and frees nDPI's state. */
void classify_finish(struct classifier *c, struct flow *f);
const struct classify_stats *classify_stats(const struct classifier *c);

#endif
