/* accept.h - accepted findings (--accept FILE): reviewed suppressions, each with a reason, matched
 * against the leaks once the findings are built; accepted ones stay in the report, out of the verdict. */
#ifndef PH_ACCEPT_H
#define PH_ACCEPT_H
#include "report.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct accept_entry {
	int kind;                      /* enum id_kind, -1 any ("*") */
	int subject;                   /* enum report_subject, -1 any */
	char *host;                    /* lower-case pattern, '*' any run of characters; NULL any */
	char *domain;                  /* registrable domain (diff_domain's rule), lower case; NULL any */
	uint32_t asn;                  /* 0 any */
	char country[3];               /* ISO 3166 alpha-2, upper case; "" any */
	char *app;                     /* package name; NULL any (leaks carry no app yet: matches nothing) */
	char *encoding;                /* "plain", a chain prefix ("base64", "base64>md5") or "where:chain"; NULL any */
	char *reason, *by, *date;      /* by and date NULL when not given */
	size_t file, index;            /* its file (index into accept.files) and place in it, from 1 */
	uint64_t matched;              /* leaks it accepted */
};

struct accept_file {
	char *path;
	char sha256[65];
};

struct accept {
	struct accept_file *files;
	size_t nfiles;
	struct accept_entry *e;
	size_t n;
};

/* Reads path (a JSON array of entries) and adds its entries to acc; -1 with errbuf
 * ("FILE: entry N: why") when it cannot be read, is not JSON or an entry is bad. */
int accept_load(struct accept *acc, const char *path, char *errbuf, size_t errlen);
void accept_free(struct accept *acc);
struct app_info;
/* 1 when e matches leak l sent on flow f (NULL: no flow known, no destination matches) by the
 * app app (NULL: none known, no entry with "app" matches). */
int accept_match(const struct accept_entry *e, const struct report_leak *l, const struct report_flow *f,
		 const struct app_info *app);
/* Marks each leak with the first entry matching it and each finding whose hits all are;
 * with warn, a warning per entry that matched nothing. Findings must be built. */
void accept_apply(struct accept *acc, struct report *r, int warn);
/* "IMSI to *.jio.com", the entry as a reader knows it. */
void accept_entry_label(const struct accept_entry *e, char *out, size_t outlen);
/* The entry that accepted l, or NULL. */
const struct accept_entry *accept_of_leak(const struct accept *acc, const struct report_leak *l);
/* The entry that accepted finding f (that of its first hit), or NULL. */
const struct accept_entry *accept_of_finding(const struct accept *acc, const struct report *r,
					     const struct report_finding *f);
/* {"reason", "by", "date", "entry", "file"} of l's entry, or JSON null. */
json_t *accept_leak_json(const struct accept *acc, const struct report_leak *l);
/* Accepted findings in r. */
size_t accept_count_findings(const struct report *r);
/* The custody list: [{"path", "sha256"}] of each file. */
json_t *accept_files_json(const struct accept *acc);

#endif
