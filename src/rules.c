/* rules.c - load detector rules (JSON, RFC 8259) and check what they find: IMEI (3GPP TS 23.003,
 * Luhn and reporting-body prefix), E.164 and Indian national numbers, e-mail, coordinates. */
#include "rules.h"
#include "config.h"
#include "identity.h"
#include "util.h"
#include "variant.h"
#include <ctype.h>
#include <dirent.h>
#include <hs/hs.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define RULES_MAX_FILES 64
#define RULES_DEFAULT_MAX_LEN 64

static const char *const check_names[] = { "none", "imei", "meid", "phone", "email", "coord", "latlon", "id" };
static const char *const sev_names[] = { "low", "medium", "high", "critical" };

/* GSMA reporting-body identifiers: the first two digits of an allocated TAC. */
static const char *const rbi[] = { "01", "10", "30", "33", "35", "44", "45", "49", "50", "51",
				   "52", "53", "54", "86", "91", "98", "99" };

struct loader {
	const char *path;
	const char *text;          /* the file, to find a rule's line */
	char *errbuf;
	size_t errlen;
	struct rules *rs;
};

void rules_norm_key(const char *key, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && key[i] && o + 1 < outlen; i++) {
		char c = key[i];
		if (c == '_' || c == '-' || c == ' ')
			continue;
		out[o++] = (char)tolower((unsigned char)c);
	}
	if (outlen)
		out[o] = 0;
}

int rules_key_listed(const struct rule *r, const char *path)
{
	size_t pl = strlen(path);
	for (size_t i = 0; i < r->nkeys; i++) {
		size_t kl = strlen(r->keys[i]);
		if (pl == kl && !memcmp(path, r->keys[i], kl))
			return 1;
		if (pl > kl && path[pl - kl - 1] == '.' && !memcmp(path + pl - kl, r->keys[i], kl))
			return 1;
	}
	return 0;
}

/* Every key and value pair of a parsed body asks which key rule names it: a hash of the keys
 * answers with one probe per dotted suffix of the path, not a string compare per key. */
struct rules_key_slot {
	const char *key;           /* NULL: empty */
	int rule;                  /* the first key rule that lists it */
};

/* The slot of the n bytes at k: its entry, or the empty slot where it would go. */
static struct rules_key_slot *key_slot(const struct rules *rs, const char *k, size_t n)
{
	size_t i = util_fnv(UTIL_FNV_BASIS, k, n) & (rs->keycap - 1);
	while (rs->keyidx[i].key && (strncmp(rs->keyidx[i].key, k, n) || rs->keyidx[i].key[n]))
		i = (i + 1) & (rs->keycap - 1);
	return &rs->keyidx[i];
}

static void index_keys(struct rules *rs)
{
	size_t nkeys = 0;
	for (size_t i = 0; i < rs->n; i++)
		nkeys += rs->r[i].type == RULES_KEY ? rs->r[i].nkeys : 0;
	for (rs->keycap = 8; rs->keycap < 2 * nkeys; rs->keycap *= 2)
		;
	rs->keyidx = util_xcalloc(rs->keycap, sizeof *rs->keyidx);
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; rs->r[i].type == RULES_KEY && k < rs->r[i].nkeys; k++) {
			const char *key = rs->r[i].keys[k];
			struct rules_key_slot *s = key_slot(rs, key, strlen(key));
			if (!s->key)
				*s = (struct rules_key_slot){ key, (int)i };
		}
}

int rules_find_key(const struct rules *rs, const char *path)
{
	if (!rs || !rs->keycap)
		return -1;
	int best = -1;
	size_t pl = strlen(path);
	for (size_t at = 0; at <= pl; at++) {  /* path itself, then what follows each '.' */
		if (at && path[at - 1] != '.')
			continue;
		const struct rules_key_slot *s = key_slot(rs, path + at, pl - at);
		if (s->key && (best < 0 || s->rule < best))
			best = s->rule;
	}
	return best;
}

static int luhn(const uint8_t *d, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v = d[n - 1 - i] - '0';
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static int all_digits(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit(v[i]))
			return 0;
	return n > 0;
}

/* 15 digits, Luhn, known reporting body; 14 (no check digit) or 16 (IMEISV) only under a key. */
static int check_imei(const uint8_t *v, size_t n, int keyed)
{
	if (!all_digits(v, n) || n < 14 || n > 16)
		return 0;
	int body = 0;
	for (size_t i = 0; i < sizeof rbi / sizeof rbi[0]; i++)
		body |= v[0] == (uint8_t)rbi[i][0] && v[1] == (uint8_t)rbi[i][1];
	if (!body)
		return 0;
	if (n == 15)
		return luhn(v, n);
	return keyed;
}

/* MEID: 14 hex digits with a reporting body A0-FF (3GPP2 S.R0048). */
static int check_meid(const uint8_t *v, size_t n)
{
	if (n != 14)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit(v[i]))
			return 0;
	return strchr("AaBbCcDdEeFf", v[0]) != NULL;
}

/* E.164 ('+' or "00", 8-15 digits) or an Indian mobile number (6-9 then 9 digits, after
 * an optional 0, 91 or +91); spaces and dashes between digits are ignored. */
static int check_phone(const uint8_t *v, size_t n)
{
	char d[24];
	size_t nd = 0;
	int plus = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '+' && nd == 0 && !plus)
			plus = 1;
		else if (isdigit(v[i]) && nd + 1 < sizeof d)
			d[nd++] = (char)v[i];
		else if (v[i] != ' ' && v[i] != '-' && v[i] != '(' && v[i] != ')')
			return 0;
	}
	d[nd] = 0;
	const char *p = d;
	if (!plus && nd > 2 && d[0] == '0' && d[1] == '0') {
		plus = 1;
		p += 2;
	}
	size_t np = strlen(p);
	if (plus && np >= 8 && np <= 15 && p[0] != '0')
		return 1;
	if (np == 12 && !strncmp(p, "91", 2))
		p += 2;
	else if (np == 11 && p[0] == '0')
		p += 1;
	return strlen(p) == 10 && p[0] >= '6' && p[0] <= '9';
}

/* An address, not a file name such as icon@2x.png: the top-level domain is no file type. */
static int check_email(const uint8_t *v, size_t n)
{
	static const char *const ext[] = { "png", "jpg", "jpeg", "gif", "webp", "svg", "js", "css", "html",
					   "json", "mp4", "ico", "bmp" };
	const uint8_t *dot = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '.')
			dot = v + i;
	if (!memchr(v, '@', n) || !dot)
		return 0;
	size_t tl = (size_t)(v + n - dot - 1);
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (strlen(ext[i]) == tl && !strncasecmp((const char *)dot + 1, ext[i], tl))
			return 0;
	return 1;
}

/* A decimal number with at least 4 decimals, |value| <= limit. */
static int coord_ok(const uint8_t *v, size_t n, double limit)
{
	char b[32];
	if (n == 0 || n >= sizeof b)
		return 0;
	memcpy(b, v, n);
	b[n] = 0;
	const char *dot = strchr(b, '.');
	if (!dot || strspn(dot + 1, "0123456789") < 4)
		return 0;
	char *end;
	double x = strtod(b, &end);
	return end != b && x >= -limit && x <= limit && x != 0.0;
}

/* "lat, lon": two coordinates with 4+ decimals, lat within 90. */
static int check_latlon(const uint8_t *v, size_t n)
{
	size_t c = 0;
	while (c < n && v[c] != ',')
		c++;
	if (c == n)
		return 0;
	size_t a = c;
	while (a > 0 && v[a - 1] == ' ')
		a--;
	size_t b = c + 1;
	while (b < n && v[b] == ' ')
		b++;
	return coord_ok(v, a, 90.0) && coord_ok(v + b, n - b, 180.0);
}

/* An identifier value: not empty, not a placeholder such as "0000", "null" or "unknown". */
static int check_id(const uint8_t *v, size_t n, unsigned min_len)
{
	static const char *const junk[] = { "null", "none", "unknown", "undefined", "nil", "true",
					    "false", "n/a", "-" };
	if (n < (min_len ? min_len : 4))
		return 0;
	int nonzero = 0;
	for (size_t i = 0; i < n; i++)
		nonzero |= isalnum(v[i]) && v[i] != '0';
	if (!nonzero)
		return 0;
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		if (strlen(junk[i]) == n && !strncasecmp((const char *)v, junk[i], n))
			return 0;
	return 1;
}

int rules_check_value(const struct rule *r, const uint8_t *v, size_t n, int keyed)
{
	switch (r->check) {
	case RC_IMEI:
		return check_imei(v, n, keyed);
	case RC_MEID:
		return check_meid(v, n);
	case RC_PHONE:
		return check_phone(v, n);
	case RC_EMAIL:
		return check_email(v, n);
	case RC_COORD:
		return coord_ok(v, n, 180.0);
	case RC_LATLON:
		return check_latlon(v, n);
	case RC_ID:
		return check_id(v, n, r->min_len);
	default:
		return n > 0;
	}
}

/* Line of the first occurrence of "needle" (quoted) in the file text, or 0. */
static int line_of(const char *text, const char *needle)
{
	char q[160];
	snprintf(q, sizeof q, "\"%s\"", needle);
	const char *p = text ? strstr(text, q) : NULL;
	if (!p)
		return 0;
	int line = 1;
	for (const char *t = text; t < p; t++)
		line += *t == '\n';
	return line;
}

static int fail(struct loader *L, const char *rid, int idx, const char *fmt, const char *what)
{
	int line = rid ? line_of(L->text, rid) : 0;
	char msg[256];
	snprintf(msg, sizeof msg, fmt, what);
	if (line)
		snprintf(L->errbuf, L->errlen, "%s:%d: rule %s: %s", L->path, line, rid, msg);
	else
		snprintf(L->errbuf, L->errlen, "%s: rule %d: %s", L->path, idx + 1, msg);
	return -1;
}

static int pick(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* One rule object into a new slot of L->rs. */
static int load_rule(struct loader *L, json_t *o, int idx)
{
	static const char *const known[] = { "id", "kind", "type", "pattern", "keys", "check", "bound",
					     "max_len", "min_count", "min_len", "caseless", "severity",
					     "description", "scope" };
	if (!json_is_object(o))
		return fail(L, NULL, idx, "%s", "not an object");
	const char *rid = json_string_value(json_object_get(o, "id"));
	if (!rid || !rid[0])
		return fail(L, NULL, idx, "%s", "\"id\" must be a non-empty string");
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (pick(known, sizeof known / sizeof known[0], k) < 0)
			return fail(L, rid, idx, "unknown key \"%s\"", k);
	}
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *pat = json_string_value(json_object_get(o, "pattern"));
	const char *chk = json_string_value(json_object_get(o, "check"));
	const char *bnd = json_string_value(json_object_get(o, "bound"));
	const char *sev = json_string_value(json_object_get(o, "severity"));
	const char *desc = json_string_value(json_object_get(o, "description"));
	json_t *keys = json_object_get(o, "keys");
	struct rule r = { .kind = kind ? identity_kind_parse(kind) : -1 };
	if (r.kind < 0)
		return fail(L, rid, idx, "unknown kind \"%s\"", kind ? kind : "(missing)");
	if (!type || (strcmp(type, "pattern") && strcmp(type, "key")))
		return fail(L, rid, idx, "\"type\" must be \"pattern\" or \"key\"%s", "");
	r.type = !strcmp(type, "key") ? RULES_KEY : RULES_PATTERN;
	int c = chk ? pick(check_names, sizeof check_names / sizeof check_names[0], chk) : 0;
	if (c < 0)
		return fail(L, rid, idx, "unknown check \"%s\"", chk);
	r.check = (uint8_t)c;
	static const char *const bounds[] = { "none", "digit", "alnum" };
	int b = bnd ? pick(bounds, 3, bnd) : 0;
	if (b < 0)
		return fail(L, rid, idx, "unknown bound \"%s\"", bnd);
	r.bound = (uint8_t)(b == 0 ? VB_NONE : b == 1 ? VB_DIGIT : VB_ALNUM);
	if (!sev || pick(sev_names, 4, sev) < 0)
		return fail(L, rid, idx, "\"severity\" must be low, medium, high or critical%s", "");
	if (!desc || !desc[0])
		return fail(L, rid, idx, "\"description\" missing%s", "");
	json_int_t ml = json_integer_value(json_object_get(o, "max_len"));
	r.max_len = ml > 0 ? (unsigned)ml : RULES_DEFAULT_MAX_LEN;
	if (r.max_len > PH_MATCH_MAX_PATTERN)
		return fail(L, rid, idx, "\"max_len\" above %s", "256");
	r.min_count = (unsigned)json_integer_value(json_object_get(o, "min_count"));
	r.min_len = (unsigned)json_integer_value(json_object_get(o, "min_len"));
	r.caseless = json_is_true(json_object_get(o, "caseless"));
	const char *scope = json_string_value(json_object_get(o, "scope"));
	if (scope && strcmp(scope, "all") && strcmp(scope, "http"))
		return fail(L, rid, idx, "\"scope\" must be \"all\" or \"http\"%s", "");
	r.http_only = scope && !strcmp(scope, "http");
	if (r.type == RULES_PATTERN) {
		if (!pat || !pat[0])
			return fail(L, rid, idx, "pattern rule without \"pattern\"%s", "");
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *ce = NULL;
		unsigned fl = HS_FLAG_SOM_LEFTMOST | (r.caseless ? HS_FLAG_CASELESS : 0);
		if (hs_expression_info(pat, fl, &info, &ce) != HS_SUCCESS) {  /* parses, without a compile */
			char m[200];
			snprintf(m, sizeof m, "pattern: %s", ce ? ce->message : "does not compile");
			hs_free_compile_error(ce);
			return fail(L, rid, idx, "%s", m);
		}
		if (info->max_width != UINT_MAX && info->max_width > r.max_len)
			r.max_len = info->max_width < PH_MATCH_MAX_PATTERN ? info->max_width : PH_MATCH_MAX_PATTERN;
		free(info);
	} else if (!json_is_array(keys) || json_array_size(keys) == 0) {
		return fail(L, rid, idx, "key rule without \"keys\"%s", "");
	}
	if (keys && !json_is_array(keys))
		return fail(L, rid, idx, "\"keys\" must be a list of strings%s", "");
	size_t i;
	json_t *kv;
	json_array_foreach(keys, i, kv) {
		if (!json_is_string(kv))
			return fail(L, rid, idx, "\"keys\" must be a list of strings%s", "");
	}
	r.id = util_xstrdup(rid);
	r.description = util_xstrdup(desc);
	r.severity = util_xstrdup(sev);
	r.pattern = pat ? util_xstrdup(pat) : NULL;
	r.nkeys = keys ? json_array_size(keys) : 0;
	r.keys = util_xcalloc(r.nkeys + 1, sizeof *r.keys);
	json_array_foreach(keys, i, kv) {
		char nk[96];
		const char *s = json_string_value(kv);
		rules_norm_key(s, strlen(s), nk, sizeof nk);
		r.keys[i] = util_xstrdup(nk);
	}
	L->rs->r = util_xrealloc(L->rs->r, (L->rs->n + 1) * sizeof *L->rs->r);
	L->rs->r[L->rs->n++] = r;
	return 0;
}

static int load_file(struct rules *rs, const char *path, char *errbuf, size_t errlen)
{
	size_t len = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(errbuf, errlen, "%s: cannot open", path);
		return -1;
	}
	char *text = NULL;
	size_t cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			text = util_xrealloc(text, cap);
		}
		size_t got = fread(text + len, 1, 4096, fp);
		len += got;
		if (got == 0)
			break;
	}
	fclose(fp);
	text[len] = 0;
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	struct loader L = { .path = path, .text = text, .errbuf = errbuf, .errlen = errlen, .rs = rs };
	int rc = 0;
	if (!root) {
		snprintf(errbuf, errlen, "%s:%d: %s", path, je.line, je.text);
		rc = -1;
	} else if (!json_is_array(json_object_get(root, "rules"))) {
		snprintf(errbuf, errlen, "%s:1: want an object with a \"rules\" list", path);
		rc = -1;
	} else {
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(root, "rules"), i, o) {
			if (load_rule(&L, o, (int)i) < 0) {
				rc = -1;
				break;
			}
		}
	}
	json_decref(root);
	free(text);
	if (rc == 0) {
		rs->files = util_xrealloc(rs->files, (rs->nfiles + 1) * sizeof *rs->files);
		rs->files[rs->nfiles++] = util_xstrdup(path);
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rules_load(const char *path, struct rules **out, char *errbuf, size_t errlen)
{
	struct rules *rs = util_xcalloc(1, sizeof *rs);
	struct stat sb;
	int rc = 0;
	if (stat(path, &sb) < 0) {
		snprintf(errbuf, errlen, "%s: no such file or directory", path);
		rc = -1;
	} else if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		char *names[RULES_MAX_FILES];
		size_t n = 0;
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL && n < RULES_MAX_FILES) {
			size_t l = strlen(e->d_name);
			/* identity files live beside the rules: they are not rule files */
			if (l > 5 && !strcmp(e->d_name + l - 5, ".json") && !strstr(e->d_name, "identity")) {
				names[n] = util_xmalloc(strlen(path) + l + 2);
				sprintf(names[n++], "%s/%s", path, e->d_name);
			}
		}
		if (d)
			closedir(d);
		qsort(names, n, sizeof *names, cmp_str);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0 && load_file(rs, names[i], errbuf, errlen) < 0)
				rc = -1;
			free(names[i]);
		}
	} else {
		rc = load_file(rs, path, errbuf, errlen);
	}
	if (rc < 0) {
		rules_free(rs);
		return -1;
	}
	index_keys(rs);
	*out = rs;
	return 0;
}

void rules_free(struct rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];
		free(r->id);
		free(r->description);
		free(r->severity);
		free(r->pattern);
		for (size_t k = 0; k < r->nkeys; k++)
			free(r->keys[k]);
		free(r->keys);
	}
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->keyidx);
	free(rs->r);
	free(rs);
}

void rules_add_patterns(const struct rules *rs, struct variant_set *vs)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		if (r->type == RULES_PATTERN)
			variant_add_rule(vs, r->pattern, r->caseless ? HS_FLAG_CASELESS : 0, (unsigned)r->kind,
					 r->bound, (int)i, r->max_len, r->http_only);
	}
}
