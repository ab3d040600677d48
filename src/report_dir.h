/* report_dir.h - the auditor's output directory (-o DIR): report.json, report.html, report.md,
 * events.json and evidence.pcap written under temporary names, then renamed together;
 * --eve FILE alone; --pdf through Debian's headless Chromium. */
#ifndef PH_REPORT_DIR_H
#define PH_REPORT_DIR_H
#include "audit.h"
#include <stddef.h>

/* Checks early that dir is (or can be made) a writable directory; -1 with errbuf naming it. */
int report_dir_check(const char *dir, char *errbuf, size_t errlen);
/* Finds Chromium in PATH into out; -1 with a message saying how to install it. */
int report_dir_find_chromium(char *out, size_t outlen, char *errbuf, size_t errlen);
/* Writes everything asked for: dir (may be NULL), eve_path (may be NULL), pdf (needs dir).
 * All or nothing: on failure no file is left behind. -1 with errbuf. */
int report_dir_write(const struct audit *a, const char *dir, const char *eve_path, int pdf, char *errbuf,
		     size_t errlen);
/* The Markdown report on stdout; -1 with errbuf. */
int report_dir_md_stdout(const struct audit *a, char *errbuf, size_t errlen);

#endif
