/* identity.c - load the phone's identifiers from JSON (RFC 8259) with jansson.
 * Unknown keys, wrong types and empty strings are errors; odd values are warnings. */
#include "identity.h"
#include "util.h"
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[ID__COUNT] = {
	"imei", "imsi", "iccid", "phone_number", "carrier", "mac", "android_id",
	"advertising_id", "email", "serial", "sms", "contact", "location", "meid", "device_id",
};

/* Top-level keys holding a string or a list of strings, in schema order. */
static const enum id_kind list_kinds[] = {
	ID_IMEI, ID_IMSI, ID_ICCID, ID_PHONE_NUMBER, ID_CARRIER, ID_MAC, ID_ANDROID_ID,
	ID_ADVERTISING_ID, ID_EMAIL, ID_SERIAL, ID_SMS,
};
#define NLIST (sizeof list_kinds / sizeof list_kinds[0])

/* Loader state: the file name for messages and the identity being built. */
struct loader {
	const char *path;
	char *errbuf;
	size_t errlen;
	struct identity *id;
	size_t vcap, wcap;
};

const char *identity_kind_name(enum id_kind k)
{
	return (unsigned)k < ID__COUNT ? kind_names[k] : "?";
}

int identity_kind_parse(const char *name)
{
	for (int k = 0; k < ID__COUNT; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

/* Fill errbuf with "path: message" and return -1. */
static int fail(struct loader *L, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (L->errbuf && L->errlen)
		snprintf(L->errbuf, L->errlen, "%s: %s", L->path, msg);
	return -1;
}

/* Mask for warnings: first 4 and last 2 characters kept. */
static void mask42(const char *v, char *out, size_t outlen)
{
	size_t n = strlen(v);
	if (outlen == 0)
		return;
	size_t i;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (n > 6 && (i < 4 || i >= n - 2)) ? v[i] : 'x';
	out[i] = 0;
}

static void warn(struct loader *L, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct identity *id = L->id;
	if (id->nwarnings == L->wcap) {
		L->wcap = L->wcap ? 2 * L->wcap : 8;
		id->warnings = util_xrealloc(id->warnings, L->wcap * sizeof *id->warnings);
	}
	id->warnings[id->nwarnings++] = util_xstrdup(msg);
}

static void add_value(struct loader *L, enum id_kind k, const char *v, const char *field)
{
	struct identity *id = L->id;
	if (id->nvalues == L->vcap) {
		L->vcap = L->vcap ? 2 * L->vcap : 16;
		id->values = util_xrealloc(id->values, L->vcap * sizeof *id->values);
	}
	struct identity_value *iv = &id->values[id->nvalues++];
	iv->kind = k;
	iv->value = util_xstrdup(v);
	iv->field = field ? util_xstrdup(field) : NULL;
}

int identity_luhn_ok(const char *d)
{
	size_t n = strlen(d);
	if (n < 2)
		return 0;
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		char c = d[n - 1 - i];
		if (c < '0' || c > '9')
			return 0;
		unsigned x = (unsigned)(c - '0');
		if (i & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return sum % 10 == 0;
}

void identity_mask(const char *v, char *out, size_t outlen)
{
	size_t n = strlen(v), keep = n >= 12 ? 4 : n >= 6 ? 2 : 0;
	if (outlen == 0)
		return;
	size_t i;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (i < keep || i >= n - keep) ? v[i] : 'x';
	out[i] = 0;
}

/* Number of decimal digits in s when s is only digits, else 0. */
static size_t all_digits(const char *s)
{
	size_t n = 0;
	for (; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return n;
}

int identity_is_e164(const char *s)
{
	while (*s == ' ' || *s == '-')
		s++;
	if (*s++ != '+')
		return 0;
	size_t nd = 0;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			nd++;
		else if (*s != ' ' && *s != '-')
			return 0;
	}
	return nd >= 8 && nd <= 15;
}

/* An SMS entry that is a number rather than text: only digits, '+', spaces, dashes. */
static int looks_like_number(const char *s)
{
	size_t nd = 0;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			nd++;
		else if (!strchr("+ -()", *s))
			return 0;
	}
	return nd >= 3;
}

/* Warnings for values that are well-formed JSON but not plausible identifiers. */
static void validate(struct loader *L, enum id_kind k, const char *v, const char *key, int phone)
{
	char m[256];
	mask42(v, m, sizeof m);
	size_t nd = all_digits(v);
	if (k == ID_IMEI && nd != 15)
		warn(L, "%s \"%s\" is not 15 digits", key, m);
	else if (k == ID_IMEI && !identity_luhn_ok(v))
		warn(L, "%s \"%s\" fails the Luhn check", key, m);
	else if (k == ID_IMSI && (nd < 14 || nd > 15))
		warn(L, "%s \"%s\" is not 14-15 digits", key, m);
	else if ((k == ID_PHONE_NUMBER || (k == ID_SMS && looks_like_number(v)) || phone) &&
		 !identity_is_e164(v))
		warn(L, "%s \"%s\" is not in E.164 form (+ and 8-15 digits)", key, m);
}

/* One string-or-list key of the top level. */
static int load_list(struct loader *L, enum id_kind k, json_t *j)
{
	const char *key = kind_names[k];
	if (json_is_string(j)) {
		if (!*json_string_value(j))
			return fail(L, "key \"%s\" holds an empty string", key);
		add_value(L, k, json_string_value(j), NULL);
		validate(L, k, json_string_value(j), key, 0);
		return 0;
	}
	if (!json_is_array(j))
		return fail(L, "key \"%s\" must be a string or a list of strings", key);
	size_t i;
	json_t *e;
	json_array_foreach(j, i, e) {
		if (!json_is_string(e))
			return fail(L, "key \"%s\" must be a string or a list of strings", key);
		if (!*json_string_value(e))
			return fail(L, "key \"%s\" holds an empty string", key);
		add_value(L, k, json_string_value(e), NULL);
		validate(L, k, json_string_value(e), key, 0);
	}
	return 0;
}

/* contacts[]: objects with optional name, phone, email. */
static int load_contacts(struct loader *L, json_t *j)
{
	static const char *const fields[] = { "name", "phone", "email" };
	if (!json_is_array(j))
		return fail(L, "key \"contacts\" must be a list of objects");
	size_t i;
	json_t *c;
	json_array_foreach(j, i, c) {
		if (!json_is_object(c))
			return fail(L, "key \"contacts\" must be a list of objects");
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v) {
			if (strcmp(k, "name") && strcmp(k, "phone") && strcmp(k, "email"))
				return fail(L, "unknown key \"%s\" in contacts[%zu]", k, i);
			if (!json_is_string(v))
				return fail(L, "key \"contacts[%zu].%s\" must be a string", i, k);
			if (!*json_string_value(v))
				return fail(L, "key \"contacts[%zu].%s\" holds an empty string", i, k);
		}
		for (size_t f = 0; f < 3; f++) {
			json_t *v = json_object_get(c, fields[f]);
			if (!v)
				continue;
			char key[64];
			snprintf(key, sizeof key, "contacts[%zu].%s", i, fields[f]);
			add_value(L, ID_CONTACT, json_string_value(v), fields[f]);
			validate(L, ID_CONTACT, json_string_value(v), key, f == 1);
		}
	}
	return 0;
}

/* Shortest "%.*f" text that reads back as the same double. */
static void fmt_coord(double d, char *out, size_t outlen)
{
	for (int prec = 0; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*f", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* One coordinate: a number, or a string holding one; text kept as written. */
static int load_coord(struct loader *L, json_t *c, size_t i, const char *name,
		      double lo, double hi, double *val, char **text)
{
	json_t *v = json_object_get(c, name);
	char buf[64];
	if (!v)
		return fail(L, "key \"location[%zu].%s\" is missing", i, name);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (!*s)
			return fail(L, "key \"location[%zu].%s\" holds an empty string", i, name);
		errno = 0;
		*val = strtod(s, &end);
		if (end == s || *end || errno || !isfinite(*val))
			return fail(L, "key \"location[%zu].%s\" is not a number", i, name);
		snprintf(buf, sizeof buf, "%s", s);
	} else if (json_is_integer(v)) {
		*val = (double)json_integer_value(v);
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		*val = json_real_value(v);
		fmt_coord(*val, buf, sizeof buf);
	} else {
		return fail(L, "key \"location[%zu].%s\" must be a number or a string", i, name);
	}
	if (*val < lo || *val > hi)
		return fail(L, "key \"location[%zu].%s\" is out of range [%g, %g]", i, name, lo, hi);
	*text = util_xstrdup(buf);
	return 0;
}

/* location[]: objects with lat and lon. */
static int load_locations(struct loader *L, json_t *j)
{
	if (!json_is_array(j))
		return fail(L, "key \"location\" must be a list of objects");
	size_t n = json_array_size(j);
	if (n > IDENTITY_MAX_LOCATIONS)
		return fail(L, "key \"location\" has %zu entries (at most %d)", n, IDENTITY_MAX_LOCATIONS);
	struct identity *id = L->id;
	id->locations = util_xcalloc(n ? n : 1, sizeof *id->locations);
	size_t i;
	json_t *c;
	json_array_foreach(j, i, c) {
		if (!json_is_object(c))
			return fail(L, "key \"location\" must be a list of objects");
		const char *k;
		json_t *v;
		json_object_foreach(c, k, v) {
			if (strcmp(k, "lat") && strcmp(k, "lon"))
				return fail(L, "unknown key \"%s\" in location[%zu]", k, i);
		}
		struct identity_location *loc = &id->locations[i];
		id->nlocations = i + 1;
		if (load_coord(L, c, i, "lat", -90, 90, &loc->lat, &loc->lat_s) ||
		    load_coord(L, c, i, "lon", -180, 180, &loc->lon, &loc->lon_s))
			return -1;
	}
	return 0;
}

/* Walk the top-level object: unknown keys first, then keys in schema order. */
static int load_root(struct loader *L, json_t *root)
{
	if (!json_is_object(root))
		return fail(L, "top level must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v) {
		int known = !strcmp(k, "contacts") || !strcmp(k, "location");
		for (size_t i = 0; i < NLIST && !known; i++)
			known = !strcmp(k, kind_names[list_kinds[i]]);
		if (!known)
			return fail(L, "unknown key \"%s\"", k);
	}
	for (size_t i = 0; i < NLIST; i++) {
		v = json_object_get(root, kind_names[list_kinds[i]]);
		if (v && load_list(L, list_kinds[i], v))
			return -1;
	}
	if ((v = json_object_get(root, "contacts")) && load_contacts(L, v))
		return -1;
	if ((v = json_object_get(root, "location")) && load_locations(L, v))
		return -1;
	return 0;
}

/* Read the whole file (bounded) into a malloc'd buffer. */
static int read_file(struct loader *L, uint8_t **data, size_t *len)
{
	FILE *f = fopen(L->path, "rb");
	if (!f)
		return fail(L, "%s", strerror(errno));
	size_t cap = 65536, n = 0;
	uint8_t *b = util_xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= PH_IDENTITY_MAX_BYTES) {
				fclose(f);
				free(b);
				return fail(L, "file larger than %u bytes", PH_IDENTITY_MAX_BYTES);
			}
			cap *= 2;
			b = util_xrealloc(b, cap);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(b);
		return fail(L, "read error");
	}
	*data = b;
	*len = n;
	return 0;
}

int identity_load(const char *path, struct identity **out, char *errbuf, size_t errlen)
{
	struct loader L = { .path = path, .errbuf = errbuf, .errlen = errlen };
	uint8_t *data = NULL;
	size_t len = 0;
	*out = NULL;
	if (read_file(&L, &data, &len))
		return -1;
	L.id = util_xcalloc(1, sizeof *L.id);
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	util_hex(md, 32, L.id->sha256);
	json_error_t je;
	json_t *root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (!root) {
		fail(&L, "line %d column %d: %s", je.line, je.column, je.text);
		identity_free(L.id);
		return -1;
	}
	int rc = load_root(&L, root);
	json_decref(root);
	if (rc) {
		identity_free(L.id);
		return -1;
	}
	*out = L.id;
	return 0;
}

void identity_free(struct identity *id)
{
	if (!id)
		return;
	for (size_t i = 0; i < id->nvalues; i++) {
		free(id->values[i].value);
		free(id->values[i].field);
	}
	for (size_t i = 0; i < id->nlocations; i++) {
		free(id->locations[i].lat_s);
		free(id->locations[i].lon_s);
	}
	for (size_t i = 0; i < id->nwarnings; i++)
		free(id->warnings[i]);
	free(id->values);
	free(id->locations);
	free(id->warnings);
	free(id);
}
