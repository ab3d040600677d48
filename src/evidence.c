/* evidence.c - the evidence capture: packets of leaking flows (same 5-tuple, inside the
 * flow's first..last time), re-read from the inputs and written with pcap_dump. */
#include "evidence.h"
#include "capture.h"
#include "capture_z.h"
#include "decode.h"
#include "util.h"
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EV_SNAPLEN 262144

struct key {                       /* a leaking flow's 5-tuple, client side first */
	uint8_t family, proto;
	uint8_t addr[2][16];
	uint16_t port[2];
	uint64_t first_us, last_us;
	int next;                      /* hash chain, -1 ends */
};

struct pass {
	const char *dir;
	struct evidence *ev;
	struct key *keys;
	int *bucket;
	size_t nbuckets;
	pcap_t *dead[8];
	pcap_dumper_t *dump[8];
	int failed;
	char *err;
	size_t errlen;
};

static uint32_t hash_tuple(int family, int proto, const uint8_t *a0, uint16_t p0, const uint8_t *a1, uint16_t p1)
{
	uint32_t h = 2166136261u;  /* FNV-1a over the tuple, order-independent by XOR of sides */
	uint32_t s[2] = { 0, 0 };
	const uint8_t *a[2] = { a0, a1 };
	uint16_t p[2] = { p0, p1 };
	for (int side = 0; side < 2; side++) {
		uint32_t x = 2166136261u;
		for (int i = 0; i < 16; i++)
			x = (x ^ a[side][i]) * 16777619u;
		x = (x ^ (p[side] >> 8)) * 16777619u;
		x = (x ^ (p[side] & 255)) * 16777619u;
		s[side] = x;
	}
	h = (h ^ (uint32_t)family) * 16777619u;
	h = (h ^ (uint32_t)proto) * 16777619u;
	return h ^ s[0] ^ s[1];
}

static int same_side(const struct key *k, int side, const uint8_t *addr, uint16_t port)
{
	return k->port[side] == port && !memcmp(k->addr[side], addr, 16);
}

/* 1 when the packet belongs to a leaking flow. */
static int wanted(const struct pass *ps, const struct packet *p)
{
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	memcpy(s, p->src, p->family == 4 ? 4 : 16);
	memcpy(d, p->dst, p->family == 4 ? 4 : 16);
	uint32_t h = hash_tuple(p->family, p->proto, s, p->sport, d, p->dport) % ps->nbuckets;
	for (int i = ps->bucket[h]; i >= 0; i = ps->keys[i].next) {
		const struct key *k = &ps->keys[i];
		if (k->family != p->family || k->proto != p->proto || p->ts_us < k->first_us || p->ts_us > k->last_us)
			continue;
		if ((same_side(k, 0, s, p->sport) && same_side(k, 1, d, p->dport)) ||
		    (same_side(k, 1, s, p->sport) && same_side(k, 0, d, p->dport)))
			return 1;
	}
	return 0;
}

/* The dumper for link type dlt, opened on first use; NULL when there are too many link types. */
static pcap_dumper_t *dumper(struct pass *ps, int dlt)
{
	struct evidence *ev = ps->ev;
	for (size_t i = 0; i < ev->nfiles; i++)
		if (ev->files[i].dlt == dlt)
			return ps->dump[i];
	if (ev->nfiles == 8)
		return NULL;
	size_t i = ev->nfiles;
	char name[64];
	if (i == 0)
		snprintf(name, sizeof name, "evidence.pcap");
	else
		snprintf(name, sizeof name, "evidence-%s.pcap", decode_dlt_name(dlt));
	size_t n = strlen(ps->dir) + strlen(name) + 32;
	struct evidence_file *ef = &ev->files[i];
	ef->final = util_xmalloc(n);
	snprintf(ef->final, n, "%s/%s", ps->dir, name);
	ef->tmp = util_xmalloc(n);
	snprintf(ef->tmp, n, "%s/.%s.tmpXXXXXX", ps->dir, name);
	ef->dlt = dlt;
	ev->nfiles++;
	int fd = util_mkstemp(ef->tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		snprintf(ps->err, ps->errlen, "%s: cannot write evidence: %s", ef->final, strerror(errno));
		if (fd >= 0)
			close(fd);
		ps->failed = 1;
		return NULL;
	}
	ps->dead[i] = pcap_open_dead_with_tstamp_precision(dlt, EV_SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
	ps->dump[i] = pcap_dump_fopen(ps->dead[i], f);
	if (!ps->dump[i]) {
		snprintf(ps->err, ps->errlen, "%s: cannot write evidence: %s", ef->final, pcap_geterr(ps->dead[i]));
		fclose(f);
		ps->failed = 1;
	}
	return ps->dump[i];
}

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen)
{
	struct pass *ps = arg;
	struct packet p;
	memset(&p, 0, sizeof p);
	p.ts_us = ts_us;
	if (ps->failed || !ps->nbuckets || decode_packet(dlt, bytes, caplen, &p) != DR_OK || !wanted(ps, &p))
		return;
	pcap_dumper_t *d = dumper(ps, dlt);
	if (!d)
		return;
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)(caplen > EV_SNAPLEN ? EV_SNAPLEN : caplen);
	pcap_dump((u_char *)d, &h, bytes);
	for (size_t i = 0; i < ps->ev->nfiles; i++)
		if (ps->ev->files[i].dlt == dlt)
			ps->ev->files[i].packets++;
	ps->ev->packets++;
}

/* Link type of the first input, for an evidence.pcap with no packet. */
static int first_dlt(const struct report *r)
{
	int dlt = DLT_EN10MB;
	char perr[PCAP_ERRBUF_SIZE];
	FILE *fp = r->ninputs ? capture_z_fopen(r->inputs[0].path, perr, sizeof perr) : NULL;
	pcap_t *pc = fp ? pcap_fopen_offline(fp, perr) : NULL;
	if (pc) {
		dlt = pcap_datalink(pc);
		pcap_close(pc);  /* and fp with it */
	} else if (fp) {
		fclose(fp);
	}
	return dlt;
}

/* Fills the hash of leaking flows. */
static void index_flows(struct pass *ps, const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nflows; i++)
		n += r->flows[i].nleaks > 0;
	if (!n)
		return;
	ps->nbuckets = n * 2 + 1;
	ps->bucket = util_xmalloc(ps->nbuckets * sizeof *ps->bucket);
	for (size_t i = 0; i < ps->nbuckets; i++)
		ps->bucket[i] = -1;
	ps->keys = util_xcalloc(n, sizeof *ps->keys);
	size_t k = 0;
	for (size_t i = 0; i < r->nflows; i++) {
		const struct report_flow *f = &r->flows[i];
		if (!f->nleaks)
			continue;
		struct key *e = &ps->keys[k];
		e->family = f->family;
		e->proto = f->proto;
		memcpy(e->addr, f->addr, sizeof e->addr);
		memcpy(e->port, f->port, sizeof e->port);
		e->first_us = f->first_us;
		e->last_us = f->last_us;
		uint32_t h = hash_tuple(f->family, f->proto, e->addr[0], e->port[0], e->addr[1], e->port[1]) % ps->nbuckets;
		e->next = ps->bucket[h];
		ps->bucket[h] = (int)k++;
	}
}

int evidence_write(const struct report *r, const char *dir, struct evidence *ev, char *errbuf, size_t errlen)
{
	memset(ev, 0, sizeof *ev);
	struct pass ps = { .dir = dir, .ev = ev, .err = errbuf, .errlen = errlen };
	index_flows(&ps, r);
	for (size_t i = 0; i < r->ninputs && !ps.failed; i++) {
		const struct report_input *ri = &r->inputs[i];
		for (size_t k = 0; k < (ri->nfiles ? ri->nfiles : 1) && !ps.failed; k++) {
			struct report_input in;
			struct stat sb;
			memset(&in, 0, sizeof in);
			/* a live input: its -w files in capture order, but those the -W ring removed */
			const char *path = ri->nfiles ? ri->files[k].path : ri->path;
			if ((ri->nfiles && ri->files[k].overwritten) || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;  /* a live interface without -w: nothing to re-read */
			if (capture_read_file(path, on_packet, &ps, &in, NULL, errbuf, errlen) < 0)
				ps.failed = 1;
			free(in.warning);
		}
	}
	if (!ps.failed && ev->nfiles == 0)
		dumper(&ps, first_dlt(r));  /* no leak: a valid, empty evidence.pcap */
	for (size_t i = 0; i < ev->nfiles; i++) {
		if (ps.dump[i]) {
			FILE *f = pcap_dump_file(ps.dump[i]);
			if (pcap_dump_flush(ps.dump[i]) != 0 || fsync(fileno(f)) != 0) {
				if (!ps.failed)
					snprintf(errbuf, errlen, "%s: cannot write evidence: %s", ev->files[i].final, strerror(errno));
				ps.failed = 1;
			}
			pcap_dump_close(ps.dump[i]);
			mode_t um = umask(0);
			umask(um);
			chmod(ev->files[i].tmp, 0666 & ~um);
		}
		if (ps.dead[i])
			pcap_close(ps.dead[i]);
	}
	free(ps.keys);
	free(ps.bucket);
	if (ps.failed) {
		evidence_free(ev);
		return -1;
	}
	return 0;
}

int evidence_commit(struct evidence *ev, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < ev->nfiles; i++) {
		if (rename(ev->files[i].tmp, ev->files[i].final) != 0) {
			snprintf(errbuf, errlen, "%s: cannot write evidence: %s", ev->files[i].final, strerror(errno));
			return -1;
		}
		util_tmp_done(ev->files[i].tmp);
		free(ev->files[i].tmp);
		ev->files[i].tmp = NULL;
	}
	return 0;
}

void evidence_free(struct evidence *ev)
{
	for (size_t i = 0; i < ev->nfiles; i++) {
		if (ev->files[i].tmp) {
			util_tmp_remove(ev->files[i].tmp);
			free(ev->files[i].tmp);
		}
		free(ev->files[i].final);
		ev->files[i].tmp = ev->files[i].final = NULL;
	}
	ev->nfiles = 0;
}
