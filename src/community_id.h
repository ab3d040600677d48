/* community_id.h - Community ID v1 flow hash (corelight/community-id-spec): the same string
 * for both directions of a flow, so EVE records join with Zeek's and Suricata's. */
#ifndef PH_COMMUNITY_ID_H
#define PH_COMMUNITY_ID_H
#include <stddef.h>
#include <stdint.h>

#define COMMUNITY_ID_LEN 31        /* "1:" + 28 base64 characters of a SHA-1 + NUL */

/* "1:" + base64(SHA-1(seed, addresses, proto, 0, ports)) with the endpoints in canonical
 * order (smaller address first, then smaller port). family 4 or 6; addresses of 4 or 16
 * bytes; ports in host order (ignored for protocols without ports: pass 0). out must hold
 * COMMUNITY_ID_LEN bytes. ICMP's type/code mapping is not done: phonehome has no ICMP flows. */
void community_id_v1(uint16_t seed, int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, char *out);

#endif
