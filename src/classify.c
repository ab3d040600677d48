/* classify.c - nDPI 4.2 wrapper: one ndpi_flow_struct per undecided flow,
 * freed as soon as the flow is decided, so memory follows undecided flows only. */
#include "classify.h"
#include "config.h"
#include "util.h"
#include <ndpi_api.h>
#include <stdio.h>
#include <string.h>

struct classify_state {
	struct ndpi_flow_struct *nf;  /* right after it, in the same block */
	uint16_t fed;
};
_Static_assert(sizeof(struct classify_state) % 16 == 0, "nDPI's flow after the state keeps malloc's alignment");

struct classifier {
	struct ndpi_detection_module_struct *m;
	struct ndpi_flow_struct *scratch;  /* guesses for flows that never carried payload */
	struct classify_stats st;
	struct util_pool states;           /* a classify_state and its nDPI flow, in one block */
};

struct classifier *classify_open(const char *protos_file, char *errbuf, size_t errlen)
{
	struct classifier *c = util_xcalloc(1, sizeof *c);
	c->m = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->m) {
		snprintf(errbuf, errlen, "nDPI: cannot initialise the detection module");
		free(c);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->m, &all);
	if (protos_file && ndpi_load_protocols_file(c->m, protos_file) != 0) {
		snprintf(errbuf, errlen, "%s: cannot load nDPI protocols file", protos_file);
		ndpi_exit_detection_module(c->m);
		free(c);
		return NULL;
	}
	ndpi_finalize_initialization(c->m);
	c->scratch = util_xcalloc(1, ndpi_detection_get_sizeof_ndpi_flow_struct());
	c->states = (struct util_pool){ .size = sizeof(struct classify_state) + ndpi_detection_get_sizeof_ndpi_flow_struct(),
					.max = PH_STATE_POOL };
	return c;
}

void classify_free(struct classifier *c)
{
	if (!c)
		return;
	ndpi_exit_detection_module(c->m);
	if (c->scratch)
		ndpi_free_flow_data(c->scratch);
	free(c->scratch);
	util_pool_drain(&c->states);
	free(c);
}

/* A flow without payload: nDPI can only guess from addresses and ports, so a bare
 * IP + TCP/UDP header made from the 5-tuple, fed to one scratch state, gets the same
 * guess without per-flow nDPI memory (a SYN flood stays small). */
static ndpi_protocol guess_empty(struct classifier *c, const struct flow *f, uint8_t *guessed)
{
	uint8_t h[60];
	size_t ip = f->family == 4 ? 20 : 40, l4 = f->proto == 6 ? 20 : 8, alen = f->family == 4 ? 4 : 16;
	memset(h, 0, sizeof h);
	if (f->family == 4) {
		h[0] = 0x45;
		h[2] = (uint8_t)((ip + l4) >> 8);
		h[3] = (uint8_t)(ip + l4);
		h[8] = 64;
		h[9] = f->proto;
		memcpy(h + 12, f->addr[0], alen);
		memcpy(h + 16, f->addr[1], alen);
	} else {
		h[0] = 0x60;
		h[5] = (uint8_t)l4;
		h[6] = f->proto;
		h[7] = 64;
		memcpy(h + 8, f->addr[0], alen);
		memcpy(h + 24, f->addr[1], alen);
	}
	uint8_t *t = h + ip;
	t[0] = (uint8_t)(f->port[0] >> 8); t[1] = (uint8_t)f->port[0];
	t[2] = (uint8_t)(f->port[1] >> 8); t[3] = (uint8_t)f->port[1];
	if (f->proto == 6) {
		t[12] = 0x50;
		t[13] = 0x02;  /* SYN */
	} else {
		t[5] = 8;
	}
	ndpi_free_flow_data(c->scratch);
	memset(c->scratch, 0, ndpi_detection_get_sizeof_ndpi_flow_struct());
	ndpi_detection_process_packet(c->m, c->scratch, h, (unsigned short)(ip + l4), f->first_us / 1000);
	return ndpi_detection_giveup(c->m, c->scratch, 1, guessed);
}

static int is_tls(uint16_t id)
{
	return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS;
}

/* Copies nDPI's verdict and server name into the flow. */
static void take_result(struct classifier *c, struct flow *f, ndpi_protocol proto)
{
	ndpi_protocol2name(c->m, proto, f->app_proto, sizeof f->app_proto);
	util_copy(f->category, sizeof f->category, ndpi_category_get_name(c->m, proto.category));
	/* nDPI's name is a fixed array: bounded by it too, in case it is not terminated */
	char name[sizeof f->cls->nf->host_server_name + 1];
	size_t n = strnlen((const char *)f->cls->nf->host_server_name, sizeof name - 1);
	memcpy(name, f->cls->nf->host_server_name, n);
	name[n] = '\0';
	if (!name[0] || f->host_source == HOST_HTTP)
		return;
	if (is_tls(proto.master_protocol) || is_tls(proto.app_protocol)) {
		f->tls_version = f->cls->nf->protos.tls_quic.ssl_version;
		util_copy(f->host, sizeof f->host, name);
		f->host_source = HOST_SNI;
	} else if (proto.master_protocol == NDPI_PROTOCOL_HTTP || proto.app_protocol == NDPI_PROTOCOL_HTTP) {
		util_copy(f->host, sizeof f->host, name);
		f->host_source = HOST_HTTP;
	}
}

static void state_free(struct classifier *c, struct flow *f)
{
	if (!f->cls)
		return;
	ndpi_free_flow_data(f->cls->nf);  /* what nDPI allocated; the flow itself is in the block */
	util_pool_put(&c->states, f->cls);
	f->cls = NULL;
}

void classify_packet(struct classifier *c, struct flow *f, const struct packet *p)
{
	if (f->classified)
		return;
	if (!f->cls && !p->payload_len)
		return;  /* no state until there is payload: a SYN flood costs no nDPI memory */
	if (!f->cls) {  /* nDPI's flow follows the state: its 16 bytes keep the alignment malloc gave */
		f->cls = util_pool_get(&c->states);
		f->cls->nf = (struct ndpi_flow_struct *)(f->cls + 1);
	}
	if (p->l3_len > 0xffff)
		return;
	ndpi_protocol proto = ndpi_detection_process_packet(c->m, f->cls->nf, p->l3,
		(unsigned short)p->l3_len, p->ts_us / 1000);
	c->st.packets_fed++;
	f->cls->fed++;
	/* fed only until nDPI has named the protocol and the server: extra dissection (HTTP
	 * and DNS responses) adds nothing the audit reports; TLS keeps it (the handshake's end) */
	int named = f->cls->nf->host_server_name[0] && !is_tls(proto.master_protocol) && !is_tls(proto.app_protocol);
	/* a TLS flow whose server name named the service is done at the ServerHello (the version):
	 * the certificate's names are only looked at when the server name named nothing */
	const struct ndpi_flow_struct *nf = f->cls->nf;
	int tls_done = is_tls(proto.master_protocol) && nf->protos.tls_quic.subprotocol_detected &&
		       nf->protos.tls_quic.ja3_server[0];
	int decided = proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
		      (named || tls_done || !ndpi_extra_dissection_possible(c->m, f->cls->nf));
	if (decided || f->cls->fed >= PH_NDPI_MAX_PACKETS) {
		take_result(c, f, proto);
		if (decided) {
			c->st.detected++;
			f->classified = 1;
			state_free(c, f);
		} else {
			classify_finish(c, f);
		}
	}
}

void classify_finish(struct classifier *c, struct flow *f)
{
	if (!f->classified && !f->cls) {
		uint8_t guessed = 0;
		ndpi_protocol proto = guess_empty(c, f, &guessed);
		ndpi_protocol2name(c->m, proto, f->app_proto, sizeof f->app_proto);
		util_copy(f->category, sizeof f->category, ndpi_category_get_name(c->m, proto.category));
		if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN && proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
			c->st.unknown++;
		else
			c->st.guessed++;
		f->classified = 1;
		return;
	}
	if (f->classified || !f->cls) {
		if (!f->app_proto[0])
			snprintf(f->app_proto, sizeof f->app_proto, "Unknown");
		state_free(c, f);
		f->classified = 1;
		return;
	}
	uint8_t guessed = 0;
	ndpi_protocol proto = ndpi_detection_giveup(c->m, f->cls->nf, 1, &guessed);
	take_result(c, f, proto);
	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN && proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		c->st.unknown++;
	else if (guessed)
		c->st.guessed++;
	else
		c->st.detected++;
	f->classified = 1;
	state_free(c, f);
}

const struct classify_stats *classify_stats(const struct classifier *c)
{
	return &c->st;
}
