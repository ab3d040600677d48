/* app_csv.h - PCAPdroid's connections CSV (--apps): the app of each connection of a plain
 * capture, by protocol, both ends and time. Read once; app.c looks each ended flow up in it. */
#ifndef PH_APP_CSV_H
#define PH_APP_CSV_H
#include <stddef.h>
#include <stdint.h>

struct app_csv;

/* Called for each row in file order with its UID and App column ("" when absent). */
typedef void (*app_csv_learn_fn)(void *arg, int32_t uid, const char *name);

/* Reads PCAPdroid's connections CSV export (IPProto,SrcIP,SrcPort,DstIp,DstPort,UID,App,...,
 * FirstSeen,LastSeen). NULL with errbuf naming the file and line for a malformed file. */
struct app_csv *app_csv_load(const char *path, app_csv_learn_fn learn, void *arg, char *errbuf, size_t errlen);
void app_csv_free(struct app_csv *c);
size_t app_csv_rows(const struct app_csv *c);
/* The row of a flow (protocol, addresses of family 4 or 6 and ports in either order, time of
 * its first packet): 1 and *uid when one matches; the row counts as matched. */
int app_csv_match(struct app_csv *c, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		  const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid);
/* The same, without counting the row as matched (flows read back from the spill). */
int app_csv_find(const struct app_csv *c, uint8_t proto, uint8_t family, const uint8_t *addr0, uint16_t port0,
		 const uint8_t *addr1, uint16_t port1, uint64_t first_us, int32_t *uid);
/* Rows that matched no flow; the first lines into list ("line 7 (protocol 6 a:p -> b:q), ..."). */
size_t app_csv_unmatched(const struct app_csv *c, char *list, size_t listlen);

#endif
