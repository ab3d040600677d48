/* fuzz_identity.c - libFuzzer target: the identity loader on any bytes (through a memfd,
 * since it reads a path), masking of every value it loads, and the rules loader on the
 * same bytes. (The Hyperscan compile of the variants takes milliseconds: not fuzzed here.) */
#include "identity.h"
#include "rules.h"
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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
		/* every value must be readable and masking must hold on it */
		for (size_t i = 0; i < id->nvalues; i++) {
			char m[512];
			identity_mask(id->values[i].value, m, sizeof m);
		}
		identity_free(id);
	}
	struct rules *r = NULL;
	if (rules_load(path, &r, err, sizeof err) == 0)
		rules_free(r);
	close(fd);
	return 0;
}
