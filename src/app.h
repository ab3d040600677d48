/* app.h - which Android app sent a packet, from the capture formats that say so: PCAPdroid's pcap
 * trailer and pcapng Custom Blocks (PEN 62652), the NFULA_UID attribute of DLT_NFLOG, PCAPdroid's
 * connections CSV (--apps), and hints from what the app itself sends (X-Requested-With, ...). */
#ifndef PH_APP_H
#define PH_APP_H
#include <stddef.h>
#include <stdint.h>

struct packet;

enum app_source { APP_SRC_NONE, APP_SRC_PCAPDROID, APP_SRC_NFLOG, APP_SRC_CSV, APP_SRC_HINT };

#define APP_TRAILER_LEN 32             /* magic, uid, 20-byte name, CRC-32 */
#define APP_TRAILER_MAGIC 0x01072021u
#define APP_PEN_PCAPDROID 62652u       /* PCAPdroid's IANA enterprise number */
#define APP_NAME_MAX 64
#define APP_PACKAGE_MAX 128
#define APP_HINT_MAX 64                /* a package name taken from traffic, kept in the flow */

/* Result of a parser: found, absent, or there but broken (counted by the caller). */
enum app_parse { APP_ABSENT = 0, APP_FOUND = 1, APP_TRUNCATED = -1, APP_INVALID = -2 };

/* PCAPdroid's trailer in an Ethernet frame (p, len) whose IP packet ends at ip_end: the last 32
 * bytes (after padding to 4). *uid and name (21 bytes) on APP_FOUND; APP_INVALID for a bad CRC. */
enum app_parse app_trailer_parse(const uint8_t *p, size_t len, size_t ip_end, int32_t *uid, char name[21]);
/* The body of a pcapng Custom Block after its PEN (version, type, uid, lengths, names), in the
 * section's byte order (big != 0): a PCAPdroid uid mapping. */
enum app_parse app_custom_block_parse(const uint8_t *p, size_t len, int big, int32_t *uid,
				      char pkg[APP_PACKAGE_MAX], char name[APP_NAME_MAX]);
/* A packet comment "u-<uid>" (PCAPdroid pcapng); APP_ABSENT for any other comment. */
enum app_parse app_comment_uid(const uint8_t *p, size_t len, int32_t *uid);
/* DLT_NFLOG (4-byte header, then TLVs with host-order lengths and types): the payload and,
 * when present, NFULA_UID (*has_uid). APP_TRUNCATED when a TLV runs off the frame, APP_ABSENT
 * when there is no payload. */
enum app_parse app_nflog_parse(const uint8_t *p, size_t len, const uint8_t **payload, size_t *plen,
			       int32_t *uid, int *has_uid);
/* The name Android gives its fixed uids (0 root, 1000 Android system, ...), or NULL. */
const char *app_fixed_name(int32_t uid);

/* What the run knows about apps: names by uid and source, pcapng frame -> uid maps, counters. */
struct apps;

struct app_info {
	int32_t uid;
	uint8_t source;                /* enum app_source */
	char package[APP_PACKAGE_MAX];  /* "" when the format does not say */
	char name[APP_NAME_MAX];        /* "" when unknown */
	uint8_t hint;                  /* APP_SRC_HINT: where the name was found (app_hint_origin_name) */
};

struct app_stats {
	uint64_t trailers;             /* frames with a valid PCAPdroid trailer */
	uint64_t trailers_malformed;   /* PCAPdroid-style frames with bytes after the IP packet that are no trailer */
	uint64_t custom_blocks;        /* PCAPdroid uid mappings read from pcapng */
	uint64_t custom_blocks_malformed;
	uint64_t comments;             /* pcapng packets with a u-<uid> comment */
	uint64_t nflog_uids;           /* NFLOG packets with NFULA_UID */
	uint64_t nflog_no_uid;         /* NFLOG packets without it */
	uint64_t attributed;           /* packets given an app */
	uint64_t csv_rows;             /* --apps: connection rows read */
	uint64_t csv_matched;          /* rows that matched a flow */
	uint64_t csv_unmatched;        /* rows that matched none */
	uint64_t hint_flows;           /* flows named by a hint (no capture format said) */
};

struct apps *apps_new(void);
void apps_free(struct apps *a);
/* A new capture file begins (path, NULL for a live capture): its pcapng blocks are read
 * beside libpcap for the Custom Blocks and packet comments. */
void apps_begin_input(struct apps *a, const char *path);
/* The app of one frame of the current input (its link type dlt, decoded into p, decode result
 * ok): sets p->app_uid and p->app_source. Called for every frame, in file order. */
void apps_frame(struct apps *a, int dlt, const uint8_t *bytes, size_t caplen, struct packet *p, int ok);
/* Name and package of (uid, source), or NULL when the uid was never seen. */
const struct app_info *apps_get(const struct apps *a, int32_t uid, uint8_t source);
const struct app_stats *apps_stats(const struct apps *a);
/* 1 when a PCAPdroid trailer or Custom Block was seen: the phone captured itself. */
int apps_pcapdroid(const struct apps *a);
/* --app: only flows of these apps (package, name or uid) are audited; 0 when none was given. */
void apps_add_filter(struct apps *a, const char *pkg);
int apps_filtering(const struct apps *a);
/* 1 when (uid, source) passes the --app filter. */
int apps_match(const struct apps *a, int32_t uid, uint8_t source);
const char *apps_source_name(uint8_t source);
/* ,"app":{...} or null as JSON into out (APP_JSON_MAX bytes at most); returns the end. */
#define APP_JSON_MAX (128 + 6 * (APP_PACKAGE_MAX + APP_NAME_MAX))
char *apps_put_json(const struct apps *a, int32_t uid, uint8_t source, char *out);

/* --apps FILE: PCAPdroid's connections CSV export (IPProto,SrcIP,SrcPort,DstIp,DstPort,UID,App,
 * ...,FirstSeen,LastSeen). -1 with errbuf naming the file and line for a malformed file. */
int apps_load_csv(struct apps *a, const char *path, char *errbuf, size_t errlen);
int apps_csv_loaded(const struct apps *a);
/* The CSV row of a flow (protocol, addresses of family 4 or 6 and ports in either order, time of
 * its first packet): 1 and *uid when one matches; the row counts as matched. */
int apps_csv_match(struct apps *a, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		   const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid);
/* The same, without counting the row as matched (flows read back from the spill). */
int apps_csv_find(const struct apps *a, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		  const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid);
/* After matching: rows that matched no flow, counted in stats; the first lines into list. */
size_t apps_csv_unmatched(struct apps *a, char *list, size_t listlen);

/* Hints, where no capture format says: a package name the app sends itself. Origins: */
enum app_hint_origin { APP_HINT_NONE, APP_HINT_XRW, APP_HINT_UA, APP_HINT_KEY };  /* KEY + index of the key */
/* "X-Requested-With", "User-Agent", or the key ("packageName"); NULL for none. */
const char *app_hint_origin_name(uint8_t origin);
/* 1 when (v, len) is shaped like a package name: lower-case labels, at least two dots. */
int app_hint_is_package(const uint8_t *v, size_t len);
/* The origin of a header (X-Requested-With, User-Agent) or a JSON / form key (pkg, package,
 * packageName, app, appId, app_id, bundle, bundleId) whose value may name the app; 0 none. */
uint8_t app_hint_header(const char *name);
uint8_t app_hint_key(const char *key);
/* Offers (v, len) from origin to the flow's hint (hint, *cur): a package found there replaces
 * the hint when none is kept or origin ranks before it. No allocation. */
void app_hint_offer(char hint[APP_HINT_MAX], uint8_t *cur, uint8_t origin, const uint8_t *v, size_t len);
/* The app of a hint (a package from origin): remembered with source APP_SRC_HINT; its uid is a
 * number of phonehome's, never shown. */
int32_t apps_hint_uid(struct apps *a, const char *pkg, uint8_t origin);
/* The uid apps_hint_uid gave pkg: 1 and *uid, 0 when it gave none. */
int apps_hint_find(const struct apps *a, const char *pkg, int32_t *uid);

#endif
