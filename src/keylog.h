/* keylog.h - NSS key log files (SSLKEYLOGFILE: mitmproxy, curl, browsers, friTap, PCAPdroid):
 * TLS secrets by ClientHello random, re-read as the file grows (live capture). */
#ifndef PH_KEYLOG_H
#define PH_KEYLOG_H
#include <stddef.h>
#include <stdint.h>

enum keylog_label {
	KEYLOG_MASTER,             /* CLIENT_RANDOM: TLS 1.2 master secret (48 bytes) */
	KEYLOG_CLIENT_HS,          /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	KEYLOG_SERVER_HS,          /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	KEYLOG_CLIENT_APP,         /* CLIENT_TRAFFIC_SECRET_0 */
	KEYLOG_SERVER_APP,         /* SERVER_TRAFFIC_SECRET_0 */
	KEYLOG_CLIENT_EARLY,       /* CLIENT_EARLY_TRAFFIC_SECRET: QUIC 0-RTT */
	KEYLOG__COUNT
};

#define KEYLOG_MAX_SECRET 64       /* longest secret kept (SHA-384: 48) */

struct keylog_entry {              /* every secret logged for one client random */
	uint8_t random[32];
	uint8_t secret[KEYLOG__COUNT][KEYLOG_MAX_SECRET];
	uint8_t len[KEYLOG__COUNT];    /* 0: not logged */
};

struct keylog;

struct keylog *keylog_new(void);
void keylog_free(struct keylog *k);
/* Reads an NSS key log file and remembers it for keylog_refresh; -1 with errbuf when it
 * cannot be read or a line is not a key log line. */
int keylog_add_file(struct keylog *k, const char *path, char *errbuf, size_t errlen);
/* Parses key log text (complete lines); the number of lines that were not key log lines. */
size_t keylog_add_text(struct keylog *k, const char *text, size_t len);
/* What the pre-pass over one capture file found. */
struct keylog_input {
	size_t dsbs;                   /* TLSK Decryption Secrets Blocks read */
	size_t dsbs_malformed;         /* cut short by the end of the file, secrets longer than the block
	                                * (skipped), or lines that are not key log lines (the others used) */
	size_t secrets;                /* secrets added */
	int pcapdroid;                 /* a Custom Block with PCAPdroid's PEN (pcapng), or a classic pcap
	                                * whose first frame ends in PCAPdroid's trailer magic */
};
/* Adds the key logs of all of a pcapng file's Decryption Secrets Blocks, wherever they are (before
 * the first packet, as editcap --inject-secrets puts them, or after the packets they open, as
 * PCAPdroid writes them): the number of secrets added, 0 when it is not pcapng or has none, -1 when
 * it cannot be read. in (may be NULL) gets the counts and whether the file is PCAPdroid's. */
int keylog_add_pcapng(struct keylog *k, const char *path, struct keylog_input *in);
/* Reads what was appended to the files since the last read (live capture): at once when
 * now_anyway, else at most every 100 ms of wall clock. The number of new secrets. */
size_t keylog_refresh(struct keylog *k, int now_anyway);
/* The secrets of a client random, or NULL. */
const struct keylog_entry *keylog_find(const struct keylog *k, const uint8_t random[32]);
/* Entries held (at most 262144 client randoms; the secrets of more are dropped and counted). */
size_t keylog_count(const struct keylog *k);
size_t keylog_dropped(const struct keylog *k);

#endif
