/* quic_cid.h - a worker's map from QUIC connection IDs to their connections (RFC 9000 9: a
 * connection that moves to another UDP 5-tuple keeps them), bounded by PH_QUIC_CID_MAP. */
#ifndef PH_QUIC_CID_H
#define PH_QUIC_CID_H
#include <stddef.h>
#include <stdint.h>

#define QUIC_MAX_CID 20

struct quic_cids;

struct quic_cids *quic_cids_new(void);
void quic_cids_free(struct quic_cids *m);
/* cid, carried by the packets side dir sends, names owner's connection: 0, or -1 when it is
 * empty, another connection's, or the table is full (that CID is not followed). */
int quic_cids_add(struct quic_cids *m, const uint8_t *cid, size_t len, int dir, void *owner);
/* Forgets cid if it is owner's. */
void quic_cids_del(struct quic_cids *m, const uint8_t *cid, size_t len, void *owner);
/* The owner of the connection a short-header datagram p[0,len) belongs to by its Destination
 * Connection ID, and the side that sent it; NULL when none (m may be NULL). */
void *quic_cids_find(const struct quic_cids *m, const uint8_t *p, size_t len, int *dir);

#endif
