/* dnscache.h - bounded address -> DNS name cache, filled from A/AAAA answers (RFC 1035, 3596).
 * 4-way set-associative; all memory taken in dnscache_new. */
#ifndef PH_DNSCACHE_H
#define PH_DNSCACHE_H
#include <stddef.h>
#include <stdint.h>

struct dnscache;

/* A cache of at most cap entries (PH_DNS_CACHE_SIZE); the only allocation. */
struct dnscache *dnscache_new(size_t cap);
void dnscache_free(struct dnscache *c);
/* Map addr (family 4: 4 bytes, 6: 16 bytes) to name, cut to PH_DNS_MAX_NAME-1 chars. The newest
 * answer for an address wins; when the address's set is full, the entry written longest ago
 * (oldest put) in that set is replaced. Other families are ignored. */
void dnscache_put(struct dnscache *c, int family, const uint8_t *addr, const char *name);
/* The name for addr, NULL when unknown; valid until the next put. */
const char *dnscache_get(const struct dnscache *c, int family, const uint8_t *addr);
/* Entries the cache can hold (cap rounded down to whole sets). */
size_t dnscache_capacity(const struct dnscache *c);

#endif
