/* custody.h - chain of custody of an audit: hashes of every input, identity and rules file,
 * the tool version, the exact command line, the databases (MMDB build dates), the time. */
#ifndef PH_CUSTODY_H
#define PH_CUSTODY_H
#include "audit.h"
#include <jansson.h>
#include <stdint.h>

struct custody {
	char analysis_time[32];        /* ISO 8601 UTC, seconds */
	const char *command_line;
	const char *identity_path;
	char identity_sha256[65];      /* "" without --identity */
	const char *rules_path;        /* nDPI host rules, NULL when none */
	char rules_sha256[65];
	struct { const char *path, *type, *layout; char build_date[32]; } db[2];
	size_t ndb;
	size_t workers;                /* nDPI's cross-flow heuristics are per worker: part of the method */
};

/* Wall-clock time of the run, or SOURCE_DATE_EPOCH when set (reproducible builds' convention). */
int64_t custody_now(void);
/* The command line shell-quoted into one string (static storage, cut at 8 KiB). */
const char *custody_command_line(int argc, char **argv);
/* Collects everything above from an opened audit. */
void custody_collect(const struct audit *a, struct custody *c);
/* The "custody" section of report.json. */
json_t *custody_json(const struct audit *a, const struct custody *c);

#endif
