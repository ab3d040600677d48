/* policy.c - device selection (--device IP|MAC), home country (--home),
 * allowed countries (--allow) and leak severity. */
#include "policy.h"
#include "geo.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ISO 3166-1 alpha-2 codes assigned today, for --home and --allow validation. */
static const char iso3166[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
	"BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
	"EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
	"HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
	"LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA "
	"NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
	"TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK ";  /* every code is 3 bytes */

/* Upper-cases a two-letter code into out; -1 unless it is an assigned ISO 3166 code. */
static int parse_cc(const char *s, size_t n, char out[3])
{
	if (n != 2 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]))
		return -1;
	out[0] = (char)toupper((unsigned char)s[0]);
	out[1] = (char)toupper((unsigned char)s[1]);
	out[2] = 0;
	for (const char *q = iso3166; *q; q += 3)
		if (q[0] == out[0] && q[1] == out[1])
			return 0;
	return -1;
}

int policy_set_home(struct policy *p, const char *cc, char *errbuf, size_t errlen)
{
	if (parse_cc(cc, strlen(cc), p->home) < 0) {
		snprintf(errbuf, errlen, "--home: \"%s\" is not an ISO 3166 alpha-2 country code (e.g. IN)", cc);
		p->home[0] = 0;
		return -1;
	}
	return 0;
}

int policy_add_allow(struct policy *p, const char *list, char *errbuf, size_t errlen)
{
	const char *s = list;
	for (;;) {
		size_t n = strcspn(s, ",");
		if (p->nallow == POLICY_MAX_ALLOW) {
			snprintf(errbuf, errlen, "--allow: more than %d countries", POLICY_MAX_ALLOW);
			return -1;
		}
		if (parse_cc(s, n, p->allow[p->nallow]) < 0) {
			snprintf(errbuf, errlen, "--allow: \"%.*s\" is not an ISO 3166 alpha-2 country code", (int)n, s);
			return -1;
		}
		p->nallow++;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%c",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int policy_add_device(struct policy *p, const char *s, char *errbuf, size_t errlen)
{
	if (p->ndev == POLICY_MAX_DEVICES) {
		snprintf(errbuf, errlen, "--device: more than %d devices", POLICY_MAX_DEVICES);
		return -1;
	}
	typeof(p->dev[0]) *d = &p->dev[p->ndev];
	memset(d, 0, sizeof *d);
	snprintf(d->text, sizeof d->text, "%s", s);
	if (inet_pton(AF_INET, s, d->addr) == 1)
		d->family = 4;
	else if (inet_pton(AF_INET6, s, d->addr) == 1)
		d->family = 6;
	else if (parse_mac(s, d->mac) == 0)
		d->is_mac = 1;
	else {
		snprintf(errbuf, errlen, "--device: \"%s\" is neither an IP address nor a MAC address", s);
		return -1;
	}
	p->ndev++;
	return 0;
}

int policy_is_device(const struct policy *p, int family, const uint8_t *addr, const uint8_t *mac, int has_mac)
{
	if (!p->ndev)
		return geo_is_private(family, addr);
	for (size_t i = 0; i < p->ndev; i++) {
		if (p->dev[i].is_mac) {
			if (has_mac && !memcmp(p->dev[i].mac, mac, 6))
				return 1;
		} else if (p->dev[i].family == family && !memcmp(p->dev[i].addr, addr, family == 4 ? 4 : 16)) {
			return 1;
		}
	}
	return 0;
}

int policy_is_foreign(const struct policy *p, const char *cc)
{
	if (!p->home[0] || !cc || !cc[0] || !strcmp(cc, p->home))
		return 0;
	for (size_t i = 0; i < p->nallow; i++)
		if (!strcmp(cc, p->allow[i]))
			return 0;
	return 1;
}

enum policy_severity policy_severity(int foreign, int encrypted, int sensitive_kind)
{
	int score = 2 * !!foreign + !encrypted + !!sensitive_kind;
	return score >= 4 ? SEV_CRITICAL : score == 3 ? SEV_HIGH : score == 2 ? SEV_MEDIUM : SEV_LOW;
}

const char *policy_severity_name(enum policy_severity s)
{
	static const char *names[] = { "low", "medium", "high", "critical" };
	return names[s];
}
