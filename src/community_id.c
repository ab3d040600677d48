/* community_id.c - Community ID v1 (corelight/community-id-spec): SHA-1 over the seed, the
 * two addresses, the protocol, a zero pad and the two ports, in network byte order. */
#include "community_id.h"
#include <openssl/evp.h>
#include <string.h>

/* Ports of protocols that have them (TCP, UDP, SCTP); the spec hashes none for the rest. */
static int has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

void community_id_v1(uint16_t seed, int family, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
		     uint16_t sport, uint16_t dport, char *out)
{
	size_t alen = family == 4 ? 4 : 16;
	int c = memcmp(saddr, daddr, alen);
	if (c > 0 || (c == 0 && sport > dport)) {  /* canonical order: the smaller endpoint first */
		const uint8_t *ta = saddr;
		saddr = daddr;
		daddr = ta;
		uint16_t tp = sport;
		sport = dport;
		dport = tp;
	}
	uint8_t buf[2 + 16 + 16 + 2 + 4], *p = buf;
	*p++ = (uint8_t)(seed >> 8);
	*p++ = (uint8_t)seed;
	memcpy(p, saddr, alen);
	p += alen;
	memcpy(p, daddr, alen);
	p += alen;
	*p++ = proto;
	*p++ = 0;
	if (has_ports(proto)) {
		*p++ = (uint8_t)(sport >> 8);
		*p++ = (uint8_t)sport;
		*p++ = (uint8_t)(dport >> 8);
		*p++ = (uint8_t)dport;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(buf, (size_t)(p - buf), md, &mdlen, EVP_sha1(), NULL);
	memcpy(out, "1:", 2);
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)mdlen);  /* 20 bytes -> 28 chars + NUL */
}
