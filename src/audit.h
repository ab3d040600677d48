/* audit.h - the per-packet pipeline: decode -> flow -> classify -> dns -> scan,
 * and at flow end: geo and policy; results go to a struct report. */
#ifndef PH_AUDIT_H
#define PH_AUDIT_H
#include "policy.h"
#include "report.h"
#include "scan.h"
#include <stddef.h>
#include <stdint.h>

struct audit_opts {
	const char *identity_path;     /* NULL: flows only */
	const char *geoip_path, *asn_path;
	const char *protos_path;       /* nDPI host rules */
	size_t max_flows;
	int show_identifiers;
	struct policy policy;
};

struct audit {
	struct audit_opts o;
	struct flow_table *ft;
	struct classifier *cls;
	struct dnscache *dns;
	struct geo *geo;
	struct identity *id;
	struct matcher *m;
	struct scan_ctx sc;
	struct report *rep;
};

/* Opens every subsystem; -1 with errbuf naming the file at fault. */
int audit_open(struct audit *a, const struct audit_opts *o, char *errbuf, size_t errlen);
/* One captured frame of link type dlt. */
void audit_packet(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen);
/* End of input: ends every flow, fills stats and severities, sorts the report. */
void audit_finish(struct audit *a);
void audit_close(struct audit *a);

#endif
