/* identity.h - the phone's identifiers, loaded from a JSON file (RFC 8259).
 * Values are kept as written; validation problems are warnings, not errors. */
#ifndef PH_IDENTITY_H
#define PH_IDENTITY_H
#include <stddef.h>

enum id_kind {
	ID_IMEI, ID_IMSI, ID_ICCID, ID_PHONE_NUMBER, ID_CARRIER, ID_MAC, ID_ANDROID_ID,
	ID_ADVERTISING_ID, ID_EMAIL, ID_SERIAL, ID_SMS, ID_CONTACT, ID_LOCATION,
	ID_MEID, ID_DEVICE_ID,          /* only found by detector rules (rules.c) */
	ID__COUNT
};

/* "imei", "imsi", ... "contact", "location"; "?" for an out-of-range kind. */
const char *identity_kind_name(enum id_kind k);
/* The kind named name (as identity_kind_name spells it), or -1. */
int identity_kind_parse(const char *name);

struct identity_value {
	enum id_kind kind;
	char *value;
	char *field;    /* for contacts "name"/"phone"/"email", else NULL */
};

struct identity_location {
	double lat, lon;
	char *lat_s, *lon_s;    /* as written, e.g. "28.613939" */
};

#define IDENTITY_MAX_LOCATIONS 32

struct identity {
	struct identity_value *values;  /* kinds in schema order, list order within */
	size_t nvalues;
	struct identity_location *locations;
	size_t nlocations;              /* at most IDENTITY_MAX_LOCATIONS */
	char **warnings;
	size_t nwarnings;
	char sha256[65];                /* of the file bytes, lower hex */
};

/* Load path; 0 ok, -1 with a one-line errbuf naming the file (and key). */
int identity_load(const char *path, struct identity **out, char *errbuf, size_t errlen);
void identity_free(struct identity *id);
/* 1 when digits is all decimal digits (at least 2) with a valid Luhn check digit. */
int identity_luhn_ok(const char *digits);
/* Mask for reports: first/last 4 kept when len >= 12, first/last 2 when len >= 6,
 * else all 'x'; out must hold strlen(v)+1 (truncated to outlen otherwise). */
void identity_mask(const char *v, char *out, size_t outlen);
/* 1 when s (spaces and dashes ignored) is '+' followed by 8-15 digits. */
int identity_is_e164(const char *s);

#endif
