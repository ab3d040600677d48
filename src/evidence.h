/* evidence.h - evidence.pcap: a second pass over the inputs that keeps every packet of
 * every flow that leaked, in capture order, with the input's link type (libpcap savefile). */
#ifndef PH_EVIDENCE_H
#define PH_EVIDENCE_H
#include "report.h"
#include <stddef.h>

struct evidence_file {
	char *tmp;                     /* written so far under this name */
	char *final;                   /* renamed to this by the caller */
	int dlt;
	uint64_t packets;
};

struct evidence {
	struct evidence_file files[8]; /* one per link type; the first is evidence.pcap */
	size_t nfiles;
	uint64_t packets;              /* kept in all */
};

/* Re-reads every input of r (r->inputs, sorted report) into DIR/evidence.pcap, and
 * DIR/evidence-LINKTYPE.pcap for packets of a second link type, each under a temporary
 * name in dir. -1 with errbuf on failure (temporary files removed). */
int evidence_write(const struct report *r, const char *dir, struct evidence *ev, char *errbuf, size_t errlen);
/* Renames every temporary file to its final name; -1 with errbuf on failure. */
int evidence_commit(struct evidence *ev, char *errbuf, size_t errlen);
/* Removes temporary files and frees ev. */
void evidence_free(struct evidence *ev);

#endif
