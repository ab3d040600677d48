/* report_html.h - the auditor's report: one self-contained HTML file (inline CSS and SVG,
 * no script, nothing fetched), readable offline and printable. */
#ifndef PH_REPORT_HTML_H
#define PH_REPORT_HTML_H
#include "audit.h"
#include "custody.h"
#include <stdio.h>

/* Writes the whole page; 0, or -1 when the stream failed. */
int report_html_write(FILE *f, const struct audit *a, const struct custody *c);

/* Helpers shared with the Markdown writer. */
struct report_dest {               /* leaks grouped by destination: same remote address and host */
	const struct report_flow *flow;/* the first leaking flow to it */
	size_t first, n;               /* leaks of the group: idx[first .. first+n) */
	int max_sev;
};
/* Groups r->leaks by destination, most severe first; *idx receives leak indices (caller frees both). */
size_t report_html_dests(const struct report *r, struct report_dest **out, size_t **idx);
/* The HTTP request a leak was in ("GET /path HTTP" with identifiers masked), or "" when none. */
void report_html_request(const struct audit *a, const struct report_leak *l, char *out, size_t outlen);
/* The page's style sheet (also used by phonehome diff's diff.html). */
const char *report_html_css(void);
/* "2014-08-10 09:00:01 UTC". */
void report_html_time(uint64_t us, char *out, size_t outlen);

#endif
