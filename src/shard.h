/* shard.h - the audit of capture files on several cores: a reader decodes each frame and
 * hands it to the worker that owns its flow; each worker runs a whole pipeline of its own. */
#ifndef PH_SHARD_H
#define PH_SHARD_H
#include "audit.h"
#include <stddef.h>
#include <stdint.h>

struct shard_set;

/* Starts n worker threads, each with a shard of a (audit_open_shard). The caller then reads
 * captures into shard_dispatch with the set as its argument. */
struct shard_set *shard_start(struct audit *a, size_t n);
/* A capture_fn: counts and decodes the frame in a, queues it for the worker of its flow
 * (DNS answers for every worker: each names its flows from them). */
void shard_dispatch(void *arg, int dlt, uint64_t ts_us, const uint8_t *bytes, size_t caplen);
/* End of input: the workers end their flows, their reports are merged into a's (which is then
 * drained: audit_finish only concludes it). -1 with errbuf if a worker could not start. */
int shard_finish(struct shard_set *s, char *errbuf, size_t errlen);
/* The default number of workers: the processors online, at most PH_MAX_THREADS. */
size_t shard_default_count(void);

#endif
