/* context.h - where a detector rule's hit lies: contexts in which a value of the right shape
 * is not what it looks like (protocol vocabulary, message identifiers, binary data). */
#ifndef PH_CONTEXT_H
#define PH_CONTEXT_H
#include <stddef.h>
#include <stdint.h>

struct rule;

/* An e-mail-shaped p[start, end) is reported only when: the whole domain (no ".label" follows),
 * a top-level label of letters in one case or capitalised, not glued to non-UTF-8 bytes, not
 * the value of a message-identifier field (Message-ID, Call-ID, NNTP "22x n <id>", XML "...-id"),
 * not an X.509 emailAddress attribute, the value of a field named hostname/host/node (AMQP field table or
 * JSON: Celery's node@host),
 * not a FastCGI SERVER_* meta-variable, not in a 3GPP NAI realm. 1 ok, 0 drop. */
int context_email_ok(const uint8_t *p, size_t len, size_t start, size_t end);
/* A "lat,lon" pair that is not part of a longer list of coordinates (a bounding box). */
int context_latlon_ok(const uint8_t *p, size_t len, size_t start, size_t end);
/* A digit run not glued to hex letters (a run inside a hex token). */
int context_digits_ok(const uint8_t *p, size_t len, size_t start, size_t end);
/* The check for pattern rule r's hit at p[start, end) of the scanned buffer p[0, len). */
int context_rule_ok(const struct rule *r, const uint8_t *p, size_t len, size_t start, size_t end);

#endif
