/* capture.c - offline capture input through libpcap: pcap, pcapng, any link type
 * decode.c knows; timestamps kept in microseconds, the custody SHA-256 of every byte read. */
#include "capture.h"
#include "capture_ng.h"
#include "capture_z.h"
#include "config.h"
#include "decode.h"
#include "rotate.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Names the file in libpcap's open error, refuses link types decode.c cannot read. */
static pcap_t *check_opened(pcap_t *pc, const char *perr, const char *path, char *errbuf, size_t errlen)
{
	if (!pc) {
		/* libpcap says "unknown file format" for text; keep its words, name the file */
		const char *why = perr;
		if (!strncmp(why, path, strlen(path)) && why[strlen(path)] == ':')
			why += strlen(path) + 2;
		snprintf(errbuf, errlen, "%s: cannot read capture: %s", path, why);
		return NULL;
	}
	int dlt = pcap_datalink(pc);
	if (!decode_dlt_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(errbuf, errlen, "%s: unsupported link type %d (%s)", path, dlt, name ? name : "unknown");
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

static pcap_t *open_file(const char *path, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *fp = capture_z_fopen(path, perr, sizeof perr);
	pcap_t *pc = fp ? pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr) : NULL;
	if (fp && !pc)
		fclose(fp);  /* libpcap closes it only once it has opened it */
	return check_opened(pc, perr, path, errbuf, errlen);
}

/* What to do about a libpcap read error that is the file's layout, not damage; "" otherwise.
 * Interfaces of different link types (dumpcap -i wlan0 -i wwan0) are read by capture_ng.c when
 * they are declared before the first packet (in a pipe's first bytes). */
static const char *read_hint(const char *err, const char *path)
{
	if (!strstr(err, "different from the type of the first interface"))
		return "";
	if (util_special_file(path))
		return " (phonehome reads a pcapng whose interfaces have different link types when its first bytes "
		       "declare them all; through this pipe they did not: give the file itself)";
	return " (libpcap cannot read a pcapng whose interfaces have different link types; phonehome can when "
	       "they are declared before the first packet, but this file declares one after it)";
}

/* A pcapng of interfaces of several link types, which capture_ng.c reads where libpcap cannot.
 * A pipe is not read ahead (what that read took would be lost to the real one): z, when
 * given, shows the bytes its start already holds (dumpcap writes its interfaces first). */
static int mixed_file(const char *path, const struct capture_z *z)
{
	char err[256];
	const uint8_t *p;
	size_t len = 0;
	if (z && util_special_file(path))
		capture_z_peek(z, &p, &len);
	FILE *fp = len ? fmemopen((void *)p, len, "rb") : util_special_file(path) ? NULL
						     : capture_z_fopen(path, err, sizeof err);
	int mixed = fp && capture_ng_mixed(fp);
	if (fp)
		fclose(fp);
	return mixed;
}

int capture_check_file(const char *path, char *errbuf, size_t errlen)
{
	if (util_special_file(path)) {
		/* a pipe (-r -, -r <(xzcat f.pcap.xz)) is read once: what a check read would be
		 * lost, so its format is checked by the read itself (still before any report) */
		if (access(path, R_OK) == 0)
			return 0;
		snprintf(errbuf, errlen, "%s: cannot read capture: %s", path, strerror(errno));
		return -1;
	}
	pcap_t *pc = open_file(path, errbuf, errlen);
	if (!pc)
		return -1;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(pc, &h, &data);  /* a file libpcap cannot read from its start is an error */
	int bad = rc == PCAP_ERROR && *read_hint(pcap_geterr(pc), path) && !mixed_file(path, NULL);
	if (bad)
		snprintf(errbuf, errlen, "%s: cannot read capture: %s%s", path, pcap_geterr(pc),
			 read_hint(pcap_geterr(pc), path));
	pcap_close(pc);
	return bad ? -1 : 0;
}

#define READ_BUFFER (1 << 20)  /* stdio buffer under libpcap: one read(2) per MiB */
#define HASH_BUFFER (64 << 10)  /* the hash's pread: small, so the SHA reads the copy from L1/L2 (-5% of its time) */

/* An input and its custody hash. A pipe or a terminal is hashed in the read itself: every
 * byte libpcap reads passes through the digest on its way. A regular file is hashed by a
 * thread of idle priority that reads it again (pread, from the page cache): the SHA-256 runs
 * while the pipeline waits (its set-up, a worker's empty queue, the end), not in the reader's
 * turn. It is the hash of the whole file as it is when the reads end; a file that changed
 * while it was read is warned. */
struct capture_hash {
	int fd;
	EVP_MD_CTX *md;
	char *buf;                     /* the stream's buffer, then the drain's */
	FILE *fp;                      /* what libpcap reads; closed by pcap_close */
	struct capture_z *z;           /* between the two: decompresses a compressed file */
	int async;                     /* a regular file: the thread hashes */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	off_t consumed;                /* bytes libpcap has been given (a growing file: more to hash) */
	int eof;                       /* reads are over: hash to the end of the file */
	int failed;                    /* a pread failed: the hash is "unreadable" */
	int joined;                    /* the thread has ended */
	int abandon;                   /* stop hashing: the file did not open as a capture (atomic) */
	struct stat st;                /* at open: a file changed while read is said so */
	volatile int *stop;            /* a signal's stop: a pipe's blocked read gives up */
	char *path;                    /* for the warning */
};

/* A pipe's next bytes; 0 (its end, for libpcap) once a stop signal interrupted the wait. */
static ssize_t read_some(struct capture_hash *h, char *buf, size_t size)
{
	ssize_t n;
	do
		n = read(h->fd, buf, size);
	while (n < 0 && errno == EINTR && !(h->stop && *h->stop));  /* the stop signal has no SA_RESTART */
	return n < 0 && errno == EINTR ? 0 : n;
}

/* The file's bytes in order, each hashed once. */
static ssize_t raw_read(void *cookie, char *buf, size_t size)
{
	struct capture_hash *h = cookie;
	ssize_t n = read_some(h, buf, size);
	if (n > 0 && !h->async) {
		EVP_DigestUpdate(h->md, buf, (size_t)n);
	} else if (n > 0) {
		pthread_mutex_lock(&h->mu);
		h->consumed += n;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	return n;
}

/* fopencookie read: what libpcap is given, the file's bytes or their decompression. */
static ssize_t hashed_read(void *cookie, char *buf, size_t size)
{
	struct capture_hash *h = cookie;
	return capture_z_read(h->z, buf, size);
}

/* The hashing thread: the file from its start, ahead of libpcap (by PH_HASH_LEAD at most, so
 * that a file larger than the page cache is not read twice from disk) or behind it; it begins
 * while the pipeline is still being set up. At the end of the file it waits for the reads to
 * end, since a file still being written may grow, then hashes on to the end. */
static void *hash_file(void *arg)
{
	struct capture_hash *h = arg;
	struct sched_param sp = { 0 };
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);  /* best effort */
	char *buf = util_xmalloc(HASH_BUFFER);
	off_t done = 0;
	for (;;) {
		pthread_mutex_lock(&h->mu);  /* ahead of the reads by a bound: what it reads stays cached */
		while (!h->eof && !h->abandon && done >= h->consumed + PH_HASH_LEAD)
			pthread_cond_wait(&h->cv, &h->mu);
		pthread_mutex_unlock(&h->mu);
		ssize_t n;
		do
			n = pread(h->fd, buf, HASH_BUFFER, done);
		while (n < 0 && errno == EINTR);
		if (n > 0 && !__atomic_load_n(&h->abandon, __ATOMIC_RELAXED)) {
			EVP_DigestUpdate(h->md, buf, (size_t)n);
			done += n;
			continue;
		}
		pthread_mutex_lock(&h->mu);
		int last = h->eof;
		while (n == 0 && !h->eof && !h->abandon && h->consumed <= done)
			pthread_cond_wait(&h->cv, &h->mu);
		pthread_mutex_unlock(&h->mu);
		if (n < 0)
			h->failed = 1;
		if (n < 0 || last || __atomic_load_n(&h->abandon, __ATOMIC_RELAXED))
			break;  /* an error, the end of the file once the reads had ended, or not a capture */
	}
	free(buf);
	return NULL;
}

/* pcap_close's fclose keeps the descriptor: what libpcap left unread is still to be hashed. */
static int hashed_close(void *cookie)
{
	(void)cookie;
	return 0;
}

static void hashed_free(struct capture_hash *h)
{
	if (h->async && !h->joined) {  /* not a capture after all: the hash is not wanted */
		pthread_mutex_lock(&h->mu);
		__atomic_store_n(&h->abandon, 1, __ATOMIC_RELAXED);
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->th, NULL);
	}
	capture_z_free(h->z);
	if (h->fd >= 0)
		close(h->fd);
	EVP_MD_CTX_free(h->md);
	free(h->buf);
	if (h->async) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
	}
	free(h->path);
	free(h);
}

/* -1 with errbuf if path cannot be opened, or is compressed in a way that is not read. */
static int hashed_open(struct capture_hash *h, const char *path, char *errbuf, size_t errlen)
{
	static const cookie_io_functions_t io = { .read = hashed_read, .close = hashed_close };
	memset(h, 0, sizeof *h);
	h->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (h->fd < 0) {
		snprintf(errbuf, errlen, "%s", strerror(errno));
		return -1;
	}
	h->md = EVP_MD_CTX_new();
	h->buf = util_xmalloc(READ_BUFFER);
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) || !(h->fp = fopencookie(h, "r", io))) {
		snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	setvbuf(h->fp, h->buf, _IOFBF, READ_BUFFER);
	__fsetlocking(h->fp, FSETLOCKING_BYCALLER);  /* only the reading thread touches it: no lock per fread */
	if (fstat(h->fd, &h->st) == 0 && S_ISREG(h->st.st_mode)) {
		pthread_mutex_init(&h->mu, NULL);
		pthread_cond_init(&h->cv, NULL);
		h->async = 1;
		if (pthread_create(&h->th, NULL, hash_file, h) != 0) {
			pthread_mutex_destroy(&h->mu);
			pthread_cond_destroy(&h->cv);
			h->async = 0;
		}
	}
	h->z = capture_z_open(raw_read, h, errbuf, errlen);  /* its first bytes say whether it is compressed */
	return h->z ? 0 : -1;
}

/* 1 when the file's size or times moved while it was read. */
static int changed_while_read(const struct capture_hash *h)
{
	struct stat now;
	return fstat(h->fd, &now) == 0 &&
	       (now.st_size != h->st.st_size || now.st_mtim.tv_sec != h->st.st_mtim.tv_sec ||
		now.st_mtim.tv_nsec != h->st.st_mtim.tv_nsec);
}

/* The reads are over: the thread may hash to the end of the file, still at idle priority. */
static void hashed_reads_over(struct capture_hash *h)
{
	if (!h->async)
		return;
	pthread_mutex_lock(&h->mu);
	h->eof = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* After pcap_close: hashes the rest of the file from where libpcap's reads ended (a stop,
 * a record cut short, a read error), so the hash is always of the whole file. */
static int hashed_finish(struct capture_hash *h, char out[65], int *changed)
{
	ssize_t n = 0;
	if (h->async) {
		struct sched_param sp = { 0 };
		pthread_setschedparam(h->th, SCHED_OTHER, &sp);  /* the hash is needed now */
		pthread_join(h->th, NULL);
		h->joined = 1;
		n = h->failed ? -1 : 0;
		*changed = changed_while_read(h);
	} else if (!(h->stop && *h->stop)) {  /* stopped: a pipe's writer may never close it */
		while ((n = raw_read(h, h->buf, READ_BUFFER)) > 0)
			;
	}
	uint8_t md[32];
	unsigned mdlen = 0;
	if (n < 0 || !EVP_DigestFinal_ex(h->md, md, &mdlen))
		return -1;
	util_hex(md, 32, out);
	return 0;
}

int capture_hash_finish(struct capture_hash *h, struct report_input *in)
{
	int changed = 0, warned = 0;
	if (hashed_finish(h, in->sha256, &changed) < 0)
		snprintf(in->sha256, sizeof in->sha256, "unreadable");
	if (changed && !in->warning) {
		char w[PATH_MAX + 128];
		snprintf(w, sizeof w, "%s: the file changed while it was read: its SHA-256 is of the file at the end", h->path);
		in->warning = util_xstrdup(w);
		warned = 1;
	}
	hashed_free(h);
	return warned;
}

/* Decompression that ended the read early, when nothing else did: said as libpcap's would be. */
static void z_warning(const struct capture_z *z, const char *path, struct report_input *in, volatile int *stop)
{
	const char *zerr = capture_z_error(z);
	if (!zerr || in->warning || (stop && *stop))
		return;
	char w[PATH_MAX + 512];
	snprintf(w, sizeof w, "%s: read stopped after %llu packets: %s", path, (unsigned long long)in->packets, zerr);
	in->warning = util_xstrdup(w);
}

/* The packet loop: records into fn until the end, a stop or an error (kept as a warning). */
static void read_records(pcap_t *pc, const struct capture_z *z, const char *path, capture_fn fn, void *arg,
			 struct report_input *in, volatile int *stop)
{
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = 0;
	while (!(stop && *stop) && (rc = pcap_next_ex(pc, &h, &data)) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		if (!in->packets || ts < in->first_us)
			in->first_us = ts;
		if (ts > in->last_us)
			in->last_us = ts;
		in->packets++;
		in->bytes += h->caplen;
		fn(arg, dlt, ts, data, h->caplen);
	}
	z_warning(z, path, in, stop);  /* the cause, where libpcap sees only its effect */
	if (!(stop && *stop) && rc == PCAP_ERROR && !in->warning) {
		char w[PCAP_ERRBUF_SIZE + PATH_MAX + 512];
		snprintf(w, sizeof w, "%s: read stopped after %llu packets: %s%s", path,
			 (unsigned long long)in->packets, pcap_geterr(pc), read_hint(pcap_geterr(pc), path));
		in->warning = util_xstrdup(w);
	}
}

struct first {
	volatile int stop;
	uint64_t ts_us;
};

static void on_first(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	struct first *f = arg;
	(void)dlt, (void)p, (void)caplen;
	f->ts_us = ts_us;
	f->stop = 1;
}

int capture_first_time(const char *path, uint64_t *ts_us)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	pcap_t *pc = util_special_file(path) ? NULL : open_file(path, err, sizeof err);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pc ? pcap_next_ex(pc, &h, &data) : 0;
	if (rc == 1)
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	if (pc)
		pcap_close(pc);
	FILE *fp = rc == PCAP_ERROR && mixed_file(path, NULL) ? capture_z_fopen(path, err, sizeof err) : NULL;
	if (fp) {
		struct first f = { 0 };
		struct report_input in = { 0 };
		capture_ng_read(fp, path, on_first, &f, &in, &f.stop);
		free(in.warning);
		fclose(fp);
		*ts_us = f.ts_us;
		rc = f.stop ? 1 : 0;
	}
	return rc == 1 ? 0 : -1;
}

struct capture_hash *capture_hash_start(const char *path)
{
	struct capture_hash *hs = util_xcalloc(1, sizeof *hs);
	char err[256];
	if (hashed_open(hs, path, err, sizeof err) < 0) {
		hashed_free(hs);
		return NULL;
	}
	return hs;
}

void capture_hash_abandon(struct capture_hash *h)
{
	if (h)
		hashed_free(h);
}

int capture_read_file_async(const char *path, capture_fn fn, void *arg, struct report_input *in,
			    volatile int *stop, struct capture_hash **pending, char *errbuf, size_t errlen)
{
	struct capture_hash *hs = pending && *pending ? *pending : util_xcalloc(1, sizeof *hs);
	if (pending)
		*pending = NULL;
	char err[256];
	if (!hs->md && hashed_open(hs, path, err, sizeof err) < 0) {
		snprintf(errbuf, errlen, "%s: cannot read capture: %s", path, err);
		hashed_free(hs);
		return -1;
	}
	hs->stop = stop;
	in->compression = capture_z_name(hs->z);
	if (mixed_file(path, hs->z)) {
		capture_ng_read(hs->fp, path, fn, arg, in, stop);
		z_warning(hs->z, path, in, stop);
		fclose(hs->fp);
	} else {
		char perr[PCAP_ERRBUF_SIZE] = "";
		pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(hs->fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (!pc)
			fclose(hs->fp);  /* libpcap closes it only once it has opened it */
		if (!(pc = check_opened(pc, perr, path, errbuf, errlen))) {
			hashed_free(hs);
			return -1;
		}
		in->link_type = decode_dlt_name(pcap_datalink(pc));
		read_records(pc, hs->z, path, fn, arg, in, stop);
		int unread = !in->packets && *read_hint(pcap_geterr(pc), path);  /* a pipe the check did not see */
		if (unread)
			snprintf(errbuf, errlen, "%s: cannot read capture: %s%s", path, pcap_geterr(pc),
				 read_hint(pcap_geterr(pc), path));
		pcap_close(pc);
		if (unread) {
			free(in->warning);
			in->warning = NULL;
			hashed_free(hs);
			return -1;
		}
	}
	hashed_reads_over(hs);
	hs->path = util_xstrdup(path);
	if (pending)
		*pending = hs;
	else
		capture_hash_finish(hs, in);
	return 0;
}

int capture_read_file(const char *path, capture_fn fn, void *arg, struct report_input *in,
		      volatile int *stop, char *errbuf, size_t errlen)
{
	return capture_read_file_async(path, fn, arg, in, stop, NULL, errbuf, errlen);
}

#define LIVE_SNAPLEN 262144
#define LIVE_BUFFER (32 << 20)  /* kernel ring: bursts while we scan must not drop */
#define LIVE_TIMEOUT_MS 100     /* a ring block is handed over at least this often */

struct capture_live {
	pcap_t *pc;
	struct rotate *rot;            /* -w, rotated or not */
	int done;                      /* -W's last file is full: stop */
	uint64_t first_us, last_us;    /* packets handed over: first and last times */
	char err[512];                 /* why -w stopped the capture */
	capture_fn fn;
	void *arg;
};

/* Sets up the filter on an activated handle. */
static int live_setup(struct capture_live *c, const struct capture_live_opts *o, char *errbuf, size_t errlen)
{
	if (o->filter) {
		struct bpf_program prog;
		if (pcap_compile(c->pc, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(errbuf, errlen, "--filter \"%s\": %s", o->filter, pcap_geterr(c->pc));
			return -1;
		}
		int rc = pcap_setfilter(c->pc, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			snprintf(errbuf, errlen, "--filter \"%s\": %s", o->filter, pcap_geterr(c->pc));
			return -1;
		}
	}
	return 0;
}

int capture_live_write_open(struct capture_live *c, const struct capture_live_opts *o, char *errbuf, size_t errlen)
{
	if (!o->write_path || c->rot)
		return 0;
	struct rotate_opts ro = { o->write_path, o->max_bytes, o->every_us, o->count };
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->rot = rotate_open(c->pc, &ro, (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000,
			     errbuf, errlen);
	return c->rot ? 0 : -1;
}

struct capture_live *capture_live_open(const struct capture_live_opts *o, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture_live *c = util_xcalloc(1, sizeof *c);
	c->pc = pcap_create(o->iface, perr);
	if (!c->pc) {
		snprintf(errbuf, errlen, "-i %s: %s", o->iface, perr);
		free(c);
		return NULL;
	}
	pcap_set_snaplen(c->pc, LIVE_SNAPLEN);
	pcap_set_promisc(c->pc, o->promisc);
	/* not immediate mode: libpcap then uses TPACKET_V3, whose blocks hold packets at their
	 * own size; immediate mode's TPACKET_V2 gives every packet a slot of the largest frame
	 * (64 KiB on an interface with offloads), so 32 MiB held only ~500 packets and a short
	 * stall dropped. Packets arrive within LIVE_TIMEOUT_MS instead of at once. */
	pcap_set_timeout(c->pc, LIVE_TIMEOUT_MS);
	pcap_set_buffer_size(c->pc, LIVE_BUFFER);
	int rc = pcap_activate(c->pc);
	if (rc < 0) {
		snprintf(errbuf, errlen, "-i %s: %s%s", o->iface, pcap_statustostr(rc),
			 rc == PCAP_ERROR_PERM_DENIED ? " (run as root or give the binary cap_net_raw)" : "");
		if (rc == PCAP_ERROR && pcap_geterr(c->pc)[0])
			snprintf(errbuf, errlen, "-i %s: %s", o->iface, pcap_geterr(c->pc));
		goto fail;
	}
	if (!decode_dlt_supported(pcap_datalink(c->pc))) {
		snprintf(errbuf, errlen, "-i %s: unsupported link type %d", o->iface, pcap_datalink(c->pc));
		goto fail;
	}
	if (live_setup(c, o, errbuf, errlen) < 0 || pcap_setnonblock(c->pc, 1, perr) < 0)
		goto fail;
	return c;
fail:
	rotate_free(c->rot);
	pcap_close(c->pc);
	free(c);
	return NULL;
}

int capture_live_fd(const struct capture_live *c)
{
	return pcap_get_selectable_fd(c->pc);
}

int capture_live_link_type(const struct capture_live *c)
{
	return pcap_datalink(c->pc);
}

static void live_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture_live *c = (struct capture_live *)user;
	if (c->done || c->err[0])
		return;  /* the rest of a batch after a stop: neither written nor audited */
	int w = c->rot ? rotate_write(c->rot, h, data, c->err, sizeof c->err) : 1;
	if (w <= 0) {  /* each packet audited is in exactly one file */
		c->done = w == 0;
		pcap_breakloop(c->pc);
		return;
	}
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	if (!c->first_us)
		c->first_us = ts;
	c->last_us = ts;
	c->fn(c->arg, pcap_datalink(c->pc), ts, data, h->caplen);
}

int capture_live_dispatch(struct capture_live *c, capture_fn fn, void *arg, int max)
{
	c->fn = fn;
	c->arg = arg;
	int n = pcap_dispatch(c->pc, max, live_cb, (u_char *)c);
	if (c->err[0])
		return -1;
	return n == PCAP_ERROR_BREAK ? 0 : n;
}

int capture_live_done(const struct capture_live *c)
{
	return c->done;
}

const char *capture_live_error(const struct capture_live *c)
{
	return c->err[0] ? c->err : NULL;
}

const struct report_file *capture_live_files(struct capture_live *c, size_t *n)
{
	*n = 0;
	return c->rot ? rotate_files(c->rot, n) : NULL;
}

void capture_live_stats(struct capture_live *c, struct capture_live_stats *st)
{
	struct pcap_stat ps;
	memset(st, 0, sizeof *st);
	st->first_us = c->first_us;
	st->last_us = c->last_us;
	if (c->pc && pcap_stats(c->pc, &ps) == 0) {
		st->received = ps.ps_recv;
		st->dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
}

int capture_live_close(struct capture_live *c, char *errbuf, size_t errlen)
{
	int rc = c->rot ? rotate_close(c->rot, errbuf, errlen) : 0;
	pcap_close(c->pc);
	c->pc = NULL;  /* what stays readable: the -w files, the first and last times */
	return rc;
}

void capture_live_free(struct capture_live *c)
{
	if (!c)
		return;
	rotate_free(c->rot);
	free(c);
}

int capture_list_interfaces(FILE *out, char *errbuf, size_t errlen)
{
	pcap_if_t *all;
	char perr[PCAP_ERRBUF_SIZE] = "";
	if (pcap_findalldevs(&all, perr) < 0) {
		snprintf(errbuf, errlen, "--list-interfaces: %s", perr);
		return -1;
	}
	for (pcap_if_t *d = all; d; d = d->next) {
		const char *state = (d->flags & PCAP_IF_UP) ? ((d->flags & PCAP_IF_RUNNING) ? "up" : "up, not running") : "down";
		fprintf(out, "%-16s %-16s %s%s\n", d->name, state, d->description ? d->description : "",
			(d->flags & PCAP_IF_WIRELESS) ? " (wireless)" : "");
	}
	pcap_freealldevs(all);
	return 0;
}
