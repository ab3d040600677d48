/* decode.h - link, network and transport decoding of one captured frame.
 * Fills a struct packet with offsets into the capture buffer; copies nothing. */
#ifndef PH_DECODE_H
#define PH_DECODE_H
#include <stddef.h>
#include <stdint.h>

/* Why a frame was not turned into a TCP/UDP packet. */
enum decode_reason {
	DR_OK = 0,
	DR_NOT_IP,            /* ARP, LLDP, other ethertypes */
	DR_NOT_TCP_UDP,       /* ICMP, GRE, ESP, ... */
	DR_FRAGMENT,          /* IP fragments are not reassembled */
	DR_TUNNEL,            /* IP-in-IP, 6in4 */
	DR_TRUNCATED_LINK,    /* shorter than its link header */
	DR_TRUNCATED_IP,      /* IP header or total length past the captured bytes */
	DR_BAD_IP,            /* bad version, header length or total length */
	DR_TRUNCATED_L4,      /* TCP/UDP header past the IP payload */
	DR_BAD_L4,            /* TCP data offset or UDP length invalid */
	DR_BAD_IPV6_EXT,      /* IPv6 extension header chain runs off the packet */
	DR__COUNT
};

/* One decoded packet: valid only during the capture callback. */
struct packet {
	uint64_t ts_us;              /* pcap timestamp, microseconds since the epoch */
	uint64_t num;                /* frame number in the run (1, 2, ... across inputs): names flows */
	const uint8_t *l3;           /* IP header */
	size_t l3_len;               /* clamped to the IP total length */
	const uint8_t *payload;      /* TCP/UDP payload */
	size_t payload_len;
	uint8_t family;              /* 4 or 6 */
	uint8_t proto;               /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t tcp_flags;
	uint8_t has_mac;             /* PKT_SMAC | PKT_DMAC: which MACs are valid (Ethernet both, SLL the sender's) */
	uint8_t src[16], dst[16];    /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t smac[6], dmac[6];
	uint16_t ethertype;          /* link-layer protocol (0x0806 ARP, ...), 0 when unknown */
	const uint8_t *l2_payload;   /* what follows the link header (ARP for device discovery) */
	size_t l2_len;
	uint8_t ip_proto;            /* upper-layer protocol number, also for non-TCP/UDP (58 ICMPv6) */
	const uint8_t *l4;           /* upper-layer header, for ICMPv6 neighbour discovery */
	size_t l4_len;
	uint8_t src_dev, dst_dev;    /* the sender, the receiver is a device under test (audit_decode) */
	int32_t app_uid;             /* Android uid of the sending app (app.c), when app_source is set */
	uint8_t app_source;          /* enum app_source: 0 none, PCAPdroid, NFLOG */
};

#define PKT_SMAC 1
#define PKT_DMAC 2

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* 1 when phonehome can decode this DLT. */
int decode_dlt_supported(int dlt);
/* Name of a DLT for the report ("EN10MB", "LINUX_SLL2", ...). */
const char *decode_dlt_name(int dlt);
/* Decodes one frame; DR_OK or the reason it was skipped. */
enum decode_reason decode_packet(int dlt, const uint8_t *p, size_t caplen, struct packet *pkt);
/* Reason name for stats ("not_ip", "truncated_ip", ...). */
const char *decode_reason_name(enum decode_reason r);
/* 1 for reasons that mean the packet was malformed (not merely uninteresting). */
int decode_reason_malformed(enum decode_reason r);

#endif
