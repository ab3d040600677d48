/* country.h - names of countries for people to read. */
#ifndef PH_COUNTRY_H
#define PH_COUNTRY_H

/* "China", "the United States" for "CN", "US"; NULL for a code that is not an ISO 3166-1 country. */
const char *country_name(const char *cc);

#endif
