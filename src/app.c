/* app.c - app attribution: PCAPdroid's pcap trailer (pcap_dump.c) and pcapng uid-mapping Custom
 * Blocks with "u-<uid>" packet comments, DLT_NFLOG's NFULA_UID, PCAPdroid's connections CSV
 * export (ConnectionsAdapter.dumpConnectionsCsv), hints; names of Android's fixed uids. */
#include "app.h"
#include "app_csv.h"
#include "capture_z.h"
#include "decode.h"
#include "escape.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define APP_MAX 4096                   /* apps remembered per run (a phone has a few hundred) */
#define APP_MAX_FILTERS 64
#define APP_BLOCK_MAX (16u << 20)      /* pcapng blocks read beside libpcap; larger ones skipped */
#define NFULA_PAYLOAD 9                /* linux/netfilter/nfnetlink_log.h */
#define NFULA_UID 11
#define APP_HINT_UID0 (1 << 30)        /* hint apps' uids: past Android's, never a fixed one */

struct apps {
	struct app_info *tab;          /* open addressing, APP_MAX * 2 slots */
	size_t n;
	int32_t *frame_uid;            /* current pcapng input: uid of frame i, INT32_MIN none */
	size_t nframes;
	size_t cur;                    /* frames of the current input seen so far */
	int pcapdroid;
	char *filters[APP_MAX_FILTERS];
	size_t nfilters;
	struct app_stats st;
	struct app_csv *csv;           /* --apps, once read */
	int32_t hint_next;             /* uid given to the next hint app */
};

static const struct { int32_t uid; const char *name; } fixed[] = {
	{ -1, "unknown" }, { 0, "root" }, { 1000, "Android system" }, { 1001, "phone" },
	{ 1013, "media" }, { 1051, "netd / DNS resolver" }, { 1073, "network stack" },
	{ 2000, "shell" }, { 9999, "nobody" },
};

const char *app_fixed_name(int32_t uid)
{
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (fixed[i].uid == uid)
			return fixed[i].name;
	return NULL;
}

const char *apps_source_name(uint8_t source)
{
	static const char *names[] = { NULL, "pcapdroid", "nflog", "csv", "hint" };
	return source < sizeof names / sizeof names[0] ? names[source] : NULL;
}

/* Printable ASCII of (p, n) up to the first NUL into out (cap bytes); others as '?'. */
static void copy_name(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && p[i] && k + 1 < cap; i++)
		out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[k] = 0;
}

enum app_parse app_trailer_parse(const uint8_t *p, size_t len, size_t ip_end, int32_t *uid, char name[21])
{
	if (ip_end > len || len - ip_end == 0)
		return APP_ABSENT;  /* nothing after the IP packet */
	size_t extra = len - ip_end;
	if (extra < APP_TRAILER_LEN || extra > APP_TRAILER_LEN + 3)
		return APP_TRUNCATED;  /* a trailer is 32 bytes after at most 3 of padding */
	const uint8_t *t = p + len - APP_TRAILER_LEN;
	if (rd_be32(t) != APP_TRAILER_MAGIC)
		return APP_INVALID;
	/* the CRC-32 (zlib's) covers the frame up to the FCS; PCAPdroid stores it in the phone's
	 * (little-endian) order */
	uint32_t crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
	if (crc != rd_le32(t + 28) && crc != rd_be32(t + 28))
		return APP_INVALID;
	*uid = (int32_t)rd_be32(t + 4);
	copy_name(name, 21, t + 8, 20);
	return APP_FOUND;
}


enum app_parse app_custom_block_parse(const uint8_t *p, size_t len, int big, int32_t *uid,
				      char pkg[APP_PACKAGE_MAX], char name[APP_NAME_MAX])
{
	if (len < 4)
		return APP_TRUNCATED;
	if (rd_bo16(p, big) != 1 || p[2] != 1)
		return APP_ABSENT;  /* another version or block type: not ours to read */
	if (len < 10)
		return APP_TRUNCATED;
	size_t plen = p[8], nlen = p[9];
	if (10 + plen + nlen > len)
		return APP_TRUNCATED;  /* names run past the block */
	*uid = (int32_t)rd_bo32(p + 4, big);
	copy_name(pkg, APP_PACKAGE_MAX, p + 10, plen);
	copy_name(name, APP_NAME_MAX, p + 10 + plen, nlen);
	return APP_FOUND;
}

enum app_parse app_comment_uid(const uint8_t *p, size_t len, int32_t *uid)
{
	if (len < 3 || p[0] != 'u' || p[1] != '-')
		return APP_ABSENT;
	size_t i = 2;
	int neg = p[i] == '-';
	i += (size_t)neg;
	int64_t v = 0;
	if (i >= len)
		return APP_INVALID;
	for (; i < len && p[i]; i++) {
		if (p[i] < '0' || p[i] > '9' || v > INT32_MAX)
			return APP_INVALID;  /* not a number: a comment of someone else's */
		v = v * 10 + (p[i] - '0');
	}
	v = neg ? -v : v;
	if (v > INT32_MAX || v < INT32_MIN + 1)
		return APP_INVALID;
	*uid = (int32_t)v;
	return APP_FOUND;
}

enum app_parse app_nflog_parse(const uint8_t *p, size_t len, const uint8_t **payload, size_t *plen,
			       int32_t *uid, int *has_uid)
{
	*has_uid = 0;
	*payload = NULL;
	if (len < 4)
		return APP_TRUNCATED;
	size_t off = 4;  /* family, version, resource id */
	while (off + 4 <= len) {
		/* libpcap hands the TLV header in the reading host's order (it swaps foreign files) */
		uint16_t tl, tt;
		memcpy(&tl, p + off, 2);
		memcpy(&tt, p + off + 2, 2);
		tt &= 0x7fff;  /* NLA_F_NESTED / NET_BYTEORDER flags */
		if (tl < 4 || tl > len - off)
			return APP_TRUNCATED;  /* a TLV that runs off the frame: the rest is unreadable */
		if (tt == NFULA_PAYLOAD) {
			*payload = p + off + 4;
			*plen = tl - 4u;
		} else if (tt == NFULA_UID && tl >= 8) {
			*uid = (int32_t)rd_be32(p + off + 4);  /* netlink attribute value: network order */
			*has_uid = 1;
		}
		off += ((size_t)tl + 3) & ~(size_t)3;
	}
	return *payload ? APP_FOUND : APP_ABSENT;
}

struct apps *apps_new(void)
{
	struct apps *a = util_xcalloc(1, sizeof *a);
	a->tab = util_xcalloc(APP_MAX * 2, sizeof *a->tab);
	return a;
}

void apps_free(struct apps *a)
{
	if (!a)
		return;
	free(a->tab);
	free(a->frame_uid);
	app_csv_free(a->csv);
	for (size_t i = 0; i < a->nfilters; i++)
		free(a->filters[i]);
	free(a);
}

static size_t slot_of(const struct apps *a, int32_t uid, uint8_t source, int *found)
{
	uint32_t h = ((uint32_t)uid * 0x9e3779b1u) ^ source;
	size_t i = (h ^ (h >> 15)) % (APP_MAX * 2);
	while (a->tab[i].source) {
		if (a->tab[i].uid == uid && a->tab[i].source == source) {
			*found = 1;
			return i;
		}
		i = (i + 1) % (APP_MAX * 2);
	}
	*found = 0;
	return i;
}

const struct app_info *apps_get(const struct apps *a, int32_t uid, uint8_t source)
{
	int found;
	if (!a || !source)
		return NULL;
	size_t i = slot_of(a, uid, source, &found);
	return found ? &a->tab[i] : NULL;
}

/* Remembers (uid, source); names given here fill those still empty. */
static void learn(struct apps *a, int32_t uid, uint8_t source, const char *pkg, const char *name)
{
	int found;
	size_t i = slot_of(a, uid, source, &found);
	if (!found) {
		if (a->n >= APP_MAX)
			return;  /* the cap: reports show the uid without names */
		a->n++;
		a->tab[i].uid = uid;
		a->tab[i].source = source;
	}
	struct app_info *e = &a->tab[i];
	if (pkg && pkg[0] && !e->package[0])  /* printable only, whoever wrote it (a CSV, a header) */
		copy_name(e->package, sizeof e->package, (const uint8_t *)pkg, strlen(pkg));
	if (name && name[0] && !e->name[0])
		copy_name(e->name, sizeof e->name, (const uint8_t *)name, strlen(name));
	if (!e->name[0] && app_fixed_name(uid))
		snprintf(e->name, sizeof e->name, "%s", app_fixed_name(uid));
}

/* Reads the pcapng file's blocks: uid mappings and each packet's "u-<uid>" comment. */
static void read_pcapng(struct apps *a, FILE *fp)
{
	uint8_t h[12];
	int big = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	while (fread(h, 1, 8, fp) == 8) {
		uint32_t type = rd_be32(h);
		if (type == 0x0A0D0D0A) {  /* Section Header Block: its byte-order magic sets the order */
			if (fread(h + 8, 1, 4, fp) != 4)
				break;
			big = h[8] == 0x1A && h[9] == 0x2B;
			if (fseek(fp, -4, SEEK_CUR) < 0)
				break;
		} else if (!a->nframes && ftell(fp) == 8) {
			break;  /* not pcapng */
		}
		type = rd_bo32(h, big);
		uint32_t len = rd_bo32(h + 4, big);
		if (len < 12 || len % 4)
			break;  /* a corrupt block: libpcap reports it */
		size_t body = len - 12;
		int packet = type == 6 || type == 3 || type == 2;
		int custom = type == 0x00000BAD || type == 0x40000BAD;
		if ((!packet && !custom) || body > APP_BLOCK_MAX) {
			if (fseek(fp, (long)body + 4, SEEK_CUR) < 0)
				break;
			if (packet)
				goto frame;
			continue;
		}
		if (cap < body + 1) {
			cap = body + 1;
			buf = util_xrealloc(buf, cap);
		}
		if (fread(buf, 1, body, fp) != body || fseek(fp, 4, SEEK_CUR) < 0)
			break;
		if (custom) {
			int32_t uid;
			char pkg[APP_PACKAGE_MAX], name[APP_NAME_MAX];
			if (body < 4 || rd_bo32(buf, big) != APP_PEN_PCAPDROID)
				continue;  /* another vendor's block */
			enum app_parse r = app_custom_block_parse(buf + 4, body - 4, big, &uid, pkg, name);
			if (r == APP_FOUND) {
				a->st.custom_blocks++;
				a->pcapdroid = 1;
				learn(a, uid, APP_SRC_PCAPDROID, pkg, name);
			} else if (r != APP_ABSENT) {
				a->st.custom_blocks_malformed++;
			}
			continue;
		}
		int32_t uid = INT32_MIN;
		if (type == 6 && body >= 20) {  /* Enhanced Packet Block: options after the padded data */
			size_t off = 20 + (((size_t)rd_bo32(buf + 12, big) + 3) & ~(size_t)3);
			while (off + 4 <= body) {
				uint16_t code = rd_bo16(buf + off, big), ol = rd_bo16(buf + off + 2, big);
				if (code == 0 || off + 4 + ol > body)
					break;  /* end of options, or one that runs off the block */
				int32_t u;
				if (code == 1 && app_comment_uid(buf + off + 4, ol, &u) == APP_FOUND)
					uid = u;
				off += 4 + (((size_t)ol + 3) & ~(size_t)3);
			}
		}
		if (uid != INT32_MIN)
			a->pcapdroid = 1;
		/* fallthrough to recording this frame */
		a->frame_uid = util_xrealloc(a->frame_uid, (a->nframes + 1) * sizeof *a->frame_uid);
		a->frame_uid[a->nframes++] = uid;
		continue;
frame:
		a->frame_uid = util_xrealloc(a->frame_uid, (a->nframes + 1) * sizeof *a->frame_uid);
		a->frame_uid[a->nframes++] = INT32_MIN;
	}
	free(buf);
}

void apps_begin_input(struct apps *a, const char *path)
{
	free(a->frame_uid);
	a->frame_uid = NULL;
	a->nframes = 0;
	a->cur = 0;
	if (!path || util_special_file(path))
		return;  /* a pipe is read once, by libpcap: its custom blocks are not looked for */
	char err[256];
	FILE *fp = capture_z_fopen(path, err, sizeof err);
	if (!fp)
		return;  /* the capture reader names the file */
	read_pcapng(a, fp);
	fclose(fp);
}

/* The frame has an all-zero Ethernet header: PCAPdroid's bogus one. */
static int zero_macs(const uint8_t *b, size_t n)
{
	if (n < 14)
		return 0;
	for (int i = 0; i < 12; i++)
		if (b[i])
			return 0;
	return 1;
}

void apps_frame(struct apps *a, int dlt, const uint8_t *bytes, size_t caplen, struct packet *p, int ok)
{
	(void)ok;
	size_t idx = a->cur++;
	if (idx < a->nframes && a->frame_uid[idx] != INT32_MIN) {
		p->app_uid = a->frame_uid[idx];
		p->app_source = APP_SRC_PCAPDROID;
		a->st.comments++;
	} else if (dlt == 1 && p->l3 && zero_macs(bytes, caplen)) {  /* DLT_EN10MB */
		size_t ip_end = (size_t)(p->l3 - bytes) + p->l3_len;
		int32_t uid;
		char name[21];
		enum app_parse r = app_trailer_parse(bytes, caplen, ip_end, &uid, name);
		if (r == APP_FOUND) {
			a->st.trailers++;
			a->pcapdroid = 1;
			learn(a, uid, APP_SRC_PCAPDROID, NULL, name);
			p->app_uid = uid;
			p->app_source = APP_SRC_PCAPDROID;
		} else if (r != APP_ABSENT) {
			a->st.trailers_malformed++;
		}
	} else if (dlt == 239) {  /* DLT_NFLOG: decode.c read the uid */
		if (p->app_source == APP_SRC_NFLOG)
			a->st.nflog_uids++;
		else
			a->st.nflog_no_uid++;
	}
	if (p->app_source) {
		a->st.attributed++;
		learn(a, p->app_uid, p->app_source, NULL, NULL);
	}
}

const struct app_stats *apps_stats(const struct apps *a)
{
	return &a->st;
}

int apps_pcapdroid(const struct apps *a)
{
	return a && a->pcapdroid;
}

void apps_add_filter(struct apps *a, const char *pkg)
{
	if (a->nfilters < APP_MAX_FILTERS)
		a->filters[a->nfilters++] = util_xstrdup(pkg);
}

int apps_filtering(const struct apps *a)
{
	return a && a->nfilters;
}

int apps_match(const struct apps *a, int32_t uid, uint8_t source)
{
	if (!apps_filtering(a))
		return 1;
	if (!source)
		return 0;
	const struct app_info *e = apps_get(a, uid, source);
	char num[16];
	snprintf(num, sizeof num, "%d", (int)uid);
	for (size_t i = 0; i < a->nfilters; i++) {
		const char *f = a->filters[i];
		if ((source != APP_SRC_HINT && !strcmp(f, num)) || (e && ((e->package[0] && !strcmp(f, e->package)) || (e->name[0] && !strcmp(f, e->name)))))
			return 1;
	}
	return 0;
}

static char *put(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n);
	return out + n;
}

char *apps_put_json(const struct apps *a, int32_t uid, uint8_t source, char *out)
{
	if (!source)
		return put(out, "null");
	const struct app_info *e = apps_get(a, uid, source);
	const char *fx = app_fixed_name(uid);
	const char *pkg = e && e->package[0] ? e->package : NULL;
	const char *name = e && e->name[0] ? e->name : fx;
	if (source == APP_SRC_HINT)
		out = put(out, "{\"uid\":null,\"package\":");  /* a hint's uid is phonehome's own */
	else
		out += sprintf(out, "{\"uid\":%d,\"package\":", (int)uid);
	if (pkg)
		out += escape_json(pkg, out);
	else
		out = put(out, "null");
	out = put(out, ",\"name\":");
	if (name)
		out += escape_json(name, out);
	else
		out = put(out, "null");
	const char *sn = apps_source_name(source), *hint = e ? app_hint_origin_name(e->hint) : NULL;
	out += sprintf(out, ",\"source\":\"%s\"", sn ? sn : "unknown");
	if (source == APP_SRC_HINT && hint)
		out += sprintf(out, ",\"hint\":\"%s\"", hint);
	return put(out, "}");
}

/* --apps: the rows are app_csv.c's; names learnt, counts kept here --------------------------------- */

static void csv_learn(void *arg, int32_t uid, const char *name)
{
	learn(arg, uid, APP_SRC_CSV, NULL, name);
}

int apps_load_csv(struct apps *a, const char *path, char *errbuf, size_t errlen)
{
	struct app_csv *c = app_csv_load(path, csv_learn, a, errbuf, errlen);
	if (!c)
		return -1;
	app_csv_free(a->csv);
	a->csv = c;
	a->st.csv_rows = app_csv_rows(c);
	return 0;
}

int apps_csv_loaded(const struct apps *a)
{
	return a && a->csv;
}

int apps_csv_find(const struct apps *a, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		  const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid)
{
	return a && app_csv_find(a->csv, proto, family, addr0, port0, addr1, port1, first_us, uid);
}

int apps_csv_match(struct apps *a, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		   const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid)
{
	return a && app_csv_match(a->csv, proto, family, addr0, port0, addr1, port1, first_us, uid);
}

size_t apps_csv_unmatched(struct apps *a, char *list, size_t listlen)
{
	size_t n = app_csv_unmatched(a->csv, list, listlen);
	a->st.csv_matched = app_csv_rows(a->csv) - n;
	a->st.csv_unmatched = n;
	return n;
}

/* Hints: a package name the app sends itself ---------------------------------------------------- */

static const char *hint_keys[] = { "pkg", "package", "packageName", "app", "appId", "app_id", "bundle", "bundleId" };

const char *app_hint_origin_name(uint8_t origin)
{
	if (origin == APP_HINT_XRW)
		return "X-Requested-With";
	if (origin == APP_HINT_UA)
		return "User-Agent";
	if (origin >= APP_HINT_KEY && origin - APP_HINT_KEY < (int)(sizeof hint_keys / sizeof hint_keys[0]))
		return hint_keys[origin - APP_HINT_KEY];
	return NULL;
}

int app_hint_is_package(const uint8_t *v, size_t len)
{
	size_t dots = 0, label = 0;
	if (len < 5 || len >= APP_HINT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = v[i];
		if (c == '.') {
			if (!label)
				return 0;  /* an empty label */
			dots++;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (label && ((c >= '0' && c <= '9') || c == '_'))) {
			label++;
		} else {
			return 0;  /* upper case, a digit first, or anything else: not a package */
		}
	}
	return dots >= 2 && label > 0;
}

uint8_t app_hint_header(const char *name)
{
	if (!strcasecmp(name, "X-Requested-With"))
		return APP_HINT_XRW;
	return !strcasecmp(name, "User-Agent") ? APP_HINT_UA : 0;
}

uint8_t app_hint_key(const char *key)
{
	const char *last = key;  /* a JSON path's last member: "data.packageName" -> "packageName" */
	for (const char *p = key; *p; p++)
		if (*p == '.' || *p == '/' || *p == '[')
			last = p + 1;
	for (size_t i = 0; i < sizeof hint_keys / sizeof hint_keys[0]; i++)
		if (!strcmp(last, hint_keys[i]))
			return (uint8_t)(APP_HINT_KEY + i);
	return 0;
}

/* A package in a User-Agent: a "PKG/VERSION" token or a bare token shaped like one, e.g.
 * "Dalvik/2.1.0 (Linux; U; Android 13; M2101K6G) com.xiaomi.market/4.2". */
static int ua_package(const uint8_t *p, size_t len, size_t *off, size_t *n)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == ';' || p[i] == '(' || p[i] == ')' || p[i] == ','))
			i++;
		size_t s = i;
		while (i < len && p[i] != ' ' && p[i] != ';' && p[i] != '(' && p[i] != ')' && p[i] != ',' && p[i] != '/')
			i++;
		if (i > s && app_hint_is_package(p + s, i - s)) {
			*off = s;
			*n = i - s;
			return 1;
		}
		while (i < len && p[i] != ' ' && p[i] != ';' && p[i] != '(' && p[i] != ')' && p[i] != ',')
			i++;  /* the token's version */
	}
	return 0;
}

void app_hint_offer(char hint[APP_HINT_MAX], uint8_t *cur, uint8_t origin, const uint8_t *v, size_t len)
{
	if (!origin || (*cur && *cur <= origin))
		return;  /* a hint from as good an origin is kept: the first */
	size_t off = 0, n = len;
	if (origin == APP_HINT_UA) {
		if (!ua_package(v, len, &off, &n))
			return;
	} else {
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (!app_hint_is_package(v, n))
			return;
	}
	memcpy(hint, v + off, n);
	hint[n] = 0;
	*cur = origin;
}

int apps_hint_find(const struct apps *a, const char *pkg, int32_t *uid)
{
	for (int32_t u = APP_HINT_UID0; a && u < APP_HINT_UID0 + a->hint_next; u++) {  /* a few packages */
		const struct app_info *e = apps_get(a, u, APP_SRC_HINT);
		if (e && !strcmp(e->package, pkg)) {
			*uid = u;
			return 1;
		}
	}
	return 0;
}

int32_t apps_hint_uid(struct apps *a, const char *pkg, uint8_t origin)
{
	a->st.hint_flows++;
	int32_t u;
	if (apps_hint_find(a, pkg, &u))
		return u;
	int32_t uid = APP_HINT_UID0 + a->hint_next++;
	learn(a, uid, APP_SRC_HINT, pkg, NULL);
	int found;
	size_t i = slot_of(a, uid, APP_SRC_HINT, &found);
	if (found)
		a->tab[i].hint = origin;
	return uid;
}
