/* capture_ng.c - pcapng files whose interfaces have different link types (draft-ietf-opsawg-
 * pcapng 4.1-4.3, 4.6: sections, interfaces, enhanced, simple and obsolete packet blocks). */
#include "capture_ng.h"
#include "config.h"
#include "decode.h"
#include "util.h"
#include <limits.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 1u
#define NG_PB 2u                       /* obsolete Packet Block */
#define NG_SPB 3u
#define NG_EPB 6u
#define LINKTYPE_RAW 101               /* the one link type whose DLT differs among those read */

struct ng_if {
	int dlt;
	int ok;                        /* decode.c reads its link type */
	uint32_t snaplen;
	uint64_t units;                /* timestamp units per second (if_tsresol) */
	int64_t offset_s;              /* if_tsoffset */
};

struct ng {
	FILE *fp;
	int big;                       /* the section's byte order */
	struct ng_if ifs[PH_NG_MAX_IFS];
	size_t nifs;                   /* interfaces of the section, kept or not */
	uint8_t *buf;                  /* the block's body and trailer */
	size_t cap;
	uint64_t last_us;              /* a Simple Packet Block has no time: the one before it */
	uint64_t skipped;              /* packets of interfaces not read */
	const char *why;               /* damage that ended the read */
};

/* The next block: its type and body (g->buf, blen bytes, the trailer after it); 1, 0 at the end
 * of the file, -1 damaged (g->why). A Section Header Block sets the byte order. */
static int next_block(struct ng *g, uint32_t *type, size_t *blen)
{
	uint8_t h[12];
	size_t n = fread(h, 1, 8, g->fp);
	if (n == 0)
		return 0;
	if (n < 8)
		return g->why = "the file ends inside a block header", -1;
	size_t have = 0;
	*type = rd_bo32(h, g->big);
	if (*type == NG_SHB) {  /* the same in either order; its magic says which */
		if (fread(h + 8, 1, 4, g->fp) != 4)
			return g->why = "the file ends inside a section header", -1;
		g->big = h[8] == 0x1A && h[9] == 0x2B && h[10] == 0x3C && h[11] == 0x4D;
		if (!g->big && !(h[8] == 0x4D && h[9] == 0x3C && h[10] == 0x2B && h[11] == 0x1A))
			return g->why = "a section header with an unknown byte-order magic", -1;
		have = 4;
	}
	uint32_t len = rd_bo32(h + 4, g->big);
	if (len < 12 + have || len % 4 || len > PH_NG_MAX_BLOCK)
		return g->why = "a block with an impossible length", -1;
	if (g->cap < len) {
		g->cap = len;
		g->buf = util_xrealloc(g->buf, g->cap);
	}
	memcpy(g->buf, h + 8, have);
	if (fread(g->buf + have, 1, len - 8 - have, g->fp) != len - 8 - have)
		return g->why = "the file ends inside a block", -1;
	*blen = len - 12;
	return 1;
}

/* An Interface Description Block: link type, snap length, if_tsresol and if_tsoffset. */
static int add_if(struct ng *g, const uint8_t *b, size_t blen)
{
	if (blen < 8)
		return g->why = "an interface block too short for its fields", -1;
	if (g->nifs++ >= PH_NG_MAX_IFS)
		return 0;  /* its packets are counted as not read */
	struct ng_if *f = &g->ifs[g->nifs - 1];
	uint16_t lt = rd_bo16(b, g->big);
	*f = (struct ng_if){ .dlt = lt == LINKTYPE_RAW ? DLT_RAW : lt, .snaplen = rd_bo32(b + 4, g->big),
			     .units = 1000000 };
	f->ok = decode_dlt_supported(f->dlt);
	for (size_t off = 8; off + 4 <= blen;) {
		uint16_t code = rd_bo16(b + off, g->big), ol = rd_bo16(b + off + 2, g->big);
		if (code == 0 || off + 4 + ol > blen)
			break;  /* the end of the options, or one running off the block */
		const uint8_t *v = b + off + 4;
		if (code == 9 && ol >= 1) {  /* if_tsresol: 10^-v or 2^-v seconds */
			uint8_t e = v[0] & 0x7f;
			uint64_t u = 1;
			for (int i = 0; i < e && u <= UINT64_MAX / 10; i++)
				u *= v[0] & 0x80 ? 2 : 10;
			f->units = u;
		} else if (code == 14 && ol >= 8) {  /* if_tsoffset: seconds added */
			uint64_t hi = rd_bo32(g->big ? v : v + 4, g->big), lo = rd_bo32(g->big ? v + 4 : v, g->big);
			f->offset_s = (int64_t)(hi << 32 | lo);
		}
		off += 4 + (((size_t)ol + 3) & ~(size_t)3);
	}
	return 0;
}

static uint64_t ts_us(const struct ng_if *f, uint32_t hi, uint32_t lo)
{
	uint64_t t = (uint64_t)hi << 32 | lo, u = f->units;
	uint64_t us = t / u * 1000000 + (uint64_t)((unsigned __int128)(t % u) * 1000000 / u);
	return us + (uint64_t)f->offset_s * 1000000u;  /* modulo 2^64: a negative offset subtracts */
}

/* A packet of interface ifid, its time given (hi, lo) or not (a Simple Packet Block's). */
static void deliver(struct ng *g, uint32_t ifid, int timed, uint32_t hi, uint32_t lo, const uint8_t *p,
		    size_t caplen, capture_fn fn, void *arg, struct report_input *in)
{
	if (ifid >= g->nifs || ifid >= PH_NG_MAX_IFS || !g->ifs[ifid].ok) {
		g->skipped++;
		return;
	}
	const struct ng_if *f = &g->ifs[ifid];
	uint64_t ts = timed ? ts_us(f, hi, lo) : g->last_us;
	g->last_us = ts;
	if (!in->packets || ts < in->first_us)
		in->first_us = ts;
	if (ts > in->last_us)
		in->last_us = ts;
	in->packets++;
	in->bytes += caplen;
	fn(arg, f->dlt, ts, p, caplen);
}

/* One packet block of any of the three kinds; -1 damaged. */
static int packet_block(struct ng *g, uint32_t type, size_t blen, capture_fn fn, void *arg, struct report_input *in)
{
	const uint8_t *b = g->buf;
	if (type == NG_SPB) {
		if (blen < 4)
			return g->why = "a simple packet block too short for its fields", -1;
		size_t cap = rd_bo32(b, g->big);
		if (cap > blen - 4)
			cap = blen - 4;
		if (g->nifs && g->ifs[0].snaplen && cap > g->ifs[0].snaplen)
			cap = g->ifs[0].snaplen;
		deliver(g, 0, 0, 0, 0, b + 4, cap, fn, arg, in);
		return 0;
	}
	if (blen < 20)
		return g->why = "a packet block too short for its fields", -1;
	uint32_t ifid = type == NG_EPB ? rd_bo32(b, g->big) : rd_bo16(b, g->big);
	uint32_t cap = rd_bo32(b + 12, g->big);
	if (cap > blen - 20)
		return g->why = "a packet block whose captured length runs past it", -1;
	deliver(g, ifid, 1, rd_bo32(b + 4, g->big), rd_bo32(b + 8, g->big), b + 20, cap, fn, arg, in);
	return 0;
}

/* "EN10MB+RAW": the link types of the section's interfaces, each once; kept for the report. */
static const char *types_name(const struct ng *g)
{
	static char names[8][64];
	static size_t nnames;
	char s[64] = "";
	for (size_t i = 0; i < g->nifs && i < PH_NG_MAX_IFS; i++) {
		const char *n = decode_dlt_name(g->ifs[i].dlt);
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= g->ifs[j].dlt == g->ifs[i].dlt;
		if (!seen && strlen(s) + strlen(n) + 2 < sizeof s)
			snprintf(s + strlen(s), sizeof s - strlen(s), "%s%s", s[0] ? "+" : "", n);
	}
	for (size_t i = 0; i < nnames; i++)
		if (!strcmp(names[i], s))
			return names[i];
	if (nnames == sizeof names / sizeof names[0])
		return "mixed";
	memcpy(names[nnames], s, sizeof s);
	return names[nnames++];
}

int capture_ng_mixed(FILE *fp)
{
	struct ng g = { .fp = fp };
	uint32_t type;
	size_t blen;
	int first = -1, mixed = 0, nblocks = 0;
	while (!mixed && next_block(&g, &type, &blen) > 0) {
		if (!nblocks++ && type != NG_SHB)
			break;  /* not pcapng (a classic pcap's header is no block) */
		if (type == NG_EPB || type == NG_SPB || type == NG_PB)
			break;
		if (type == NG_IDB && blen >= 8) {
			int lt = rd_bo16(g.buf, g.big);
			mixed = first >= 0 && lt != first;
			first = lt;
		}
	}
	free(g.buf);
	return mixed;
}

void capture_ng_read(FILE *fp, const char *path, capture_fn fn, void *arg, struct report_input *in,
		     volatile int *stop)
{
	struct ng g = { .fp = fp };
	uint32_t type;
	size_t blen;
	while (!(stop && *stop) && next_block(&g, &type, &blen) > 0) {
		int r = 0;
		if (type == NG_SHB)
			g.nifs = 0;  /* a new section declares its own interfaces */
		else if (type == NG_IDB)
			r = add_if(&g, g.buf, blen);
		else if (type == NG_EPB || type == NG_SPB || type == NG_PB)
			r = packet_block(&g, type, blen, fn, arg, in);
		if (r < 0)
			break;
	}
	in->link_type = types_name(&g);
	char w[PATH_MAX + 256];
	if (g.why && !(stop && *stop))
		snprintf(w, sizeof w, "%s: read stopped after %llu packets: %s", path, (unsigned long long)in->packets, g.why);
	else if (g.skipped)
		snprintf(w, sizeof w, "%s: %llu packets not read: their interface is not declared, or its link type is "
			 "not one phonehome reads", path, (unsigned long long)g.skipped);
	if ((g.why && !(stop && *stop)) || g.skipped)
		in->warning = util_xstrdup(w);
	free(g.buf);
}
