/* geo.c - destination geolocation (country, city, ASN) with libmaxminddb.
 * Special-purpose address ranges follow RFC 6890 / RFC 6598 / RFC 4193 / RFC 3849. */
#include "geo.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef PH_GEO_CACHE_SIZE
#define PH_GEO_CACHE_SIZE 65536
#endif

/* An address's records, not their contents: 24 bytes, not 248, for the 65536 entries a worker
 * keeps (1.5 MiB, not 16: the pages a long capture's many destinations touch, each a fault). */
struct geo_cache_entry {
	uint8_t key[16];   /* IPv6, or IPv4-mapped IPv6 */
	uint32_t rec[2];   /* per database: its record's offset + 1; 0: none */
};

/* What one record of a database gives, read into an empty geo_info. Addresses are many, the
 * records they point to few (a country's or an AS's): each record's keys are looked up once. */
struct geo_rec {
	uint64_t off;      /* the record's offset + 1; 0: empty */
	struct geo_info v;
	uint8_t loc, got_loc, got_asn;  /* loc: read with the location */
};

struct geo_db {
	int open;
	MMDB_s mmdb;
	char *path;
	const char *layout;
	struct geo_rec *recs;  /* PH_GEO_REC_CACHE, direct-mapped by offset; NULL until a lookup */
};

struct geo {
	struct geo_db db[2];
	struct geo_cache_entry *cache;
	uint64_t *used;    /* a bit per entry, apart: an entry's page is first touched by a write,
			    * not read first as the zero page and then copied (a TLB flush on every core) */
	size_t cache_size;
};

/* Special-purpose ranges, tested per packet on the reading thread: IPv4 as (net, mask)
 * words, IPv6 by prefix bytes; an IPv4-mapped IPv6 address is tested as IPv4. */
struct geo_net4 {
	uint32_t net, mask;
};

struct geo_net6 {
	uint8_t net[16];
	unsigned bits;
};

#define V4(a, b, c, d, n) { (uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d), (uint32_t)(0xffffffffull << (32 - (n))) }

static const struct geo_net4 reserved4[] = {
	V4(0, 0, 0, 0, 8),        /* "this network" */
	V4(10, 0, 0, 0, 8),       /* RFC 1918 */
	V4(100, 64, 0, 0, 10),    /* CGNAT, RFC 6598 */
	V4(127, 0, 0, 0, 8),      /* loopback */
	V4(169, 254, 0, 0, 16),   /* link-local */
	V4(172, 16, 0, 0, 12),    /* RFC 1918 */
	V4(192, 0, 2, 0, 24),     /* TEST-NET-1 */
	V4(192, 168, 0, 0, 16),   /* RFC 1918 */
	V4(198, 18, 0, 0, 15),    /* benchmarking */
	V4(198, 51, 100, 0, 24),  /* TEST-NET-2 */
	V4(203, 0, 113, 0, 24),   /* TEST-NET-3 */
	V4(224, 0, 0, 0, 4),      /* multicast */
	V4(240, 0, 0, 0, 4),      /* reserved, includes broadcast */
};

static const struct geo_net6 reserved6[] = {
	{ { 0 }, 128 },                                            /* :: */
	{ { 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 }, 128 },              /* ::1 */
	{ { 0xfe, 0x80 }, 10 },                                    /* link-local */
	{ { 0xfc }, 7 },                                           /* ULA */
	{ { 0xff }, 8 },                                           /* multicast */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },                        /* documentation */
};

static const struct geo_net4 private4[] = {
	V4(10, 0, 0, 0, 8),
	V4(100, 64, 0, 0, 10),
	V4(127, 0, 0, 0, 8),
	V4(169, 254, 0, 0, 16),
	V4(172, 16, 0, 0, 12),
	V4(192, 168, 0, 0, 16),
};

static const struct geo_net6 private6[] = {
	{ { 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 }, 128 },
	{ { 0xfe, 0x80 }, 10 },
	{ { 0xfc }, 7 },
};

#define NELEM(t) (sizeof t / sizeof t[0])

static const uint8_t v4mapped_prefix[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

/* Normalise to 16 bytes: IPv4 becomes ::ffff:a.b.c.d; -1 for a bad family. */
static int geo_key(int family, const uint8_t *addr, uint8_t key[16])
{
	if (family == 4) {
		memcpy(key, v4mapped_prefix, 12);
		memcpy(key + 12, addr, 4);
		return 0;
	}
	if (family == 6) {
		memcpy(key, addr, 16);
		return 0;
	}
	return -1;
}

/* A set of special ranges. first4: the first octets its IPv4 ranges can start with; most
 * addresses are public, and one load lets them go (tested several times per frame on the
 * reading thread). */
struct geo_ranges {
	const struct geo_net4 *t4;
	size_t n4;
	const uint8_t *first4;
	const struct geo_net6 *t6;
	size_t n6;
};

static const uint8_t first_reserved4[256] = {
	[0] = 1, [10] = 1, [100] = 1, [127] = 1, [169] = 1, [172] = 1, [192] = 1, [198] = 1, [203] = 1,
	[224 ... 255] = 1,
};
static const uint8_t first_private4[256] = {
	[10] = 1, [100] = 1, [127] = 1, [169] = 1, [172] = 1, [192] = 1,
};

static const struct geo_ranges reserved = { reserved4, NELEM(reserved4), first_reserved4, reserved6, NELEM(reserved6) };
static const struct geo_ranges private_ = { private4, NELEM(private4), first_private4, private6, NELEM(private6) };

static int in4(const struct geo_ranges *r, const uint8_t *a)
{
	if (!r->first4[a[0]])
		return 0;
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	for (size_t i = 0; i < r->n4; i++)
		if ((v & r->t4[i].mask) == r->t4[i].net)
			return 1;
	return 0;
}

static int net6_contains(const struct geo_net6 *n, const uint8_t *a)
{
	unsigned full = n->bits / 8, rest = n->bits % 8;

	for (unsigned i = 0; i < full; i++)
		if (n->net[i] != a[i])
			return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (n->net[full] & mask);
}

static int in_tables(const struct geo_ranges *r, int family, const uint8_t *addr)
{
	if (family == 4)
		return in4(r, addr);
	if (family != 6)
		return 0;
	if (!memcmp(addr, v4mapped_prefix, 12))
		return in4(r, addr + 12);
	for (size_t i = 0; i < r->n6; i++)
		if (net6_contains(&r->t6[i], addr))
			return 1;
	return 0;
}

int geo_is_reserved(int family, const uint8_t *addr)
{
	return in_tables(&reserved, family, addr);
}

int geo_is_private(int family, const uint8_t *addr)
{
	return in_tables(&private_, family, addr);
}

/* Copy a database string, keeping only valid UTF-8 without control bytes, cut on a
 * character boundary: the result goes into JSON reports. */
static void copy_utf8(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t o = 0, i = 0;

	while (i < slen) {
		unsigned char c = (unsigned char)src[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			 : (c & 0xf8) == 0xf0 ? 4 : 0;
		int ok = n > 0 && i + n <= slen && !(n == 2 && c < 0xc2) && !(n == 4 && c > 0xf4);
		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)src[i + k] & 0xc0) == 0x80;
		if (!ok || (n == 1 && (c < 0x20 || c == 0x7f))) {
			n = 1;
			c = '?';
			ok = 0;
		}
		if (o + n >= dlen)
			break;
		if (ok)
			memcpy(dst + o, src + i, n);
		else
			dst[o] = (char)c;
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

/* A string at path (NULL-terminated vararg list), or 0 when absent or not a string. */
static int get_string(MMDB_entry_s *e, char *dst, size_t dlen, ...)
{
	MMDB_entry_data_s d;
	va_list ap;

	va_start(ap, dlen);
	int rc = MMDB_vget_value(e, &d, ap);
	va_end(ap);
	if (rc != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return 0;
	copy_utf8(dst, dlen, d.utf8_string, d.data_size);
	return 1;
}

/* A number at path: double, float, integer or numeric string. */
static int get_number(MMDB_entry_s *e, double *out, ...)
{
	MMDB_entry_data_s d;
	va_list ap;
	char buf[64], *end;

	va_start(ap, out);
	int rc = MMDB_vget_value(e, &d, ap);
	va_end(ap);
	if (rc != MMDB_SUCCESS || !d.has_data)
		return 0;
	switch (d.type) {
	case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; return 1;
	case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; return 1;
	case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return 1;
	case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return 1;
	case MMDB_DATA_TYPE_INT32: *out = d.int32; return 1;
	case MMDB_DATA_TYPE_UINT64: *out = (double)d.uint64; return 1;
	case MMDB_DATA_TYPE_UTF8_STRING:
		if (d.data_size == 0 || d.data_size >= sizeof buf)
			return 0;
		memcpy(buf, d.utf8_string, d.data_size);
		buf[d.data_size] = '\0';
		*out = strtod(buf, &end);
		return end != buf && *end == '\0';
	default:
		return 0;
	}
}

/* ISO code: two ASCII letters, stored upper case. */
static int get_country(MMDB_entry_s *e, char out[3], ...)
{
	MMDB_entry_data_s d;
	va_list ap;

	va_start(ap, out);
	int rc = MMDB_vget_value(e, &d, ap);
	va_end(ap);
	if (rc != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return 0;
	for (int i = 0; i < 2; i++) {
		char c = d.utf8_string[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return 0;
		out[i] = c;
	}
	out[2] = '\0';
	return 1;
}

/* Fill what the record holds, GeoIP2 keys first, then the flat layout's. */
static int read_location(MMDB_entry_s *e, struct geo_info *out)
{
	int got = 0;
	double lat, lon;

	if (!out->country[0])
		got |= get_country(e, out->country, "country", "iso_code", NULL)
		    || get_country(e, out->country, "registered_country", "iso_code", NULL)
		    || get_country(e, out->country, "country_code", NULL);
	if (!out->city[0])
		got |= get_string(e, out->city, sizeof out->city, "city", "names", "en", NULL)
		    || get_string(e, out->city, sizeof out->city, "city", NULL);
	if (!out->has_location
	    && ((get_number(e, &lat, "location", "latitude", NULL)
		 && get_number(e, &lon, "location", "longitude", NULL))
		|| (get_number(e, &lat, "latitude", NULL) && get_number(e, &lon, "longitude", NULL)))
	    && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		out->latitude = lat;
		out->longitude = lon;
		out->has_location = 1;
		got = 1;
	}
	return got;
}

/* ASN number and organisation; the first database that has them wins. */
static int read_asn(MMDB_entry_s *e, struct geo_info *out)
{
	double asn;

	if (out->asn || !get_number(e, &asn, "autonomous_system_number", NULL))
		return 0;
	if (asn < 1 || asn > 4294967295.0)
		return 0;
	out->asn = (uint32_t)asn;
	if (!get_string(e, out->asn_org, sizeof out->asn_org, "autonomous_system_organization", NULL))
		out->asn_org[0] = '\0';
	return 1;
}

/* The record at e, read once per worker while it stays in its slot. */
static const struct geo_rec *record(struct geo_db *db, MMDB_entry_s *e, int want_loc)
{
	if (!db->recs)
		db->recs = util_xcalloc(PH_GEO_REC_CACHE, sizeof *db->recs);
	uint64_t h = ((uint64_t)e->offset + 1) * 0x9e3779b97f4a7c15ull;
	struct geo_rec *c = &db->recs[h >> 32 & (PH_GEO_REC_CACHE - 1)];
	if (c->off == (uint64_t)e->offset + 1 && c->loc == want_loc)
		return c;
	memset(c, 0, sizeof *c);
	c->loc = (uint8_t)want_loc;
	c->got_loc = (uint8_t)(want_loc && read_location(e, &c->v));
	c->got_asn = (uint8_t)read_asn(e, &c->v);
	c->off = (uint64_t)e->offset + 1;
	return c;
}

/* The offset + 1 of key's record in db, 0 when it has none. */
static uint32_t find_rec(struct geo_db *db, const uint8_t key[16])
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	int mmdb_err = MMDB_SUCCESS;

	if (memcmp(key, v4mapped_prefix, 12) == 0) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, key + 12, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, key, 16);
		sa = (const struct sockaddr *)&sin6;
	}
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS || !r.found_entry || r.entry.offset == UINT32_MAX)
		return 0;
	return r.entry.offset + 1;
}

/* What db's record (offset + 1) adds to out; 1 if it held anything useful. */
static int fill_db(struct geo_db *db, uint32_t rec, struct geo_info *out, int want_loc)
{
	MMDB_entry_s e = { .mmdb = &db->mmdb, .offset = rec - 1 };
	const struct geo_rec *c = record(db, &e, want_loc);
	int got = 0;
	if (want_loc) {  /* out has no location yet: the ASN database, asked first, gives none */
		memcpy(out->country, c->v.country, sizeof out->country);
		memcpy(out->city, c->v.city, sizeof out->city);
		out->latitude = c->v.latitude;
		out->longitude = c->v.longitude;
		out->has_location = c->v.has_location;
		got = c->got_loc;
	}
	if (!out->asn && c->got_asn) {  /* read_asn's rule: the first database with an ASN wins */
		out->asn = c->v.asn;
		memcpy(out->asn_org, c->v.asn_org, sizeof out->asn_org);
		got = 1;
	}
	return got;
}

/* out from an address's records in both databases. */
static void fill(struct geo *g, const uint32_t rec[2], struct geo_info *out)
{
	int any_open = g->db[0].open || g->db[1].open, got = 0;

	/* The ASN database is asked first so its ASN wins over a country db's. */
	if (rec[1])
		got |= fill_db(&g->db[1], rec[1], out, 0);
	if (rec[0])
		got |= fill_db(&g->db[0], rec[0], out, 1);
	out->status = got ? GEO_FOUND : any_open ? GEO_NOT_FOUND : GEO_UNKNOWN;
}

/* FNV-1a over the 16-byte key: deterministic slot choice. */
static size_t cache_slot(const struct geo *g, const uint8_t key[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % g->cache_size;
}

void geo_lookup(struct geo *g, int family, const uint8_t *addr, struct geo_info *out)
{
	uint8_t key[16];

	memset(out, 0, sizeof *out);
	if (geo_key(family, addr, key) < 0)
		return;
	/* ::ffff:a.b.c.d is judged and looked up as a.b.c.d. */
	if (geo_is_reserved(6, key)) {
		out->status = GEO_RESERVED;
		return;
	}
	if (!g)
		return;
	size_t slot = cache_slot(g, key);
	struct geo_cache_entry *c = &g->cache[slot];
	uint64_t bit = 1ull << (slot & 63);
	if (!(g->used[slot >> 6] & bit) || memcmp(c->key, key, 16) != 0) {
		for (int i = 0; i < 2; i++)
			c->rec[i] = g->db[i].open ? find_rec(&g->db[i], key) : 0;
		memcpy(c->key, key, 16);
		g->used[slot >> 6] |= bit;
	}
	fill(g, c->rec, out);
}

/* Decide the layout from the type name, else from a few probed records. */
static const char *detect_layout(MMDB_s *m)
{
	static const char *const probes[] = { "8.8.8.8", "1.1.1.1", "220.181.111.10",
					      "49.44.0.10", "142.250.0.1", "2001:4860::8888" };
	const char *t = m->metadata.database_type ? m->metadata.database_type : "";

	if (strstr(t, "GeoIP") || strstr(t, "GeoLite"))
		return "geoip2";
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		int gai = 0, err = 0;
		MMDB_lookup_result_s r = MMDB_lookup_string(m, probes[i], &gai, &err);
		MMDB_entry_data_s d;
		if (gai || err != MMDB_SUCCESS || !r.found_entry)
			continue;
		if (MMDB_get_value(&r.entry, &d, "country", NULL) == MMDB_SUCCESS && d.has_data)
			return "geoip2";
		if (MMDB_get_value(&r.entry, &d, "country_code", NULL) == MMDB_SUCCESS && d.has_data)
			return "flat";
	}
	return "flat";
}

/* Open one database into db; -1 with errbuf naming the file. */
static int open_db(struct geo_db *db, const char *path, char *errbuf, size_t errlen)
{
	errno = 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	int e = errno;

	if (rc != MMDB_SUCCESS) {
		if ((rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) && e)
			snprintf(errbuf, errlen, "geo: %s: %s (%s)", path, MMDB_strerror(rc), strerror(e));
		else
			snprintf(errbuf, errlen, "geo: %s: %s", path, MMDB_strerror(rc));
		return -1;
	}
	db->open = 1;
	db->path = util_xstrdup(path);
	db->layout = detect_layout(&db->mmdb);
	return 0;
}

struct geo *geo_open(const char *country_db, const char *asn_db, char *errbuf, size_t errlen)
{
	struct geo *g = util_xcalloc(1, sizeof *g);
	const char *paths[2] = { country_db, asn_db };

	for (int i = 0; i < 2; i++) {
		if (paths[i] && open_db(&g->db[i], paths[i], errbuf, errlen) < 0) {
			geo_free(g);
			return NULL;
		}
	}
	g->cache_size = PH_GEO_CACHE_SIZE > 0 ? PH_GEO_CACHE_SIZE : 1;
	g->cache = util_xmalloc(g->cache_size * sizeof *g->cache);
	g->used = util_xcalloc((g->cache_size + 63) / 64, sizeof *g->used);
	return g;
}

void geo_free(struct geo *g)
{
	if (!g)
		return;
	for (int i = 0; i < 2; i++) {
		if (g->db[i].open)
			MMDB_close(&g->db[i].mmdb);
		free(g->db[i].path);
		free(g->db[i].recs);
	}
	free(g->cache);
	free(g->used);
	free(g);
}

int geo_db_meta(const struct geo *g, int which, struct geo_db_meta *out)
{
	if (!g || which < 0 || which > 1 || !g->db[which].open)
		return -1;
	const struct geo_db *db = &g->db[which];
	out->path = db->path;
	out->database_type = db->mmdb.metadata.database_type ? db->mmdb.metadata.database_type : "";
	out->build_epoch = db->mmdb.metadata.build_epoch;
	out->layout = db->layout;
	return 0;
}
