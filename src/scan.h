/* scan.h - the match stage: what a device sends (reassembled TCP streams, UDP
 * datagrams, HTTP units) goes through the identifier matcher; hits become leaks. */
#ifndef PH_SCAN_H
#define PH_SCAN_H
#include "decode.h"
#include "flow.h"
#include "http.h"
#include "reasm.h"
#include "report.h"
#include "util.h"

struct matcher;
struct identity;
struct rules;
struct unpack;

struct scan_pending;

struct scan_ctx {                  /* one per run */
	struct matcher *m;             /* NULL: no identity, nothing is scanned */
	const struct identity *id;
	struct report *rep;
	struct reasm_ctx rc;
	struct http_stats hs;
	int show_identifiers;          /* evidence unmasked (--show-identifiers) */
	uint64_t now_us;               /* time of the packet being processed */
	struct scan_pending *pend;     /* hits of the current scan, turned into leaks after it */
	const struct rules *rules;     /* detector rules (suspected leaks), or NULL */
	struct unpack *up;             /* forms / JSON / base64 / gzip inside HTTP units */
	void (*on_leak)(void *arg, const struct flow *f, const struct report_leak *l);  /* live output */
	void *leak_arg;
	struct keylog *kl;             /* --keylog: TLS secrets, or NULL (nothing is decrypted) */
	struct quic_cids *cids;        /* connection IDs of this worker's QUIC flows (quic_cid.c) */
	struct util_pool dirs;         /* struct flow_dir blocks given back by ended flows */
};

void scan_init(struct scan_ctx *s, struct matcher *m, const struct identity *id, struct report *rep);
void scan_free(struct scan_ctx *s);
/* Detector rules whose patterns m was compiled with (match_compile_rules); they stay owned by the caller. */
void scan_set_rules(struct scan_ctx *s, const struct rules *rules);
/* A TCP segment sent by side dir of f (a device). */
void scan_tcp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* A UDP datagram sent by side dir of f (a device). */
void scan_udp(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* Flow end: deliver what reassembly still holds, finish HTTP, free the state. */
void scan_finish(struct scan_ctx *s, struct flow *f);
/* Reassembly state of what side dir of f sent (truncated, gap_at, delivered); NULL if unscanned. */
const struct reasm *scan_dir_reasm(const struct flow *f, int dir);
/* --keylog: a TCP segment sent by side dir of f; the server side (1) of a TLS flow whose client
 * is a device is read until its ServerHello (version, random, cipher suite). */
void scan_tls_server(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* A UDP datagram sent by side dir of f: the server side (1) of a QUIC flow whose client is a
 * device gives the connection's cipher suite and connection IDs. */
void scan_quic_server(struct scan_ctx *s, struct flow *f, int dir, const struct packet *p);
/* --keylog: what decryption made of f's client stream (enum tls_keys); before scan_finish. */
int scan_tls_keys(const struct flow *f);
/* A UDP datagram of no flow that carries a connection ID of one of this worker's QUIC flows,
 * to the same server end (NAT rebinding, the client's port or address changed): that flow,
 * and *dir the side that sent it; else NULL. */
struct flow *scan_quic_flow(const struct scan_ctx *s, const struct packet *p, int *dir);

#endif
