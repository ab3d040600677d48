/* report_md.h - the report as Markdown for pasting into tickets: verdict, leaks,
 * foreign destinations, chain of custody (GitHub-flavoured tables). */
#ifndef PH_REPORT_MD_H
#define PH_REPORT_MD_H
#include "audit.h"
#include "custody.h"
#include <stdio.h>

/* 0, or -1 when the stream failed. */
int report_md_write(FILE *f, const struct audit *a, const struct custody *c);

#endif
