/* fuzz_decode.c - libFuzzer target: the link/IP/TCP/UDP decoder on any bytes and link type. */
#include "decode.h"
#include <pcap/dlt.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, 276, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP };
	if (!size)
		return 0;
	struct packet p;
	memset(&p, 0, sizeof p);
	int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
	if (decode_packet(dlt, data + 1, size - 1, &p) == DR_OK) {
		volatile uint8_t sink = 0;  /* every offset handed out must be readable */
		for (size_t i = 0; i < p.payload_len; i++)
			sink ^= p.payload[i];
		for (size_t i = 0; i < p.l3_len; i++)
			sink ^= p.l3[i];
		(void)sink;
	}
	return 0;
}
