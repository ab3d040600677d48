/* app_csv.c - PCAPdroid's connections CSV (--apps): rows keyed by protocol and both ends,
 * sorted by key then FirstSeen, looked up by binary search for each flow. */
#include "app_csv.h"
#include "util.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define APP_CSV_MAX_ROWS (1u << 20)    /* connections read from --apps */
#define APP_CSV_LIST 3                 /* unmatched rows named in the warning */

struct csv_row {                       /* one connection of PCAPdroid's CSV */
	uint64_t key;                  /* hash of protocol and both ends, either order */
	uint64_t first_ms, last_ms;    /* FirstSeen, LastSeen (ms since the epoch); 0 unknown */
	uint32_t line;
	int32_t uid;
	uint8_t proto, family, matched;
	uint8_t addr[2][16];
	uint16_t port[2];
};

struct app_csv {
	struct csv_row *rows;          /* sorted by key then FirstSeen */
	size_t n;
};

/* Protocol and both ends, the lower end first: the same key for either direction. */
static uint64_t csv_key(uint8_t proto, uint8_t family, const uint8_t *a0, uint16_t p0, const uint8_t *a1, uint16_t p1)
{
	size_t al = family == 6 ? 16 : 4;
	int c = memcmp(a0, a1, al);
	if (c > 0 || (c == 0 && p0 > p1)) {
		const uint8_t *t = a0;
		a0 = a1;
		a1 = t;
		uint16_t tp = p0;
		p0 = p1;
		p1 = tp;
	}
	uint8_t pp[6] = { proto, family, (uint8_t)(p0 >> 8), (uint8_t)p0, (uint8_t)(p1 >> 8), (uint8_t)p1 };
	uint64_t h = util_fnv(UTIL_FNV_BASIS, pp, sizeof pp);
	h = util_fnv(h, a0, al);
	return util_fnv(h, a1, al);
}

static int cmp_csv(const void *x, const void *y)
{
	const struct csv_row *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->first_ms != b->first_ms)
		return a->first_ms < b->first_ms ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	if (!*s)
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (*end || errno || x > max || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	*v = x;
	return 0;
}

static int parse_proto(const char *s, uint8_t *proto)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "TCP", 6 }, { "UDP", 17 }, { "ICMP", 1 }, { "ICMPv6", 58 }, { "ICMPV6", 58 },
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i].n)) {
			*proto = names[i].p;
			return 0;
		}
	if (parse_u64(s, 255, &v) < 0)
		return -1;
	*proto = (uint8_t)v;
	return 0;
}

static int parse_addr(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

/* Splits line (modified) at commas into f (at most cap fields); returns the count. */
static size_t csv_split(char *line, char **f, size_t cap)
{
	size_t n = 0;
	line[strcspn(line, "\r\n")] = 0;
	for (char *p = line;; p++) {
		if (n < cap)
			f[n] = p;
		n++;
		p += strcspn(p, ",");
		if (!*p)
			break;
		*p = 0;
	}
	return n;
}

enum { C_PROTO, C_SRC, C_SPORT, C_DST, C_DPORT, C_UID, C_APP, C_INFO, C_FIRST, C_LAST, C__N };

struct app_csv *app_csv_load(const char *path, app_csv_learn_fn learn, void *arg, char *errbuf, size_t errlen)
{
	static const char *cols[C__N] = { "IPProto", "SrcIP", "SrcPort", "DstIp", "DstPort", "UID", "App", "Info",
					  "FirstSeen", "LastSeen" };
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(errbuf, errlen, "--apps %s: %s", path, strerror(errno));
		return NULL;
	}
	struct app_csv *c = util_xcalloc(1, sizeof *c);
	char *line = NULL, *f[64];
	size_t cap = 0, lineno = 0, nh = 0;
	int idx[C__N];
	ssize_t got;
	int rc = -1;
	while ((got = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (lineno == 1 && got >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
			memmove(line, line + 3, (size_t)got - 2);  /* a byte-order mark */
		if (!line[strspn(line, " \t\r\n")])
			continue;  /* a blank line */
		size_t n = csv_split(line, f, 64);
		if (!nh) {  /* the header names the columns; PCAPdroid may add Malicious and others */
			nh = n > 64 ? 64 : n;
			for (int k = 0; k < C__N; k++) {
				idx[k] = -1;
				for (size_t i = 0; i < nh; i++)
					if (!strcasecmp(f[i], cols[k]))
						idx[k] = (int)i;
				if (idx[k] < 0 && k <= C_UID) {
					snprintf(errbuf, errlen, "--apps %s: line %zu: no %s column (not PCAPdroid's connections CSV)",
						 path, lineno, cols[k]);
					goto out;
				}
			}
			continue;
		}
		if (n < nh || n > 64) {
			snprintf(errbuf, errlen, "--apps %s: line %zu: %zu fields, the header has %zu", path, lineno, n, nh);
			goto out;
		}
		/* App and Info are written unquoted: their commas add fields, given to App (Info is a
		 * host name; an app's name may be "Notes, Lists") */
		int text = idx[C_APP] >= 0 ? idx[C_APP] : idx[C_INFO];
		size_t extra = n - nh;
		for (size_t k = 0; text >= 0 && k < extra; k++)  /* the commas split_csv cut back in */
			f[text + k][strlen(f[text + k])] = ',';
		const char *v[C__N];
		for (int k = 0; k < C__N; k++)
			v[k] = idx[k] < 0 ? "" : f[idx[k] + (extra && text >= 0 && idx[k] > text ? (int)extra : 0)];
		if (extra && (text < 0 || idx[C_UID] > text || idx[C_DPORT] > text)) {
			snprintf(errbuf, errlen, "--apps %s: line %zu: %zu fields, the header has %zu", path, lineno, n, nh);
			goto out;
		}
		if (c->n == APP_CSV_MAX_ROWS) {
			snprintf(errbuf, errlen, "--apps %s: line %zu: more than %u connections", path, lineno, APP_CSV_MAX_ROWS);
			goto out;
		}
		struct csv_row r = { .line = (uint32_t)lineno };
		uint8_t fam2;
		uint64_t sp, dp, t0 = 0, t1 = 0;
		int64_t uid = 0;
		char *end;
		const char *bad = NULL;
		if (parse_proto(v[C_PROTO], &r.proto) < 0)
			bad = cols[C_PROTO];
		else if (parse_addr(v[C_SRC], &r.family, r.addr[0]) < 0)
			bad = cols[C_SRC];
		else if (parse_u64(v[C_SPORT], 65535, &sp) < 0)
			bad = cols[C_SPORT];
		else if (parse_addr(v[C_DST], &fam2, r.addr[1]) < 0 || fam2 != r.family)
			bad = cols[C_DST];
		else if (parse_u64(v[C_DPORT], 65535, &dp) < 0)
			bad = cols[C_DPORT];
		else if (errno = 0, uid = strtoll(v[C_UID], &end, 10), !v[C_UID][0] || *end || errno || uid < INT32_MIN || uid > INT32_MAX)
			bad = cols[C_UID];
		else if (v[C_FIRST][0] && parse_u64(v[C_FIRST], UINT64_MAX / 1000, &t0) < 0)
			bad = cols[C_FIRST];
		else if (v[C_LAST][0] && parse_u64(v[C_LAST], UINT64_MAX / 1000, &t1) < 0)
			bad = cols[C_LAST];
		if (bad) {
			snprintf(errbuf, errlen, "--apps %s: line %zu: bad %s", path, lineno, bad);
			goto out;
		}
		r.port[0] = (uint16_t)sp;
		r.port[1] = (uint16_t)dp;
		r.uid = (int32_t)uid;
		r.first_ms = t0;
		r.last_ms = t1;
		r.key = csv_key(r.proto, r.family, r.addr[0], r.port[0], r.addr[1], r.port[1]);
		c->rows = util_xrealloc(c->rows, (c->n + 1) * sizeof *c->rows);
		c->rows[c->n++] = r;
		learn(arg, r.uid, v[C_APP]);
	}
	if (!nh) {
		snprintf(errbuf, errlen, "--apps %s: line 1: no header (not PCAPdroid's connections CSV)", path);
		goto out;
	}
	if (ferror(fp)) {
		snprintf(errbuf, errlen, "--apps %s: %s", path, strerror(errno));
		goto out;
	}
	if (c->n)
		qsort(c->rows, c->n, sizeof *c->rows, cmp_csv);
	rc = 0;
out:
	free(line);
	fclose(fp);
	if (rc < 0) {
		app_csv_free(c);
		return NULL;
	}
	return c;
}

void app_csv_free(struct app_csv *c)
{
	if (!c)
		return;
	free(c->rows);
	free(c);
}

size_t app_csv_rows(const struct app_csv *c)
{
	return c ? c->n : 0;
}

static int row_is(const struct csv_row *r, uint8_t proto, uint8_t family, const uint8_t *a0, uint16_t p0,
		  const uint8_t *a1, uint16_t p1)
{
	size_t al = family == 6 ? 16 : 4;
	if (r->proto != proto || r->family != family)
		return 0;
	return (!memcmp(r->addr[0], a0, al) && r->port[0] == p0 && !memcmp(r->addr[1], a1, al) && r->port[1] == p1) ||
	       (!memcmp(r->addr[0], a1, al) && r->port[0] == p1 && !memcmp(r->addr[1], a0, al) && r->port[1] == p0);
}

/* The row of a flow, or NULL. */
static const struct csv_row *row_of(const struct app_csv *c, uint8_t proto, uint8_t family, const uint8_t *addr0,
				    uint16_t port0, const uint8_t *addr1, uint16_t port1, uint64_t first_us)
{
	if (!c || !c->n)
		return NULL;
	uint64_t key = csv_key(proto, family, addr0, port0, addr1, port1);
	size_t lo = 0, hi = c->n;
	while (lo < hi) {  /* the first row with the key */
		size_t mid = lo + (hi - lo) / 2;
		if (c->rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct csv_row *only = NULL, *hit = NULL;
	size_t n = 0;
	uint64_t t = first_us / 1000;
	for (size_t i = lo; i < c->n && c->rows[i].key == key; i++) {
		const struct csv_row *r = &c->rows[i];
		if (!row_is(r, proto, family, addr0, port0, addr1, port1))
			continue;
		n++;
		only = r;
		/* rows in FirstSeen order: the last whose window holds the first packet */
		if ((!r->first_ms || r->first_ms <= t) && (!r->last_ms || t <= r->last_ms))
			hit = r;
	}
	return n == 1 ? only : hit;  /* one connection with these ends: its times need not agree */
}

int app_csv_find(const struct app_csv *c, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		 const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid)
{
	const struct csv_row *hit = row_of(c, proto, family, addr0, port0, addr1, port1, first_us);
	if (hit)
		*uid = hit->uid;
	return hit != NULL;
}

int app_csv_match(struct app_csv *c, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		  const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid)
{
	const struct csv_row *hit = row_of(c, proto, family, addr0, port0, addr1, port1, first_us);
	if (!hit)
		return 0;
	c->rows[hit - c->rows].matched = 1;
	*uid = hit->uid;
	return 1;
}

size_t app_csv_unmatched(const struct app_csv *c, char *list, size_t listlen)
{
	size_t n = 0, len = 0, rows = app_csv_rows(c);
	if (listlen)
		list[0] = 0;
	const struct csv_row **v = util_xcalloc(rows + 1, sizeof *v);
	for (size_t i = 0; i < rows; i++)
		if (!c->rows[i].matched)
			v[n++] = &c->rows[i];
	for (size_t k = 0; k < n && k < APP_CSV_LIST; k++) {  /* the first lines of the file */
		size_t m = k;
		for (size_t j = k + 1; j < n; j++)
			if (v[j]->line < v[m]->line)
				m = j;
		const struct csv_row *t = v[k];
		v[k] = v[m];
		v[m] = t;
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		int af = v[k]->family == 6 ? AF_INET6 : AF_INET;
		inet_ntop(af, v[k]->addr[0], s, sizeof s);
		inet_ntop(af, v[k]->addr[1], d, sizeof d);
		if (len < listlen)
			len += (size_t)snprintf(list + len, listlen - len, "%sline %u (protocol %u %s:%u -> %s:%u)",
						k ? ", " : "", v[k]->line, v[k]->proto, s, v[k]->port[0], d, v[k]->port[1]);
	}
	if (n > APP_CSV_LIST && len < listlen)
		snprintf(list + len, listlen - len, ", ...");
	free(v);
	return n;
}
