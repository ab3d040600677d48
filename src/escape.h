/* escape.h - captured strings made safe for the context they are printed in:
 * HTML text and quoted attributes, CSS strings, Markdown table cells (HTML 5.2 §8.1). */
#ifndef PH_ESCAPE_H
#define PH_ESCAPE_H
#include <stddef.h>
#include <stdio.h>

/* Every function writes at most outlen bytes, always NUL-terminated (outlen > 0), and
 * returns the length the whole escaped string needs (like snprintf), so a return
 * >= outlen means it was cut.  Bytes that are not valid UTF-8 and control bytes
 * become "\xNN" (as text), so the output is valid UTF-8 whatever the capture held. */

/* HTML text or double/single-quoted attribute value: & < > " ' ` escaped. */
size_t escape_html(const char *s, char *out, size_t outlen);
/* CSS string or identifier content: everything but [A-Za-z0-9_-] as "\HH ". */
size_t escape_css(const char *s, char *out, size_t outlen);
/* Markdown table cell: | \ ` * _ [ ] < > # escaped with a backslash or entity, newlines as spaces. */
size_t escape_md(const char *s, char *out, size_t outlen);
/* escape_html straight to a stream (no length limit). */
void escape_html_put(FILE *f, const char *s);
/* A JSON string literal, quotes included, ASCII only: non-ASCII as \uXXXX, and bytes
 * that are not valid UTF-8 as the Latin-1 code point, so the output always parses. */
void escape_json_put(FILE *f, const char *s);
/* escape_json_put into out, which must hold 6 * strlen(s) + 2 bytes; not NUL-terminated,
 * returns the length written. */
size_t escape_json(const char *s, char *out);
/* For a terminal: printable ASCII kept, anything else (escape sequences) as '?'; returns out. */
const char *escape_term(const char *s, char *out, size_t outlen);
/* escape_md straight to a stream. */
void escape_md_put(FILE *f, const char *s);

#endif
