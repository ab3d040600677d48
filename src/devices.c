/* devices.c - device discovery on the hotspot's LAN, by MAC: a frame's source MAC ties its
 * source address to the device; DHCP gives host name and vendor class; DHCPv6 (RFC 8415),
 * ARP (RFC 826) and NDP (RFC 4861) give more ties. Bounded hash tables, no allocation per frame. */
#include "devices.h"
#include "geo.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DHCP_MIN 240                   /* BOOTP header + magic cookie */
#define DHCP_MAGIC 0x63825363u
#define ETH_ARP 0x0806

struct devices {
	struct device *v;              /* every MAC remembered, in order first seen */
	size_t n, cap;
	uint32_t *mslot;               /* MAC hash: index in v + 1, 0 empty */
	size_t mmask;
	struct device_addr *a;         /* every address tied to a MAC, in order first seen */
	size_t na, acap;
	uint32_t *aslot;               /* address hash: index in a + 1, 0 empty */
	size_t amask;
	struct { uint8_t mac[6]; uint32_t idx; } recent[2];  /* the last MACs found: a frame's two, per frame */
	unsigned rnext;
	uint64_t lan[PH_LAN_PREFIXES]; /* global /64s of the LAN: addresses in them are hosts', not the internet's */
	size_t nlan;
	struct devices_stats st;
};

static const char *how_names[] = { "mac", "dhcp", "dhcpv6", "ndp", "arp", "option" };

const char *devices_how_name(int how)
{
	return how >= 0 && how <= DEV_HOW_OPTION ? how_names[how] : "unknown";
}

static size_t slots_for(size_t n)
{
	size_t s = 16;
	while (s < 2 * n)
		s <<= 1;
	return s;
}

struct devices *devices_new(size_t cap)
{
	struct devices *d = util_xcalloc(1, sizeof *d);
	d->cap = cap ? cap : 1;
	d->v = util_xcalloc(d->cap, sizeof *d->v);
	d->mmask = slots_for(d->cap) - 1;
	d->mslot = util_xcalloc(d->mmask + 1, sizeof *d->mslot);
	d->acap = PH_MAX_DEVICE_ADDRS;
	d->a = util_xcalloc(d->acap, sizeof *d->a);
	d->amask = slots_for(d->acap) - 1;
	d->aslot = util_xcalloc(d->amask + 1, sizeof *d->aslot);
	return d;
}

void devices_free(struct devices *d)
{
	if (!d)
		return;
	free(d->v);
	free(d->mslot);
	free(d->a);
	free(d->aslot);
	free(d);
}

size_t devices_count(const struct devices *d) { return d->n; }
const struct device *devices_get(const struct devices *d, size_t i) { return i < d->n ? &d->v[i] : NULL; }
const struct devices_stats *devices_stats(const struct devices *d) { return &d->st; }

const struct device_addr *devices_addr(const struct devices *d, const struct device *v, size_t i)
{
	return i < v->naddr ? &d->a[v->addr[i]] : NULL;
}

int devices_is_device(const struct device *v)
{
	return v && (v->option || v->role == DEV_ROLE_WEAK || v->role == DEV_ROLE_DEVICE);
}

static int mac_valid(const uint8_t *m)
{
	static const uint8_t zero[6];
	return memcmp(m, zero, 6) && !(m[0] & 1);  /* not zero, not multicast/broadcast */
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static size_t mac_hash(const uint8_t *m)
{
	uint64_t k = 0;
	memcpy(&k, m, 6);
	return (size_t)mix(k);
}

static size_t addr_hash(int family, const uint8_t *a)
{
	uint64_t x = 0, y = 0;
	memcpy(&x, a, family == 4 ? 4 : 8);
	if (family == 6)
		memcpy(&y, a + 8, 8);
	return (size_t)mix(mix(x ^ (uint64_t)family) ^ y);
}

/* Slot of mac in the MAC hash: its entry, or the empty slot where it would go. */
static size_t mac_slot(const struct devices *d, const uint8_t *mac)
{
	size_t h = mac_hash(mac) & d->mmask;
	while (d->mslot[h] && memcmp(d->v[d->mslot[h] - 1].mac, mac, 6))
		h = (h + 1) & d->mmask;
	return h;
}

static size_t addr_slot(const struct devices *d, int family, const uint8_t *addr)
{
	size_t alen = family == 4 ? 4 : 16, h = addr_hash(family, addr) & d->amask;
	for (;; h = (h + 1) & d->amask) {
		const struct device_addr *x = d->aslot[h] ? &d->a[d->aslot[h] - 1] : NULL;
		if (!x || (x->family == family && !memcmp(x->addr, addr, alen)))
			return h;
	}
}

/* Index + 1 of mac's entry, 0 when unknown. A frame's MACs are looked up several times (its
 * device decision, then the source and destination tests), so the last two are kept. */
static uint32_t mac_find(struct devices *d, const uint8_t *mac)
{
	for (int i = 0; i < 2; i++)
		if (d->recent[i].idx && !memcmp(d->recent[i].mac, mac, 6))
			return d->recent[i].idx;
	uint32_t idx = d->mslot[mac_slot(d, mac)];
	if (idx) {
		d->rnext ^= 1;
		memcpy(d->recent[d->rnext].mac, mac, 6);
		d->recent[d->rnext].idx = idx;
	}
	return idx;
}

const struct device *devices_by_mac(struct devices *d, const uint8_t *mac)
{
	uint32_t s = mac_find(d, mac);
	return s ? &d->v[s - 1] : NULL;
}

const struct device *devices_by_addr(const struct devices *d, int family, const uint8_t *addr)
{
	uint32_t s = d->aslot[addr_slot(d, family, addr)];
	return s ? &d->v[d->a[s - 1].dev] : NULL;
}

/* The entry of this MAC, created (a bystander) if there is room; NULL when full. */
static struct device *get_mac(struct devices *d, const uint8_t *mac, uint64_t ts)
{
	uint32_t idx = mac_find(d, mac);
	if (idx)
		return &d->v[idx - 1];
	size_t h = mac_slot(d, mac);
	if (d->n == d->cap) {
		d->st.macs_dropped++;
		return NULL;
	}
	struct device *v = &d->v[d->n++];
	memcpy(v->mac, mac, 6);
	v->first_us = v->last_us = ts;
	d->mslot[h] = (uint32_t)d->n;
	return v;
}

/* Raises v's role; a gateway stays one, --device stays a device. 1 when v just became a device. */
static int promote(struct device *v, int role, int how)
{
	if (!v || v->option || v->role == DEV_ROLE_GATEWAY || v->role >= role)
		return 0;
	int was = devices_is_device(v);
	v->role = (uint8_t)role;
	if (devices_is_device(v) && !v->source[0])
		snprintf(v->source, sizeof v->source, "%s", devices_how_name(how));
	return !was && devices_is_device(v);
}

static void gateway(struct devices *d, const uint8_t *mac, uint64_t ts)
{
	if (mac)
		promote(get_mac(d, mac, ts), DEV_ROLE_GATEWAY, DEV_HOW_MAC);
}

/* Drops address index ai from v's list (the address moved to another device). */
static void unlist(struct device *v, uint32_t ai)
{
	for (uint32_t i = 0; i < v->naddr; i++)
		if (v->addr[i] == ai) {
			memmove(&v->addr[i], &v->addr[i + 1], (v->naddr - i - 1) * sizeof v->addr[0]);
			v->naddr--;
			return;
		}
	if (v->unlisted)
		v->unlisted--;
}

/* Ties an address to device v (the latest tie wins: addresses are reassigned). 1 when new. */
static int tie(struct devices *d, struct device *v, int family, const uint8_t *addr, int how, uint64_t ts)
{
	static const uint8_t zero[16];
	size_t alen = family == 4 ? 4 : 16;
	if (!v || !memcmp(addr, zero, alen))
		return 0;  /* unspecified: a DHCP or DAD sender without an address yet */
	uint32_t vi = (uint32_t)(v - d->v);
	size_t h = addr_slot(d, family, addr);
	uint32_t ai;
	if (d->aslot[h]) {
		ai = d->aslot[h] - 1;
		if (d->a[ai].dev == vi)
			return 0;
		unlist(&d->v[d->a[ai].dev], ai);
	} else {
		if (d->na == d->acap) {
			d->st.addrs_dropped++;
			return 0;
		}
		ai = (uint32_t)d->na++;
		d->aslot[h] = ai + 1;
	}
	struct device_addr *x = &d->a[ai];
	x->family = (uint8_t)family;
	memset(x->addr, 0, sizeof x->addr);
	memcpy(x->addr, addr, alen);
	x->how = (uint8_t)how;
	x->dev = vi;
	x->first_us = ts;
	if (v->naddr < PH_DEVICE_ADDRS_LISTED)
		v->addr[v->naddr++] = ai;
	else
		v->unlisted++;
	if (family == 4)
		memcpy(v->ip4, addr, 4), v->has_ip4 = 1;
	else
		memcpy(v->ip6, addr, 16), v->has_ip6 = 1;
	return 1;
}

static uint64_t prefix64(const uint8_t *a)
{
	return (uint64_t)rd_be32(a) << 32 | rd_be32(a + 4);
}

static void add_lan(struct devices *d, const uint8_t *addr)
{
	uint64_t k = prefix64(addr);
	if (geo_is_reserved(6, addr))
		return;  /* link-local, ULA: local already */
	for (size_t i = 0; i < d->nlan; i++)
		if (d->lan[i] == k)
			return;
	if (d->nlan < PH_LAN_PREFIXES)
		d->lan[d->nlan++] = k;
}

/* A LAN address: private, CGNAT, ULA, link-local, or in a global /64 of the LAN. */
static int is_local(const struct devices *d, int family, const uint8_t *addr)
{
	if (geo_is_private(family, addr))
		return 1;
	for (size_t i = 0; family == 6 && i < d->nlan; i++)
		if (d->lan[i] == prefix64(addr))
			return 1;
	return 0;
}

/* Counts a public source prefix of v (IPv6 /64, IPv4 address); 1 when v now has too many
 * to be one device: it forwards the internet's traffic. */
static int public_prefix(struct device *v, int family, const uint8_t *addr)
{
	uint64_t k = family == 4 ? 0xffffffff00000000ull | rd_be32(addr) : prefix64(addr);
	for (uint8_t i = 0; i < v->npub; i++)
		if (v->pub[i] == k)
			return 0;
	if (v->npub < PH_GATEWAY_PREFIXES)
		v->pub[v->npub++] = k;
	return v->npub >= PH_GATEWAY_PREFIXES;
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

/* DHCP from the client (options 12, 50, 60) or the server's ACK (yiaddr); the server is a gateway. */
static struct device *observe_dhcp(struct devices *d, const struct packet *p, const uint8_t *smac)
{
	const uint8_t *b = p->payload;
	size_t len = p->payload_len;
	if (len < DHCP_MIN || b[1] != 1 || b[2] != 6 || rd_be32(b + 236) != DHCP_MAGIC)
		return NULL;  /* not Ethernet BOOTP with the DHCP cookie */
	if (!mac_valid(b + 28))
		return NULL;
	struct device *v = get_mac(d, b + 28, p->ts_us);
	if (!v)
		return NULL;
	if (b[0] == 2 && smac && memcmp(smac, b + 28, 6))
		gateway(d, smac, p->ts_us);
	int changed = promote(v, DEV_ROLE_DEVICE, DEV_HOW_DHCP), msgtype = 0;
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
			changed |= tie(d, v, 4, o, DEV_HOW_DHCP, p->ts_us);
		else if (b[off] == 53 && ol == 1)
			msgtype = o[0];
		off += 2 + ol;
	}
	if (b[0] == 2 && msgtype == 5)  /* DHCPACK: the address the client now holds */
		changed |= tie(d, v, 4, b + 16, DEV_HOW_DHCP, p->ts_us);
	return changed ? v : NULL;
}

/* The IAADDRs (option 5) inside an IA_NA (3) or IA_TA (4) body, tied to v. */
static int dhcpv6_ia(struct devices *d, struct device *v, const uint8_t *o, size_t len, size_t skip, uint64_t ts)
{
	int changed = 0;
	for (size_t off = skip; off + 4 <= len;) {
		size_t code = rd_be16(o + off), ol = rd_be16(o + off + 2);
		if (off + 4 + ol > len)
			break;  /* sub-option runs off its IA */
		if (code == 5 && ol >= 24) {
			changed |= tie(d, v, 6, o + off + 4, DEV_HOW_DHCPV6, ts);
			add_lan(d, o + off + 4);
		}
		off += 4 + ol;
	}
	return changed;
}

/* DHCPv6: a client's message makes its MAC a device; a server's Reply gives the client
 * (the frame's destination MAC) its addresses, and the server is a gateway. */
static struct device *observe_dhcpv6(struct devices *d, const struct packet *p, const uint8_t *smac, const uint8_t *dmac)
{
	const uint8_t *b = p->payload;
	size_t len = p->payload_len;
	if (len < 4 || b[0] == 12 || b[0] == 13)
		return NULL;  /* too short for a header, or relayed */
	if (p->sport == 546) {
		struct device *v = smac ? get_mac(d, smac, p->ts_us) : NULL;
		int changed = promote(v, DEV_ROLE_DEVICE, DEV_HOW_DHCPV6);
		changed |= tie(d, v, 6, p->src, DEV_HOW_DHCPV6, p->ts_us);
		return changed ? v : NULL;
	}
	gateway(d, smac, p->ts_us);
	if (b[0] != 7 || !dmac)
		return NULL;  /* only a Reply to a known client assigns addresses */
	struct device *v = get_mac(d, dmac, p->ts_us);
	if (!v || v->role == DEV_ROLE_GATEWAY)
		return NULL;
	int changed = promote(v, DEV_ROLE_DEVICE, DEV_HOW_DHCPV6);
	for (size_t off = 4; off + 4 <= len;) {
		size_t code = rd_be16(b + off), ol = rd_be16(b + off + 2);
		if (off + 4 + ol > len)
			break;  /* option runs off the datagram */
		if (code == 3 && ol >= 12)
			changed |= dhcpv6_ia(d, v, b + off + 4, ol, 12, p->ts_us);
		else if (code == 4 && ol >= 4)
			changed |= dhcpv6_ia(d, v, b + off + 4, ol, 4, p->ts_us);
		off += 4 + ol;
	}
	return changed ? v : NULL;
}

static struct device *observe_arp(struct devices *d, const struct packet *p)
{
	const uint8_t *a = p->l2_payload;
	static const uint8_t zero[4];
	if (p->l2_len < 28 || rd_be16(a) != 1 || rd_be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
		return NULL;  /* only Ethernet/IPv4 ARP */
	if (!mac_valid(a + 8) || !geo_is_reserved(4, a + 14) || !memcmp(a + 14, zero, 4))
		return NULL;  /* LAN addresses only (test nets too); a probe has no address yet */
	struct device *v = get_mac(d, a + 8, p->ts_us);
	if (!v || v->role == DEV_ROLE_GATEWAY)
		return NULL;
	int changed = promote(v, DEV_ROLE_WEAK, DEV_HOW_ARP);
	changed |= tie(d, v, 4, a + 14, DEV_HOW_ARP, p->ts_us);
	return changed ? v : NULL;
}

/* Router and neighbour discovery: RS, DAD and NA without the router flag come from hosts;
 * RA and NA with the router flag from the gateway. */
static struct device *observe_ndp(struct devices *d, const struct packet *p, const uint8_t *smac)
{
	static const uint8_t unspec[16];
	const uint8_t *m = p->l4;
	if (!smac || p->l4_len < 8 || m[0] < 133 || m[0] > 136)
		return NULL;
	if (m[0] == 134 || (m[0] == 136 && p->l4_len >= 24 && (m[4] & 0x80))) {
		gateway(d, smac, p->ts_us);
		for (size_t off = 16; m[0] == 134 && off + 8 <= p->l4_len && m[off + 1];) {
			size_t ol = (size_t)m[off + 1] * 8;
			if (off + ol > p->l4_len)
				break;  /* option runs off the message */
			if (m[off] == 3 && ol == 32 && m[off + 2] && m[off + 2] <= 64)
				add_lan(d, m + off + 16);  /* prefix information: the LAN's /64 */
			off += ol;
		}
		return NULL;
	}
	struct device *v = get_mac(d, smac, p->ts_us);
	int changed = 0;
	if (m[0] == 133) {
		changed = promote(v, DEV_ROLE_DEVICE, DEV_HOW_NDP);
		changed |= tie(d, v, 6, p->src, DEV_HOW_NDP, p->ts_us);
	} else if (p->l4_len >= 24 && (m[0] == 136 || !memcmp(p->src, unspec, 16))) {
		changed = promote(v, DEV_ROLE_DEVICE, DEV_HOW_NDP);  /* NA, or NS for duplicate address detection */
		if (devices_is_device(v)) {
			changed |= tie(d, v, 6, m + 8, DEV_HOW_NDP, p->ts_us);
			add_lan(d, m + 8);
		}
	}
	return changed ? v : NULL;
}

/* Any IP frame: a MAC sending from a LAN address (private, ULA, link-local, or in the LAN's
 * global /64s) is a device (weak unless it sends to the internet, which makes the frame's
 * destination MAC the gateway); a public source address
 * belongs to a confirmed device only, and a MAC sending from many public prefixes is a gateway. */
static struct device *observe_ip(struct devices *d, const struct packet *p, const uint8_t *smac, const uint8_t *dmac)
{
	int fam = p->family;
	int s_local = is_local(d, fam, p->src), d_local = is_local(d, fam, p->dst);
	int s_pub = !s_local && !geo_is_reserved(fam, p->src), d_pub = !d_local && !geo_is_reserved(fam, p->dst);
	if (!s_local && !s_pub)
		return NULL;  /* unspecified, multicast, documentation source: says nothing */
	struct device *a = get_mac(d, smac, p->ts_us);
	if (!a)
		return NULL;
	a->last_us = p->ts_us;
	if (!a->first_us)
		a->first_us = p->ts_us;  /* a --device MAC seen for the first time */
	int changed = 0;
	if (s_local) {
		changed = promote(a, d_pub ? DEV_ROLE_DEVICE : DEV_ROLE_WEAK, DEV_HOW_MAC);
		if (d_pub && a->role != DEV_ROLE_GATEWAY)
			gateway(d, dmac, p->ts_us);  /* routed: the destination MAC is the router's */
	} else if (d_local) {
		promote(a, DEV_ROLE_GATEWAY, DEV_HOW_MAC);  /* the internet's traffic to a local host */
	} else if (d_pub && a->role != DEV_ROLE_GATEWAY) {
		struct device *b = dmac ? (struct device *)devices_by_mac(d, dmac) : NULL;
		if (a->role == DEV_ROLE_DEVICE || a->option) {
			if (dmac && (!b || (!b->option && b->role != DEV_ROLE_DEVICE)))
				gateway(d, dmac, p->ts_us);
		} else if (b && b->role == DEV_ROLE_GATEWAY) {
			changed = promote(a, DEV_ROLE_DEVICE, DEV_HOW_MAC);  /* sends to the internet through it */
		} else if (b && (b->role == DEV_ROLE_DEVICE || b->option)) {
			promote(a, DEV_ROLE_GATEWAY, DEV_HOW_MAC);  /* the internet's traffic to a device */
		}
	}
	if (s_pub && public_prefix(a, fam, p->src))
		promote(a, DEV_ROLE_GATEWAY, DEV_HOW_MAC);
	if (a->option || a->role == DEV_ROLE_DEVICE || (a->role == DEV_ROLE_WEAK && s_local))
		changed |= tie(d, a, fam, p->src, a->option ? DEV_HOW_OPTION : DEV_HOW_MAC, p->ts_us);
	return changed ? a : NULL;
}

int devices_add_option(struct devices *d, const uint8_t mac[6])
{
	struct device *v = get_mac(d, mac, 0);
	if (!v)
		return -1;
	v->option = 1;
	v->role = DEV_ROLE_DEVICE;
	snprintf(v->source, sizeof v->source, "option");
	return 0;
}

const struct device *devices_observe(struct devices *d, const struct packet *p)
{
	const uint8_t *smac = (p->has_mac & PKT_SMAC) && mac_valid(p->smac) ? p->smac : NULL;
	const uint8_t *dmac = (p->has_mac & PKT_DMAC) && mac_valid(p->dmac) ? p->dmac : NULL;
	struct device *hit = NULL, *v;
	if (p->ethertype == ETH_ARP)
		return observe_arp(d, p);
	if (!p->family)
		return NULL;  /* not IP */
	if (p->family == 6 && p->ip_proto == 58 && p->l4)
		hit = observe_ndp(d, p, smac);
	else if (p->proto == 17 && p->payload && ((p->sport == 68 && p->dport == 67) || (p->sport == 67 && p->dport == 68)))
		hit = observe_dhcp(d, p, smac);
	else if (p->proto == 17 && p->payload && ((p->sport == 546 && p->dport == 547) || (p->sport == 547 && p->dport == 546)))
		hit = observe_dhcpv6(d, p, smac, dmac);
	if (smac && (v = observe_ip(d, p, smac, dmac)) && !hit)
		hit = v;
	return devices_is_device(hit) ? hit : NULL;
}
