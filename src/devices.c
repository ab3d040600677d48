/* devices.c - device discovery on the hotspot's LAN: DHCP gives MAC, address, host name
 * and vendor class; ARP and NDP give MAC-to-address bindings. Bounded table. */
#include "devices.h"
#include "geo.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DHCP_MIN 240                   /* BOOTP header + magic cookie */
#define DHCP_MAGIC 0x63825363u

struct devices {
	struct device *v;
	size_t n, cap;
};

struct devices *devices_new(size_t cap)
{
	struct devices *d = util_xcalloc(1, sizeof *d);
	d->cap = cap ? cap : 1;
	d->v = util_xcalloc(d->cap, sizeof *d->v);
	return d;
}

void devices_free(struct devices *d)
{
	if (!d)
		return;
	free(d->v);
	free(d);
}

size_t devices_count(const struct devices *d) { return d->n; }
const struct device *devices_get(const struct devices *d, size_t i) { return i < d->n ? &d->v[i] : NULL; }

static int mac_valid(const uint8_t *m)
{
	static const uint8_t zero[6];
	return memcmp(m, zero, 6) && !(m[0] & 1);  /* not zero, not multicast/broadcast */
}

/* The device with this MAC, created if there is room; *is_new set when created. */
static struct device *by_mac(struct devices *d, const uint8_t *mac, uint64_t ts, const char *src, int *is_new)
{
	for (size_t i = 0; i < d->n; i++)
		if (!memcmp(d->v[i].mac, mac, 6)) {
			d->v[i].last_us = ts;
			return &d->v[i];
		}
	if (d->n == d->cap)
		return NULL;
	struct device *v = &d->v[d->n++];
	memcpy(v->mac, mac, 6);
	snprintf(v->source, sizeof v->source, "%s", src);
	v->first_us = v->last_us = ts;
	*is_new = 1;
	return v;
}

static int set_ip4(struct device *v, const uint8_t *ip)
{
	static const uint8_t zero[4];
	if (!memcmp(ip, zero, 4) || (v->has_ip4 && !memcmp(v->ip4, ip, 4)))
		return 0;
	memcpy(v->ip4, ip, 4);
	v->has_ip4 = 1;
	return 1;
}

/* Copies a DHCP option string, keeping printable ASCII only. */
static int set_str(char *dst, size_t dstlen, const uint8_t *p, size_t len)
{
	char tmp[64];
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < sizeof tmp && n + 1 < dstlen; i++)
		tmp[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	tmp[n] = 0;
	if (!strcmp(dst, tmp))
		return 0;
	memcpy(dst, tmp, n + 1);
	return 1;
}

/* DHCP from the client (options 12, 50, 60) or the server's ACK (yiaddr). */
static const struct device *observe_dhcp(struct devices *d, const struct packet *p)
{
	const uint8_t *b = p->payload;
	size_t len = p->payload_len;
	if (len < DHCP_MIN || b[1] != 1 || b[2] != 6 || rd_be32(b + 236) != DHCP_MAGIC)
		return NULL;  /* not Ethernet BOOTP with the DHCP cookie */
	if (!mac_valid(b + 28))
		return NULL;
	int is_new = 0, changed = 0, msgtype = 0;
	struct device *v = by_mac(d, b + 28, p->ts_us, "dhcp", &is_new);
	if (!v)
		return NULL;
	for (size_t off = DHCP_MIN; off < len && b[off] != 255;) {
		if (b[off] == 0) {
			off++;
			continue;
		}
		if (off + 2 > len || off + 2 + b[off + 1] > len)
			break;  /* option runs off the datagram */
		const uint8_t *o = b + off + 2;
		size_t ol = b[off + 1];
		if (b[off] == 12)
			changed |= set_str(v->hostname, sizeof v->hostname, o, ol);
		else if (b[off] == 60)
			changed |= set_str(v->vendor, sizeof v->vendor, o, ol);
		else if (b[off] == 50 && ol == 4)
			changed |= set_ip4(v, o);
		else if (b[off] == 53 && ol == 1)
			msgtype = o[0];
		off += 2 + ol;
	}
	if (b[0] == 2 && msgtype == 5)  /* DHCPACK: the address the client now holds */
		changed |= set_ip4(v, b + 16);
	return is_new || changed ? v : NULL;
}

static const struct device *observe_arp(struct devices *d, const struct packet *p)
{
	const uint8_t *a = p->l2_payload;
	if (p->l2_len < 28 || rd_be16(a) != 1 || rd_be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
		return NULL;  /* only Ethernet/IPv4 ARP */
	if (!mac_valid(a + 8) || !geo_is_reserved(4, a + 14))  /* LAN addresses, incl. test nets */
		return NULL;
	int is_new = 0;
	struct device *v = by_mac(d, a + 8, p->ts_us, "arp", &is_new);
	if (!v)
		return NULL;
	int changed = set_ip4(v, a + 14);
	return is_new || changed ? v : NULL;
}

/* Neighbour solicitation/advertisement: the sender's address and MAC. */
static const struct device *observe_ndp(struct devices *d, const struct packet *p)
{
	if (p->l4_len < 24 || (p->l4[0] != 135 && p->l4[0] != 136) || !p->has_mac || !mac_valid(p->smac))
		return NULL;
	static const uint8_t unspec[16];
	if (!memcmp(p->src, unspec, 16) || !geo_is_reserved(6, p->src))
		return NULL;
	int is_new = 0;
	struct device *v = by_mac(d, p->smac, p->ts_us, "ndp", &is_new);
	if (!v)
		return NULL;
	int changed = !v->has_ip6 || memcmp(v->ip6, p->src, 16);
	memcpy(v->ip6, p->src, 16);
	v->has_ip6 = 1;
	return is_new || changed ? v : NULL;
}

const struct device *devices_observe(struct devices *d, const struct packet *p)
{
	if (p->ethertype == 0x0806)
		return observe_arp(d, p);
	if (p->family == 6 && p->ip_proto == 58 && p->l4)
		return observe_ndp(d, p);
	if (p->proto == 17 && p->payload && ((p->sport == 68 && p->dport == 67) || (p->sport == 67 && p->dport == 68)))
		return observe_dhcp(d, p);
	return NULL;
}
