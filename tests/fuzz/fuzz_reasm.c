/* fuzz_reasm.c - libFuzzer target: TCP reassembly fed segments described by the input:
 * records of [seq delta: 4 bytes][len: 1 byte][flags: 1 byte], data taken from the input.
 * Checks that delivered bytes are never more than were pushed, under tight caps. */
#include "reasm.h"
#include <stdlib.h>
#include <string.h>

struct sink { uint64_t got; };

static void on_data(void *arg, const uint8_t *p, size_t len)
{
	struct sink *s = arg;
	volatile uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	(void)x;
	s->got += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_ctx c;
	struct reasm r;
	struct sink s = { 0 };
	uint64_t pushed = 0;
	reasm_ctx_init(&c);
	c.max_ooo_bytes = 2048;
	c.max_ooo_segs = 16;
	c.memcap = 4096;
	reasm_init(&r);
	uint32_t seq = 1000;
	size_t i = 0;
	if (size && data[0] & 1)
		reasm_set_isn(&r, seq - 1);
	while (i + 6 <= size) {
		uint32_t d = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 | (uint32_t)data[i + 2] << 8 | data[i + 3];
		size_t len = data[i + 4];
		uint8_t fl = data[i + 5];
		i += 6;
		seq += (fl & 2) ? d : (d & 0x3ff) - 0x200;  /* mostly near, sometimes anywhere */
		if (len > size - i)
			len = size - i;
		reasm_push(&c, &r, seq, data + i, len, on_data, &s);
		pushed += len;
		i += len;
		if (fl & 0x80)
			reasm_flush(&c, &r, on_data, &s);
	}
	reasm_flush(&c, &r, on_data, &s);
	if (s.got > pushed || r.ooo || c.mem_in_use)
		abort();
	reasm_free(&c, &r);
	return 0;
}
