/* test_geo.c - unit tests for geo.c on the databases of tests/gen/mkmmdb.pl.
 * Run `perl tests/gen/mkmmdb.pl build/test` first; PH_TEST_DB_DIR overrides the directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo.h"

struct plan_entry {
	const char *ip, *country, *city;
	double lat, lon;
	uint32_t asn;
	const char *org;
};

/* The address plan of tests/gen/mkmmdb.pl. */
static const struct plan_entry plan[] = {
	{ "220.181.111.10", "CN", "Beijing", 39.9042, 116.4074, 23724, "IDC, China Telecommunications Corporation" },
	{ "49.44.0.10", "IN", "Mumbai", 19.0760, 72.8777, 55836, "Reliance Jio Infocomm Limited" },
	{ "142.250.0.1", "US", "Mountain View", 37.4056, -122.0775, 15169, "GOOGLE" },
	{ "142.251.255.254", "US", "Mountain View", 37.4056, -122.0775, 15169, "GOOGLE" },
	{ "103.1.2.3", "SG", "Singapore", 1.29, 103.85, 131111, "Example SG" },
	{ "240e:f::1", "CN", "Beijing", 39.9042, 116.4074, 4134, "CHINANET-BACKBONE" },
	{ "2405:207:ffff::1", "IN", "Mumbai", 19.0760, 72.8777, 55836, "Reliance Jio Infocomm Limited" },
	{ "::ffff:49.44.0.10", "IN", "Mumbai", 19.0760, 72.8777, 55836, "Reliance Jio Infocomm Limited" },
};

static char db_dir[512];

static void db_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", db_dir, name);
}

/* Parse a textual address into family and bytes. */
static int parse(const char *ip, uint8_t addr[16])
{
	if (inet_pton(AF_INET, ip, addr) == 1)
		return 4;
	assert_int_equal(inet_pton(AF_INET6, ip, addr), 1);
	return 6;
}

static void lookup(struct geo *g, const char *ip, struct geo_info *out)
{
	uint8_t a[16];
	int fam = parse(ip, a);

	geo_lookup(g, fam, a, out);
}

static struct geo *open_pair(const char *country, const char *asn)
{
	char p1[600], p2[600], err[512] = "";

	if (country)
		db_path(p1, sizeof p1, country);
	if (asn)
		db_path(p2, sizeof p2, asn);
	struct geo *g = geo_open(country ? p1 : NULL, asn ? p2 : NULL, err, sizeof err);
	if (!g)
		fail_msg("geo_open: %s (run perl tests/gen/mkmmdb.pl %s)", err, db_dir);
	return g;
}

static void check_plan(const char *country_db, double tol)
{
	struct geo *g = open_pair(country_db, "test-asn.mmdb");
	struct geo_info gi;

	for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
		lookup(g, plan[i].ip, &gi);
		assert_int_equal(gi.status, GEO_FOUND);
		assert_string_equal(gi.country, plan[i].country);
		assert_string_equal(gi.city, plan[i].city);
		assert_true(gi.has_location);
		assert_true(fabs(gi.latitude - plan[i].lat) < tol);
		assert_true(fabs(gi.longitude - plan[i].lon) < tol);
		assert_int_equal(gi.asn, plan[i].asn);
		assert_string_equal(gi.asn_org, plan[i].org);
	}
	lookup(g, "8.8.8.8", &gi);
	assert_int_equal(gi.status, GEO_NOT_FOUND);
	assert_string_equal(gi.country, "");
	assert_int_equal(gi.asn, 0);
	lookup(g, "2001:4860::8888", &gi);
	assert_int_equal(gi.status, GEO_NOT_FOUND);
	geo_free(g);
}

static void test_city_layout(void **state)
{
	(void)state;
	check_plan("test-city.mmdb", 1e-9);
}

static void test_flat_layout(void **state)
{
	(void)state;
	check_plan("test-flat.mmdb", 1e-4);   /* floats */
}

static void test_private_never_looked_up(void **state)
{
	struct geo *g = open_pair("test-city.mmdb", "test-asn.mmdb");
	struct geo_info gi;

	(void)state;
	lookup(g, "192.168.1.1", &gi);
	assert_int_equal(gi.status, GEO_RESERVED);
	assert_string_equal(gi.country, "");
	lookup(g, "::ffff:192.168.1.1", &gi);
	assert_int_equal(gi.status, GEO_RESERVED);
	assert_string_equal(gi.country, "");
	lookup(g, "fe80::1", &gi);
	assert_int_equal(gi.status, GEO_RESERVED);
	geo_free(g);
}

static void test_asn_only_and_country_only(void **state)
{
	struct geo_info gi;
	struct geo *g = open_pair(NULL, "test-asn.mmdb");

	(void)state;
	lookup(g, "220.181.111.10", &gi);
	assert_int_equal(gi.status, GEO_FOUND);
	assert_string_equal(gi.country, "");
	assert_int_equal(gi.asn, 23724);
	geo_free(g);

	g = open_pair("test-flat.mmdb", NULL);
	lookup(g, "220.181.111.10", &gi);
	assert_int_equal(gi.status, GEO_FOUND);
	assert_string_equal(gi.country, "CN");
	assert_int_equal(gi.asn, 0);
	assert_string_equal(gi.asn_org, "");
	geo_free(g);

	g = open_pair(NULL, NULL);
	lookup(g, "220.181.111.10", &gi);
	assert_int_equal(gi.status, GEO_UNKNOWN);
	assert_int_equal(geo_db_meta(g, 0, &(struct geo_db_meta){ 0 }), -1);
	geo_free(g);
}

struct range_case {
	const char *ip;
	int reserved, private_;
};

static void test_ranges(void **state)
{
	static const struct range_case cases[] = {
		{ "172.15.255.255", 0, 0 }, { "172.16.0.0", 1, 1 }, { "172.31.255.255", 1, 1 },
		{ "172.32.0.0", 0, 0 }, { "100.63.255.255", 0, 0 }, { "100.64.0.0", 1, 1 },
		{ "100.127.255.255", 1, 1 }, { "100.128.0.0", 0, 0 }, { "10.0.0.1", 1, 1 },
		{ "11.0.0.1", 0, 0 }, { "192.168.43.1", 1, 1 }, { "127.0.0.1", 1, 1 },
		{ "169.254.1.1", 1, 1 }, { "0.0.0.0", 1, 0 }, { "255.255.255.255", 1, 0 },
		{ "240.0.0.1", 1, 0 }, { "224.0.0.251", 1, 0 }, { "239.255.255.250", 1, 0 },
		{ "223.255.255.255", 0, 0 }, { "192.0.2.1", 1, 0 }, { "198.51.100.7", 1, 0 },
		{ "203.0.113.9", 1, 0 }, { "198.18.0.1", 1, 0 }, { "198.19.255.255", 1, 0 },
		{ "198.20.0.0", 0, 0 }, { "8.8.8.8", 0, 0 }, { "1.1.1.1", 0, 0 },
		{ "fe80::1", 1, 1 }, { "febf::1", 1, 1 }, { "fec0::1", 0, 0 }, { "fc00::1", 1, 1 },
		{ "fdff::1", 1, 1 }, { "fe00::1", 0, 0 }, { "2001:db8::1", 1, 0 },
		{ "2001:db9::1", 0, 0 }, { "ff02::fb", 1, 0 }, { "::", 1, 0 }, { "::1", 1, 1 },
		{ "::2", 0, 0 }, { "::ffff:10.1.2.3", 1, 1 }, { "::ffff:8.8.8.8", 0, 0 },
		{ "2002:c0a8:0101::1", 0, 0 }, { "2001::1", 0, 0 }, { "2001:4860::8888", 0, 0 },
	};
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int fam = parse(cases[i].ip, a);
		if (geo_is_reserved(fam, a) != cases[i].reserved || geo_is_private(fam, a) != cases[i].private_)
			fail_msg("%s: reserved %d private %d, want %d %d", cases[i].ip, geo_is_reserved(fam, a),
				 geo_is_private(fam, a), cases[i].reserved, cases[i].private_);
	}
	assert_int_equal(geo_is_reserved(5, a), 0);
}

/* The ranges as the RFCs write them, for every /16 (and the edges of the smaller ones): the
 * first-octet shortcut in geo.c must never let a special address go as public. */
static int ref4(unsigned a, unsigned b, unsigned c, int reserved)
{
	int priv = a == 10 || (a == 100 && b >= 64 && b < 128) || a == 127 || (a == 169 && b == 254) ||
		   (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168);
	if (!reserved)
		return priv;
	return priv || a == 0 || (a == 192 && b == 0 && c == 2) || (a == 198 && (b == 18 || b == 19)) ||
	       (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 && c == 113) || a >= 224;
}

static void test_ranges_every_prefix(void **state)
{
	static const unsigned thirds[] = { 0, 1, 2, 100, 113, 255 };
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++)
			for (size_t k = 0; k < sizeof thirds / sizeof thirds[0]; k++) {
				uint8_t ip[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)thirds[k], 7 };
				if (geo_is_reserved(4, ip) != ref4(a, b, thirds[k], 1) ||
				    geo_is_private(4, ip) != ref4(a, b, thirds[k], 0))
					fail_msg("%u.%u.%u.7: reserved %d private %d", a, b, thirds[k],
						 geo_is_reserved(4, ip), geo_is_private(4, ip));
			}
}

static void test_open_errors(void **state)
{
	char err[512] = "", path[] = "/tmp/test_geo_corruptXXXXXX";

	(void)state;
	assert_null(geo_open("/nonexistent/dir/missing.mmdb", NULL, err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/dir/missing.mmdb"));
	assert_null(strchr(err, '\n'));

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char junk[4096];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 3);
	assert_int_equal(write(fd, junk, sizeof junk), sizeof junk);
	close(fd);
	err[0] = '\0';
	char good[600];
	db_path(good, sizeof good, "test-city.mmdb");
	struct geo *g = geo_open(good, path, err, sizeof err);
	unlink(path);
	assert_null(g);
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "test-city"));

	/* An empty file is corrupt too. */
	fd = mkstemp(strcpy(path, "/tmp/test_geo_emptyXXXXXX"));
	assert_true(fd >= 0);
	close(fd);
	g = geo_open(path, NULL, err, sizeof err);
	unlink(path);
	assert_null(g);
	assert_non_null(strstr(err, path));
}

static void test_cache(void **state)
{
	struct geo *g = open_pair("test-city.mmdb", "test-asn.mmdb");
	struct geo_info a, b, c;

	(void)state;
	lookup(g, "49.44.0.10", &a);
	lookup(g, "49.44.0.10", &b);
	assert_memory_equal(&a, &b, sizeof a);
	lookup(g, "::ffff:49.44.0.10", &c);
	assert_memory_equal(&a, &c, sizeof a);
	/* Many distinct addresses through the bounded cache keep giving right answers. */
	uint8_t ip[4] = { 220, 181, 0, 0 };
	for (int i = 0; i < 70000; i++) {
		ip[2] = (uint8_t)(i >> 8);
		ip[3] = (uint8_t)i;
		geo_lookup(g, 4, ip, &c);
		assert_string_equal(c.country, "CN");
	}
	lookup(g, "49.44.0.10", &c);
	assert_memory_equal(&a, &c, sizeof a);
	geo_free(g);
}

static void test_meta(void **state)
{
	struct geo *g = open_pair("test-city.mmdb", "test-asn.mmdb");
	struct geo_db_meta m;

	(void)state;
	assert_int_equal(geo_db_meta(g, 0, &m), 0);
	assert_string_equal(m.database_type, "GeoIP2-City");
	assert_int_equal(m.build_epoch, 1700000000);
	assert_string_equal(m.layout, "geoip2");
	assert_non_null(strstr(m.path, "test-city.mmdb"));
	assert_int_equal(geo_db_meta(g, 1, &m), 0);
	assert_string_equal(m.database_type, "GeoLite2-ASN");
	assert_int_equal(geo_db_meta(g, 2, &m), -1);
	geo_free(g);

	g = open_pair("test-flat.mmdb", NULL);
	assert_int_equal(geo_db_meta(g, 0, &m), 0);
	assert_string_equal(m.layout, "flat");
	assert_int_equal(m.build_epoch, 1700000000);
	assert_int_equal(geo_db_meta(g, 1, &m), -1);
	geo_free(g);
}

int main(void)
{
	const char *d = getenv("PH_TEST_DB_DIR");
	snprintf(db_dir, sizeof db_dir, "%s", d && *d ? d : "build/test");

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_city_layout),
		cmocka_unit_test(test_flat_layout),
		cmocka_unit_test(test_private_never_looked_up),
		cmocka_unit_test(test_asn_only_and_country_only),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_ranges_every_prefix),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_meta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
