/* flow.h - bidirectional 5-tuple flow table with idle expiry and a hard cap.
 * Side 0 is the client (sent the SYN, else the first packet), side 1 the server. */
#ifndef PH_FLOW_H
#define PH_FLOW_H
#include "app.h"
#include "decode.h"
#include "geo.h"
#include <stdint.h>

enum flow_host_source { HOST_NONE, HOST_SNI, HOST_HTTP, HOST_DNS };
/* Why a flow left the table (Suricata's flow.reason): end of input, idle, or evicted at the cap. */
enum flow_end_reason { FLOW_END_SHUTDOWN, FLOW_END_TIMEOUT, FLOW_END_FORCED };

struct flow_dir;   /* per-direction scanning state, owned by the audit stage */
struct classify_state;

struct flow {
	uint64_t id;                   /* frame number of its first packet: the same however flows are sharded */
	uint8_t family, proto;
	uint8_t addr[2][16];           /* [0] client, [1] server */
	uint16_t port[2];
	struct flow *hnext;            /* hash chain: in the same cache line as the key it is walked for */
	uint8_t mac[2][6];
	uint8_t has_mac[2];
	uint8_t syn_seen;              /* client chosen by a SYN */
	uint8_t closed;                /* FIN or RST seen both ways / RST */
	uint8_t fin[2];
	uint8_t end_reason;            /* enum flow_end_reason, set just before the end callback */
	uint16_t tls_version;          /* TLS: the version nDPI saw negotiated (0x0303 TLS 1.2), 0 unknown */
	uint32_t quic_version;         /* QUIC: the version of its long headers (quic.c), 0 not QUIC */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2];    /* [0] to server, [1] to client; bytes = L4 payload */
	struct flow_dir *dir[2];       /* scanning state of what side i sends, NULL if not scanned */
	struct classify_state *cls;    /* nDPI state while detection runs */
	uint8_t dev[2];                /* side i is a device under test */
	uint8_t classified;            /* nDPI has decided or given up */
	uint8_t host_source;           /* enum flow_host_source */
	uint32_t nleaks;               /* leaks found in this flow */
	uint8_t scan_truncated;        /* a cap or a hole stopped the scan of what a device sent */
	uint64_t scan_stopped_at;      /* stream bytes scanned in order when it stopped */
	char app_proto[48];            /* "HTTP.Xiaomi" */
	char category[32];
	char host[256];                /* server name: SNI, Host header or DNS */
	struct geo_info geo;           /* of the remote side, looked up once at creation */
	uint8_t remote;                /* the side that is not a device under test */
	uint8_t foreign;
	uint8_t app_source;            /* enum app_source of the first attributed packet, 0 none */
	int32_t app_uid;               /* and its Android uid */
	uint8_t app_hint_origin;       /* enum app_hint_origin of app_hint, 0 none */
	char app_hint[APP_HINT_MAX];   /* a package the app sent (app.c hints), used when no format says */
	struct flow *lprev, *lnext;    /* LRU: head is the least recently active */
};

struct flow_stats { uint64_t created, expired, evicted, closed; size_t live, peak; };

struct flow_table;
typedef void (*flow_end_fn)(void *arg, struct flow *f);

/* max_flows live flows; end is called for every flow that leaves the table. */
struct flow_table *flow_table_new(size_t max_flows, flow_end_fn end, void *arg);
void flow_table_free(struct flow_table *t);
/* The flow of pkt, or NULL; *dir is 0 when pkt goes client->server. */
struct flow *flow_find(const struct flow_table *t, const struct packet *pkt, int *dir);
/* Finds or creates the flow of pkt; *dir is 0 when pkt goes client->server. */
struct flow *flow_lookup(struct flow_table *t, const struct packet *pkt, int *dir);
/* Accounts pkt to f and marks it most recently active. */
void flow_update(struct flow_table *t, struct flow *f, const struct packet *pkt, int dir);
/* Ends flows idle longer than their protocol's timeout at time now_us. */
void flow_expire(struct flow_table *t, uint64_t now_us);
/* Ends every live flow (end of input), oldest first. */
void flow_flush(struct flow_table *t);
const struct flow_stats *flow_table_stats(const struct flow_table *t);
/* Calls fn for every live flow, least recently active first (interim reports). */
void flow_foreach(struct flow_table *t, void (*fn)(void *arg, struct flow *f), void *arg);

#endif
