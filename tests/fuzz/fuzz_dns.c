/* fuzz_dns.c - libFuzzer target: DNS response and question parsing (compression loops,
 * pointers past the end, label lengths, answer counts). */
#include "dns.h"
#include <string.h>

static void on_answer(void *arg, const char *qname, int family, const uint8_t *addr, uint32_t ttl)
{
	(void)arg;
	(void)ttl;
	volatile size_t n = strlen(qname);
	volatile uint8_t x = addr[0] ^ addr[family == 4 ? 3 : 15];
	(void)n;
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256];
	dns_parse_response(data, size, on_answer, NULL);
	dns_question_name(data, size, name, sizeof name);
	dns_question_name(data, size, name, 8);
	struct dns_head h;
	dns_head(data, size, name, sizeof name, &h);
	return 0;
}
