/* dns.c - DNS message parsing (RFC 1035; AAAA RFC 3596) for address -> name attribution.
 * Names are decompressed with backward-only pointers and a jump cap, so loops end as invalid. */
#include "dns.h"
#include "config.h"
#include "util.h"
#include <string.h>

#define DNS_HDR_LEN 12
#define DNS_MAX_JUMPS 64            /* compression pointers followed per name */
#define DNS_MAX_WIRE_NAME 255       /* RFC 1035 2.3.4 */
#define DNS_MAX_CHAIN 16            /* names followed through CNAMEs from the question */
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

/* Append one label byte in presentation form, lower-cased; cut at outlen-1. */
static void name_putc(char *out, size_t outlen, size_t *o, uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c + 32);
	if (c >= 0x21 && c <= 0x7e && c != '.' && c != '\\') {  /* the usual byte: as it is */
		if (*o + 1 < outlen)
			out[(*o)++] = (char)c;
		return;
	}
	char esc[4] = { '\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10), (char)('0' + c % 10) };
	for (size_t i = 0; i < sizeof esc && *o + 1 < outlen; i++)
		out[(*o)++] = esc[i];
}

/* Read the name at off into out; *end gets the offset after it (after the first pointer).
 * 0 ok, -1 truncated, -2 invalid (bad label type, forward pointer or loop, over-long). */
static int read_name(const uint8_t *p, size_t len, size_t off, char *out, size_t outlen, size_t *end)
{
	size_t pos = off, seg = off, o = 0, wire = 1;
	int jumps = 0;

	*end = 0;
	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len)
				return -1;
			ptr = (size_t)rd_be16(p + pos) & 0x3fff;
			if (*end == 0)
				*end = pos + 2;
			/* each jump lands before the segment it came from: strictly decreasing, so no loop */
			if (ptr >= seg || ++jumps > DNS_MAX_JUMPS)
				return -2;
			pos = seg = ptr;
			continue;
		}
		if (l & 0xc0)
			return -2;  /* 0x40 / 0x80 label types are obsolete or undefined */
		if (l == 0)
			break;
		wire += (size_t)l + 1;
		if (wire > DNS_MAX_WIRE_NAME)
			return -2;
		if (pos + 1 + l > len)
			return -1;
		if (o > 0 && o + 1 < outlen)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++)
			name_putc(out, outlen, &o, p[pos + 1 + i]);
		pos += 1 + (size_t)l;
	}
	if (*end == 0)
		*end = pos + 1;
	if (outlen > 0)
		out[o] = '\0';
	return 0;
}

/* The first question's name into out. */
int dns_question_name(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t end;

	if (len < DNS_HDR_LEN)
		return -1;
	if (rd_be16(p + 4) == 0)
		return -2;
	return read_name(p, len, DNS_HDR_LEN, out, outlen, &end);
}

/* The header and the first question: what an EVE dns record names. */
int dns_head(const uint8_t *p, size_t len, char *qname, size_t qlen, struct dns_head *h)
{
	size_t end;

	if (len < DNS_HDR_LEN)
		return -1;
	h->id = rd_be16(p);
	h->qr = p[2] >> 7;
	h->opcode = (p[2] >> 3) & 0x0f;
	h->rcode = p[3] & 0x0f;
	h->qtype = 0;
	qname[0] = 0;
	if (rd_be16(p + 4) == 0)
		return 0;   /* no question: a header alone still names id and rcode */
	int r = read_name(p, len, DNS_HDR_LEN, qname, qlen, &end);
	if (r < 0)
		return r;
	if (end + 2 > len)
		return -1;  /* the name fits but its type does not */
	h->qtype = rd_be16(p + end);
	return 0;
}

struct chain {                      /* the question name and the CNAME targets reached from it */
	char names[DNS_MAX_CHAIN][PH_DNS_MAX_NAME];
	int n;
};

static int chain_has(const struct chain *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return 1;
	return 0;
}

/* One pass over the answers at off: validate, add CNAME targets of chain names (*grew),
 * or (emit) report A/AAAA of chain names. Returns answers reported, or -1 / -2. */
static int answers(const uint8_t *p, size_t len, size_t off, int count, struct chain *c, int *grew,
		   dns_answer_fn fn, void *arg, int emit)
{
	char owner[PH_DNS_MAX_NAME], target[PH_DNS_MAX_NAME];
	int found = 0;

	for (int i = 0; i < count; i++) {
		size_t end, rd;
		uint16_t type, cls, rdlen;
		int r = read_name(p, len, off, owner, sizeof(owner), &end);

		if (r < 0)
			return r;
		if (end + 10 > len)
			return -1;
		type = rd_be16(p + end);
		cls = rd_be16(p + end + 2);
		rdlen = rd_be16(p + end + 8);
		rd = end + 10;
		if (rd + rdlen > len)
			return -1;
		off = rd + rdlen;
		if (cls != DNS_CLASS_IN)
			continue;
		if ((type == DNS_TYPE_A && rdlen != 4) || (type == DNS_TYPE_AAAA && rdlen != 16))
			return -2;
		if (type == DNS_TYPE_CNAME) {
			r = read_name(p, len, rd, target, sizeof(target), &end);
			if (r < 0)
				return r == -1 && rd + rdlen < len ? -2 : r;
			if (end > rd + rdlen)
				return -2;
			if (!emit && c->n < DNS_MAX_CHAIN && chain_has(c, owner) && !chain_has(c, target)) {
				memcpy(c->names[c->n++], target, sizeof(target));
				*grew = 1;
			}
		} else if ((type == DNS_TYPE_A || type == DNS_TYPE_AAAA) && chain_has(c, owner)) {
			found++;
			if (emit)
				fn(arg, c->names[0], type == DNS_TYPE_A ? 4 : 6, p + rd, rd_be32(p + end + 4));
		}
	}
	return found;
}

/* Parse a response and report its A/AAAA answers under the question name. */
int dns_parse_response(const uint8_t *p, size_t len, dns_answer_fn fn, void *arg)
{
	struct chain c;
	uint16_t qd, an;
	size_t off, end;
	int r, grew, found;

	if (len < DNS_HDR_LEN)
		return -1;
	if (!(p[2] & 0x80))
		return 1;   /* QR clear: a query */
	qd = rd_be16(p + 4);
	an = rd_be16(p + 6);
	if (qd == 0)
		return 1;
	c.n = 1;
	r = read_name(p, len, DNS_HDR_LEN, c.names[0], sizeof(c.names[0]), &end);
	if (r < 0)
		return r;
	off = end + 4;
	for (int i = 1; i < qd; i++) {     /* further questions are skipped */
		char skip[PH_DNS_MAX_NAME];

		if (off > len)
			return -1;
		r = read_name(p, len, off, skip, sizeof(skip), &end);
		if (r < 0)
			return r;
		off = end + 4;
	}
	if (off > len)
		return -1;
	if (an > PH_DNS_MAX_ANSWERS)
		an = PH_DNS_MAX_ANSWERS;
	/* grow the CNAME chain until it stops changing, then report */
	do {
		grew = 0;
		found = answers(p, len, off, an, &c, &grew, fn, arg, 0);
		if (found < 0)
			return found;
	} while (grew);
	if (found == 0)
		return 1;
	answers(p, len, off, an, &c, &grew, fn, arg, 1);
	return 0;
}

const char *dns_type_name(uint16_t type)
{
	static const struct { uint16_t t; const char *name; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 13, "HINFO" },
		{ 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 35, "NAPTR" }, { 41, "OPT" },
		{ 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" },
		{ 255, "ANY" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == type)
			return names[i].name;
	return NULL;
}

const char *dns_rcode_name(uint8_t rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	return rcode < sizeof names / sizeof names[0] ? names[rcode] : NULL;
}
