/* audit.h - the per-packet pipeline: decode -> flow -> classify -> dns -> scan,
 * and at flow end: geo and policy; results go to a struct report. */
#ifndef PH_AUDIT_H
#define PH_AUDIT_H
#include "accept.h"
#include "policy.h"
#include "report.h"
#include "scan.h"
#include "devices.h"
#include <stddef.h>
#include <stdint.h>

struct audit_opts {
	const char *identity_path;     /* NULL: flows only */
	const char *geoip_path, *asn_path;
	const char *protos_path;       /* nDPI host rules */
	const char *rules_path;        /* detector rules (file or directory), NULL: none */
	size_t max_flows;
	size_t max_reassembly;         /* out-of-order bytes per TCP direction; 0: PH_REASM_MAX_OOO_BYTES */
	size_t max_report_flows;       /* flows without leaks listed; 0: all */
	int spill;                     /* ended flows to temporary files (report_spill.c): phonehome always */
	int no_events;                 /* HTTP and DNS events not kept: no output wants them */
	const char *keylog_paths[16];  /* --keylog: NSS key log files, to decrypt TLS */
	const char *accept_paths[16];  /* --accept: accepted findings (accept.c) */
	size_t naccept;
	size_t nkeylog;
	const char *const *inputs;     /* capture files: secrets in their pcapng Decryption Secrets Blocks are used too */
	size_t ninputs;
	int show_identifiers;
	int eve_no_alerts;             /* --eve-alerts no: no EVE alert record per leak */
	struct policy policy;
	const char *command_line;      /* as typed, shell-quoted (chain of custody) */
	int64_t analysis_time;         /* wall clock of the run, or SOURCE_DATE_EPOCH */
	size_t workers;                /* pipelines the flows were sharded over (--threads); 1 live */
	const char *apps[64];          /* --app: only these apps' flows (package, name or uid) */
	size_t napps;
	const char *apps_csv;          /* --apps: PCAPdroid's connections CSV for a plain capture */
};

/* Flows from a global address that no device rule covered: not scanned, counted for a warning. */
struct audit_unscanned {
	uint64_t flows, pkts, bytes;   /* bytes: TCP/UDP payload, both ways */
	uint8_t (*addr)[17];           /* distinct client addresses (family, address): hash slots, family 0 empty */
	size_t naddr;
	uint8_t full;                  /* more than PH_MAX_UNSCANNED_ADDRS of them */
};

/* A source of TLS secrets the run read (custody): a key log file, or an input's decryption secrets. */
struct audit_keylog {
	char *path;
	const char *source;            /* "--keylog", "pcapng decryption secrets", "beside input (PCAPdroid)" */
	char sha256[65];               /* a key log file's; "" for an input (hashed as an input) */
	size_t dsbs, dsbs_malformed, secrets;  /* an input's decryption secrets blocks */
};

struct audit {
	struct audit_opts o;
	struct flow_table *ft;
	struct classifier *cls;
	struct mask *mask;             /* the HTML/Markdown/EVE writers' masker (report_dir.c), or NULL */
	struct dnscache *dns;
	struct geo *geo;
	struct identity *id;
	struct matcher *m;
	struct rules *rules;           /* detector rules (rules.c), or NULL */
	struct scan_ctx sc;
	struct report *rep;
	struct accept acc;              /* --accept entries (empty without); a shard has none */
	struct devices *devs;          /* who is on the LAN (DHCP, ARP, NDP) */
	struct apps *apps;             /* which app sent what (app.c); the reader's, NULL in a shard */
	size_t apps_input;             /* inputs begun in apps (the report's count when it changes) */
	struct audit_keylog *keylogs;  /* where the TLS secrets came from */
	size_t nkeylogs;
	void (*on_device)(void *arg, const struct device *d);  /* a device appeared or changed */
	void *device_arg;
	uint64_t frames_mac, frames_nomac;  /* IP frames with and without the sender's MAC */
	struct audit_unscanned unscanned;
	size_t unscanned_warning;      /* 1 + index of its warning in rep->warnings, 0 none */
	size_t max_report_flows;
	uint64_t unlisted_flows;       /* ended beyond max_report_flows, without leaks */
	uint64_t truncated_flows, first_truncated, first_truncated_at;  /* scans stopped early */
	int shard;                     /* one of several (shard.c): identity and rules are borrowed */
	int learn_only;                /* DNS answers of another shard's flow: names only */
	int drained;                   /* audit_drain ran (shard_finish runs it on the merged audit) */
};

/* How devices under test were told ("option", "link-layer", "address-ranges", "mixed") and why. */
const char *audit_device_method(const struct audit *a, const char **reason);
/* Opens every subsystem; -1 with errbuf naming the file at fault. */
int audit_open(struct audit *a, const struct audit_opts *o, char *errbuf, size_t errlen);
/* One captured frame of link type dlt: audit_decode, then audit_ip. */
void audit_packet(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen);
/* Counts and decodes a frame (numbering it), learns devices from it; 1 when p is a TCP/UDP
 * packet for audit_ip, 0 when it was skipped (counted by reason). */
int audit_decode(struct audit *a, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen, struct packet *p);
/* The flow stages for a decoded packet: flow, nDPI, DNS names, scan of what devices send. */
void audit_ip(struct audit *a, const struct packet *p);
/* Only the DNS names in p (a response that belongs to another shard's flow). */
void audit_learn_names(struct audit *a, const struct packet *p);
/* End of input: ends every flow, fills stats and severities, sorts the report
 * (audit_drain, then audit_conclude). */
void audit_finish(struct audit *a);
/* Ends every flow and fills the stats of a's own report. */
void audit_drain(struct audit *a);
/* Ends the flows idle at ts_us (as audit_ip does before each packet): shard.c gives every
 * worker the sweeps one pipeline would make, where they would make them. */
void audit_sweep(struct audit *a, uint64_t ts_us);
/* Moves a drained shard's report into a's. */
void audit_merge(struct audit *a, struct audit *shard);
/* Warnings, sorting and severities of the whole run's report. */
void audit_conclude(struct audit *a);
/* A shard of a (opened with audit_open) for a worker thread: shares a's identity, rules and
 * compiled patterns; has its own nDPI, flow table (1/nshards of the caps), geo cache, report. */
int audit_open_shard(struct audit *s, const struct audit *a, size_t nshards, struct classifier *cls,
		     char *errbuf, size_t errlen);
void audit_close(struct audit *a);
/* Frees what a drained audit no longer needs (flows, nDPI, geo, matcher); the report stays. */
void audit_release(struct audit *a);
/* A report of the run so far (live flows included) for an interim report; the live
 * audit is untouched. Free with audit_snapshot_free. */
int audit_snapshot(struct audit *a, struct report *snap);
void audit_snapshot_free(struct report *snap);

#endif
