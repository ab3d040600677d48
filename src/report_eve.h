/* report_eve.h - the audit as Suricata EVE JSON lines (flow, dns, http, tls, leak and alert events),
 * for pipelines that already ingest Suricata (Filebeat, Logstash, Splunk). */
#ifndef PH_REPORT_EVE_H
#define PH_REPORT_EVE_H
#include "audit.h"
#include <stdio.h>

/* One JSON object per line, in time order; identifiers masked unless --show-identifiers. 0 or -1 (errno). */
int report_eve_write(FILE *f, const struct audit *a);
/* Suricata's timestamp form, 2014-08-10T09:00:00.000000+0000; out >= 40 bytes. */
void report_eve_time(uint64_t us, char *out, size_t outlen);
/* The alert signature_id of a leak: 9100000 + kind * 4 + subject (kind: enum id_kind;
 * subject: enum report_subject, whose identifier it is; index 3 is free). */
int report_eve_signature_id(int kind, enum report_subject subject);

#endif
