/* devices.h - who is on the hotspot: learnt from DHCP (RFC 2131/2132), ARP (RFC 826)
 * and IPv6 neighbour discovery (RFC 4861). */
#ifndef PH_DEVICES_H
#define PH_DEVICES_H
#include "decode.h"
#include <stddef.h>
#include <stdint.h>

struct device {
	uint8_t mac[6];
	uint8_t ip4[4], ip6[16];
	uint8_t has_ip4, has_ip6;
	char hostname[64];             /* DHCP option 12 */
	char vendor[64];               /* DHCP option 60, e.g. android-dhcp-13 */
	char source[8];                /* how it was first seen: dhcp, arp, ndp */
	uint64_t first_us, last_us;
};

struct devices;

struct devices *devices_new(size_t cap);
void devices_free(struct devices *d);
/* Learns from one frame (decoded or not: ARP and ICMPv6 are skipped by the flow path).
 * Returns the device when this frame made it new or changed it, else NULL. */
const struct device *devices_observe(struct devices *d, const struct packet *p);
size_t devices_count(const struct devices *d);
const struct device *devices_get(const struct devices *d, size_t i);

#endif
