/* context.c - where a detector rule's hit lies: contexts in which an e-mail-, coordinate- or
 * digit-shaped value is protocol vocabulary, an identifier of a message or part of binary data. */
#include "context.h"
#include "rules.h"
#include "variant.h"
#include <string.h>
#include <strings.h>

#define LINE_BACK 256  /* bytes looked back for the start of a header line */

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static int is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_alnum(uint8_t c)
{
	return is_digit(c) || is_lower(c) || is_upper(c);
}

static int is_hex_letter(uint8_t c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_hex(uint8_t c)
{
	return is_digit(c) || is_hex_letter(c);
}

/* Length of the UTF-8 sequence lead byte c starts, or 0 when c is no lead byte. */
static unsigned utf8_lead(uint8_t c)
{
	return c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

/* Do the bytes before p[at] end a whole UTF-8 character of 2-4 bytes? */
static int utf8_ends_at(const uint8_t *p, size_t at)
{
	size_t k = 0;
	while (k < 3 && k < at && (p[at - 1 - k] & 0xc0) == 0x80)
		k++;
	return k && k < at && utf8_lead(p[at - 1 - k]) == k + 1;
}

/* Does a whole UTF-8 character of 2-4 bytes start at p[at]? */
static int utf8_starts_at(const uint8_t *p, size_t len, size_t at)
{
	unsigned n = utf8_lead(p[at]);
	if (!n || at + n > len)
		return 0;  /* no lead byte, or cut off: binary */
	for (unsigned i = 1; i < n; i++)
		if ((p[at + i] & 0xc0) != 0x80)
			return 0;
	return 1;
}

/* The top-level label of an address: letters in one case, or capitalised ("com", "EDU", "De");
 * "orgY" or "nHp" is a name glued to the next bytes of a binary or fuzzed message. */
static int tld_ok(const uint8_t *p, size_t start, size_t end)
{
	size_t d = end;
	while (d > start && p[d - 1] != '.')
		d--;
	size_t n = end - d;
	if (d == start || n < 2 || n > 63)
		return 0;  /* no dot: no domain */
	int lower = 0, upper = 0;
	for (size_t i = d; i < end; i++) {
		if (is_lower(p[i]))
			lower++;
		else if (is_upper(p[i]))
			upper++;
		else
			return 0;
	}
	return !lower || !upper || (upper == 1 && is_upper(p[d]));
}

/* Case-insensitive: does p[a, b) equal the NUL-terminated word w? */
static int word_is(const uint8_t *p, size_t a, size_t b, const char *w)
{
	return strlen(w) == b - a && !strncasecmp((const char *)p + a, w, b - a);
}

/* Header names whose values are e-mail-shaped identifiers of a message, not mailboxes:
 * RFC 5322 3.6.4 (Message-ID, In-Reply-To, References), RFC 2045 7 (Content-ID),
 * RFC 3261 20.8 (Call-ID, compact "i"). */
static int id_header(const uint8_t *p, size_t a, size_t b)
{
	static const char *const names[] = { "message-id", "in-reply-to", "references", "content-id",
					     "resent-message-id", "call-id", "i", "x-message-id" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (word_is(p, a, b, names[i]))
			return 1;
	return 0;
}

/* Is the address at start the value of a message-identifier field: a header line "Name: ..."
 * (continuation lines included up to LINE_BACK), an NNTP article response "22x n <id>"
 * (RFC 3977 6.2), or an XML attribute named "id" or "...-id" (WAP PAP push-id, ...)? */
static int in_id_field(const uint8_t *p, size_t start)
{
	/* XML attribute: name="value" directly before the value */
	size_t i = start;
	if (i > 0 && (p[i - 1] == '"' || p[i - 1] == '\''))
		i--;
	if (i > 0 && p[i - 1] == '=') {
		size_t e = i - 1, a = e;
		while (a > 0 && (is_alnum(p[a - 1]) || p[a - 1] == '-' || p[a - 1] == '_' || p[a - 1] == ':'))
			a--;
		if (e - a >= 2 && word_is(p, e - 2, e, "id") && (e - a == 2 || p[e - 3] == '-'))
			return 1;
	}
	/* the line the value is on */
	size_t lo = start > LINE_BACK ? start - LINE_BACK : 0, ls = start;
	while (ls > lo && p[ls - 1] != '\n')
		ls--;
	if (ls == lo && lo > 0)
		return 0;  /* no line start in reach: not a header line */
	/* folded header: continuation lines start with white space (RFC 5322 2.2.3) */
	while (ls > lo + 1 && (p[ls] == ' ' || p[ls] == '\t')) {
		size_t j = ls - 1;
		while (j > lo && p[j - 1] != '\n')
			j--;
		if (j == lo && lo > 0)
			return 0;
		ls = j;
	}
	size_t c = ls;
	while (c < start && (is_alnum(p[c]) || p[c] == '-'))
		c++;
	if (c < start && p[c] == ':' && c > ls && id_header(p, ls, c))
		return 1;
	/* NNTP: "220 185 <id> article retrieved" */
	if (start - ls >= 7 && p[ls] == '2' && p[ls + 1] == '2' && p[ls + 2] >= '0' && p[ls + 2] <= '3' &&
	    p[ls + 3] == ' ' && p[start - 1] == '<') {
		size_t k = ls + 4;
		while (k < start && is_digit(p[k]))
			k++;
		return k > ls + 4 && k + 2 == start && p[k] == ' ';
	}
	return 0;
}

/* A PKCS#9 emailAddress attribute of an X.509 Name (OID 1.2.840.113549.1.9.1, IA5String)
 * ends just before start, maybe with its length byte glued onto the local part. */
static int x509_email(const uint8_t *p, size_t start)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01, 0x16 };
	for (size_t glued = 0; glued < 2; glued++) {
		size_t need = sizeof oid + 1 - glued;
		if (start >= need && !memcmp(p + start - need, oid, sizeof oid))
			return 1;
	}
	return 0;
}

static const char *const host_keys[] = { "hostname", "host", "node", "nodename" };

/* Is p[a, b) one of the field names that hold a host? */
static int host_key(const uint8_t *p, size_t a, size_t b)
{
	for (size_t i = 0; i < sizeof host_keys / sizeof host_keys[0]; i++)
		if (word_is(p, a, b, host_keys[i]))
			return 1;
	return 0;
}

/* The value of a JSON member "hostname": "..." (Celery's events and heartbeats). */
static int json_host_member(const uint8_t *p, size_t start)
{
	size_t i = start;
	if (i == 0 || p[--i] != '"')
		return 0;
	while (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t'))
		i--;
	if (i == 0 || p[--i] != ':')
		return 0;
	while (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t'))
		i--;
	if (i == 0 || p[--i] != '"')
		return 0;
	size_t e = i;
	while (i > 0 && i + 16 > e && (is_alnum(p[i - 1]) || p[i - 1] == '_'))
		i--;
	return i > 0 && p[i - 1] == '"' && host_key(p, i, e);
}

/* The value of an AMQP 0-9-1 field-table entry (name as a short string, 'S', a 32-bit length)
 * whose name says it holds a host: Celery names its worker nodes "name@host". */
static int amqp_host_field(const uint8_t *p, size_t start, size_t end)
{
	if (start < 5 || p[start - 5] != 'S')
		return 0;
	uint32_t vl = (uint32_t)p[start - 4] << 24 | (uint32_t)p[start - 3] << 16 | (uint32_t)p[start - 2] << 8 | p[start - 1];
	if (vl < end - start)
		return 0;
	for (size_t n = 4; n <= 8 && start >= 6 + n; n++)
		if (p[start - 6 - n] == n && host_key(p, start - 5 - n, start - 5))
			return 1;
	return 0;
}

/* A FastCGI name-value pair (FCGI_PARAMS: one-byte lengths, then name and value, no separator)
 * of a CGI meta-variable SERVER_* (RFC 3875 4.1): the name is glued onto the address, and the
 * value describes the web server (SERVER_ADMIN is its webmaster), not a user of the phone. */
static int fastcgi_server_var(const uint8_t *p, size_t start, size_t end)
{
	if (start < 2 || p[start - 2] < 8 || p[start - 2] >= 0x80 || p[start - 1] >= 0x80)
		return 0;
	size_t nl = p[start - 2], vl = p[start - 1];
	if (start + nl + vl != end || memcmp(p + start, "SERVER_", 7))
		return 0;
	for (size_t i = 0; i < nl; i++)
		if (!is_upper(p[start + i]) && !is_digit(p[start + i]) && p[start + i] != '_')
			return 0;
	return 1;
}

/* Domain of a 3GPP NAI realm (TS 23.003 19.2-19.3: "...mncNNN.mccNNN.3gppnetwork.org"): the
 * local part is an IMSI-based identity or pseudonym, not a mailbox. The realm is the printable
 * token after the '@' (a binary TLV such as RADIUS User-Name delimits it, not the regex). */
static int nai_realm_3gpp(const uint8_t *p, size_t len, size_t at)
{
	static const char sfx[] = ".3gppnetwork.org";
	size_t end = at + 1;
	while (end < len && end - at < 256 && p[end] > 0x20 && p[end] < 0x7f)
		end++;
	size_t n = sizeof sfx - 1;
	if (end - at > n && !strncasecmp((const char *)p + end - n, sfx, n))
		return 1;
	for (size_t i = at + 1; i + 3 + 3 + 4 + 3 <= end; i++) {  /* "mncNNN.mccNNN" anywhere */
		if ((p[i - 1] == '@' || p[i - 1] == '.') && !strncasecmp((const char *)p + i, "mnc", 3) &&
		    is_digit(p[i + 3]) && is_digit(p[i + 4]) && is_digit(p[i + 5]) && p[i + 6] == '.' &&
		    !strncasecmp((const char *)p + i + 7, "mcc", 3) && is_digit(p[i + 10]) &&
		    is_digit(p[i + 11]) && is_digit(p[i + 12]))
			return 1;
	}
	return 0;
}

int context_email_ok(const uint8_t *p, size_t len, size_t start, size_t end)
{
	if (start >= end || end > len)
		return 0;
	const uint8_t *at = memchr(p + start, '@', end - start);
	if (!at)
		return 0;
	/* the whole domain: "a@host.example" is no address when ".org" or "-xmpp.lan" follows */
	if (end + 1 < len && (p[end] == '.' || p[end] == '-') && is_alnum(p[end + 1]))
		return 0;
	/* '%' that starts no %XX escape is no delimiter: a stray byte cuts the name (fuzzed data) */
	if (end < len && p[end] == '%' && !(end + 2 < len && is_hex(p[end + 1]) && is_hex(p[end + 2])))
		return 0;
	if (!tld_ok(p, start, end))
		return 0;
	/* binary data: glued to bytes that are no UTF-8 text (QUIC, MMS, fuzzed records) */
	if (start > 0 && p[start - 1] >= 0x80 && !utf8_ends_at(p, start))
		return 0;
	if (end < len && p[end] >= 0x80 && !utf8_starts_at(p, len, end))
		return 0;
	if (in_id_field(p, start) || x509_email(p, start) || amqp_host_field(p, start, end) ||
	    json_host_member(p, start) || fastcgi_server_var(p, start, end))
		return 0;
	return !nai_realm_3gpp(p, len, (size_t)(at - p));
}

/* Is there a decimal number with 4+ decimals ending at p[e) (looking left)? */
static int coord_before(const uint8_t *p, size_t e)
{
	size_t i = e, dec = 0;
	while (i > 0 && is_digit(p[i - 1]))
		i--, dec++;
	return dec >= 4 && i > 1 && p[i - 1] == '.' && is_digit(p[i - 2]);
}

/* Is there a decimal number with 4+ decimals starting at p[s] (sign allowed)? */
static int coord_after(const uint8_t *p, size_t len, size_t s)
{
	size_t i = s;
	if (i < len && (p[i] == '-' || p[i] == '+'))
		i++;
	size_t d = i;
	while (i < len && is_digit(p[i]))
		i++;
	if (i == d || i >= len || p[i] != '.')
		return 0;
	size_t f = ++i;
	while (i < len && is_digit(p[i]))
		i++;
	return i - f >= 4;
}

int context_latlon_ok(const uint8_t *p, size_t len, size_t start, size_t end)
{
	if (start >= end || end > len)
		return 0;
	/* one of a longer list of coordinates (a bounding box, a polyline): no single point */
	size_t b = start;
	while (b > 0 && p[b - 1] == ' ')
		b--;
	if (b > 0 && p[b - 1] == ',' && coord_before(p, b - 1))
		return 0;
	size_t a = end;
	while (a < len && p[a] == ' ')
		a++;
	if (a < len && p[a] == ',') {
		a++;
		while (a < len && p[a] == ' ')
			a++;
		if (coord_after(p, len, a))
			return 0;
	}
	return 1;
}

int context_digits_ok(const uint8_t *p, size_t len, size_t start, size_t end)
{
	if (start >= end || end > len)
		return 0;
	/* digits glued to a-f are part of a hex token (a hash, a key, a mining job) */
	return !(start > 0 && is_hex_letter(p[start - 1])) && !(end < len && is_hex_letter(p[end]));
}

int context_rule_ok(const struct rule *r, const uint8_t *p, size_t len, size_t start, size_t end)
{
	if (r->type != RULES_PATTERN)
		return 1;
	switch (r->check) {
	case RC_EMAIL:
		return context_email_ok(p, len, start, end);
	case RC_LATLON:
		return context_latlon_ok(p, len, start, end);
	default:
		return r->bound != VB_DIGIT || context_digits_ok(p, len, start, end);
	}
}
