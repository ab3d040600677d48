/* ssh.h - the cleartext start of an SSH connection (RFC 4253): the identification line(s), then
 * binary packets until NEWKEYS. What may carry user data is handed on; the KEXINIT name-lists
 * (algorithm names such as "curve25519-sha256@libssh.org", RFC 4251 6) and ciphertext are not. */
#ifndef PH_SSH_H
#define PH_SSH_H
#include <stddef.h>
#include <stdint.h>

struct ssh_stream {                /* one direction; zeroed = initialised */
	uint8_t state;                 /* enum in ssh.c */
	uint8_t hdr[6];                /* packet_length, padding_length, message type */
	uint8_t hdrlen;
	uint8_t type;                  /* message type of the current packet */
	uint32_t payload;              /* payload bytes of the current packet still to come */
	uint32_t padding;              /* then padding bytes to skip */
	uint64_t skipped;              /* bytes not inspected: name-lists, padding, ciphertext */
};

typedef void (*ssh_plain_fn)(void *arg, const uint8_t *p, size_t len);

/* 1 when p starts like an SSH identification string ("SSH-"), 0 when not, -1 too short. */
int ssh_is_banner(const uint8_t *p, size_t len);
/* Feed the next stream bytes; fn gets the bytes to scan. 0 ok; -1 when the packet framing is
 * not SSH (the caller scans the rest as raw bytes). */
int ssh_stream_feed(struct ssh_stream *s, const uint8_t *p, size_t len, ssh_plain_fn fn, void *arg);

#endif
