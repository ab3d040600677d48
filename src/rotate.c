/* rotate.c - the -w copy of a live capture, in one file or rotated like tcpdump -C/-G/-W.
 * Names: FILE, then FILE1, FILE2, ... (FILE strftime-expanded under -G), never reused. */
#include "rotate.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCAP_FILE_HEADER 24
#define PCAP_RECORD_HEADER 16

struct rotate {
	pcap_t *pc;                    /* link type and snap length of the files */
	struct rotate_opts o;
	pcap_dumper_t *dump;           /* the open file, over out through a hashing cookie */
	FILE *out;
	int fd;
	EVP_MD_CTX *md;                /* SHA-256 of every byte written to the open file */
	int werr;                      /* errno of a failed write to the open file */
	uint64_t start_us;             /* -G: the open file's interval began here */
	struct report_file *files;     /* every file, capture order; the last is open */
	size_t nfiles, cap, live;      /* live: files not yet removed by the ring */
};

/* fopencookie write: every byte goes to the file and through the digest. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	struct rotate *r = cookie;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(r->fd, buf + done, size - done);
		if (n < 0 && errno == EINTR)  /* SIGHUP has no SA_RESTART */
			continue;
		if (n <= 0) {
			r->werr = n < 0 ? errno : ENOSPC;
			return done ? (ssize_t)done : -1;
		}
		EVP_DigestUpdate(r->md, buf + done, (size_t)n);
		done += (size_t)n;
	}
	return (ssize_t)size;
}

static int cookie_close(void *cookie)
{
	struct rotate *r = cookie;
	int rc = close(r->fd);
	r->fd = -1;
	return rc;
}

/* Whether a file of this run already has the name (a removed one too: names never repeat). */
static int name_used(const struct rotate *r, const char *name)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, name))
			return 1;
	return 0;
}

/* The next file's name into out: FILE (strftime-expanded under -G), or FILE1, FILE2, ...
 * after it, as tcpdump -C numbers them. */
static int next_name(const struct rotate *r, char *out, size_t len)
{
	char base[4096];
	if (r->o.every_us) {
		time_t t = (time_t)(r->start_us / 1000000);
		struct tm tm;
		localtime_r(&t, &tm);
		if (!strftime(base, sizeof base, r->o.path, &tm))
			return -1;
	} else {
		snprintf(base, sizeof base, "%s", r->o.path);
	}
	snprintf(out, len, "%s", base);
	for (unsigned long k = 1; name_used(r, out); k++)
		snprintf(out, len, "%s%lu", base, k);
	return 0;
}

/* Hex SHA-256 of what the open file holds so far; the running digest goes on. */
static void digest_now(struct rotate *r, char out[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[32];
	unsigned mdlen = 0;
	if (c && EVP_MD_CTX_copy_ex(c, r->md) && EVP_DigestFinal_ex(c, md, &mdlen))
		util_hex(md, 32, out);
	else
		snprintf(out, 65, "unreadable");
	EVP_MD_CTX_free(c);
}

/* Flushes and closes the open file, its hash final. -1 with errbuf if a write failed. */
static int close_file(struct rotate *r, char *errbuf, size_t errlen)
{
	if (!r->dump)
		return 0;
	struct report_file *f = &r->files[r->nfiles - 1];
	int rc = pcap_dump_flush(r->dump);
	digest_now(r, f->sha256);
	pcap_dump_close(r->dump);  /* fclose: the cookie closes the descriptor */
	r->dump = NULL;
	if (rc != 0 || r->werr) {
		snprintf(errbuf, errlen, "-w %s: cannot write: %s", f->path, strerror(r->werr ? r->werr : EIO));
		return -1;
	}
	return 0;
}

/* Opens the next file; with -C and -W, the oldest file beyond the ring's size is removed first. */
static int open_file(struct rotate *r, char *errbuf, size_t errlen)
{
	static const cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };
	char name[4200];
	if (next_name(r, name, sizeof name) < 0) {
		snprintf(errbuf, errlen, "-w %s: the name is too long once its time is filled in", r->o.path);
		return -1;
	}
	if (r->o.max_bytes && r->o.count && r->live == r->o.count) {
		struct report_file *old = &r->files[r->nfiles - r->live];
		if (unlink(old->path) < 0 && errno != ENOENT) {
			snprintf(errbuf, errlen, "-W: cannot remove the oldest file %s: %s", old->path, strerror(errno));
			return -1;
		}
		old->overwritten = 1;
		r->live--;
	}
	r->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (r->fd < 0) {
		snprintf(errbuf, errlen, "-w %s: %s", name, strerror(errno));
		return -1;
	}
	r->werr = 0;
	if (!EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) || !(r->out = fopencookie(r, "w", io))) {
		close(r->fd);
		snprintf(errbuf, errlen, "-w %s: out of memory", name);
		return -1;
	}
	setvbuf(r->out, NULL, _IOFBF, 1 << 16);
	r->dump = pcap_dump_fopen(r->pc, r->out);
	if (!r->dump) {
		fclose(r->out);
		snprintf(errbuf, errlen, "-w %s: %s", name, pcap_geterr(r->pc));
		return -1;
	}
	if (r->nfiles == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->files = util_xrealloc(r->files, r->cap * sizeof *r->files);
	}
	struct report_file *f = &r->files[r->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = util_xstrdup(name);
	f->size = PCAP_FILE_HEADER;
	r->live++;
	return 0;
}

struct rotate *rotate_open(pcap_t *pc, const struct rotate_opts *o, uint64_t now_us, char *errbuf, size_t errlen)
{
	struct rotate *r = util_xcalloc(1, sizeof *r);
	r->pc = pc;
	r->o = *o;
	r->fd = -1;
	r->start_us = now_us;
	r->md = EVP_MD_CTX_new();
	if (!r->md || open_file(r, errbuf, errlen) < 0) {
		rotate_free(r);
		return NULL;
	}
	return r;
}

/* Whether pkt must go to a new file: -G's interval is over, or -C's size would be passed
 * (a file holds at least one packet, however large). */
static int due(struct rotate *r, uint64_t ts, uint32_t caplen)
{
	const struct report_file *f = &r->files[r->nfiles - 1];
	if (r->o.every_us && ts >= r->start_us + r->o.every_us)
		return 1;
	return r->o.max_bytes && f->packets && f->size + PCAP_RECORD_HEADER + caplen > r->o.max_bytes;
}

int rotate_write(struct rotate *r, const struct pcap_pkthdr *h, const u_char *data, char *errbuf, size_t errlen)
{
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	if (!r->dump)
		return 0;  /* stopped at the last file, or after an error */
	if (due(r, ts, h->caplen)) {
		int interval = r->o.every_us && ts >= r->start_us + r->o.every_us;
		if (interval && !r->o.max_bytes && r->o.count && r->nfiles == r->o.count) {
			if (close_file(r, errbuf, errlen) < 0)
				return -1;
			return 0;
		}
		if (close_file(r, errbuf, errlen) < 0)
			return -1;
		if (interval)  /* intervals stay aligned to the first; empty ones get no file */
			r->start_us += (ts - r->start_us) / r->o.every_us * r->o.every_us;
		if (open_file(r, errbuf, errlen) < 0)
			return -1;
	}
	pcap_dump((u_char *)r->dump, h, data);
	struct report_file *f = &r->files[r->nfiles - 1];
	f->packets++;
	f->bytes += h->caplen;
	f->size += PCAP_RECORD_HEADER + h->caplen;
	return 1;
}

const struct report_file *rotate_files(struct rotate *r, size_t *n)
{
	if (r->dump) {
		pcap_dump_flush(r->dump);
		digest_now(r, r->files[r->nfiles - 1].sha256);
	}
	*n = r->nfiles;
	return r->files;
}

int rotate_close(struct rotate *r, char *errbuf, size_t errlen)
{
	return close_file(r, errbuf, errlen);
}

void rotate_free(struct rotate *r)
{
	if (!r)
		return;
	if (r->dump)
		pcap_dump_close(r->dump);
	EVP_MD_CTX_free(r->md);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	free(r);
}
