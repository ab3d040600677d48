/* policy.h - who is the device under test, which countries are home or allowed,
 * and how severe a leak is. */
#ifndef PH_POLICY_H
#define PH_POLICY_H
#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_DEVICES 64
#define POLICY_MAX_ALLOW 64

struct policy {
	char home[3];                        /* "" when --home was not given */
	char allow[POLICY_MAX_ALLOW][3];
	size_t nallow;
	struct { uint8_t family, addr[16], mac[6], is_mac; char text[64]; } dev[POLICY_MAX_DEVICES];
	size_t ndev;
};

/* Score = 2 if foreign + 1 if cleartext + 1 if the kind identifies a person or device
 * (everything but carrier): 4 critical, 3 high, 2 medium, else low. */
enum policy_severity { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* Parsers for the options: -1 with errbuf naming the bad value. */
int policy_set_home(struct policy *p, const char *cc, char *errbuf, size_t errlen);
int policy_add_allow(struct policy *p, const char *list, char *errbuf, size_t errlen);
int policy_add_device(struct policy *p, const char *ip_or_mac, char *errbuf, size_t errlen);
/* 1 when the endpoint (addr, and mac when has_mac) is a device under test. */
int policy_is_device(const struct policy *p, int family, const uint8_t *addr, const uint8_t *mac, int has_mac);
/* 1 when a destination in country cc is foreign (needs --home; unknown country is not foreign). */
int policy_is_foreign(const struct policy *p, const char *cc);
/* Severity of a leak: foreign above domestic, cleartext above encrypted, identifier class. */
enum policy_severity policy_severity(int foreign, int encrypted, int sensitive_kind);
const char *policy_severity_name(enum policy_severity s);

#endif
