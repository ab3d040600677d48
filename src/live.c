/* live.c - live capture loop: non-blocking dispatch under poll(2), stop on duration,
 * count or signal; prints each new leak and device as it is found, and a status line. */
#include "live.h"
#include "escape.h"
#include "identity.h"
#include "mask.h"
#include "report_json.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define STATUS_EVERY_S 2.0
#define STATUS_EVERY_PLAIN_S 10.0       /* a log, not a terminal: fewer lines */
#define DRAIN_S 0.25                    /* past capture.c's block timeout (100 ms) */

static const struct live_opts *g_lo;  /* the printers' options; one live run per process */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clock_str(uint64_t us, char *out, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, len, "%H:%M:%S", &tm);
}

static void print_leak(void *arg, const struct flow *f, const struct report_leak *l)
{
	const struct audit *a = arg;
	char t[16], addr[64], masked[sizeof f->host];
	clock_str(l->ts_us, t, sizeof t);
	report_addr_str(f->family, f->addr[!l->dir], addr, sizeof addr);
	const char *on = "", *off = "";
	if (g_lo->color) {
		on = f->foreign ? "\033[1;31m" : "\033[1;33m";
		off = "\033[0m";
	}
	char safe[sizeof f->host];  /* a hostile Host header must not drive the terminal */
	mask_text(a, f->host[0] ? f->host : addr, masked, sizeof masked);  /* as in the reports */
	printf("%s %sLEAK %-14s%s %s [%s] %s %s%s\n", t, on, identity_kind_name(l->kind), off,
	       escape_term(masked, safe, sizeof safe), f->geo.country[0] ? f->geo.country : "-",
	       report_where_name(l->where), l->encoding, f->foreign ? " FOREIGN" : "");
	fflush(stdout);
}

static void print_device(void *arg, const struct device *d)
{
	const struct audit *a = arg;
	char t[16], ip4[16] = "-", ip6[64] = "", name[sizeof d->hostname], vendor[sizeof d->vendor];
	mask_text(a, d->hostname, name, sizeof name);  /* android-<Android ID> */
	mask_text(a, d->vendor, vendor, sizeof vendor);
	clock_str(d->last_us, t, sizeof t);
	if (d->has_ip4)
		report_addr_str(4, d->ip4, ip4, sizeof ip4);
	if (d->has_ip6)
		report_addr_str(6, d->ip6, ip6, sizeof ip6);
	printf("%s device %02x:%02x:%02x:%02x:%02x:%02x %s %s%s%s%s%s (%s)\n", t, d->mac[0], d->mac[1], d->mac[2],
	       d->mac[3], d->mac[4], d->mac[5], ip4, ip6, name[0] ? " name=" : "", name,
	       vendor[0] ? " vendor=" : "", vendor, d->source);
	fflush(stdout);
}

void live_attach(struct audit *a, const struct live_opts *o)
{
	g_lo = o;
	if (o->quiet)
		return;
	a->sc.on_leak = print_leak;
	a->sc.leak_arg = a;
	a->on_device = print_device;
	a->device_arg = a;
}

/* The kernel's drops so far into stats (quiet or not: the report carries them). */
static void update_drops(struct audit *a, struct capture_live *c, struct capture_live_stats *cs)
{
	capture_live_stats(c, cs);
	a->rep->st.kernel_dropped = cs->dropped + cs->if_dropped;
	a->rep->st.live = 1;
}

static void status_line(struct audit *a, struct capture_live *c, const struct live_opts *o, int final)
{
	struct capture_live_stats cs;
	update_drops(a, c, &cs);
	size_t foreign = 0;
	for (size_t i = 0; i < a->rep->nflows; i++)
		foreign += a->rep->flows[i].foreign;
	fprintf(stderr, "%s%llu packets, %llu flows (%zu foreign ended), %zu leaks, %llu dropped by the kernel%s",
		o->status_tty ? "\r\033[K" : "", (unsigned long long)a->rep->st.packets,
		(unsigned long long)flow_table_stats(a->ft)->created, foreign, a->rep->nleaks,
		(unsigned long long)(cs.dropped + cs.if_dropped), o->status_tty && !final ? "" : "\n");
}

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	audit_packet(arg, dlt, ts_us, p, caplen);
}

/* At a stop: what the kernel holds in a ring block not yet handed over (up to the capture's
 * timeout old) is read too, so that nothing that arrived before the stop is left out. */
static void drain(struct audit *a, struct capture_live *c, const struct live_opts *o)
{
	struct pollfd pfd = { .fd = capture_live_fd(c), .events = POLLIN };
	double end = now_s() + DRAIN_S;
	for (double t = now_s(); t < end && !capture_live_done(c); t = now_s()) {
		if (o->count && a->rep->st.packets >= o->count)
			return;
		if (poll(&pfd, 1, (int)((end - t) * 1000) + 1) < 0 && errno != EINTR)
			return;
		int max = o->count ? (int)(o->count - a->rep->st.packets) : -1;
		if (capture_live_dispatch(c, on_packet, a, max) < 0)
			return;
	}
}

int live_run(struct audit *a, struct capture_live *c, const struct live_opts *o, struct live_signals sig,
	     void (*interim)(void *arg), void *arg, char *errbuf, size_t errlen)
{
	double start = now_s(), next_status = start + (o->status_tty ? STATUS_EVERY_S : STATUS_EVERY_PLAIN_S);
	struct pollfd pfd = { .fd = capture_live_fd(c), .events = POLLIN };
	int rc = 0;
	while (!*sig.stop) {
		double t = now_s();
		if (o->duration_s > 0 && t - start >= o->duration_s)
			break;
		if (o->count && a->rep->st.packets >= o->count)
			break;
		if (*sig.hup) {
			struct capture_live_stats cs;
			*sig.hup = 0;
			update_drops(a, c, &cs);
			interim(arg);
		}
		if (!o->quiet && t >= next_status) {
			status_line(a, c, o, 0);
			next_status = t + (o->status_tty ? STATUS_EVERY_S : STATUS_EVERY_PLAIN_S);
		}
		int timeout = 200;  /* ms: stop conditions are checked at least this often */
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			snprintf(errbuf, errlen, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		int max = o->count ? (int)(o->count - a->rep->st.packets) : -1;
		if (capture_live_dispatch(c, on_packet, a, max) < 0) {
			const char *why = capture_live_error(c);
			snprintf(errbuf, errlen, "capture stopped: %s", why ? why : "interface gone or error");
			rc = -1;
			break;
		}
		if (capture_live_done(c))  /* -G -W: the last file is done, as tcpdump stops */
			break;
	}
	if (rc == 0 && !capture_live_done(c))
		drain(a, c, o);
	struct capture_live_stats cs;
	update_drops(a, c, &cs);
	if (!o->quiet)
		status_line(a, c, o, 1);
	return rc;
}
