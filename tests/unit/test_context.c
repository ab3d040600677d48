/* test_context.c - context.c: where an e-mail-, coordinate- or digit-shaped hit is not reported
 * (a longer domain, a glued TLD, binary bytes, message identifiers, X.509, 3GPP NAI, host fields,
 * FastCGI server variables, bbox, hex). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "context.h"

/* The hit is the first occurrence of value in text (text given with its length: NULs allowed). */
static int email_in(const char *text, size_t len, const char *value)
{
	const char *v = memmem(text, len, value, strlen(value));
	assert_non_null(v);
	size_t s = (size_t)(v - text);
	return context_email_ok((const uint8_t *)text, len, s, s + strlen(value));
}
#define EMAIL(t, v) email_in(t, sizeof(t) - 1, v)

static void test_email_plain(void **state)
{
	(void)state;
	assert_true(EMAIL("MAIL FROM: <raulparedes@wanadoo.fr>\r\n", "raulparedes@wanadoo.fr"));
	assert_true(EMAIL("From: <sip:voi18063@sip.cybercity.dk>;tag=1", "voi18063@sip.cybercity.dk"));
	assert_true(EMAIL("<jid>tom@cs-xmpp.lan/darkstar</jid>", "tom@cs-xmpp.lan"));
	assert_true(EMAIL("<item jid='chatback@cs-xmpp.lan'>", "chatback@cs-xmpp.lan"));  /* jid is no -id */
	assert_true(EMAIL("EMail: SOLLINS@LCS.MIT.EDU\n", "SOLLINS@LCS.MIT.EDU"));
	assert_true(EMAIL("email=a.b%40x.com&mail=john@Example.Com%2C", "john@Example.Com"));
	assert_true(EMAIL("\x17\x00matteobracci1@gmail.com\x02\x32", "matteobracci1@gmail.com"));  /* NUL-delimited */
	assert_true(EMAIL("\xe9\x82\xae\xe7\xae\xb1" "a@b.cn\xe3\x80\x82", "a@b.cn"));  /* UTF-8 text around */
	assert_true(EMAIL("user@example.org.", "user@example.org"));  /* end of a sentence */
}

static void test_email_whole_domain(void **state)
{
	(void)state;
	assert_false(EMAIL("<sip:a@sip.cybercity.dk>", "a@sip.cybercity"));
	assert_false(EMAIL("to='room@conference.cs-xmpp.lan'", "room@conference.cs"));
	assert_false(EMAIL("<sip:voi18063@sip.cyb%rcity.dk>", "voi18063@sip.cyb"));  /* stray '%' */
}

static void test_email_tld(void **state)
{
	(void)state;
	assert_false(EMAIL("\x01\x35user@wlan.example.orgY\x03", "user@wlan.example.orgY"));
	assert_false(EMAIL("push-x=\"x@host.mobilitylab.neY\"", "x@host.mobilitylab.neY"));
	assert_true(EMAIL("a@b.De ", "a@b.De"));
}

static void test_email_binary(void **state)
{
	(void)state;
	assert_false(EMAIL("\x8f\x81h@Q8.Gw\xc7\x35", "h@Q8.Gw"));  /* QUIC ciphertext */
	assert_false(EMAIL("\x8d\x90\x8b" "189000@gecds2.mobilitylab.net\x00", "189000@gecds2.mobilitylab.net"));
}

static void test_email_message_ids(void **state)
{
	(void)state;
	assert_false(EMAIL("\r\nMessage-ID: <2008061012@serveur1.ent2.com>\r\n", "2008061012@serveur1.ent2.com"));
	assert_false(EMAIL("Call-ID: 578222729-4665d775@host.example.com\r\n", "578222729-4665d775@host.example.com"));
	assert_false(EMAIL("\r\ni: abc@host.example.com\r\n", "abc@host.example.com"));
	assert_false(EMAIL("References: <a@b.com>\r\n <c@d.com>\r\n", "c@d.com"));  /* folded line */
	assert_false(EMAIL("group selected\r\n220 185 <2v22g5@4ax.com> article retrieved", "2v22g5@4ax.com"));
	assert_false(EMAIL("<push-message push-id=\"1893_1031@gecds2.mobilitylab.net\" ", "1893_1031@gecds2.mobilitylab.net"));
	assert_true(EMAIL("\r\nFrom: employe@ent2.com\r\nReply-To: x@y.com\r\n", "employe@ent2.com"));
	assert_true(EMAIL("250 <coreys@delta.peach.mil>... Sender Ok\r\n", "coreys@delta.peach.mil"));
}

static void test_email_x509_nai(void **state)
{
	(void)state;
	assert_false(EMAIL("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01\x16\x13sysadmin@iit.cnr.it0\x1e",
			   "sysadmin@iit.cnr.it"));
	assert_false(EMAIL("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01\x16\x30" "0a@b.com\x82", "0a@b.com"));
	assert_false(EMAIL("\x01\x35" "0311480073638072@wlan.mnc480.mcc311.3gppnetwork.org\x1a",
			   "0311480073638072@wlan.mnc480.mcc311.3gppnetwork.org"));
	assert_false(EMAIL("\x01\x35" "5031@wlan.mnc<80.mcc311.3gppnetwork.org\x19", "5031@wlan.mnc"));
	assert_false(EMAIL("1@ims.mnc001.mcc001.pub.example.com ", "1@ims.mnc001.mcc001.pub.example.com"));
}

static int latlon_in(const char *t, const char *v)
{
	const char *x = strstr(t, v);
	assert_non_null(x);
	size_t s = (size_t)(x - t);
	return context_latlon_ok((const uint8_t *)t, strlen(t), s, s + strlen(v));
}

/* Fields that hold a host (Celery's node "name@host"), in an AMQP field table and in JSON; and a
 * FastCGI SERVER_* meta-variable, its name glued to the value. Other names stay addresses. */
static void test_email_host_fields(void **state)
{
	(void)state;
	assert_false(EMAIL("\x08hostnameS\x00\x00\x00\x1f" "celery@test.cognitonetworks.com\x02", "celery@test.cognitonetworks.com"));
	assert_false(EMAIL("\x04nodeS\x00\x00\x00\x0c" "w1@host.corp\x02", "w1@host.corp"));
	assert_true(EMAIL("\x05emailS\x00\x00\x00\x0c" "w1@host.corp\x02", "w1@host.corp"));
	assert_true(EMAIL("\x08hostnameS\x00\x00\x00\x02" "w1@host.corp\x02", "w1@host.corp"));  /* length disagrees */
	assert_false(EMAIL("{\"hostname\": \"celery@worker.example.com\", \"pid\": 1}", "celery@worker.example.com"));
	assert_false(EMAIL("{\"host\":\"a@b.example.com\"}", "a@b.example.com"));
	assert_true(EMAIL("{\"email\": \"jane@example.com\"}", "jane@example.com"));
	assert_true(EMAIL("{\"myhostname\": \"jane@example.com\"}", "jane@example.com"));
	assert_false(EMAIL("\x0c\x1bSERVER_ADMINwebmaster@openstreetmap.org\x0f", "SERVER_ADMINwebmaster@openstreetmap.org"));
	assert_true(EMAIL("\x09\x0cHTTP_FROMjane@ex.com\x0f", "HTTP_FROMjane@ex.com"));  /* the client's From */
	assert_true(EMAIL("\x0c\x05SERVER_ADMINa@b.co", "SERVER_ADMINa@b.co"));  /* lengths disagree: not a pair */
}

static void test_latlon(void **state)
{
	(void)state;
	assert_true(latlon_in("loc=28.61394,77.20902&x=1", "28.61394,77.20902"));
	assert_true(latlon_in("[28.61394, 77.20902, 15.0]", "28.61394, 77.20902"));  /* accuracy follows */
	const char *bbox = "map?bbox=-64.217736,-31.456810,-64.187736,-31.432322 ";
	assert_false(latlon_in(bbox, "-64.217736,-31.456810"));
	assert_false(latlon_in(bbox, "-31.456810,-64.187736"));
	assert_false(latlon_in(bbox, "-64.187736,-31.432322"));
}

static int digits_in(const char *t, const char *v)
{
	const char *x = strstr(t, v);
	assert_non_null(x);
	size_t s = (size_t)(x - t);
	return context_digits_ok((const uint8_t *)t, strlen(t), s, s + strlen(v));
}

static void test_digits(void **state)
{
	(void)state;
	assert_true(digits_in("imei=352439671399875&", "352439671399875"));
	assert_true(digits_in("IMEI:352439671399875\n", "352439671399875"));
	assert_false(digits_in("5943bbd352439671399875e27798be", "352439671399875"));
	assert_false(digits_in("x352439671399875F", "352439671399875"));
}

static void test_bounds(void **state)
{
	(void)state;
	const uint8_t p[] = "a@b.com";
	assert_false(context_email_ok(p, 7, 3, 2));   /* empty range */
	assert_false(context_email_ok(p, 7, 0, 8));   /* past len */
	assert_false(context_email_ok(p, 7, 2, 7));   /* no '@' */
	assert_true(context_email_ok(p, 7, 0, 7));
	assert_false(context_latlon_ok(p, 7, 0, 9));
	assert_false(context_digits_ok(p, 7, 5, 9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_plain),
		cmocka_unit_test(test_email_whole_domain),
		cmocka_unit_test(test_email_tld),
		cmocka_unit_test(test_email_binary),
		cmocka_unit_test(test_email_message_ids),
		cmocka_unit_test(test_email_x509_nai),
		cmocka_unit_test(test_email_host_fields),
		cmocka_unit_test(test_latlon),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
