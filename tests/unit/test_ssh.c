/* test_ssh.c - ssh.c: the identification line and cleartext packets are handed on, the KEXINIT
 * name-lists and everything after NEWKEYS are not; byte at a time gives the same; bad framing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ssh.h"

struct out {
	uint8_t b[1024];
	size_t n;
};

static void sink(void *arg, const uint8_t *p, size_t len)
{
	struct out *o = arg;
	assert_true(o->n + len <= sizeof o->b);
	memcpy(o->b + o->n, p, len);
	o->n += len;
}

/* One binary packet: length, padding length, type, payload, padding (no MAC: before NEWKEYS). */
static size_t packet(uint8_t *w, uint8_t type, const char *payload, uint8_t pad)
{
	size_t pl = strlen(payload), plen = 1 + 1 + pl + pad;
	w[0] = (uint8_t)(plen >> 24);
	w[1] = (uint8_t)(plen >> 16);
	w[2] = (uint8_t)(plen >> 8);
	w[3] = (uint8_t)plen;
	w[4] = pad;
	w[5] = type;
	memcpy(w + 6, payload, pl);
	memset(w + 6 + pl, 0xee, pad);
	return 6 + pl + pad;
}

static size_t session(uint8_t *w)
{
	size_t n = 0;
	const char *id = "SSH-2.0-OpenSSH_9.2 user@example.org\r\n";
	memcpy(w, id, strlen(id));
	n += strlen(id);
	n += packet(w + n, 20, "curve25519-sha256@libssh.org,chacha20-poly1305@openssh.com", 4);
	n += packet(w + n, 2, "ignored-but-cleartext", 5);       /* SSH_MSG_IGNORE: scanned */
	n += packet(w + n, 21, "", 10);                           /* NEWKEYS */
	memcpy(w + n, "ciphertext zlib@openssh.com", 27);
	return n + 27;
}

static void test_kexinit_not_scanned(void **state)
{
	(void)state;
	uint8_t w[512];
	size_t n = session(w);
	struct ssh_stream s = { 0 };
	struct out o = { .n = 0 };
	assert_int_equal(ssh_stream_feed(&s, w, n, sink, &o), 0);
	const char *want = "SSH-2.0-OpenSSH_9.2 user@example.org\r\nignored-but-cleartext";
	assert_int_equal(o.n, strlen(want));
	assert_memory_equal(o.b, want, o.n);
	assert_null(memmem(o.b, o.n, "libssh", 6));
	assert_true(s.skipped > 27);
}

static void test_byte_at_a_time(void **state)
{
	(void)state;
	uint8_t w[512];
	size_t n = session(w);
	struct ssh_stream s = { 0 };
	struct out o = { .n = 0 };
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ssh_stream_feed(&s, w + i, 1, sink, &o), 0);
	const char *want = "SSH-2.0-OpenSSH_9.2 user@example.org\r\nignored-but-cleartext";
	assert_int_equal(o.n, strlen(want));
	assert_memory_equal(o.b, want, o.n);
}

static void test_lines_before_version(void **state)
{
	(void)state;
	uint8_t w[256];
	const char *pre = "Welcome\r\nSSH-2.0-x\r\n";
	memcpy(w, pre, strlen(pre));
	size_t n = strlen(pre) + packet(w + strlen(pre), 20, "a@b.com", 4);
	struct ssh_stream s = { 0 };
	struct out o = { .n = 0 };
	assert_int_equal(ssh_stream_feed(&s, w, n, sink, &o), 0);
	assert_int_equal(o.n, strlen(pre));
}

static void test_bad_framing(void **state)
{
	(void)state;
	uint8_t w[64] = "SSH-2.0-x\r\n";
	memset(w + 11, 0xff, 10);  /* packet_length 0xffffffff */
	struct ssh_stream s = { 0 };
	struct out o = { .n = 0 };
	assert_int_equal(ssh_stream_feed(&s, w, 21, sink, &o), -1);
	struct ssh_stream t = { 0 };
	uint8_t v[17] = "SSH-2.0-x\r\n\x00\x00\x00\x08\x09\x14";  /* padding longer than the packet */
	assert_int_equal(ssh_stream_feed(&t, v, 17, sink, &o), -1);
}

static void test_banner(void **state)
{
	(void)state;
	assert_int_equal(ssh_is_banner((const uint8_t *)"SSH-2.0", 7), 1);
	assert_int_equal(ssh_is_banner((const uint8_t *)"SS", 2), -1);
	assert_int_equal(ssh_is_banner((const uint8_t *)"GET /", 5), 0);
	assert_int_equal(ssh_is_banner((const uint8_t *)"", 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kexinit_not_scanned),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_lines_before_version),
		cmocka_unit_test(test_bad_framing),
		cmocka_unit_test(test_banner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
