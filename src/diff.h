/* diff.h - phonehome diff: two report.json files compared by what leaked where, not by address:
 * leaks gone, new, and changed (encoding, country, transport, cleartext to TLS) after a re-test. */
#ifndef PH_DIFF_H
#define PH_DIFF_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define DIFF_FORMAT 1              /* tool.diff_format of diff.json */

struct diff_set {                  /* distinct strings, sorted */
	char **v;
	size_t n;
};

struct diff_item {                 /* the leaks (or findings) of one kind and subject to one destination */
	char *kind, *subject;          /* subject NULL: not given (older report) */
	char *host, *domain;           /* lower case; "" when the leak had no host name */
	char *dkey;                    /* destination key: host, "AS123", "org:NAME" or "ip:ADDR" */
	char *key;                     /* kind \x1f subject \x1f dkey: items are sorted by it */
	uint32_t asn;                  /* of the first leak; 0 unknown */
	char *org, *dest_ip;           /* of the first leak; "" unknown */
	size_t count;                  /* leaks or findings in the group */
	struct diff_set encodings, countries, transports;  /* transports as "TCP/80" */
	int cleartext, tls, decrypted; /* seen in cleartext, inside TLS, decrypted with a key */
	int foreign;                   /* any of them */
	int severity;                  /* highest: 0 low .. 3 critical, -1 not given */
	char *identifier;              /* as in the input: masked unless made with --show-identifiers */
};

struct diff_side {                 /* one report read */
	char *path;                    /* the file read (DIR/report.json for a directory) */
	char *version;                 /* tool.version */
	int format;                    /* tool.report_format; 1 when absent (older phonehome) */
	char *first_seen, *last_seen;  /* capture span from inputs[], "" unknown */
	size_t nleaks, nfindings;
	int has_findings;              /* the report has a findings array */
	struct diff_item *leaks, *findings;  /* grouped, in key order */
	size_t nleak_items, nfinding_items;
};

enum diff_field { DF_HOST = 1, DF_COUNTRY = 2, DF_TLS = 4, DF_TRANSPORT = 8, DF_ENCODING = 16 };

struct diff_pair {                 /* the same leak in both reports */
	const struct diff_item *old, *new;
	unsigned changes;              /* enum diff_field bits; 0: unchanged */
};

struct diff {
	const struct diff_side *old, *new;
	const char *unit;              /* "findings" when both reports have them, else "leaks" */
	const struct diff_item **gone, **added;
	struct diff_pair *changed, *same;
	size_t ngone, nadded, nchanged, nsame;
};

/* Reads path, a report.json or a directory written by -o holding one; NULL with errbuf
 * ("FILE: why") when it cannot be read, is not JSON, not a phonehome report or of an
 * unknown format. */
struct diff_side *diff_side_read(const char *path, char *errbuf, size_t errlen);
/* The same from a parsed document (borrowed); name stands for the file in messages. */
struct diff_side *diff_side_parse(const json_t *root, const char *name, char *errbuf, size_t errlen);
void diff_side_free(struct diff_side *s);

/* Pairs the leaks of old and new; both sides must outlive the result. */
struct diff *diff_compare(const struct diff_side *old, const struct diff_side *new);
void diff_free(struct diff *d);

/* 1 when a leak sent abroad (foreign) is new, or a leak that was not foreign now is. */
int diff_new_foreign(const struct diff *d);
/* One sentence, e.g. "3 leaks gone, 1 new: the advertising ID now goes to x.cn in China". */
void diff_verdict(const struct diff *d, char *out, size_t outlen);
/* diff_report.c: the verdict, then the sections Gone, New, Changed, Unchanged. */
void diff_report_text(FILE *f, const struct diff *d);
/* The machine-readable diff (new reference). */
json_t *diff_report_json(const struct diff *d);
/* diff_report_json to path ('-' for stdout) through a temporary file and rename(2). */
int diff_report_write_json(const struct diff *d, const char *path, char *errbuf, size_t errlen);
/* DIR/diff.html and DIR/diff.json (DIR created if missing). */
int diff_report_write_dir(const struct diff *d, const char *dir, char *errbuf, size_t errlen);

/* "low" .. "critical" for 0 .. 3, else NULL. */
const char *diff_severity_name(int s);
/* Registrable domain of a host name by the built-in rule (see diff.c); returns out. */
const char *diff_domain(const char *host, char *out, size_t outlen);
/* "IMEI", "advertising ID" ... with " (third party)" for that subject. */
void diff_item_label(const struct diff_item *it, char *out, size_t outlen);
/* The destination as shown: host, else "AS123 Org", else the address. */
void diff_item_dest(const struct diff_item *it, char *out, size_t outlen);
/* "cleartext", "TLS", "TLS (decrypted)" or "cleartext and TLS". */
const char *diff_item_transport_state(const struct diff_item *it);
/* The members of s joined with ", " ("-" when empty). */
void diff_set_join(const struct diff_set *s, char *out, size_t outlen);
/* "country CN -> SG; cleartext -> TLS (decrypted)" for a pair's changes. */
void diff_pair_changes(const struct diff_pair *p, char *out, size_t outlen);

/* diff_html.c: the page (self-contained, no script); 0, or -1 when the stream failed. */
int diff_html_write(FILE *f, const struct diff *d);

#endif
