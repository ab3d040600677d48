/* util.h - byte readers, checked allocation, hex and hashing helpers.
 * Shared by every stage; nothing here knows about packets. */
#ifndef PH_UTIL_H
#define PH_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Big-endian readers: the caller has checked the length first. */
static inline uint16_t rd_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t rd_le16(const uint8_t *p) { return (uint16_t)(p[1] << 8 | p[0]); }
static inline uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
/* In a byte order a file sets (a pcapng section): big-endian when big. */
static inline uint16_t rd_bo16(const uint8_t *p, int big) { return big ? rd_be16(p) : rd_le16(p); }
static inline uint32_t rd_bo32(const uint8_t *p, int big) { return big ? rd_be32(p) : rd_le32(p); }

void *util_xmalloc(size_t n);
void *util_xcalloc(size_t n, size_t m);
void *util_xrealloc(void *p, size_t n);
char *util_xstrdup(const char *s);
/* src into dst (dstlen > 0), cut to fit, always terminated (NULL copies as ""): snprintf's
 * "%s" without its formatting, for copies made per flow. */
void util_copy(char *dst, size_t dstlen, const char *src);

/* A thread's free list of blocks of one size, for state taken and given back per flow: glibc's
 * bins (blocks freed in bursts as flows expire) cost more than the state's own work. Bounded:
 * past max blocks, a block given back is freed. */
struct util_pool {
	void *head;
	size_t size, n, max;
};
/* A zeroed block of p->size bytes. */
void *util_pool_get(struct util_pool *p);
void util_pool_put(struct util_pool *p, void *b);
/* Frees every block the list holds. */
void util_pool_drain(struct util_pool *p);

/* FNV-1a of n bytes, continuing from h (start with UTIL_FNV_BASIS). */
#define UTIL_FNV_BASIS 0xcbf29ce484222325ull
uint64_t util_fnv(uint64_t h, const void *p, size_t n);

/* Rows (numbers) indexed by a 64-bit hash of their key; rows whose hashes are equal are told
 * apart by the caller, who compares the keys. Zero it to start. */
struct util_index {
	uint64_t *hash;
	size_t *row;                   /* row + 1; 0 an empty slot */
	size_t cap, n;
};
/* The next row under hash h (start with *pos = 0); SIZE_MAX when there is no other. */
size_t util_index_next(const struct util_index *x, uint64_t h, size_t *pos);
void util_index_add(struct util_index *x, uint64_t h, size_t row);
void util_index_free(struct util_index *x);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void util_hex(const uint8_t *p, size_t len, char *out);
/* Moves up to cap - headlen bytes from the front of (p, len) into head: a stream's first bytes,
 * kept until a protocol can be told from them. Returns the bytes taken. */
size_t util_gather(uint8_t *head, uint8_t *headlen, size_t cap, const uint8_t **p, size_t *len);
/* 0 when the directory that would hold path is writable; else -1 with errno set and
 * that directory's name in dir. */
int util_parent_writable(const char *path, char *dir, size_t dirlen);
/* A new file in $TMPDIR (default /tmp) named prefix.XXXXXX, already unlinked so that it is gone on
 * every exit path; its descriptor, or -1 with errbuf naming the directory. */
int util_tmpfd(const char *prefix, char *errbuf, size_t errlen);
/* mkstemp(3), the file noted until util_tmp_done(path) (renamed or removed): a process stopped
 * at once (a second ^C) removes what is noted with util_tmp_remove_all, from its handler. */
int util_mkstemp(char *tmpl);
void util_tmp_note(const char *path);
/* A directory noted likewise: util_tmp_remove_all removes it and all it holds. */
void util_tmp_note_tree(const char *path);
/* A child running in a process group of its own (pgid = its pid), 0 none: util_tmp_remove_all
 * kills the group and waits for the child before it removes what is noted. */
void util_tmp_child(pid_t pgid);
void util_tmp_done(const char *path);
/* unlink(2) and util_tmp_done. */
void util_tmp_remove(const char *path);
/* Async-signal-safe. */
void util_tmp_remove_all(void);
/* 1 when path is there and neither a regular file nor a directory (/dev/null, a FIFO): a report
 * is written straight into it, never through a temporary file renamed over it; an input so
 * (-r -, a pipe) can be read only once. */
int util_special_file(const char *path);
/* SHA-256 of a file as lower hex into out[65]; -1 with errno on failure. */
int util_sha256_file(const char *path, char out[65]);
/* ISO 8601 UTC with microseconds, e.g. 2014-08-10T12:00:00.000000Z; out >= 32 bytes. */
void util_iso8601(uint64_t usec, char *out, size_t outlen);
/* The same with another spelling of UTC after the time ("+0000" for EVE). */
void util_iso8601_zone(uint64_t usec, char *out, size_t outlen, const char *zone);

#endif
