/* capture_z.c - compressed capture files read as their decompressed bytes: gzip (RFC 1952,
 * members one after another, as cat a.gz b.gz makes) and zstd (RFC 8878, frames likewise). */
#include "capture_z.h"
#include "config.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

struct capture_z {
	enum capture_z_kind kind;
	const char *name;              /* "gzip", "zstd" */
	capture_z_src src;
	void *arg;
	int fd;                        /* capture_z_fopen's file, else -1 */
	char *in;                      /* raw bytes read and not yet used: in[in_pos..in_len) */
	size_t in_pos, in_len;
	uint64_t in_total;             /* raw bytes read: where an error is */
	int src_end;                   /* src said the end */
	int unit_end;                  /* the last gzip member or zstd frame is complete */
	int done;                      /* 0 reading, 1 the end, -1 corrupt: what every later read says */
	z_stream gz;
	ZSTD_DCtx *zd;
	char *win;                     /* decompressed bytes win_start.. (+win_len) */
	size_t win_len;
	uint64_t win_start, pos;       /* pos: the next byte a read gives */
	char err[200];
};

static const struct {
	uint8_t magic[6];
	size_t len;
	enum capture_z_kind kind;
	const char *name, *tool;       /* tool: what decompresses it to standard output */
} kinds[] = {
	{ { 0x1f, 0x8b }, 2, CAPTURE_Z_GZIP, "gzip", "zcat" },
	{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, CAPTURE_Z_ZSTD, "zstd", "zstdcat" },
	{ { 'B', 'Z', 'h' }, 3, CAPTURE_Z_OTHER, "bzip2", "bzcat" },
	{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, CAPTURE_Z_OTHER, "xz", "xzcat" },
	{ { 0x04, 0x22, 0x4d, 0x18 }, 4, CAPTURE_Z_OTHER, "lz4", "lz4cat" },
	{ { 'P', 'K', 3, 4 }, 4, CAPTURE_Z_OTHER, "zip", "unzip -p" },
	{ { '7', 'z', 0xbc, 0xaf, 0x27, 0x1c }, 6, CAPTURE_Z_OTHER, "7z", "7z e -so" },
};

static int sniff_index(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (len >= kinds[i].len && !memcmp(p, kinds[i].magic, kinds[i].len))
			return (int)i;
	return -1;
}

enum capture_z_kind capture_z_sniff(const uint8_t *p, size_t len, const char **name)
{
	int i = sniff_index(p, len);
	if (name)
		*name = i < 0 ? NULL : kinds[i].name;
	return i < 0 ? CAPTURE_Z_NONE : kinds[i].kind;
}

/* The next raw bytes into in; -1 on a read error. */
static int more(struct capture_z *z)
{
	ssize_t n = z->src(z->arg, z->in, PH_CAPZ_IN);
	if (n < 0) {
		snprintf(z->err, sizeof z->err, "%s: read error after %llu bytes of the file: %s", z->name,
			 (unsigned long long)z->in_total, strerror(errno));
		return -1;
	}
	z->in_pos = 0;
	z->in_len = (size_t)n;
	z->in_total += (uint64_t)n;
	z->src_end = n == 0;
	return 0;
}

static int corrupt(struct capture_z *z, const char *why)
{
	snprintf(z->err, sizeof z->err, "%s: corrupt data near byte %llu of the file (%s)", z->name,
		 (unsigned long long)(z->in_total - (z->in_len - z->in_pos)), why ? why : "?");
	return -1;
}

/* One inflate call; 0 when what follows a member is not another one (ignored, said so). */
static int step_gzip(struct capture_z *z)
{
	if (z->unit_end) {  /* another member may follow */
		if ((uint8_t)z->in[z->in_pos] != 0x1f) {
			snprintf(z->err, sizeof z->err, "gzip: bytes after the compressed data that are not gzip were ignored");
			return 0;
		}
		inflateReset(&z->gz);
		z->unit_end = 0;
	}
	z->gz.next_in = (Bytef *)z->in + z->in_pos;
	z->gz.avail_in = (uInt)(z->in_len - z->in_pos);
	z->gz.next_out = (Bytef *)z->win + z->win_len;
	z->gz.avail_out = (uInt)(PH_CAPZ_WINDOW - z->win_len);
	int r = inflate(&z->gz, Z_NO_FLUSH);
	z->in_pos = z->in_len - z->gz.avail_in;
	z->win_len = PH_CAPZ_WINDOW - z->gz.avail_out;
	if (r == Z_STREAM_END)
		z->unit_end = 1;
	else if (r != Z_OK && r != Z_BUF_ERROR)
		return corrupt(z, z->gz.msg);
	return 1;
}

static int step_zstd(struct capture_z *z)
{
	ZSTD_inBuffer ib = { z->in, z->in_len, z->in_pos };
	ZSTD_outBuffer ob = { z->win, PH_CAPZ_WINDOW, z->win_len };
	size_t r = ZSTD_decompressStream(z->zd, &ob, &ib);
	z->in_pos = ib.pos;
	z->win_len = ob.pos;
	if (ZSTD_isError(r))
		return corrupt(z, ZSTD_getErrorName(r));
	z->unit_end = r == 0;
	return 1;
}

/* More decompressed bytes after the window's last PH_CAPZ_KEEP: 1, 0 at the end, -1 corrupt. */
static int fill(struct capture_z *z)
{
	if (z->win_len > PH_CAPZ_KEEP) {
		size_t drop = z->win_len - PH_CAPZ_KEEP;
		memmove(z->win, z->win + drop, PH_CAPZ_KEEP);
		z->win_start += drop;
		z->win_len = PH_CAPZ_KEEP;
	}
	for (;;) {
		if (z->in_pos == z->in_len && !z->src_end && more(z) < 0)
			return -1;
		if (z->in_pos == z->in_len) {
			if (!z->unit_end)
				snprintf(z->err, sizeof z->err, "%s: the file ends inside its compressed data (cut short)",
					 z->name);
			return 0;
		}
		size_t before = z->win_len, used = z->in_pos;
		int r = z->kind == CAPTURE_Z_GZIP ? step_gzip(z) : step_zstd(z);
		if (r <= 0 || z->win_len > before)
			return r;
		if (z->in_pos == used)  /* neither read nor wrote: a decoder that is stuck never ends */
			return corrupt(z, "no progress");
	}
}

ssize_t capture_z_read(struct capture_z *z, char *buf, size_t size)
{
	if (z->kind == CAPTURE_Z_NONE) {  /* the sniffed bytes, then the source itself */
		if (z->in_pos == z->in_len)
			return z->src(z->arg, buf, size);
		size_t n = z->in_len - z->in_pos < size ? z->in_len - z->in_pos : size;
		memcpy(buf, z->in + z->in_pos, n);
		z->in_pos += n;
		return (ssize_t)n;
	}
	while (!z->done && z->pos >= z->win_start + z->win_len) {
		int r = fill(z);
		if (r <= 0)
			z->done = r < 0 ? -1 : 1;
	}
	if (z->pos >= z->win_start + z->win_len) {
		if (z->done < 0)
			errno = EBADMSG;
		return z->done < 0 ? -1 : 0;
	}
	size_t off = (size_t)(z->pos - z->win_start);
	size_t n = z->win_len - off < size ? z->win_len - off : size;
	memcpy(buf, z->win + off, n);
	z->pos += n;
	return (ssize_t)n;
}

int capture_z_seek(struct capture_z *z, int64_t *off, int whence)
{
	int64_t to = whence == SEEK_SET ? *off : whence == SEEK_CUR ? (int64_t)z->pos + *off : -1;
	if (z->kind == CAPTURE_Z_NONE || to < (int64_t)z->win_start) {
		errno = ESPIPE;  /* behind what is kept: the stream does not go back */
		return -1;
	}
	z->pos = (uint64_t)to;
	*off = to;
	return 0;
}

enum capture_z_kind capture_z_kind(const struct capture_z *z)
{
	return z->kind;
}

const char *capture_z_name(const struct capture_z *z)
{
	return z->name;
}

void capture_z_peek(const struct capture_z *z, const uint8_t **p, size_t *len)
{
	*p = (const uint8_t *)z->in + z->in_pos;
	*len = z->kind == CAPTURE_Z_NONE ? z->in_len - z->in_pos : 0;
}

const char *capture_z_error(const struct capture_z *z)
{
	return z->err[0] ? z->err : NULL;
}

void capture_z_free(struct capture_z *z)
{
	if (!z)
		return;
	if (z->kind == CAPTURE_Z_GZIP)
		inflateEnd(&z->gz);
	ZSTD_freeDCtx(z->zd);
	if (z->fd >= 0)
		close(z->fd);
	free(z->in);
	free(z->win);
	free(z);
}

/* The decoder for the kind the first bytes name; -1 with errbuf when it is not read. */
static int start(struct capture_z *z, char *errbuf, size_t errlen)
{
	int i = sniff_index((const uint8_t *)z->in, z->in_len);
	if (i < 0)
		return 0;
	z->kind = kinds[i].kind;
	z->name = kinds[i].name;
	if (z->kind == CAPTURE_Z_OTHER) {
		snprintf(errbuf, errlen, "%s-compressed, which is not read: decompress it first, or read it "
			 "through a pipe: -r <(%s FILE)", kinds[i].name, kinds[i].tool);
		return -1;
	}
	z->win = util_xmalloc(PH_CAPZ_WINDOW);
	if (z->kind == CAPTURE_Z_GZIP ? inflateInit2(&z->gz, 16 + MAX_WBITS) != Z_OK : !(z->zd = ZSTD_createDCtx())) {
		z->kind = CAPTURE_Z_OTHER;  /* nothing for capture_z_free to end */
		snprintf(errbuf, errlen, "%s: cannot start the decompressor (out of memory)", kinds[i].name);
		return -1;
	}
	if (z->zd)
		ZSTD_DCtx_setParameter(z->zd, ZSTD_d_windowLogMax, PH_CAPZ_ZSTD_WINDOW_LOG);
	return 0;
}

/* Reads the first raw bytes (enough for any magic, unless the file is shorter) and sniffs them. */
static struct capture_z *open_z(struct capture_z *z, char *errbuf, size_t errlen)
{
	z->in = util_xmalloc(PH_CAPZ_IN);
	while (z->in_len < 6 && !z->src_end) {
		ssize_t n = z->src(z->arg, z->in + z->in_len, PH_CAPZ_IN - z->in_len);
		if (n < 0) {
			snprintf(errbuf, errlen, "%s", strerror(errno));
			goto fail;
		}
		z->in_len += (size_t)n;
		z->in_total += (uint64_t)n;
		z->src_end = n == 0;
	}
	if (start(z, errbuf, errlen) < 0)
		goto fail;
	return z;
fail:
	capture_z_free(z);
	return NULL;
}

struct capture_z *capture_z_open(capture_z_src src, void *arg, char *errbuf, size_t errlen)
{
	struct capture_z *z = util_xcalloc(1, sizeof *z);
	z->fd = -1;
	z->src = src;
	z->arg = arg;
	return open_z(z, errbuf, errlen);
}

static ssize_t fd_src(void *arg, char *buf, size_t size)
{
	struct capture_z *z = arg;
	ssize_t n;
	do
		n = read(z->fd, buf, size);
	while (n < 0 && errno == EINTR);
	return n;
}

static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	return capture_z_read(c, buf, size);
}

static int cookie_seek(void *c, off64_t *off, int whence)
{
	int64_t o = *off;
	int r = capture_z_seek(c, &o, whence);
	*off = o;
	return r;
}

static int cookie_close(void *c)
{
	capture_z_free(c);
	return 0;
}

FILE *capture_z_fopen(const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t m[8];
	ssize_t n = fd < 0 ? -1 : pread(fd, m, sizeof m, 0);
	if (n < 0) {
		snprintf(errbuf, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (capture_z_sniff(m, (size_t)n, NULL) == CAPTURE_Z_NONE) {
		FILE *f = fdopen(fd, "rb");
		if (!f) {
			snprintf(errbuf, errlen, "%s", strerror(errno));
			close(fd);
		}
		return f;
	}
	struct capture_z *z = util_xcalloc(1, sizeof *z);
	z->fd = fd;
	z->src = fd_src;
	z->arg = z;
	if (!open_z(z, errbuf, errlen))
		return NULL;
	static const cookie_io_functions_t io = { .read = cookie_read, .seek = cookie_seek, .close = cookie_close };
	FILE *f = fopencookie(z, "rb", io);
	if (!f) {
		snprintf(errbuf, errlen, "%s", strerror(errno));
		capture_z_free(z);
	}
	return f;
}
