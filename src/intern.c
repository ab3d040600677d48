/* intern.c - a process-wide set of strings behind one mutex: leaks are few (thousands per GB of
 * capture) but each held until the report, and their strings repeat (a few hundred distinct),
 * so a pointer to a shared copy replaces a fixed array in every leak. */
#include "intern.h"
#include "util.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char **strs;             /* the copies, in the order first interned */
static size_t n, cap;
static struct util_index idx;   /* copies by the FNV-1a hash of their bytes */

/* The copy of s (len bytes, hash h), NULL when there is none yet. */
static const char *find(const char *s, size_t len, uint64_t h)
{
	size_t pos = 0, row;
	while ((row = util_index_next(&idx, h, &pos)) != SIZE_MAX)
		if (!strncmp(strs[row], s, len) && !strs[row][len])
			return strs[row];
	return NULL;
}

const char *intern_str(const char *s)
{
	if (!s || !*s)
		return "";
	size_t len = strlen(s);
	uint64_t h = util_fnv(UTIL_FNV_BASIS, s, len);
	pthread_mutex_lock(&mu);
	const char *r = find(s, len, h);
	if (!r) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			strs = util_xrealloc(strs, cap * sizeof *strs);
		}
		strs[n] = util_xmalloc(len + 1);
		memcpy(strs[n], s, len + 1);
		util_index_add(&idx, h, n);
		r = strs[n++];
	}
	pthread_mutex_unlock(&mu);
	return r;
}

unsigned long intern_count(void)
{
	pthread_mutex_lock(&mu);
	unsigned long k = n;
	pthread_mutex_unlock(&mu);
	return k;
}

void intern_free(void)
{
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n; i++)
		free(strs[i]);
	free(strs);
	strs = NULL;
	n = cap = 0;
	util_index_free(&idx);
	pthread_mutex_unlock(&mu);
}
