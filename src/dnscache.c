/* dnscache.c - bounded address -> DNS name cache, filled from A/AAAA answers (RFC 1035, 3596).
 * Sets of DNSCACHE_WAYS entries picked by a seeded hash; names inline; no allocation after new.
 * Every new flow asks, and most addresses were never answered: a set's 32-bit tags sit together
 * in one compact array (256 KiB for 65536 entries), so a miss reads one cache line, not four
 * 288-byte entries spread over 18 MiB (which cost 10% of the audit's samples in TLB and cache
 * misses). An entry is read only when its tag matches. */
#include "dnscache.h"
#include "config.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

#define DNSCACHE_WAYS 4
#define DNSCACHE_SEED 0x9e3779b97f4a7c15ull   /* fixed: runs stay deterministic */

struct dc_entry {
	uint64_t seq;                   /* put counter when written; 0 = empty */
	uint8_t family;
	uint8_t addr[16];
	char name[PH_DNS_MAX_NAME];
};

struct dnscache {
	struct dc_entry *e;
	uint32_t *tag;                  /* per entry: 0 = empty, else the key's hash, low bit set */
	size_t nsets, ways;             /* nsets is a power of two */
	uint64_t seq, seed;
};

/* A cache of at most cap entries. */
struct dnscache *dnscache_new(size_t cap)
{
	struct dnscache *c = util_xcalloc(1, sizeof(*c));

	if (cap == 0)
		cap = 1;
	c->ways = cap < DNSCACHE_WAYS ? cap : DNSCACHE_WAYS;
	c->nsets = 1;
	while (c->nsets * 2 * c->ways <= cap)
		c->nsets *= 2;
	c->seed = DNSCACHE_SEED;
	c->e = util_xcalloc(c->nsets * c->ways, sizeof(*c->e));
	c->tag = util_xcalloc(c->nsets * c->ways, sizeof(*c->tag));
	return c;
}

/* Release the cache. */
void dnscache_free(struct dnscache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->tag);
	free(c);
}

/* Entries the cache can hold. */
size_t dnscache_capacity(const struct dnscache *c)
{
	return c->nsets * c->ways;
}

/* Address bytes for a family, 0 when the family is not 4 or 6. */
static size_t addr_len(int family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

/* Index of the first entry of the set for an address, and the address's tag: FNV-1a over the
 * seeded key, then a 64-bit finalizer; the set from the low bits, the tag from the high ones. */
static size_t set_of(const struct dnscache *c, int family, const uint8_t *addr, size_t n, uint32_t *tag)
{
	uint64_t h = 0xcbf29ce484222325ull ^ c->seed;

	h = (h ^ (uint64_t)family) * 0x100000001b3ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	*tag = (uint32_t)(h >> 32) | 1;
	return (size_t)(h & (c->nsets - 1)) * c->ways;
}

/* Map addr to name: the newest answer wins; a full set loses its oldest entry. */
void dnscache_put(struct dnscache *c, int family, const uint8_t *addr, const char *name)
{
	size_t n = addr_len(family), nl, set, v = 0;
	uint32_t tag;
	struct dc_entry *victim = NULL;

	if (n == 0)
		return;
	set = set_of(c, family, addr, n, &tag);
	for (size_t i = set; i < set + c->ways; i++) {
		struct dc_entry *e = &c->e[i];

		if (c->tag[i] == tag && e->family == family && memcmp(e->addr, addr, n) == 0) {
			victim = e, v = i;
			break;
		}
		if (!victim || e->seq < victim->seq)
			victim = e, v = i;      /* an empty entry (seq 0) is always the oldest */
	}
	c->tag[v] = tag;
	victim->seq = ++c->seq;
	victim->family = (uint8_t)family;
	memset(victim->addr, 0, sizeof(victim->addr));
	memcpy(victim->addr, addr, n);
	nl = strlen(name);
	if (nl >= sizeof(victim->name))
		nl = sizeof(victim->name) - 1;
	memcpy(victim->name, name, nl);
	victim->name[nl] = '\0';
}

/* The name for addr, NULL when unknown. */
const char *dnscache_get(const struct dnscache *c, int family, const uint8_t *addr)
{
	size_t n = addr_len(family), set;
	uint32_t tag;

	if (n == 0)
		return NULL;
	set = set_of(c, family, addr, n, &tag);
	for (size_t i = set; i < set + c->ways; i++)
		if (c->tag[i] == tag && c->e[i].family == family && memcmp(c->e[i].addr, addr, n) == 0)
			return c->e[i].name;
	return NULL;
}
