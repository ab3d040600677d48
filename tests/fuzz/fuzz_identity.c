/* fuzz_identity.c - libFuzzer target: the identity loader on any bytes (through a memfd,
 * since it reads a path), then, when it loads, the variant compiler and one scan of the
 * input with the compiled matcher. The rules loader gets the same bytes. */
#include "identity.h"
#include "match.h"
#include "rules.h"
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static void on_hit(void *arg, const struct match_hit *h)
{
	(void)arg;
	volatile uint8_t x = h->buf[h->start];
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("identity", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64], err[1024];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct identity *id = NULL;
	if (identity_load(path, &id, err, sizeof err) == 0) {
		/* Hyperscan compiles in milliseconds: every 64th loaded identity, so loading stays fast to fuzz */
		struct matcher *m = size % 64 == 0 ? match_compile(id, err, sizeof err) : NULL;
		if (m) {
			match_scan(m, data, size, on_hit, NULL);
			match_free(m);
		}
		identity_free(id);
	}
	struct rules *r = NULL;
	if (rules_load(path, &r, err, sizeof err) == 0)
		rules_free(r);
	close(fd);
	return 0;
}
