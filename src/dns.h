/* dns.h - DNS message parsing (RFC 1035; AAAA RFC 3596) for address -> name attribution.
 * Reads the question name and the A/AAAA answers reached from it, CNAME chains included. */
#ifndef PH_DNS_H
#define PH_DNS_H
#include <stddef.h>
#include <stdint.h>

/* family 4 or 6; addr 4 or 16 bytes, valid only during the call; ttl of the answer record. */
typedef void (*dns_answer_fn)(void *arg, const char *qname, int family, const uint8_t *addr, uint32_t ttl);

struct dns_head {                  /* a message's header and first question */
	uint16_t id, qtype;            /* qtype 0: no question */
	uint8_t qr, opcode, rcode;
};

/* Parse one DNS message (UDP payload, or a TCP message without its 2-byte length). For a
 * response, call fn for each A/AAAA answer (class IN) owned by the question name or by a name
 * reached from it through CNAMEs, with the QUESTION name (lower-cased, no trailing dot; bytes
 * outside '!'..'~', '.' and '\' inside a label written as \DDD). fn is only called once the
 * whole answer section (up to PH_DNS_MAX_ANSWERS records) has parsed.
 * 0 parsed (fn called), 1 a query or no usable answer, -1 truncated, -2 invalid. */
int dns_parse_response(const uint8_t *p, size_t len, dns_answer_fn fn, void *arg);
/* The first question's name (same form) into out, cut to outlen-1 chars; 0 ok, -1 truncated, -2 invalid. */
int dns_question_name(const uint8_t *p, size_t len, char *out, size_t outlen);
/* The header and the first question (name in the same form, cut to qlen-1 chars; "" and
 * qtype 0 without a question); 0 ok, -1 truncated, -2 invalid. */
int dns_head(const uint8_t *p, size_t len, char *qname, size_t qlen, struct dns_head *h);
/* The EVE name of an RR type ("A", "AAAA", "HTTPS", ...); NULL for a type without one. */
const char *dns_type_name(uint16_t type);
/* The EVE name of an RCODE ("NOERROR", "NXDOMAIN", ...); NULL past the named ones. */
const char *dns_rcode_name(uint8_t rcode);

#endif
