/* report.h - what an audit found: finished flows, leaks, inputs, counters.
 * Filled by the pipeline, read by the writers (report_json.c, summary.c). */
#ifndef PH_REPORT_H
#define PH_REPORT_H
#include "app.h"
#include "geo.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum report_where { WHERE_URL, WHERE_HEADER, WHERE_BODY, WHERE_PAYLOAD, WHERE_DNS, WHERE_WEBSOCKET, WHERE_MQTT, WHERE_XMPP };

/* Whose data a leak is: the phone and its user, someone else (contacts, SMS senders, a number
 * or address that is not the phone's own), or unknown (no identity file to tell). */
enum report_subject { SUBJECT_UNKNOWN, SUBJECT_DEVICE, SUBJECT_THIRD_PARTY, SUBJECT__COUNT };

struct report_file {               /* a -w file of a live input (rotate.c) */
	char *path;
	char sha256[65];
	uint64_t packets, bytes, size;  /* bytes: captured, like an input's; size: of the file */
	int overwritten;               /* removed by the -W ring */
};

struct report_input {
	char *path;
	char sha256[65];
	const char *link_type;
	const char *compression;       /* "gzip", "zstd", NULL: the file as it is */
	uint64_t packets, bytes, first_us, last_us;
	char *warning;                 /* e.g. truncated in the middle of a record */
	struct report_file *files;     /* live input: the -w files, in capture order; re-read */
	size_t nfiles;                 /* by the evidence pass */
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
	uint8_t tls_keys;               /* --keylog: enum tls_keys (decrypted, no key, failed), 0 not TLS */
	uint8_t closed, end_reason;     /* FIN both ways or RST; enum flow_end_reason */
	uint16_t tls_version;           /* as nDPI saw it negotiated (0x0304), 0 unknown */
	int32_t app_uid;                /* the app of the flow's first attributed packet (app.c) */
	uint8_t app_source;             /* enum app_source, 0: no app known */
	uint8_t app_hint_origin;        /* the flow's hint (flow.h), resolved in audit_conclude */
	char app_hint[APP_HINT_MAX];
	uint32_t quic_version;          /* QUIC: the version of its long headers, 0 not QUIC */
};

struct report_leak {
	uint64_t flow_id;
	uint8_t dir;                    /* side that sent it: the device */
	uint8_t kind, where, severity;
	uint8_t foreign, encrypted;
	uint32_t value_index;
	uint64_t ts_us;
	const char *encoding;           /* interned (intern.c), "" when none: never NULL */
	const char *name;               /* header name, or ""; interned */
	char *evidence;                 /* masked, printable */
	uint8_t suspected;              /* found by a detector rule, not an identity value */
	const char *key;                /* key path the value sat under ("imei", "deviceInfo.id"), or ""; interned */
	char found[64];                 /* suspected: the value as found (masked when written) */
	const char *rule_id;            /* suspected: the rule (owned by the rule set), else NULL */
	const char *rule_desc;
	const char *rule_sev;
	uint8_t decrypted;              /* found inside TLS decrypted with a key log */
	const char *tls_version;        /* decrypted: "TLSv1.3", "TLSv1.2"; else "" */
	const char *cipher;             /* decrypted: IANA cipher suite name (static), else "" */
	const char *transport;          /* decrypted: "tls" or "quic"; else "" */
	uint32_t quic_version;          /* decrypted from QUIC: its version */
	uint8_t subject;                /* enum report_subject */
	uint32_t msg;                   /* message of its flow direction it was in (HTTP request, stream piece, datagram) */
	uint32_t finding;               /* its finding's id (findings.c, after the merge), 0 before */
	uint32_t accepted;              /* 1 + index of the --accept entry that accepted it (accept.c), 0 none */
};

struct report_finding {            /* the hits of one kind and subject in one message */
	uint32_t id;                    /* from 1, in order of the first hit in the sorted leaks */
	uint8_t kind, subject, severity;/* severity: the highest of its hits */
	uint8_t foreign, encrypted, decrypted;  /* any hit */
	uint64_t flow_id, ts_us;        /* flow and time of the first hit */
	uint8_t dir;
	uint32_t count;                 /* distinct identifiers (a contact's name and number are one) */
	uint32_t confirmed;             /* of which identity-file values (the tester's canaries) */
	size_t first, n;                /* its hits: report.fidx[first .. first+n), leak indices, confirmed first */
	uint8_t accepted;               /* every hit accepted (--accept): out of the verdict */
};

struct report_stats {
	uint64_t packets, bytes, malformed, flows, evicted, expired, flows_peak;
	uint64_t skipped[16];           /* by enum decode_reason */
	uint64_t http_requests, http_bodies_truncated, http_decode_errors, http_parse_errors;
	uint64_t reasm_gaps, reasm_gap_bytes, reasm_ooo, reasm_retrans_bytes, reasm_memcap_drops;
	uint64_t dns_responses, dns_malformed, leaks_dropped, ndpi_unknown;
	uint64_t tls_bytes_skipped, tls_not_tls;
	uint64_t tls_decrypted_flows, tls_nokey_flows, tls_failed_flows;  /* --keylog: flows decrypted, without a key, failing authentication */
	uint64_t tls_records_decrypted, tls_records_failed, tls_bytes_decrypted, tls_key_updates;
	uint64_t quic_flows, quic_packets_decrypted, quic_packets_failed, quic_bytes_decrypted, quic_key_updates;
	uint64_t quic_stream_bytes_dropped;  /* QUIC streams beyond the caps, not scanned */
	uint64_t quic_h3_server_settings;    /* HTTP/3 connections whose server SETTINGS were read */
	uint64_t quic_h3_qpack_assumed;      /* HTTP/3 request decoders sized PH_H3_QPACK_MAX_TABLE, not by SETTINGS */
	uint64_t kernel_dropped;       /* live capture: pcap_stats drops */
	uint64_t spill_bytes;          /* ended flows written to temporary files (report_spill.c) */
	uint8_t live;                  /* a live capture: kernel_dropped is reported */
	size_t patterns;
};

#define REPORT_MAX_EVENTS 65536   /* HTTP requests and DNS answers kept for EVE output, each */

struct report_http {               /* one HTTP request a device sent (EVE "http") */
	uint64_t flow_id, ts_us, seq;      /* seq: order of discovery, within the flow's shard */
	char method[16], host[256], uri[256], user_agent[256];  /* as sent, unmasked */
	char protocol[9];               /* "HTTP/1.1", "HTTP/2", or "" */
	int16_t status;                 /* the response's status, 0 when not seen */
	int64_t length;                 /* its Content-Length, -1 when not seen */
};

enum report_dns_type { REPORT_DNS_QUERY, REPORT_DNS_ANSWER };

struct report_dns {                /* one DNS query, or one A/AAAA answer of a response (EVE "dns") */
	uint64_t flow_id, ts_us, seq;
	uint32_t ttl;
	uint16_t id, qtype;            /* message id; the question's type */
	uint8_t type, rcode;           /* enum report_dns_type; response code */
	uint8_t family, addr[16];      /* family 0: a query, or a response without A/AAAA answers */
	char rrname[256];              /* the question name */
};

struct report {
	struct report_input *inputs; size_t ninputs;
	struct report_http *http; size_t nhttp, caphttp;
	struct report_dns *dns; size_t ndns, capdns;
	uint64_t events_dropped;        /* beyond REPORT_MAX_EVENTS */
	int no_events;                  /* no output wants HTTP and DNS events (no --eve, no -o): none kept */
	uint64_t dns_flow, dns_ts;      /* the packet report_dns_begin named */
	uint16_t dns_id, dns_qtype;     /* and the message report_dns_head named */
	uint8_t dns_rcode;
	struct report_flow *flows; size_t nflows, capflows;
	struct report_leak *leaks; size_t nleaks, capleaks;
	char **warnings; size_t nwarnings;
	struct report_stats st;
	struct report_spill *spill;     /* ended flows out of memory (report_spill.c), or NULL */
	FILE *leaks_out;                /* ended flows with leaks, and their leaks (report_offload.c), or NULL */
	uint64_t nleaks_out;            /* leaks in leaks_out */
	size_t offload_mark, offload_every;  /* nleaks after the last offload; leaks between two */
	char offload_err[128];          /* a write or read error there, "" none */
	int keep_on_error;              /* live: a temporary file that cannot be written leaves its
					 * flows and leaks in memory, said in disk_note, not an error */
	char disk_note[320];            /* that, "" none */
	uint64_t max_quiet;             /* flows without leaks listed (--max-report-flows), 0 all */
	uint64_t quiet_cut;             /* spilled: flows without leaks after this id are not listed, 0 none cut */
	uint8_t apps_late;              /* apps learnt (audit_app_late): flows read back get their CSV row or hint, --app */
	struct report_finding *findings; size_t nfindings;  /* built by findings_build after the merge */
	size_t *fidx;                   /* leak indices of the findings' hits, finding by finding */
	const struct apps *apps;        /* app names and counters (app.c), owned by the audit; or NULL */
};

struct report *report_new(void);
/* While spilling (report_offload.c): every PH_LEAKS_OFFLOAD new leaks, the ended flows with
 * leaks (those in r->flows) and their leaks to a temporary file; report_sort reloads them. */
void report_offload(struct report *r);
void report_offload_reload(struct report *r);
/* For a snapshot of a run still going (SIGHUP's interim report): the run's offloaded flows and
 * leaks added to snap, a copy of it whose leaks_out this clears; the run writes on as before. */
void report_offload_copy(const struct report *live, struct report *snap);
void report_free(struct report *r);
struct report_input *report_add_input(struct report *r, const char *path);
/* A live input's -w files (copied), replacing those it had; and freeing them. */
void report_input_set_files(struct report_input *in, const struct report_file *f, size_t n);
void report_input_files_free(struct report_input *in);
struct report_flow *report_add_flow(struct report *r);
struct report_leak *report_add_leak(struct report *r);
void report_warn(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts flows by id, leaks by time, flow and kind, events by time and flow: output order
 * never depends on expiry order or on how flows were sharded. Events beyond
 * REPORT_MAX_EVENTS (from merged shards) are dropped here, the latest first. */
void report_sort(struct report *r);
/* Moves src's flows, leaks, events and warnings into dst and adds up its counters; src is
 * left empty (its inputs stay). Sorted arrays stay sorted: src is sorted first, then merged. */
void report_merge(struct report *dst, struct report *src);
/* The flow of a leak (after report_sort), or NULL. */
const struct report_flow *report_flow_by_id(const struct report *r, uint64_t id);
const char *report_where_name(int where);
/* Whose data l is (enum report_subject); "device", "third_party" or NULL (unknown) by name. */
enum report_subject report_leak_subject(const struct report_leak *l);
const char *report_subject_name(int subject);
/* An HTTP request (scan.c, when its headers are complete); NULL when beyond REPORT_MAX_EVENTS. */
struct report_http *report_add_http(struct report *r, uint64_t flow_id, uint64_t ts_us, const char *method, const char *host,
		     const char *uri, const char *user_agent);
/* A response on flow_id: its status and length go to the flow's oldest request without one. */
void report_http_response(struct report *r, uint64_t flow_id, int status, int64_t length);
/* The flow and time of the packet whose DNS answers follow (audit.c, per packet: two stores). */
void report_dns_begin(struct report *r, uint64_t flow_id, uint64_t ts_us);
/* The DNS message of that packet: id, question type and response code (audit.c, per DNS message). */
void report_dns_head(struct report *r, uint16_t id, uint16_t qtype, uint8_t rcode);
/* One record of that message: a query (family 0), a response without A/AAAA answers (family 0),
 * or one answer, rrname resolved to addr for ttl seconds. */
void report_add_dns(struct report *r, int type, const char *rrname, int family, const uint8_t *addr, uint32_t ttl);

/* Spilling (report_spill.c): ended flows without leaks or events leave memory in sorted runs
 * in an unlinked temporary file in $TMPDIR (default /tmp); r->flows keeps the others. Readers
 * that need every flow walk them in id order with report_flows_begin/next/end. */
int report_spill_open(struct report *r, char *errbuf, size_t errlen);
void report_spill_free(struct report *r);
/* Flow flow_id has an HTTP or DNS event (its record stays in memory, for report_flow_by_id). */
void report_spill_note_event(struct report *r, uint64_t flow_id);
/* 1 when a flow ending now must stay in r->flows: no spill, or it has events. */
int report_spill_keeps(const struct report *r, uint64_t flow_id);
/* A copy of f to the spill (r->spill set). */
void report_spill_flow(struct report *r, const struct report_flow *f);
/* The batch still in memory becomes a run (report_sort does it). */
void report_spill_seal(struct report *r);
/* src's runs move to dst (report_merge does it). */
void report_spill_merge(struct report *dst, struct report *src);
/* A package that spilled flows without an app name as a hint (audit_app_late resolves them
 * without a CSV): the first such flow by id, its hint's origin, and how many there are. */
struct report_hint {
	uint64_t first, n;
	uint8_t origin;
	char hint[APP_HINT_MAX];
};
/* The hints' packages in order of their first flow: 0, or -1 when there were more than
 * PH_SPILL_HINTS packages (then only a walk of every flow says). */
int report_spill_hints(struct report *r, const struct report_hint **out, size_t *n);
/* The first write error ("...: No space left on device"), or NULL; with keep_on_error, NULL:
 * the flows and leaks stayed in memory and disk_note says so. */
const char *report_spill_error(const struct report *r);
uint64_t report_spill_count(const struct report *r);
uint64_t report_spill_quiet(const struct report *r);
/* Every listed flow, in id order (r->flows and the runs merged; quiet_cut and, once apps_late,
 * --apps and --app applied): the flow is the iterator's, valid until the next call. */
struct report_iter *report_flows_begin(const struct report *r);
const struct report_flow *report_flows_next(struct report_iter *it);
void report_flows_end(struct report_iter *it);
/* How many flows report_flows_next gives, at most (--app may leave some out). */
size_t report_nflows(const struct report *r);
/* The id of the max_quiet-th flow without leaks, in id order: quiet_cut for --max-report-flows. */
uint64_t report_spill_cut(const struct report *r, uint64_t max_quiet);
/* The flow of an event (report_flow_by_id), NULL when it is not listed (beyond quiet_cut). */
const struct report_flow *report_flow_listed(const struct report *r, uint64_t id);
/* Flows re-ordered by (first_us or last_us, id) for a writer (EVE's time order): a report of
 * its own whose runs go to another unlinked file; NULL with errbuf when it cannot be made.
 * Add flows with report_spill_flow, then walk them once: report_order_begin gives an iterator
 * that frees the report with report_flows_end, or NULL (and frees it) after a write error. */
struct report *report_order_new(int by_first, char *errbuf, size_t errlen);
struct report_iter *report_order_begin(struct report *o);

#endif
