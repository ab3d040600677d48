/* classify.c - nDPI 4.2 wrapper: one ndpi_flow_struct per undecided flow,
 * freed as soon as the flow is decided, so memory follows undecided flows only. */
#include "classify.h"
#include "config.h"
#include "util.h"
#include <ndpi_api.h>
#include <stdio.h>
#include <string.h>

struct classify_state {
	struct ndpi_flow_struct *nf;
	uint16_t fed;
};

struct classifier {
	struct ndpi_detection_module_struct *m;
	struct classify_stats st;
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
	return c;
}

void classify_free(struct classifier *c)
{
	if (!c)
		return;
	ndpi_exit_detection_module(c->m);
	free(c);
}

static int is_tls(uint16_t id)
{
	return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS;
}

/* Copies nDPI's verdict and server name into the flow. */
static void take_result(struct classifier *c, struct flow *f, ndpi_protocol proto)
{
	ndpi_protocol2name(c->m, proto, f->app_proto, sizeof f->app_proto);
	snprintf(f->category, sizeof f->category, "%s", ndpi_category_get_name(c->m, proto.category));
	const char *name = (const char *)f->cls->nf->host_server_name;
	if (!name[0] || f->host_source == HOST_HTTP)
		return;
	if (is_tls(proto.master_protocol) || is_tls(proto.app_protocol)) {
		snprintf(f->host, sizeof f->host, "%s", name);
		f->host_source = HOST_SNI;
	} else if (proto.master_protocol == NDPI_PROTOCOL_HTTP || proto.app_protocol == NDPI_PROTOCOL_HTTP) {
		snprintf(f->host, sizeof f->host, "%s", name);
		f->host_source = HOST_HTTP;
	}
}

static void state_free(struct flow *f)
{
	if (!f->cls)
		return;
	ndpi_free_flow(f->cls->nf);
	free(f->cls);
	f->cls = NULL;
}

void classify_packet(struct classifier *c, struct flow *f, const struct packet *p)
{
	if (f->classified)
		return;
	if (!f->cls) {
		f->cls = util_xcalloc(1, sizeof *f->cls);
		f->cls->nf = util_xcalloc(1, ndpi_detection_get_sizeof_ndpi_flow_struct());
	}
	if (p->l3_len > 0xffff)
		return;
	ndpi_protocol proto = ndpi_detection_process_packet(c->m, f->cls->nf, p->l3,
		(unsigned short)p->l3_len, p->ts_us / 1000);
	c->st.packets_fed++;
	f->cls->fed++;
	int decided = proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
		      !ndpi_extra_dissection_possible(c->m, f->cls->nf);
	if (decided || f->cls->fed >= PH_NDPI_MAX_PACKETS) {
		take_result(c, f, proto);
		if (decided) {
			c->st.detected++;
			f->classified = 1;
			state_free(f);
		} else {
			classify_finish(c, f);
		}
	}
}

void classify_finish(struct classifier *c, struct flow *f)
{
	if (f->classified || !f->cls) {
		if (!f->app_proto[0])
			snprintf(f->app_proto, sizeof f->app_proto, "Unknown");
		state_free(f);
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
	state_free(f);
}

const struct classify_stats *classify_stats(const struct classifier *c)
{
	return &c->st;
}
