/* decode.c - Ethernet/802.1Q/QinQ, Linux SLL and SLL2, raw IP, BSD NULL/LOOP, PPP, Cisco HDLC;
 * IPv4 (RFC 791), IPv6 with extension headers (RFC 8200), TCP (RFC 9293), UDP (RFC 768). */
#include "decode.h"
#include "app.h"
#include "util.h"
#include <pcap/dlt.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define MAX_VLAN_TAGS 4
#define MAX_IPV6_EXT 8

static const char *reason_names[DR__COUNT] = {
	"ok", "not_ip", "not_tcp_udp", "ip_fragment", "tunnel", "truncated_link",
	"truncated_ip", "bad_ip_header", "truncated_l4", "bad_l4_header", "bad_ipv6_ext",
};

const char *decode_reason_name(enum decode_reason r)
{
	return r < DR__COUNT ? reason_names[r] : "unknown";
}

int decode_reason_malformed(enum decode_reason r)
{
	return r >= DR_TRUNCATED_LINK;
}

int decode_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW: case DLT_PPP: case DLT_C_HDLC:
	case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP: case DLT_NFLOG:
		return 1;
	}
	return 0;
}

const char *decode_dlt_name(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return "EN10MB";
	case DLT_LINUX_SLL: return "LINUX_SLL";
	case DLT_LINUX_SLL2: return "LINUX_SLL2";
	case DLT_RAW: return "RAW";
	case DLT_IPV4: return "IPV4";
	case DLT_IPV6: return "IPV6";
	case DLT_NULL: return "NULL";
	case DLT_LOOP: return "LOOP";
	case DLT_PPP: return "PPP";
	case DLT_C_HDLC: return "C_HDLC";
	case DLT_NFLOG: return "NFLOG";
	}
	return "unsupported";
}

/* TCP or UDP header at p; the IP layer has set family, addresses and proto. */
static enum decode_reason decode_l4(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (pkt->proto == 6) {
		if (len < 20)
			return DR_TRUNCATED_L4;
		size_t off = (size_t)(p[12] >> 4) * 4;
		if (off < 20 || off > len)  /* options past the segment: not a TCP header */
			return DR_BAD_L4;
		pkt->sport = rd_be16(p);
		pkt->dport = rd_be16(p + 2);
		pkt->seq = rd_be32(p + 4);
		pkt->ack = rd_be32(p + 8);
		pkt->tcp_flags = p[13];
		pkt->payload = p + off;
		pkt->payload_len = len - off;
		return DR_OK;
	}
	if (len < 8)
		return DR_TRUNCATED_L4;
	size_t ulen = rd_be16(p + 4);
	if (ulen < 8)
		return DR_BAD_L4;
	if (ulen > len)  /* datagram cut short by the capture: scan what is there */
		ulen = len;
	pkt->sport = rd_be16(p);
	pkt->dport = rd_be16(p + 2);
	pkt->payload = p + 8;
	pkt->payload_len = ulen - 8;
	return DR_OK;
}

static enum decode_reason decode_proto(uint8_t proto, struct packet *pkt)
{
	if (proto == 6 || proto == 17) {
		pkt->proto = proto;
		return DR_OK;
	}
	if (proto == 4 || proto == 41)
		return DR_TUNNEL;
	return DR_NOT_TCP_UDP;
}

static enum decode_reason decode_ipv4(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (len < 20)
		return DR_TRUNCATED_IP;
	if (p[0] >> 4 != 4)
		return DR_BAD_IP;
	size_t hl = (size_t)(p[0] & 15) * 4, tot = rd_be16(p + 2);
	if (hl < 20 || tot < hl)
		return DR_BAD_IP;
	if (tot > len || hl > len)  /* snapped or lying total length: never read past caplen */
		return DR_TRUNCATED_IP;
	pkt->family = 4;
	memcpy(pkt->src, p + 12, 4);
	memcpy(pkt->dst, p + 16, 4);
	pkt->l3 = p;
	pkt->l3_len = tot;  /* Ethernet padding past the total length is not payload */
	pkt->ip_proto = p[9];
	pkt->l4 = p + hl;
	pkt->l4_len = tot - hl;
	if (rd_be16(p + 6) & 0x3fff)  /* MF set or offset non-zero */
		return DR_FRAGMENT;
	enum decode_reason r = decode_proto(p[9], pkt);
	return r != DR_OK ? r : decode_l4(p + hl, tot - hl, pkt);
}

/* Walks the extension-header chain; returns the upper-layer offset or a reason. */
static enum decode_reason ipv6_skip_ext(const uint8_t *p, size_t len, uint8_t *nh, size_t *off)
{
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		switch (*nh) {
		case 0: case 43: case 60: case 135: case 139: case 140:
			if (*off + 8 > len)
				return DR_BAD_IPV6_EXT;
			*nh = p[*off];
			*off += ((size_t)p[*off + 1] + 1) * 8;
			break;
		case 44:  /* fragment: only an atomic fragment (offset 0, no MF) carries a whole datagram */
			if (*off + 8 > len)
				return DR_BAD_IPV6_EXT;
			if (rd_be16(p + *off + 2) & 0xfff9)
				return DR_FRAGMENT;
			*nh = p[*off];
			*off += 8;
			break;
		case 51:  /* AH: length in 4-byte units minus 2 */
			if (*off + 8 > len)
				return DR_BAD_IPV6_EXT;
			*nh = p[*off];
			*off += ((size_t)p[*off + 1] + 2) * 4;
			break;
		default:
			return *off > len ? DR_BAD_IPV6_EXT : DR_OK;
		}
	}
	return DR_BAD_IPV6_EXT;  /* chain too long: treat as hostile */
}

static enum decode_reason decode_ipv6(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (len < 40)
		return DR_TRUNCATED_IP;
	if (p[0] >> 4 != 6)
		return DR_BAD_IP;
	size_t tot = 40 + (size_t)rd_be16(p + 4);
	if (tot > len)
		return DR_TRUNCATED_IP;
	pkt->family = 6;
	memcpy(pkt->src, p + 8, 16);
	memcpy(pkt->dst, p + 24, 16);
	pkt->l3 = p;
	pkt->l3_len = tot;
	uint8_t nh = p[6];
	size_t off = 40;
	enum decode_reason r = ipv6_skip_ext(p, tot, &nh, &off);
	if (r != DR_OK)
		return r;
	pkt->ip_proto = nh;
	pkt->l4 = p + off;
	pkt->l4_len = tot - off;
	r = decode_proto(nh, pkt);
	return r != DR_OK ? r : decode_l4(p + off, tot - off, pkt);
}

static enum decode_reason decode_ip(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (len < 1)
		return DR_TRUNCATED_IP;
	switch (p[0] >> 4) {
	case 4: return decode_ipv4(p, len, pkt);
	case 6: return decode_ipv6(p, len, pkt);
	}
	return DR_BAD_IP;
}

static enum decode_reason decode_ethertype(uint16_t et, const uint8_t *p, size_t len, struct packet *pkt)
{
	pkt->ethertype = et;
	pkt->l2_payload = p;
	pkt->l2_len = len;
	if (et == ETH_IPV4)
		return len ? decode_ipv4(p, len, pkt) : DR_TRUNCATED_IP;
	if (et == ETH_IPV6)
		return decode_ipv6(p, len, pkt);
	return DR_NOT_IP;
}

static enum decode_reason decode_ether(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (len < 14)
		return DR_TRUNCATED_LINK;
	memcpy(pkt->dmac, p, 6);
	memcpy(pkt->smac, p + 6, 6);
	pkt->has_mac = PKT_SMAC | PKT_DMAC;
	size_t off = 12;
	uint16_t et = rd_be16(p + off);
	for (int tags = 0; et == 0x8100 || et == 0x88a8 || et == 0x9100; tags++) {
		if (tags == MAX_VLAN_TAGS || off + 6 > len)
			return DR_TRUNCATED_LINK;
		off += 4;
		et = rd_be16(p + off);
	}
	off += 2;
	return decode_ethertype(et, p + off, len - off, pkt);
}

/* BSD loopback: a 4-byte address family, host order for NULL, network order for LOOP. */
static enum decode_reason decode_null(const uint8_t *p, size_t len, int loop, struct packet *pkt)
{
	if (len < 4)
		return DR_TRUNCATED_LINK;
	uint32_t af = loop ? rd_be32(p) : rd_le32(p);
	if (!loop && af > 0xffff)  /* written on a big-endian host */
		af = rd_be32(p);
	if (af == 2)
		return decode_ipv4(p + 4, len - 4, pkt);
	if (af == 24 || af == 28 || af == 30 || af == 10)
		return decode_ipv6(p + 4, len - 4, pkt);
	return DR_NOT_IP;
}

/* PPP (RFC 1661/1662): optional 0xff 0x03, then a 1- or 2-byte protocol number. */
static enum decode_reason decode_ppp(const uint8_t *p, size_t len, struct packet *pkt)
{
	if (len >= 4 && (p[0] == 0x0f || p[0] == 0x8f))  /* Cisco HDLC framing on a PPP link, as tcpdump reads it */
		return decode_ethertype(rd_be16(p + 2), p + 4, len - 4, pkt);
	size_t off = len >= 2 && p[0] == 0xff && p[1] == 0x03 ? 2 : 0;
	if (off + 1 > len)
		return DR_TRUNCATED_LINK;
	uint16_t proto = p[off];
	if (!(proto & 1)) {  /* not compressed: two bytes */
		if (off + 2 > len)
			return DR_TRUNCATED_LINK;
		proto = rd_be16(p + off);
		off++;
	}
	off++;
	if (proto == 0x21)
		return decode_ipv4(p + off, len - off, pkt);
	if (proto == 0x57)
		return decode_ipv6(p + off, len - off, pkt);
	return DR_NOT_IP;
}

/* Linux cooked: the sender's link address, both ways; a MAC on Ethernet and Wi-Fi interfaces. */
static void sll_sender(uint16_t hatype, uint16_t halen, const uint8_t *addr, struct packet *pkt)
{
	if (halen != 6 || (hatype != 1 && hatype != 801))  /* ARPHRD_ETHER, ARPHRD_IEEE80211 */
		return;
	memcpy(pkt->smac, addr, 6);
	pkt->has_mac = PKT_SMAC;
}

/* Linux NFLOG (LINKTYPE_NFLOG): the NFULA_PAYLOAD attribute is the IP packet, NFULA_UID the
 * sending socket's uid (app.c reads the TLVs). */
static enum decode_reason decode_nflog(const uint8_t *p, size_t len, struct packet *pkt)
{
	const uint8_t *ip;
	size_t iplen = 0;
	int32_t uid;
	int has_uid;
	enum app_parse r = app_nflog_parse(p, len, &ip, &iplen, &uid, &has_uid);
	if (has_uid) {
		pkt->app_uid = uid;
		pkt->app_source = APP_SRC_NFLOG;
	}
	if (!ip)
		return r == APP_TRUNCATED ? DR_TRUNCATED_LINK : DR_NOT_IP;
	return decode_ip(ip, iplen, pkt);
}

enum decode_reason decode_packet(int dlt, const uint8_t *p, size_t caplen, struct packet *pkt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return decode_ether(p, caplen, pkt);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return DR_TRUNCATED_LINK;
		sll_sender(rd_be16(p + 2), rd_be16(p + 4), p + 6, pkt);
		return decode_ethertype(rd_be16(p + 14), p + 16, caplen - 16, pkt);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return DR_TRUNCATED_LINK;
		sll_sender(rd_be16(p + 8), p[11], p + 12, pkt);
		return decode_ethertype(rd_be16(p), p + 20, caplen - 20, pkt);
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
		return decode_ip(p, caplen, pkt);
	case DLT_NULL: case DLT_LOOP:
		return decode_null(p, caplen, dlt == DLT_LOOP, pkt);
	case DLT_PPP:
		return decode_ppp(p, caplen, pkt);
	case DLT_C_HDLC:  /* Cisco HDLC: address, control, then an ethertype */
		if (caplen < 4)
			return DR_TRUNCATED_LINK;
		return decode_ethertype(rd_be16(p + 2), p + 4, caplen - 4, pkt);
	case DLT_NFLOG:
		return decode_nflog(p, caplen, pkt);
	}
	return DR_NOT_IP;
}
