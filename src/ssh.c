/* ssh.c - the cleartext start of an SSH connection (RFC 4253 4.2, 6, 7): identification lines are
 * scanned, binary packets' payloads too except KEXINIT; after NEWKEYS everything is ciphertext. */
#include "ssh.h"
#include <string.h>

#define SSH_MSG_KEXINIT 20
#define SSH_MSG_NEWKEYS 21
#define SSH_MAX_PACKET 262144u     /* RFC 4253 6.1 asks for 35000; anything larger is not SSH */
#define SSH_MAX_LINES 4096u        /* bytes of identification lines before packets must start */

enum { ST_LINES, ST_HEADER, ST_PAYLOAD, ST_PADDING, ST_ENCRYPTED, ST_BROKEN };

int ssh_is_banner(const uint8_t *p, size_t len)
{
	static const char b[] = "SSH-";
	size_t n = len < 4 ? len : 4;
	if (memcmp(p, b, n))
		return 0;
	return len < 4 ? -1 : 1;
}

static uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Lines up to and including the one starting "SSH-" (a server may send others first, 4.2). */
static size_t feed_lines(struct ssh_stream *s, const uint8_t *p, size_t len, ssh_plain_fn fn, void *arg)
{
	size_t i = 0;
	while (i < len) {
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - p) + 1 : len;
		/* hdr[0..3] keeps the first bytes of the current line; hdrlen counts them */
		for (size_t k = i; k < e && s->hdrlen < 4; k++)
			s->hdr[s->hdrlen++] = p[k];
		int version = s->hdrlen == 4 && !memcmp(s->hdr, "SSH-", 4);
		s->payload += (uint32_t)(e - i);  /* line bytes so far, bounded below */
		if (nl) {
			s->hdrlen = 0;
			if (version) {
				fn(arg, p, e);
				s->state = ST_HEADER;
				s->payload = 0;
				return e;
			}
		}
		i = e;
	}
	fn(arg, p, len);
	if (s->payload > SSH_MAX_LINES)
		s->state = ST_BROKEN;  /* no identification line: not SSH */
	return len;
}

int ssh_stream_feed(struct ssh_stream *s, const uint8_t *p, size_t len, ssh_plain_fn fn, void *arg)
{
	size_t i = 0;
	if (s->state == ST_LINES) {
		i = feed_lines(s, p, len, fn, arg);
		s->hdrlen = s->state == ST_LINES ? s->hdrlen : 0;
	}
	while (i < len) {
		size_t n = len - i;
		switch (s->state) {
		case ST_HEADER: {
			size_t want = 6u - s->hdrlen, take = want < n ? want : n;
			memcpy(s->hdr + s->hdrlen, p + i, take);
			s->hdrlen = (uint8_t)(s->hdrlen + take);
			i += take;
			if (s->hdrlen < 6)
				return 0;  /* the header continues in the next piece */
			uint32_t plen = rd_be32(s->hdr), pad = s->hdr[4];
			s->hdrlen = 0;
			if (plen < 5 || plen > SSH_MAX_PACKET || pad < 4 || pad + 2 > plen) {
				s->state = ST_BROKEN;  /* RFC 4253 6: at least 4 bytes padding, a type byte */
				return -1;
			}
			s->type = s->hdr[5];
			s->payload = plen - pad - 2;  /* after the type byte */
			s->padding = pad;
			s->skipped += 6;
			s->state = ST_PAYLOAD;
			break;
		}
		case ST_PAYLOAD: {
			size_t take = s->payload < n ? s->payload : n;
			if (s->type == SSH_MSG_KEXINIT)
				s->skipped += take;  /* algorithm name-lists: SSH's vocabulary, no user data */
			else if (take)
				fn(arg, p + i, take);
			s->payload -= (uint32_t)take;
			i += take;
			if (!s->payload)
				s->state = ST_PADDING;
			break;
		}
		case ST_PADDING: {
			size_t take = s->padding < n ? s->padding : n;
			s->padding -= (uint32_t)take;
			s->skipped += take;
			i += take;
			if (!s->padding)
				s->state = s->type == SSH_MSG_NEWKEYS ? ST_ENCRYPTED : ST_HEADER;
			break;
		}
		case ST_ENCRYPTED:
			s->skipped += n;  /* keys are in use: ciphertext and MACs */
			return 0;
		default:
			return -1;
		}
	}
	return 0;
}
