/* capture_set.h - the capture files -r names, in the order they are read: as given, and a
 * pattern's matches in capture order (each file's first packet, then version order). */
#ifndef PH_CAPTURE_SET_H
#define PH_CAPTURE_SET_H
#include <stddef.h>

struct capture_set {
	const char **paths;            /* in the order they are read; at most PH_MAX_INPUTS */
	size_t n, cap;
	char **owned;                  /* a pattern's matches, freed with the list */
	size_t nowned;
};

/* One more path, kept as it is (not copied); -1 with errbuf past PH_MAX_INPUTS. */
int capture_set_add(struct capture_set *l, const char *path, char *errbuf, size_t errlen);
/* Every match of pattern (glob(7)) in capture order, so that a ring tcpdump -W wrapped
 * (raw.pcap3 older than raw.pcap0) is read as it was captured; -1 with errbuf when nothing
 * matches or there would be too many. */
int capture_set_glob(struct capture_set *l, const char *pattern, char *errbuf, size_t errlen);
void capture_set_free(struct capture_set *l);

#endif
