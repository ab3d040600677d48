/* json_scan.h - walk a JSON text (RFC 8259) and report each scalar with its key path.
 * No tree is built and nothing is copied; a document cut short is walked as far as it goes. */
#ifndef PH_JSON_SCAN_H
#define PH_JSON_SCAN_H
#include <stddef.h>
#include <stdint.h>

#define JSON_SCAN_MAX_DEPTH 32
#define JSON_SCAN_MAX_PATH 128

/* A scalar: path "a.b.c" (array levels add nothing), value bytes as sent (a string without its
 * quotes, still escaped), at offset off of the text; is_string, has_escape for strings. */
typedef void (*json_scan_fn)(void *arg, const char *path, const uint8_t *v, size_t vl, size_t off,
			     int is_string, int has_escape);

/* 0 the whole text is one JSON value, -1 truncated, -2 invalid (fn was called up to there). */
int json_scan_walk(const uint8_t *p, size_t len, json_scan_fn fn, void *arg);
/* Unescape a JSON string body into out (at least len bytes); \uXXXX becomes UTF-8. Returns length. */
size_t json_scan_unescape(const uint8_t *p, size_t len, uint8_t *out);
/* 1 when p looks like the start of a JSON object or array (after white space). */
int json_scan_sniff(const uint8_t *p, size_t len);

#endif
