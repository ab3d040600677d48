/* rules.h - detector rules: identifiers found without an identity file (JSON files in rules/).
 * A pattern rule is a Hyperscan expression plus a value check; a key rule names the keys. */
#ifndef PH_RULES_H
#define PH_RULES_H
#include <stddef.h>
#include <stdint.h>

struct variant_set;

enum rules_type { RULES_PATTERN, RULES_KEY };
/* Value checks ("check" in a rule). */
enum rules_check { RC_NONE, RC_IMEI, RC_MEID, RC_PHONE, RC_EMAIL, RC_COORD, RC_LATLON, RC_ID };

struct rule {
	char *id, *description, *severity;
	char *pattern;             /* RULES_PATTERN: Hyperscan expression */
	char **keys;               /* normalised (see rules_norm_key); pattern rules: keys a keyed hit needs */
	size_t nkeys;
	uint8_t type, check, bound, caseless;
	uint8_t http_only;         /* "scope": "http": searched in HTTP units and WebSocket messages only */
	int kind;                  /* enum id_kind */
	unsigned max_len;          /* longest match (pattern rules) */
	unsigned min_count;        /* distinct values needed in one message (e.g. an address book) */
	unsigned min_len;          /* key rules: shortest value reported */
};

struct rules {
	struct rule *r;
	size_t n;
	char **files;              /* loaded, for the report */
	size_t nfiles;
	struct rules_key_slot *keyidx;  /* every key rule's keys: key -> first rule (rules_find_key) */
	size_t keycap;                  /* a power of two, 0 before rules_load finishes */
};

/* Load a rules file, or every *.json in a directory (name order). 0 ok; -1 with a one-line
 * errbuf naming the file and line. */
int rules_load(const char *path, struct rules **out, char *errbuf, size_t errlen);
void rules_free(struct rules *r);
/* Add every pattern rule to vs (variant.c), tagged with its index. */
void rules_add_patterns(const struct rules *r, struct variant_set *vs);
/* Key path normalised for comparison: lower case, '_', '-' and ' ' dropped; into out. */
void rules_norm_key(const char *key, size_t len, char *out, size_t outlen);
/* 1 when the normalised path equals one of rule's keys or ends with "." and one. */
int rules_key_listed(const struct rule *r, const char *normpath);
/* The first key rule whose keys list the normalised path, or -1. */
int rules_find_key(const struct rules *r, const char *normpath);
/* 1 when v[0,n) passes the rule's check; keyed: the value sat under one of the rule's keys. */
int rules_check_value(const struct rule *r, const uint8_t *v, size_t n, int keyed);

#endif
