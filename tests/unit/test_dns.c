/* test_dns.c - unit tests of the DNS message parser (RFC 1035, RFC 3596).
 * Messages are built byte by byte; every prefix of a valid one is parsed from an exact-size buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dns.h"
#include "config.h"

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void put16(struct msg *m, uint16_t v) { put8(m, (uint8_t)(v >> 8)); put8(m, (uint8_t)v); }
static void put32(struct msg *m, uint32_t v) { put16(m, (uint16_t)(v >> 16)); put16(m, (uint16_t)v); }
static void putbytes(struct msg *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }

/* Dotted name as labels; end with a root label unless ptr >= 0, then a pointer to ptr. */
static size_t putname(struct msg *m, const char *dotted, int ptr)
{
	size_t at = m->n;

	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);

		put8(m, (uint8_t)l);
		putbytes(m, dotted, l);
		dotted += l + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		put16(m, (uint16_t)(0xc000 | ptr));
	else
		put8(m, 0);
	return at;
}

static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* Resource record header at the current position; the caller writes rdata. */
static void rr(struct msg *m, uint16_t type, uint16_t rdlen)
{
	put16(m, type);
	put16(m, 1);
	put32(m, 3600);
	put16(m, rdlen);
}

struct got {
	int n;
	char name[8][PH_DNS_MAX_NAME];
	int family[8];
	uint8_t addr[8][16];
	uint32_t ttl[8];
	int total;
};

static void on_answer(void *arg, const char *qname, int family, const uint8_t *addr, uint32_t ttl)
{
	struct got *g = arg;

	g->total++;
	if (g->n >= 8)
		return;
	snprintf(g->name[g->n], sizeof(g->name[0]), "%s", qname);
	g->family[g->n] = family;
	g->ttl[g->n] = ttl;
	memcpy(g->addr[g->n], addr, family == 4 ? 4 : 16);
	g->n++;
}

static const uint8_t v4[4] = { 93, 184, 216, 34 };
static const uint8_t v6[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
				0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46 };

static void build_a(struct msg *m)
{
	header(m, 0x8180, 1, 1);
	putname(m, "Example.COM", -1);
	put16(m, 1);
	put16(m, 1);
	put16(m, 0xc00c);
	rr(m, 1, 4);
	putbytes(m, v4, 4);
}

/* www.Shop.example -> CNAME cdn.shop.example.edgekey.net -> CNAME e1.a.akamai.net -> AAAA, A;
 * records out of order, plus an unrelated A and a TXT. */
static void build_chain(struct msg *m)
{
	size_t q, c1, c2;

	header(m, 0x8180, 1, 6);
	q = putname(m, "www.Shop.example", -1);
	put16(m, 28);
	put16(m, 1);
	/* e1.a.akamai.net AAAA (owner defined later: write it in full here) */
	c2 = putname(m, "e1.a.akamai.net", -1);
	rr(m, 28, 16);
	putbytes(m, v6, 16);
	put16(m, (uint16_t)(0xc000 | q));
	rr(m, 5, 0);
	{
		size_t rdl_at = m->n - 2, start = m->n;

		c1 = putname(m, "cdn", (int)q + 4);   /* cdn + pointer to "shop.example" */
		m->n--;                               /* drop the pointer's second byte... */
		m->n--;                               /* ...and first: add edgekey.net instead */
		put8(m, 4);
		putbytes(m, "shop", 4);
		putname(m, "example.edgekey.net", -1);
		m->b[rdl_at] = 0;
		m->b[rdl_at + 1] = (uint8_t)(m->n - start);
	}
	put16(m, (uint16_t)(0xc000 | c1));
	rr(m, 5, 2);
	put16(m, (uint16_t)(0xc000 | c2));
	put16(m, (uint16_t)(0xc000 | c2));
	rr(m, 1, 4);
	putbytes(m, v4, 4);
	putname(m, "other", (int)q + 9);          /* other.example: not in the chain */
	rr(m, 1, 4);
	put32(m, 0x09090909);
	put16(m, (uint16_t)(0xc000 | q));
	rr(m, 16, 3);
	putbytes(m, "\x02hi", 3);
}

static void test_a(void **state)
{
	struct msg m;
	struct got g = { 0 };
	char name[PH_DNS_MAX_NAME];

	(void)state;
	build_a(&m);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name[0], "example.com");
	assert_int_equal(g.family[0], 4);
	assert_memory_equal(g.addr[0], v4, 4);
	assert_int_equal(g.ttl[0], 3600);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), 0);
	assert_string_equal(name, "example.com");
	assert_int_equal(dns_question_name(m.b, m.n, name, 5), 0);
	assert_string_equal(name, "exam");
}

static void test_aaaa(void **state)
{
	struct msg m;
	struct got g = { 0 };

	(void)state;
	header(&m, 0x8180, 1, 1);
	putname(&m, "ipv6.google.com", -1);
	put16(&m, 28);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr(&m, 28, 16);
	putbytes(&m, v6, 16);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name[0], "ipv6.google.com");
	assert_int_equal(g.family[0], 6);
	assert_memory_equal(g.addr[0], v6, 16);
}

static void test_cname_chain(void **state)
{
	struct msg m;
	struct got g = { 0 };

	(void)state;
	build_chain(&m);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.name[0], "www.shop.example");
	assert_int_equal(g.family[0], 6);
	assert_memory_equal(g.addr[0], v6, 16);
	assert_string_equal(g.name[1], "www.shop.example");
	assert_int_equal(g.family[1], 4);
	assert_memory_equal(g.addr[1], v4, 4);
}

static void test_compression_suffix(void **state)
{
	struct msg m;
	struct got g = { 0 };

	(void)state;
	/* question a.b.example.org, answer owner "a" + pointer to "b.example.org" inside it */
	header(&m, 0x8180, 1, 1);
	putname(&m, "a.b.example.org", -1);
	put16(&m, 1);
	put16(&m, 1);
	putname(&m, "A", 12 + 2);
	rr(&m, 1, 4);
	putbytes(&m, v4, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name[0], "a.b.example.org");
}

static void test_pointer_loops(void **state)
{
	struct msg m;
	struct got g = { 0 };
	char name[PH_DNS_MAX_NAME];

	(void)state;
	/* question name is a pointer to itself */
	header(&m, 0x8180, 1, 0);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), -2);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), -2);
	/* forward pointer */
	header(&m, 0x8180, 1, 0);
	put16(&m, 0xc00e);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), -2);
	/* answer owner: label then pointer back into its own labels (5 -> 9 -> 5 ...) */
	build_a(&m);
	m.b[6] = 0;
	m.b[7] = 1;
	m.n = 12 + 13 + 4;
	{
		size_t at = m.n;

		put8(&m, 1);
		put8(&m, 'x');
		put16(&m, (uint16_t)(0xc000 | at));
		rr(&m, 1, 4);
		putbytes(&m, v4, 4);
	}
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), -2);
	/* reserved label types */
	build_a(&m);
	m.b[12] = 0x47;
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), -2);
	assert_int_equal(g.total, 0);
}

static void test_every_prefix(void **state)
{
	struct msg m;

	(void)state;
	for (int which = 0; which < 2; which++) {
		if (which == 0)
			build_chain(&m);
		else
			build_a(&m);
		for (size_t k = 0; k < m.n; k++) {
			uint8_t *b = malloc(k ? k : 1);
			struct got g = { 0 };
			char name[PH_DNS_MAX_NAME];
			int r;

			memcpy(b, m.b, k);
			r = dns_parse_response(b, k, on_answer, &g);
			assert_true(r == -1 || r == -2);
			assert_int_equal(g.total, 0);
			r = dns_question_name(b, k, name, sizeof(name));
			assert_true(r == 0 || r == -1);
			free(b);
		}
	}
}

static void test_query_and_empty(void **state)
{
	struct msg m;
	struct got g = { 0 };
	char name[PH_DNS_MAX_NAME];

	(void)state;
	header(&m, 0x0100, 1, 0);
	putname(&m, "tracker.example.net", -1);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 1);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), 0);
	assert_string_equal(name, "tracker.example.net");
	/* NXDOMAIN, no answers */
	m.b[2] = 0x81;
	m.b[3] = 0x83;
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 1);
	/* response whose only answer is for another name */
	build_a(&m);
	m.b[12 + 1] = 'X';
	m.n -= 16;
	putname(&m, "elsewhere", -1);
	rr(&m, 1, 4);
	putbytes(&m, v4, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 1);
	assert_int_equal(g.total, 0);
}

static void test_odd_names(void **state)
{
	struct msg m;
	struct got g = { 0 };
	char name[PH_DNS_MAX_NAME];
	static const uint8_t lab[] = { 7, 'a', '.', 'B', ' ', '\\', 0xff, '_' };

	(void)state;
	header(&m, 0x8180, 1, 1);
	putbytes(&m, lab, sizeof(lab));
	putname(&m, "Xn--80Ak6Aa92E.com", -1);
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr(&m, 1, 4);
	putbytes(&m, v4, 4);
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_string_equal(g.name[0], "a\\046b\\032\\092\\255_.xn--80ak6aa92e.com");
	/* root name */
	header(&m, 0x8180, 1, 0);
	put8(&m, 0);
	put16(&m, 2);
	put16(&m, 1);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), 0);
	assert_string_equal(name, "");
	/* a name over 255 bytes on the wire */
	header(&m, 0x8180, 1, 0);
	for (int i = 0; i < 5; i++) {
		put8(&m, 60);
		memset(m.b + m.n, 'a' + i, 60);
		m.n += 60;
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_question_name(m.b, m.n, name, sizeof(name)), -2);
}

static void test_bad_rdata(void **state)
{
	struct msg m;
	struct got g = { 0 };

	(void)state;
	build_a(&m);
	m.b[m.n - 5] = 5;                       /* rdlength 5 past the end */
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), -1);
	build_a(&m);
	m.b[m.n - 5] = 3;                       /* A with 3 bytes */
	assert_int_equal(dns_parse_response(m.b, m.n - 1, on_answer, &g), -2);
	assert_int_equal(g.total, 0);
}

static void test_answer_cap(void **state)
{
	struct msg m;
	struct got g = { 0 };
	int n = PH_DNS_MAX_ANSWERS + 10;

	(void)state;
	header(&m, 0x8180, 1, (uint16_t)n);
	putname(&m, "many.example", -1);
	put16(&m, 1);
	put16(&m, 1);
	for (int i = 0; i < n; i++) {
		put16(&m, 0xc00c);
		rr(&m, 1, 4);
		put32(&m, 0x0a000000u + (uint32_t)i);
	}
	assert_int_equal(dns_parse_response(m.b, m.n, on_answer, &g), 0);
	assert_int_equal(g.total, PH_DNS_MAX_ANSWERS);
}

/* The header and first question of a response, a query and a header alone; names of types and rcodes. */
static void test_head(void **state)
{
	struct msg m;
	struct dns_head h;
	char name[PH_DNS_MAX_NAME];

	(void)state;
	build_a(&m);
	assert_int_equal(dns_head(m.b, m.n, name, sizeof(name), &h), 0);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(h.qr, 1);
	assert_int_equal(h.rcode, 0);
	assert_int_equal(h.qtype, 1);
	assert_string_equal(name, "example.com");
	header(&m, 0x0100, 1, 0);
	putname(&m, "a.example", -1);
	put16(&m, 65);
	put16(&m, 1);
	assert_int_equal(dns_head(m.b, m.n, name, sizeof(name), &h), 0);
	assert_int_equal(h.qr, 0);
	assert_string_equal(dns_type_name(h.qtype), "HTTPS");
	assert_int_equal(dns_head(m.b, m.n - 3, name, sizeof(name), &h), -1);  /* type cut */
	header(&m, 0x8183, 0, 0);
	assert_int_equal(dns_head(m.b, m.n, name, sizeof(name), &h), 0);
	assert_string_equal(dns_rcode_name(h.rcode), "NXDOMAIN");
	assert_int_equal(h.qtype, 0);
	assert_string_equal(name, "");
	assert_int_equal(dns_head(m.b, 11, name, sizeof(name), &h), -1);
	assert_null(dns_type_name(12345));
	assert_null(dns_rcode_name(15));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_compression_suffix),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_query_and_empty),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_bad_rdata),
		cmocka_unit_test(test_answer_cap),
		cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
