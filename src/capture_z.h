/* capture_z.h - compressed capture files read as their decompressed bytes: gzip (RFC 1952, as
 * tcpdump -z gzip and Wireshark write them, members one after another) and zstd (RFC 8878). */
#ifndef PH_CAPTURE_Z_H
#define PH_CAPTURE_Z_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum capture_z_kind { CAPTURE_Z_NONE, CAPTURE_Z_GZIP, CAPTURE_Z_ZSTD, CAPTURE_Z_OTHER };

/* The raw bytes under the stream, in order: >0 read, 0 the end, -1 an error (errno). */
typedef ssize_t (*capture_z_src)(void *arg, char *buf, size_t size);

struct capture_z;

/* What the first bytes of a file say: CAPTURE_Z_OTHER for a compression that is not read
 * (bzip2, xz, lz4, zip), whose name goes in *name (and for gzip and zstd too). */
enum capture_z_kind capture_z_sniff(const uint8_t *p, size_t len, const char **name);
/* Reads the first bytes from src to learn the compression (none: the bytes pass through as they
 * are); NULL with errbuf ("xz-compressed: ...", a read error) when it cannot be read. */
struct capture_z *capture_z_open(capture_z_src src, void *arg, char *errbuf, size_t errlen);
enum capture_z_kind capture_z_kind(const struct capture_z *z);
/* "gzip", "zstd", NULL when not compressed. */
const char *capture_z_name(const struct capture_z *z);
/* The next decompressed bytes: >0, 0 at the end (also the end of a stream cut short: see
 * capture_z_error), -1 on corrupt data (errno EBADMSG). */
ssize_t capture_z_read(struct capture_z *z, char *buf, size_t size);
/* fopencookie's seek on the decompressed bytes: anywhere ahead, or back within the last
 * PH_CAPZ_KEEP bytes (stdio seeks back over its own buffer); -1 (ESPIPE) further back. */
int capture_z_seek(struct capture_z *z, int64_t *off, int whence);
/* The bytes read to learn the compression and not yet given (a stream not compressed): what
 * a pipe's start says before it is read (*len 0 for a compressed one). */
void capture_z_peek(const struct capture_z *z, const uint8_t **p, size_t *len);
/* Why the decompressed bytes ended early ("gzip: the file ends inside its compressed data"), or NULL. */
const char *capture_z_error(const struct capture_z *z);
void capture_z_free(struct capture_z *z);

/* A FILE for the walks that look into a capture before it is read (key logs, app blocks, its
 * link type): the file itself, or its decompressed bytes; NULL with errbuf naming why. */
FILE *capture_z_fopen(const char *path, char *errbuf, size_t errlen);

#endif
