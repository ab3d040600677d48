/* quic_cid.c - connection IDs of a worker's QUIC connections (RFC 9000 5.1, 9): a bounded
 * open-addressing table from a CID to its connection's owner, so a packet that arrives on another
 * UDP 5-tuple (NAT rebinding, port migration) is given to the connection it continues. */
#include "quic_cid.h"
#include "config.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

#define CID_PROBE 32                   /* slots looked at from a CID's home: a full run is not extended */

struct cid_slot {
	uint8_t cid[QUIC_MAX_CID];
	uint8_t len;                   /* 0: free */
	uint8_t dir;                   /* the side whose packets carry it (0 client->server) */
	void *owner;
};

struct quic_cids {
	struct cid_slot *slot;         /* PH_QUIC_CID_MAP, made at the first add */
	size_t used;
	uint32_t nlen[QUIC_MAX_CID + 1];  /* CIDs of each length: a short header is tried at those */
};

struct quic_cids *quic_cids_new(void)
{
	return util_xcalloc(1, sizeof(struct quic_cids));
}

void quic_cids_free(struct quic_cids *m)
{
	if (!m)
		return;
	free(m->slot);
	free(m);
}

/* FNV-1a over the CID and its length: CIDs are random, or chosen by a peer to look so. */
static size_t home(const uint8_t *cid, size_t len)
{
	uint32_t h = 0x811c9dc5u ^ (uint32_t)len;
	for (size_t i = 0; i < len; i++)
		h = (h ^ cid[i]) * 0x01000193u;
	return h % PH_QUIC_CID_MAP;
}

static struct cid_slot *find(const struct quic_cids *m, const uint8_t *cid, size_t len)
{
	if (!m->slot || !m->nlen[len])
		return NULL;
	for (size_t i = 0, at = home(cid, len); i < CID_PROBE; i++, at = (at + 1) % PH_QUIC_CID_MAP) {
		struct cid_slot *s = &m->slot[at];
		if (!s->len)
			return NULL;
		if (s->len == len && !memcmp(s->cid, cid, len))
			return s;
	}
	return NULL;
}

int quic_cids_add(struct quic_cids *m, const uint8_t *cid, size_t len, int dir, void *owner)
{
	if (!len || len > QUIC_MAX_CID)
		return -1;  /* a zero-length CID names no connection */
	if (!m->slot)
		m->slot = util_xcalloc(PH_QUIC_CID_MAP, sizeof *m->slot);
	struct cid_slot *s = find(m, cid, len);
	if (s)
		return s->owner == owner ? 0 : -1;  /* another connection's: left to it */
	if (2 * (m->used + 1) > PH_QUIC_CID_MAP)
		return -1;  /* half full: probes stay short */
	for (size_t i = 0, at = home(cid, len); i < CID_PROBE; i++, at = (at + 1) % PH_QUIC_CID_MAP) {
		s = &m->slot[at];
		if (s->len)
			continue;
		memcpy(s->cid, cid, len);
		s->len = (uint8_t)len;
		s->dir = (uint8_t)dir;
		s->owner = owner;
		m->used++;
		m->nlen[len]++;
		return 0;
	}
	return -1;  /* a run of CID_PROBE taken slots */
}

/* Linear probing's deletion (Knuth 6.4 R): later slots of the run move back over the hole, so
 * no lookup stops early at it. */
static void remove_at(struct quic_cids *m, size_t hole)
{
	m->used--;
	m->nlen[m->slot[hole].len]--;
	m->slot[hole].len = 0;
	for (size_t at = (hole + 1) % PH_QUIC_CID_MAP; m->slot[at].len; at = (at + 1) % PH_QUIC_CID_MAP) {
		struct cid_slot *s = &m->slot[at];
		size_t h = home(s->cid, s->len);
		/* s stays when its home lies cyclically in (hole, at] */
		if (hole <= at ? hole < h && h <= at : hole < h || h <= at)
			continue;
		m->slot[hole] = *s;
		s->len = 0;
		hole = at;
	}
}

void quic_cids_del(struct quic_cids *m, const uint8_t *cid, size_t len, void *owner)
{
	if (!len || len > QUIC_MAX_CID)
		return;
	struct cid_slot *s = find(m, cid, len);
	if (s && s->owner == owner)
		remove_at(m, (size_t)(s - m->slot));
}

void *quic_cids_find(const struct quic_cids *m, const uint8_t *p, size_t len, int *dir)
{
	if (!m || !m->used || len < 1 + 1 + 16 || (p[0] & 0x80))
		return NULL;  /* not a short header (RFC 9000 17.3.1; its fixed bit may be greased, RFC 9287) */
	for (size_t l = 1; l <= QUIC_MAX_CID && 1 + l <= len; l++) {
		const struct cid_slot *s = m->nlen[l] ? find(m, p + 1, l) : NULL;
		if (s) {
			*dir = s->dir;
			return s->owner;
		}
	}
	return NULL;
}
