/* util.c - byte readers, checked allocation, hex and hashing helpers.
 * Out of memory is the one fatal condition outside main.c. */
#include "util.h"
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static void util_oom(size_t n)
{
	fprintf(stderr, "phonehome: out of memory (%zu bytes)\n", n);
	abort();
}

void *util_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		util_oom(n);
	return p;
}

void *util_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		util_oom(n * m);
	return p;
}

void util_copy(char *dst, size_t dstlen, const char *src)
{
	if (!src)
		src = "";
	size_t n = strnlen(src, dstlen - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void *util_pool_get(struct util_pool *p)
{
	void *b = p->head;
	if (!b)
		return util_xcalloc(1, p->size);
	memcpy(&p->head, b, sizeof p->head);
	p->n--;
	memset(b, 0, p->size);
	return b;
}

void util_pool_put(struct util_pool *p, void *b)
{
	if (!b)
		return;
	if (p->n >= p->max) {
		free(b);
		return;
	}
	memcpy(b, &p->head, sizeof p->head);
	p->head = b;
	p->n++;
}

void util_pool_drain(struct util_pool *p)
{
	while (p->head) {
		void *b = p->head;
		memcpy(&p->head, b, sizeof p->head);
		free(b);
	}
	p->n = 0;
}

void *util_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		util_oom(n);
	return q;
}

char *util_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = util_xmalloc(n);
	memcpy(d, s, n);
	return d;
}

uint64_t util_fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

size_t util_index_next(const struct util_index *x, uint64_t h, size_t *pos)
{
	for (; x->cap && *pos < x->cap; ++*pos) {  /* linear probing from the hash's slot */
		size_t i = (size_t)(h + *pos) & (x->cap - 1);
		if (!x->row[i])
			break;
		if (x->hash[i] == h) {
			++*pos;
			return x->row[i] - 1;
		}
	}
	return SIZE_MAX;
}

static void index_put(struct util_index *x, uint64_t h, size_t row)
{
	size_t i = (size_t)h & (x->cap - 1);
	while (x->row[i])
		i = (i + 1) & (x->cap - 1);
	x->hash[i] = h;
	x->row[i] = row + 1;
	x->n++;
}

void util_index_add(struct util_index *x, uint64_t h, size_t row)
{
	if (2 * (x->n + 1) > x->cap) {  /* at most half full: probes stay short */
		struct util_index old = *x;
		x->cap = old.cap ? 2 * old.cap : 64;
		x->hash = util_xcalloc(x->cap, sizeof *x->hash);
		x->row = util_xcalloc(x->cap, sizeof *x->row);
		x->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.row[i])
				index_put(x, old.hash[i], old.row[i] - 1);
		free(old.hash);
		free(old.row);
	}
	index_put(x, h, row);
}

void util_index_free(struct util_index *x)
{
	free(x->hash);
	free(x->row);
	memset(x, 0, sizeof *x);
}

void util_hex(const uint8_t *p, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * len] = 0;
}

int util_sha256_file(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	uint8_t buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(c, buf, n);
	int err = ferror(f);
	fclose(f);
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (err) {
		errno = EIO;
		return -1;
	}
	util_hex(md, 32, out);
	return 0;
}

void util_iso8601(uint64_t usec, char *out, size_t outlen)
{
	util_iso8601_zone(usec, out, outlen, "Z");
}

void util_iso8601_zone(uint64_t usec, char *out, size_t outlen, const char *zone)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%06u%s", base, (unsigned)(usec % 1000000), zone);
}

size_t util_gather(uint8_t *head, uint8_t *headlen, size_t cap, const uint8_t **p, size_t *len)
{
	size_t take = *len < cap - *headlen ? *len : cap - *headlen;
	memcpy(head + *headlen, *p, take);
	*headlen = (uint8_t)(*headlen + take);
	*p += take;
	*len -= take;
	return take;
}

/* The noted temporary files: a slot is written before it is marked used, and the handler reads
 * only marked slots. Past PH_TMP_NOTED files, a file is not noted (it is still renamed or
 * removed as always). */
static char tmp_path[PH_TMP_NOTED][PATH_MAX];
static volatile sig_atomic_t tmp_used[PH_TMP_NOTED];  /* 1 a file, 2 a directory tree */
static volatile pid_t tmp_child;                       /* a child's process group, killed first */
static pthread_mutex_t tmp_mu = PTHREAD_MUTEX_INITIALIZER;

static void tmp_note(const char *path, int kind)
{
	if (strlen(path) >= PATH_MAX)
		return;
	pthread_mutex_lock(&tmp_mu);
	for (size_t i = 0; i < PH_TMP_NOTED; i++)
		if (!tmp_used[i]) {
			memcpy(tmp_path[i], path, strlen(path) + 1);
			__atomic_store_n(&tmp_used[i], kind, __ATOMIC_RELEASE);
			break;
		}
	pthread_mutex_unlock(&tmp_mu);
}

void util_tmp_note(const char *path)
{
	tmp_note(path, 1);
}

void util_tmp_note_tree(const char *path)
{
	tmp_note(path, 2);
}

void util_tmp_child(pid_t pgid)
{
	__atomic_store_n(&tmp_child, pgid, __ATOMIC_RELEASE);
}

int util_mkstemp(char *tmpl)
{
	int fd = mkstemp(tmpl);
	if (fd >= 0)
		util_tmp_note(tmpl);
	return fd;
}

void util_tmp_done(const char *path)
{
	pthread_mutex_lock(&tmp_mu);
	for (size_t i = 0; i < PH_TMP_NOTED; i++)
		if (tmp_used[i] && !strcmp(tmp_path[i], path))
			__atomic_store_n(&tmp_used[i], 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tmp_mu);
}

void util_tmp_remove(const char *path)
{
	unlink(path);
	util_tmp_done(path);
}

/* name in dirfd and everything under it, with system calls only (a signal handler's); not
 * deeper than PH_TMP_TREE_DEPTH, nor through a symbolic link. */
static void rmtree_at(int dirfd, const char *name, int depth)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno != EISDIR || depth > PH_TMP_TREE_DEPTH)
		return;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[2048];
	ssize_t n;
	while ((n = getdents64(fd, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *d = (const void *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				rmtree_at(fd, d->d_name, depth + 1);
		}
	close(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void util_tmp_remove_all(void)
{
	pid_t child = __atomic_load_n(&tmp_child, __ATOMIC_ACQUIRE);
	if (child > 0 && kill(-child, SIGKILL) == 0)  /* first, so that it writes no more */
		waitpid(child, NULL, 0);
	for (size_t i = 0; i < PH_TMP_NOTED; i++) {
		int kind = __atomic_load_n(&tmp_used[i], __ATOMIC_ACQUIRE);
		if (kind == 1)
			unlink(tmp_path[i]);
		else if (kind == 2)
			rmtree_at(AT_FDCWD, tmp_path[i], 0);
	}
}

int util_special_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
}

int util_tmpfd(const char *prefix, char *errbuf, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	size_t n = strlen(dir) + strlen(prefix) + 16;
	char *path = util_xmalloc(n);
	snprintf(path, n, "%s/%s.XXXXXX", dir, prefix);
	int fd = mkstemp(path);
	if (fd < 0)
		snprintf(errbuf, errlen, "%s: cannot create a temporary file: %s (set TMPDIR)", dir, strerror(errno));
	else
		unlink(path);
	free(path);
	return fd;
}

int util_parent_writable(const char *path, char *dir, size_t dirlen)
{
	char *copy = util_xstrdup(path);
	snprintf(dir, dirlen, "%s", dirname(copy));
	free(copy);
	return access(dir, W_OK | X_OK);
}
