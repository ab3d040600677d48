/* geo.h - destination geolocation (country, city, ASN) from MaxMind DB files.
 * Reads GeoIP2/GeoLite2 and flat ip-location-db layouts; reserved ranges per RFC 6890. */
#ifndef PH_GEO_H
#define PH_GEO_H
#include <stddef.h>
#include <stdint.h>

enum geo_status { GEO_UNKNOWN = 0, GEO_FOUND, GEO_NOT_FOUND, GEO_RESERVED };

struct geo_info {
	enum geo_status status;
	char country[3];          /* ISO 3166 alpha-2 upper case, "" when unknown */
	char city[64];            /* "" when the database has none */
	double latitude, longitude;
	int has_location;
	uint32_t asn;             /* 0 when unknown */
	char asn_org[128];
};

struct geo_db_meta {
	const char *path;
	const char *database_type;
	uint64_t build_epoch;
	const char *layout;       /* "geoip2" or "flat" */
};

struct geo;

/* Opens either database (a NULL path is not used); NULL with errbuf naming the file on failure. */
struct geo *geo_open(const char *country_db, const char *asn_db, char *errbuf, size_t errlen);
void geo_free(struct geo *g);
/* family 4 or 6, addr 4 or 16 bytes; reserved ranges are never looked up; results cached.
 * g may be NULL (no databases): status GEO_RESERVED or GEO_UNKNOWN. */
void geo_lookup(struct geo *g, int family, const uint8_t *addr, struct geo_info *out);
/* 1 for special-purpose ranges that no database can place (private, loopback, doc, ...). */
int geo_is_reserved(int family, const uint8_t *addr);
/* 1 for RFC 1918, ULA, link-local, CGNAT, loopback: where a phone on a LAN/hotspot can be. */
int geo_is_private(int family, const uint8_t *addr);
/* which: 0 country/city db, 1 asn db; 0 ok, -1 db not open. */
int geo_db_meta(const struct geo *g, int which, struct geo_db_meta *out);

#endif
