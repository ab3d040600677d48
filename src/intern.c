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
static char **set;              /* open addressing, power-of-two size, NULL = free */
static size_t cap, n;

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

/* Slot of s (len bytes) in set: where it is, or the free one where it goes. */
static size_t slot(const char *s, size_t len)
{
	size_t i = hash(s, len) & (cap - 1);
	while (set[i] && (strncmp(set[i], s, len) || set[i][len]))
		i = (i + 1) & (cap - 1);
	return i;
}

static void grow(void)
{
	char **old = set;
	size_t oldcap = cap;
	cap = cap ? cap * 2 : 256;
	set = util_xcalloc(cap, sizeof *set);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			set[slot(old[i], strlen(old[i]))] = old[i];
	free(old);
}

const char *intern_str(const char *s)
{
	if (!s || !*s)
		return "";
	size_t len = strlen(s);
	pthread_mutex_lock(&mu);
	if ((n + 1) * 2 > cap)
		grow();
	size_t i = slot(s, len);
	if (!set[i]) {
		set[i] = util_xmalloc(len + 1);
		memcpy(set[i], s, len);
		set[i][len] = '\0';
		n++;
	}
	const char *r = set[i];
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
	for (size_t i = 0; i < cap; i++)
		free(set[i]);
	free(set);
	set = NULL;
	cap = n = 0;
	pthread_mutex_unlock(&mu);
}
