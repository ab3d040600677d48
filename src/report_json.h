/* report_json.h - the JSON report (field names after Suricata's EVE where EVE has one)
 * and atomic file output: a temporary file renamed over the target. */
#ifndef PH_REPORT_JSON_H
#define PH_REPORT_JSON_H
#include "audit.h"
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* tool.report_format: bumped when a reader of report.json (phonehome diff) must change. */
#define REPORT_JSON_FORMAT 1

/* The whole report as one JSON document, streamed to f flow by flow; -1 on a write error. */
int report_json_dump(const struct audit *a, FILE *f);
/* Checks early that path can be written (its directory exists and is writable). */
int report_json_check_path(const char *path, char *errbuf, size_t errlen);
/* Writes the report to path ("-" = stdout) through a temporary file and rename(2). */
int report_json_write(const struct audit *a, const char *path, char *errbuf, size_t errlen);
/* src_ip, src_port, dest_ip, dest_port, proto, app_proto of f, side src as the source. */
void report_json_endpoints(json_t *o, const struct report_flow *f, int src);
/* A flow's app {uid, package, name, source} (app.c), or JSON null. */
json_t *report_json_app(const struct report *r, const struct report_flow *f);
/* Text form of an address. */
void report_addr_str(int family, const uint8_t *addr, char *out, size_t outlen);

#endif
