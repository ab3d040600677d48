/* report.h - what an audit found: finished flows, leaks, inputs, counters.
 * Filled by the pipeline, read by the writers (report_json.c, summary.c). */
#ifndef PH_REPORT_H
#define PH_REPORT_H
#include "geo.h"
#include <stddef.h>
#include <stdint.h>

enum report_where { WHERE_URL, WHERE_HEADER, WHERE_BODY, WHERE_PAYLOAD };

struct report_input {
	char *path;
	char sha256[65];
	const char *link_type;
	uint64_t packets, bytes, first_us, last_us;
	char *warning;                 /* e.g. truncated in the middle of a record */
};

struct report_flow {               /* a flow as it ended; side 0 client, side 1 server */
	uint64_t id;
	uint8_t family, proto, dev[2], remote;  /* remote: the side that is not the device */
	uint8_t addr[2][16];
	uint16_t port[2];
	uint64_t first_us, last_us, pkts[2], bytes[2];
	char app_proto[48], category[32], host[256];
	uint8_t host_source, foreign, scanned, truncated;
	uint64_t scan_stopped_at;       /* bytes scanned when reassembly skipped a hole */
	struct geo_info geo;            /* of the remote side */
	uint32_t nleaks;
};

struct report_leak {
	uint64_t flow_id;
	uint8_t dir;                    /* side that sent it: the device */
	uint8_t kind, where, severity;
	uint8_t foreign, encrypted;
	uint32_t value_index;
	uint64_t ts_us;
	char encoding[64];
	char name[64];                  /* header name, or "" */
	char *evidence;                 /* masked, printable */
};

struct report_stats {
	uint64_t packets, bytes, malformed, flows, evicted, expired, flows_peak;
	uint64_t skipped[16];           /* by enum decode_reason */
	uint64_t http_requests, http_bodies_truncated, http_decode_errors, http_parse_errors;
	uint64_t reasm_gaps, reasm_gap_bytes, reasm_ooo, reasm_retrans_bytes, reasm_memcap_drops;
	uint64_t dns_responses, dns_malformed, leaks_dropped, ndpi_unknown;
	uint64_t tls_bytes_skipped, tls_not_tls;  /* ciphertext not inspected; streams that stopped parsing as TLS */
	size_t patterns;
};

struct report {
	struct report_input *inputs; size_t ninputs;
	struct report_flow *flows; size_t nflows, capflows;
	struct report_leak *leaks; size_t nleaks, capleaks;
	char **warnings; size_t nwarnings;
	struct report_stats st;
};

struct report *report_new(void);
void report_free(struct report *r);
struct report_input *report_add_input(struct report *r, const char *path);
struct report_flow *report_add_flow(struct report *r);
struct report_leak *report_add_leak(struct report *r);
void report_warn(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts flows by id and leaks by time, flow and kind: output order never depends on expiry order. */
void report_sort(struct report *r);
/* The flow of a leak (after report_sort), or NULL. */
const struct report_flow *report_flow_by_id(const struct report *r, uint64_t id);
const char *report_where_name(int where);

#endif
