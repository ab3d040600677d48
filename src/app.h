/* app.h - which Android app sent a packet, from the capture formats that say so: PCAPdroid's pcap
 * trailer and pcapng Custom Blocks (PEN 62652), and the NFULA_UID attribute of DLT_NFLOG. */
#ifndef PH_APP_H
#define PH_APP_H
#include <stddef.h>
#include <stdint.h>

struct packet;

enum app_source { APP_SRC_NONE, APP_SRC_PCAPDROID, APP_SRC_NFLOG };

#define APP_TRAILER_LEN 32             /* magic, uid, 20-byte name, CRC-32 */
#define APP_TRAILER_MAGIC 0x01072021u
#define APP_PEN_PCAPDROID 62652u       /* PCAPdroid's IANA enterprise number */
#define APP_NAME_MAX 64
#define APP_PACKAGE_MAX 128

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

#endif
