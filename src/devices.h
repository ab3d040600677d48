/* devices.h - who is on the hotspot, by hardware: a device is a MAC, and every address it
 * sends from; learnt from source MACs, DHCP (RFC 2131/2132), DHCPv6 (RFC 8415), ARP (RFC 826)
 * and IPv6 neighbour discovery (RFC 4861). The gateway's MAC is told apart and never a device. */
#ifndef PH_DEVICES_H
#define PH_DEVICES_H
#include "config.h"
#include "decode.h"
#include <stddef.h>
#include <stdint.h>

/* What a MAC is. A weak device sent from a local address (or ARPed) and nothing more; a
 * gateway overrides both device roles for good (only --device MAC overrides it). */
enum device_role { DEV_ROLE_NONE, DEV_ROLE_WEAK, DEV_ROLE_DEVICE, DEV_ROLE_GATEWAY };

/* How an address (or a device) was learnt. */
enum device_how { DEV_HOW_MAC, DEV_HOW_DHCP, DEV_HOW_DHCPV6, DEV_HOW_NDP, DEV_HOW_ARP, DEV_HOW_OPTION };

struct device_addr {
	uint8_t family;                /* 4 or 6 */
	uint8_t how;                   /* enum device_how */
	uint8_t addr[16];
	uint32_t dev;                  /* index of its device */
	uint64_t first_us;             /* first frame that tied it to its device */
};

struct device {
	uint8_t mac[6];
	uint8_t role;                  /* enum device_role */
	uint8_t option;                /* given as --device MAC */
	uint8_t ip4[4], ip6[16];       /* the latest address of each family (live lines) */
	uint8_t has_ip4, has_ip6;
	char hostname[64];             /* DHCP option 12 */
	char vendor[64];               /* DHCP option 60, e.g. android-dhcp-13 */
	char source[8];                /* how it was first seen as a device: mac, dhcp, dhcpv6, ndp, arp, option */
	uint64_t first_us, last_us;    /* first and last frame it sent */
	uint32_t addr[PH_DEVICE_ADDRS_LISTED]; /* its addresses (device_addr indexes), oldest first */
	uint32_t naddr;
	uint32_t unlisted;             /* addresses past PH_DEVICE_ADDRS_LISTED */
	uint64_t pub[PH_GATEWAY_PREFIXES]; /* distinct public source prefixes (IPv6 /64, IPv4 /32) */
	uint8_t npub;
};

struct devices_stats {
	uint64_t macs_dropped;         /* MACs not remembered: the table was full */
	uint64_t addrs_dropped;        /* addresses not tied to their device: the table was full */
};

struct devices;

/* A table of at most cap MACs and PH_MAX_DEVICE_ADDRS addresses, allocated once. */
struct devices *devices_new(size_t cap);
void devices_free(struct devices *d);
/* --device MAC: that MAC is a device whatever it does. -1 when the table is full. */
int devices_add_option(struct devices *d, const uint8_t mac[6]);
/* Learns from one frame (any: ARP and ICMPv6 too). Table look-ups only, no allocation.
 * Returns the device when this frame made it a device or gave it an address, else NULL. */
const struct device *devices_observe(struct devices *d, const struct packet *p);
/* The entry of a MAC, or NULL. */
const struct device *devices_by_mac(struct devices *d, const uint8_t *mac);
/* The device an address was tied to, or NULL. */
const struct device *devices_by_addr(const struct devices *d, int family, const uint8_t *addr);
/* 1 when the entry is a device (weak or not, or --device), not a gateway or a bystander. */
int devices_is_device(const struct device *v);
size_t devices_count(const struct devices *d);
const struct device *devices_get(const struct devices *d, size_t i);
/* The i-th address of v (oldest first), i < v->naddr. */
const struct device_addr *devices_addr(const struct devices *d, const struct device *v, size_t i);
const struct devices_stats *devices_stats(const struct devices *d);
const char *devices_how_name(int how);

#endif
