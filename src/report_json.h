/* report_json.h - the JSON report (field names after Suricata's EVE where EVE has one)
 * and atomic file output: a temporary file renamed over the target. */
#ifndef PH_REPORT_JSON_H
#define PH_REPORT_JSON_H
#include "audit.h"
#include <jansson.h>
#include <stddef.h>

/* The whole report as one JSON document. */
json_t *report_json_build(const struct audit *a);
/* Checks early that path can be written (its directory exists and is writable). */
int report_json_check_path(const char *path, char *errbuf, size_t errlen);
/* Writes doc to path ("-" = stdout) through a temporary file and rename(2). */
int report_json_write(json_t *doc, const char *path, char *errbuf, size_t errlen);
/* Text form of an address. */
void report_addr_str(int family, const uint8_t *addr, char *out, size_t outlen);

#endif
