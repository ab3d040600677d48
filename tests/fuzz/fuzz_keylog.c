/* fuzz_keylog.c - libFuzzer target: the NSS key log reader (keylog.c) on any bytes, as text
 * (keylog_add_text), as a file read in two appends (keylog_add_file + keylog_refresh, through a
 * memfd) and as a pcapng file whose Decryption Secrets Blocks carry a key log (keylog_add_pcapng). */
#include "keylog.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Looks up the randoms the input could name: the first 32 bytes, and each byte repeated. */
static void probe(const struct keylog *k, const uint8_t *data, size_t size)
{
	uint8_t r[32];
	memset(r, 0, sizeof r);
	memcpy(r, data, size < 32 ? size : 32);
	const struct keylog_entry *e = keylog_find(k, r);
	for (int l = 0; e && l < KEYLOG__COUNT; l++)
		if (e->len[l] > KEYLOG_MAX_SECRET)
			__builtin_trap();
}

/* Writes data[0,n) at the end of fd; 0 or -1. */
static int append(int fd, const uint8_t *data, size_t n)
{
	return write(fd, data, n) == (ssize_t)n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keylog *kt = keylog_new();
	keylog_add_text(kt, (const char *)data, size);
	probe(kt, data, size);

	int fd = memfd_create("keylog", 0);
	if (fd < 0) {
		keylog_free(kt);
		return 0;
	}
	char path[64], err[512];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	/* the same bytes as a growing file: the first half, then the rest (a writer mid-line) */
	struct keylog *kf = keylog_new();
	size_t half = size / 2;
	if (append(fd, data, half) == 0 && keylog_add_file(kf, path, err, sizeof err) == 0 &&
	    append(fd, data + half, size - half) == 0) {
		keylog_refresh(kf, 1);
		/* every line the text parser saw, the file reader saw too (a file's last line only once
		 * it ends), and they hold as many entries */
		if (size && data[size - 1] == '\n' && keylog_count(kf) != keylog_count(kt))
			__builtin_trap();
		keylog_refresh(kf, 0);  /* within 100 ms of the last: not read */
		/* the file rewritten shorter (a new session's log): read again from its start */
		size_t before = keylog_count(kf);
		if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && append(fd, data + half, size - half) == 0) {
			keylog_refresh(kf, 1);
			if (keylog_count(kf) < before)
				__builtin_trap();  /* entries are never dropped */
		}
	}
	keylog_free(kf);

	/* and as a pcapng file */
	if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && append(fd, data, size) == 0) {
		struct keylog *kp = keylog_new();
		int n = keylog_add_pcapng(kp, path, NULL);
		if (n < 0 || (size_t)n < keylog_count(kp))
			__builtin_trap();  /* a readable file; an entry holds at least one new secret */
		probe(kp, data, size);
		keylog_free(kp);
	}
	close(fd);
	keylog_free(kt);
	return 0;
}
