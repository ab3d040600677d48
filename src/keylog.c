/* keylog.c - NSS key log reader (the SSLKEYLOGFILE format of NSS, OpenSSL and curl):
 * "LABEL <client random hex> <secret hex>" lines, indexed by client random. */
#include "keylog.h"
#include "capture_z.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KEYLOG_MAX_LINE 512        /* longer lines are not key log lines */
#define KEYLOG_MAX_FILES 16
#define KEYLOG_MAX_ENTRIES (1u << 18)  /* client randoms held (~90 MiB); secrets of more are dropped */

struct keylog_file {
	char *path;
	long off;                      /* bytes consumed (complete lines) */
};

struct keylog {
	struct keylog_entry *e;
	size_t n, cap;
	size_t dropped;                /* secrets of new client randoms beyond KEYLOG_MAX_ENTRIES */
	uint32_t *bucket, *next;       /* hash chains by random; UINT32_MAX ends a chain */
	size_t nbucket;
	struct keylog_file f[KEYLOG_MAX_FILES];
	size_t nfiles;
	struct timespec last;          /* last refresh */
};

static const struct {
	const char *name;
	int label;
} labels[] = {
	{ "CLIENT_RANDOM", KEYLOG_MASTER },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_CLIENT_HS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_SERVER_HS },
	{ "CLIENT_TRAFFIC_SECRET_0", KEYLOG_CLIENT_APP },
	{ "SERVER_TRAFFIC_SECRET_0", KEYLOG_SERVER_APP },
	{ "QUIC_CLIENT_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_CLIENT_HS },  /* some QUIC stacks (quiche, older ngtcp2) */
	{ "QUIC_SERVER_HANDSHAKE_TRAFFIC_SECRET", KEYLOG_SERVER_HS },
	{ "QUIC_CLIENT_TRAFFIC_SECRET_0", KEYLOG_CLIENT_APP },
	{ "QUIC_SERVER_TRAFFIC_SECRET_0", KEYLOG_SERVER_APP },
	{ "CLIENT_EARLY_TRAFFIC_SECRET", KEYLOG_CLIENT_EARLY },
	{ "QUIC_CLIENT_EARLY_TRAFFIC_SECRET", KEYLOG_CLIENT_EARLY },
	{ "EARLY_EXPORTER_SECRET", -1 },
	{ "EXPORTER_SECRET", -1 },
	{ "RSA", -1 },
};

struct keylog *keylog_new(void)
{
	struct keylog *k = util_xcalloc(1, sizeof *k);
	k->nbucket = 1024;
	k->bucket = util_xmalloc(k->nbucket * sizeof *k->bucket);
	memset(k->bucket, 0xff, k->nbucket * sizeof *k->bucket);
	return k;
}

void keylog_free(struct keylog *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nfiles; i++)
		free(k->f[i].path);
	free(k->e);
	free(k->bucket);
	free(k->next);
	free(k);
}

static uint32_t hash_random(const uint8_t *r)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 32; i++)
		h = (h ^ r[i]) * 16777619u;
	return h;
}

const struct keylog_entry *keylog_find(const struct keylog *k, const uint8_t random[32])
{
	for (uint32_t i = k->bucket[hash_random(random) & (k->nbucket - 1)]; i != UINT32_MAX; i = k->next[i])
		if (!memcmp(k->e[i].random, random, 32))
			return &k->e[i];
	return NULL;
}

size_t keylog_count(const struct keylog *k)
{
	return k->n;
}

size_t keylog_dropped(const struct keylog *k)
{
	return k->dropped;
}

static void rehash(struct keylog *k)
{
	k->nbucket *= 2;
	k->bucket = util_xrealloc(k->bucket, k->nbucket * sizeof *k->bucket);
	memset(k->bucket, 0xff, k->nbucket * sizeof *k->bucket);
	for (size_t i = 0; i < k->n; i++) {
		uint32_t b = hash_random(k->e[i].random) & (k->nbucket - 1);
		k->next[i] = k->bucket[b];
		k->bucket[b] = (uint32_t)i;
	}
}

static struct keylog_entry *entry_get(struct keylog *k, const uint8_t random[32])
{
	struct keylog_entry *e = (struct keylog_entry *)keylog_find(k, random);
	if (e)
		return e;
	if (k->n >= KEYLOG_MAX_ENTRIES) {
		k->dropped++;
		return NULL;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->e = util_xrealloc(k->e, k->cap * sizeof *k->e);
		k->next = util_xrealloc(k->next, k->cap * sizeof *k->next);
	}
	e = &k->e[k->n];
	memset(e, 0, sizeof *e);
	memcpy(e->random, random, 32);
	uint32_t b = hash_random(random) & (k->nbucket - 1);
	k->next[k->n] = k->bucket[b];
	k->bucket[b] = (uint32_t)k->n;
	k->n++;
	if (k->n > 2 * k->nbucket)
		rehash(k);
	return e;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Hex digits of s[0,n) into out (at most max bytes); the byte count, or -1. */
static int unhex(const char *s, size_t n, uint8_t *out, size_t max)
{
	if (n % 2 || n / 2 > max || !n)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int a = hexval(s[i]), b = hexval(s[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	return (int)(n / 2);
}

/* One line: 1 used or ignored (comment, blank, unknown label), 0 not a key log line; *added set. */
static int parse_line(struct keylog *k, const char *p, size_t n, int *added)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n || p[0] == '#')
		return 1;
	const char *sp1 = memchr(p, ' ', n);
	if (!sp1)
		return 0;
	size_t ll = (size_t)(sp1 - p);
	const char *r = sp1 + 1;
	const char *sp2 = memchr(r, ' ', n - ll - 1);
	if (!sp2)
		return 0;
	const char *s = sp2 + 1;
	size_t rl = (size_t)(sp2 - r), sl = (size_t)(p + n - s);
	uint8_t rnd[32], sec[KEYLOG_MAX_SECRET];
	int slen;
	if (unhex(r, rl, rnd, sizeof rnd) < 0 || (slen = unhex(s, sl, sec, sizeof sec)) < 0)
		return ll == 3 && !memcmp(p, "RSA", 3);  /* RSA lines carry an encrypted premaster: not ours */
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		if (strlen(labels[i].name) != ll || memcmp(labels[i].name, p, ll))
			continue;
		if (labels[i].label < 0 || rl != 64)
			return 1;
		struct keylog_entry *e = entry_get(k, rnd);
		if (!e)
			return 1;  /* the cap: counted in dropped */
		int lb = labels[i].label;
		if (e->len[lb] != slen || memcmp(e->secret[lb], sec, (size_t)slen))
			*added += 1;
		memcpy(e->secret[lb], sec, (size_t)slen);
		e->len[lb] = (uint8_t)slen;
		return 1;
	}
	return 1;  /* a label of a later TLS version: ignored */
}

/* Complete lines of text[0,len); *used: bytes of complete lines; bad lines counted. */
static size_t add_lines(struct keylog *k, const char *text, size_t len, size_t *used, int *added, size_t *first_bad)
{
	size_t bad = 0, pos = 0, line = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (text + pos));
		line++;
		if (n > KEYLOG_MAX_LINE || !parse_line(k, text + pos, n, added)) {
			if (!bad++ && first_bad)
				*first_bad = line;
		}
		pos += n + 1;
	}
	*used = pos;
	return bad;
}

size_t keylog_add_text(struct keylog *k, const char *text, size_t len)
{
	size_t used = 0;
	int added = 0;
	size_t bad = add_lines(k, text, len, &used, &added, NULL);
	if (used < len) {  /* a last line without its newline */
		char *tmp = util_xmalloc(len - used + 1);
		memcpy(tmp, text + used, len - used);
		tmp[len - used] = '\n';
		size_t u2;
		bad += add_lines(k, tmp, len - used + 1, &u2, &added, NULL);
		free(tmp);
	}
	return bad;
}

/* Reads file f from its offset; complete lines only (a writer may be mid-line). -1 on a read error. */
static int read_file(struct keylog *k, struct keylog_file *f, int *added, size_t *bad, size_t *first_bad,
		     int final)
{
	FILE *fp = fopen(f->path, "rb");
	if (!fp)
		return -1;
	if (fseek(fp, f->off, SEEK_SET) < 0) {
		fclose(fp);
		return -1;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 65536;
			buf = util_xrealloc(buf, cap);
		}
		size_t r = fread(buf + len, 1, cap - len, fp);
		len += r;
		if (r == 0)
			break;
	}
	int err = ferror(fp);
	fclose(fp);
	if (err) {
		free(buf);
		return -1;
	}
	size_t used = 0;
	*bad += add_lines(k, buf, len, &used, added, first_bad);
	if (final && used < len && memchr(buf + used, 0, len - used) == NULL && len - used < KEYLOG_MAX_LINE) {
		buf[len] = '\n';  /* cap - len >= 1: room for it */
		size_t u2;
		*bad += add_lines(k, buf + used, len - used + 1, &u2, added, first_bad);
		used = len;
	} else if (used < len && len - used > KEYLOG_MAX_LINE) {
		(*bad)++;
	}
	f->off += (long)used;
	free(buf);
	return 0;
}

int keylog_add_file(struct keylog *k, const char *path, char *errbuf, size_t errlen)
{
	struct stat sb;
	if (k->nfiles == KEYLOG_MAX_FILES) {
		snprintf(errbuf, errlen, "%s: more than %d key log files", path, KEYLOG_MAX_FILES);
		return -1;
	}
	if (stat(path, &sb) < 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "%s: is a directory", path);
		return -1;
	}
	struct keylog_file *f = &k->f[k->nfiles];
	f->path = util_xstrdup(path);
	f->off = 0;
	int added = 0;
	size_t bad = 0, first_bad = 0;
	if (read_file(k, f, &added, &bad, &first_bad, 0) < 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		free(f->path);
		return -1;
	}
	if (bad) {
		snprintf(errbuf, errlen, "%s: line %zu: not an NSS key log line (LABEL client_random secret)", path,
			 first_bad ? first_bad : 1);
		free(f->path);
		return -1;
	}
	k->nfiles++;
	return 0;
}

size_t keylog_refresh(struct keylog *k, int now_anyway)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(now.tv_sec - k->last.tv_sec) * 1000 + (now.tv_nsec - k->last.tv_nsec) / 1000000;
	if (!now_anyway && ms < 100 && (k->last.tv_sec || k->last.tv_nsec))
		return 0;
	k->last = now;
	int added = 0;
	for (size_t i = 0; i < k->nfiles; i++) {
		struct stat sb;
		size_t bad = 0;
		if (stat(k->f[i].path, &sb) < 0)
			continue;
		if (sb.st_size < k->f[i].off)  /* truncated and rewritten: read it again */
			k->f[i].off = 0;
		if (sb.st_size > k->f[i].off)
			read_file(k, &k->f[i], &added, &bad, NULL, 0);
	}
	return (size_t)added;
}

/* A classic pcap whose first frame is Ethernet and ends in PCAPdroid's trailer magic (app.c checks
 * the CRC of every frame later; this only says whether to look for the key log beside it). */
static int pcap_first_trailer(FILE *fp)
{
	uint8_t g[24], r[16], t[4];
	if (fseek(fp, 0, SEEK_SET) < 0 || fread(g, 1, 24, fp) != 24)
		return 0;
	uint32_t m = rd_bo32(g, 1);
	int big;
	if (m == 0xa1b2c3d4 || m == 0xa1b23c4d)
		big = 1;
	else if (m == 0xd4c3b2a1 || m == 0x4d3cb2a1)
		big = 0;
	else
		return 0;
	if ((rd_bo32(g + 20, big) & 0x0fffffff) != 1 || fread(r, 1, 16, fp) != 16)  /* LINKTYPE_ETHERNET */
		return 0;
	uint32_t incl = rd_bo32(r + 8, big);
	if (incl < 14 + 20 + 32 || incl > (1u << 18) || fseek(fp, (long)incl - 32, SEEK_CUR) < 0 ||
	    fread(t, 1, 4, fp) != 4)
		return 0;
	return t[0] == 0x01 && t[1] == 0x07 && t[2] == 0x20 && t[3] == 0x21;  /* APP_TRAILER_MAGIC, big-endian */
}

/* pcapng (draft-ietf-opsawg-pcapng 4.7): Decryption Secrets Blocks of type "TLSK" carry an NSS
 * key log. Every block of the file is walked (a header read and a seek per block): PCAPdroid
 * writes its secrets as it learns them, after the packets they open. */
int keylog_add_pcapng(struct keylog *k, const char *path, struct keylog_input *in)
{
	struct keylog_input dummy;
	if (!in)
		in = &dummy;
	memset(in, 0, sizeof *in);
	if (util_special_file(path))
		return 0;  /* a pipe is read once, by libpcap: what this walk read would be lost to it */
	char err[256];
	FILE *fp = capture_z_fopen(path, err, sizeof err);  /* a .pcapng.gz's keys too */
	if (!fp)
		return -1;
	uint8_t h[12];
	int added = 0, big = 0;
	char *buf = NULL;
	size_t cap = 0;
	long off = 0;
	while (fread(h, 1, 12, fp) == 12) {
		uint32_t type = rd_bo32(h, 1);
		if (type == 0x0A0D0D0A)  /* Section Header Block: its byte-order magic sets the order */
			big = h[8] == 0x1A && h[9] == 0x2B;
		else if (off == 0)
			break;  /* the first block is not a section header: not pcapng */
		uint32_t len = rd_bo32(h + 4, big);
		if (!big)
			type = rd_bo32(h, 0);
		if (len < 12 || len % 4)
			break;  /* a corrupt block: stop, the capture reader reports it */
		if (type == 0x0000000A) {  /* Decryption Secrets Block */
			if (len < 20 || len >= (64u << 20)) {  /* no room for its header, or beyond any key log */
				in->dsbs_malformed++;
				if (fseek(fp, (long)len - 12, SEEK_CUR) < 0)
					break;
				off += len;
				continue;
			}
			if (cap < len) {
				cap = len;
				buf = util_xrealloc(buf, cap);
			}
			memcpy(buf, h + 8, 4);
			if (fread(buf + 4, 1, len - 12, fp) != len - 12) {
				in->dsbs_malformed++;  /* cut short: the file ends inside it */
				break;
			}
			const uint8_t *b = (const uint8_t *)buf;
			uint32_t st = rd_bo32(b, big), sl = rd_bo32(b + 4, big);
			if (st == 0x544c534b) {  /* "TLSK": NSS key log text */
				in->dsbs++;
				if (sl > len - 20) {
					in->dsbs_malformed++;  /* its secrets run past the block: skipped */
				} else {
					size_t used;
					int a = 0;
					buf[8 + sl] = '\n';  /* inside the block (its trailer): ends a last line */
					if (add_lines(k, buf + 8, sl + 1, &used, &a, NULL))
						in->dsbs_malformed++;  /* lines that are not key log lines (the others are used) */
					added += a;
				}
			}
			off += len;
			continue;
		}
		if ((type == 0x00000BAD || type == 0x40000BAD) && len >= 16 && rd_bo32(h + 8, big) == 62652u)
			in->pcapdroid = 1;  /* a Custom Block with PCAPdroid's PEN (the first word read with the header) */
		if (fseek(fp, (long)len - 12, SEEK_CUR) < 0)
			break;
		off += len;
	}
	if (off == 0)
		in->pcapdroid = pcap_first_trailer(fp);
	in->secrets = (size_t)added;
	free(buf);
	fclose(fp);
	return added;
}
