/* test_app_csv.c - PCAPdroid's connections CSV (--apps): columns found by the header, an App
 * name with commas, either direction, the row whose FirstSeen..LastSeen holds the flow, a
 * look-up that does not count as a match, the unmatched rows listed, a malformed line named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app_csv.h"

static const uint8_t PHONE[4] = { 10, 215, 173, 1 }, SRV[4] = { 220, 181, 111, 10 };

struct learnt {
	int32_t uid[8];
	char name[8][64];
	size_t n;
};

static void learn(void *arg, int32_t uid, const char *name)
{
	struct learnt *l = arg;
	if (l->n < 8) {
		l->uid[l->n] = uid;
		snprintf(l->name[l->n++], 64, "%s", name);
	}
}

/* text into a temporary file; its path into path. */
static void write_csv(char path[32], const char *text)
{
	snprintf(path, 32, "/tmp/test_app_csvXXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_rows_and_matches(void **state)
{
	(void)state;
	char path[32], err[256], list[256];
	struct learnt l = { .n = 0 };
	write_csv(path, "\xef\xbb\xbfIPProto,SrcIP,SrcPort,DstIp,DstPort,UID,App,Info,FirstSeen,LastSeen,Malicious\r\n"
			"TCP,10.215.173.1,40000,220.181.111.10,80,10123,Notes, Lists,api.example.cn,1000,2000,false\n"
			"\n"
			"6,10.215.173.1,40000,220.181.111.10,80,10200,Maps,,3000,4000,false\n"
			"UDP,10.215.173.1,5353,220.181.111.10,53,1051,,,,,false\n");
	struct app_csv *c = app_csv_load(path, learn, &l, err, sizeof err);
	unlink(path);
	assert_non_null(c);
	assert_int_equal(app_csv_rows(c), 3);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.uid[0], 10123);
	assert_string_equal(l.name[0], "Notes, Lists");  /* unquoted commas belong to App */
	int32_t uid = 0;
	assert_int_equal(app_csv_match(c, 6, 4, PHONE, 40000, SRV, 80, 1500000, &uid), 1);
	assert_int_equal(uid, 10123);
	assert_int_equal(app_csv_match(c, 6, 4, SRV, 80, PHONE, 40000, 3500000, &uid), 1);  /* either order */
	assert_int_equal(uid, 10200);
	assert_int_equal(app_csv_match(c, 17, 4, PHONE, 40000, SRV, 80, 1500000, &uid), 0);  /* another protocol */
	assert_int_equal(app_csv_find(c, 17, 4, SRV, 53, PHONE, 5353, 0, &uid), 1);  /* found, not counted */
	assert_int_equal(uid, 1051);
	assert_int_equal(app_csv_unmatched(c, list, sizeof list), 1);
	assert_string_equal(list, "line 5 (protocol 17 10.215.173.1:5353 -> 220.181.111.10:53)");
	app_csv_free(c);
}

static void test_malformed(void **state)
{
	(void)state;
	char path[32], err[256], want[128];
	struct learnt l = { .n = 0 };
	write_csv(path, "IPProto,SrcIP,SrcPort,DstIp,DstPort,UID\nTCP,10.215.173.1,70000,220.181.111.10,80,1\n");
	assert_null(app_csv_load(path, learn, &l, err, sizeof err));
	snprintf(want, sizeof want, "--apps %s: line 2: bad SrcPort", path);
	assert_string_equal(err, want);
	unlink(path);
	write_csv(path, "IPProto,SrcIP,DstIp,DstPort,UID\n");
	assert_null(app_csv_load(path, learn, &l, err, sizeof err));
	snprintf(want, sizeof want, "--apps %s: line 1: no SrcPort column (not PCAPdroid's connections CSV)", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_null(app_csv_load("/nonexistent/c.csv", learn, &l, err, sizeof err));
	assert_string_equal(err, "--apps /nonexistent/c.csv: No such file or directory");
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_matches),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
