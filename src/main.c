/* main.c - phonehome's command line: options, wiring of the pipeline, the read loop.
 * The only file that exits; every error here is one line on stderr and status 2. */
#include "audit.h"
#include "capture.h"
#include "config.h"
#include "report_json.h"
#include "summary.h"
#include "util.h"
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUTS 256

struct options {
	const char *inputs[MAX_INPUTS];
	size_t ninputs;
	const char *json_path;
	int no_geoip;
	struct audit_opts ao;
};

static volatile int g_stop;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: phonehome -r FILE [-r FILE ...] [options]\n"
		"Audits what a phone sends: flows, app protocols (nDPI), destination countries\n"
		"(MaxMind DB) and the phone's identifiers leaving it.\n\n"
		"  -r, --read FILE        capture file (pcap or pcapng); repeatable\n"
		"      --identity FILE    the phone's identifiers (JSON; see rules/identity-example.json)\n"
		"      --device IP|MAC    the phone(s) under test; repeatable (default: every\n"
		"                         private, ULA or link-local address)\n"
		"      --home CC          the auditor's country (ISO 3166 alpha-2, e.g. IN)\n"
		"      --allow CC,CC      countries that are not foreign besides home\n"
		"      --geoip FILE       country or city database (MMDB; default geoip/country.mmdb)\n"
		"      --asn-db FILE      ASN database (MMDB; default geoip/asn.mmdb)\n"
		"      --no-geoip         do not geolocate\n"
		"      --protos FILE      nDPI host rules (default rules/vendors.protos)\n"
		"      --json FILE        write the JSON report to FILE ('-' for stdout)\n"
		"      --max-flows N      live flows kept in memory (default %d)\n"
		"      --show-identifiers do not mask identifiers in the report\n"
		"  -h, --help             this help\n"
		"  -V, --version          version\n\n"
		"Exit status: 0 done (leaks or not), 2 bad option or input.\n",
		PH_MAX_FLOWS);
}

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "phonehome: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(2);
}

/* First existing file among the source tree and the installed data directory. */
static const char *find_data(const char *rel, char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		static const char *ups[] = { "", "/..", "/../.." };
		for (size_t i = 0; slash && i < 3; i++) {
			snprintf(out, outlen, "%.*s%s/%s", (int)(slash - exe), exe, ups[i], rel);
			if (access(out, R_OK) == 0)
				return out;
		}
	}
	snprintf(out, outlen, "%s/%s", PH_DATADIR, rel);
	return access(out, R_OK) == 0 ? out : NULL;
}

enum { O_IDENTITY = 256, O_DEVICE, O_HOME, O_ALLOW, O_GEOIP, O_ASN, O_NOGEO, O_PROTOS, O_JSON, O_MAXFLOWS, O_SHOWID };

static void parse_opt(struct options *o, int c, const char *arg)
{
	char err[256];
	struct policy *p = &o->ao.policy;
	switch (c) {
	case 'r':
		if (o->ninputs == MAX_INPUTS)
			die("-r: more than %s inputs%s", "256", "");
		o->inputs[o->ninputs++] = arg;
		break;
	case O_IDENTITY: o->ao.identity_path = arg; break;
	case O_GEOIP: o->ao.geoip_path = arg; break;
	case O_ASN: o->ao.asn_path = arg; break;
	case O_NOGEO: o->no_geoip = 1; break;
	case O_PROTOS: o->ao.protos_path = arg; break;
	case O_JSON: o->json_path = arg; break;
	case O_SHOWID: o->ao.show_identifiers = 1; break;
	case O_DEVICE:
		if (policy_add_device(p, arg, err, sizeof err) < 0)
			die("%s%s", err, "");
		break;
	case O_HOME:
		if (policy_set_home(p, arg, err, sizeof err) < 0)
			die("%s%s", err, "");
		break;
	case O_ALLOW:
		if (policy_add_allow(p, arg, err, sizeof err) < 0)
			die("%s%s", err, "");
		break;
	case O_MAXFLOWS: {
		char *end;
		unsigned long long v = strtoull(arg, &end, 10);
		if (!arg[0] || *end || v < 1 || v > 100000000ull || arg[0] == '-')
			die("--max-flows: \"%s\" is not a number from 1 to 100000000%s", arg, "");
		o->ao.max_flows = (size_t)v;
		break;
	}
	}
}

static void parse_args(struct options *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "read", required_argument, 0, 'r' }, { "identity", required_argument, 0, O_IDENTITY },
		{ "device", required_argument, 0, O_DEVICE }, { "home", required_argument, 0, O_HOME },
		{ "allow", required_argument, 0, O_ALLOW }, { "geoip", required_argument, 0, O_GEOIP },
		{ "asn-db", required_argument, 0, O_ASN }, { "no-geoip", no_argument, 0, O_NOGEO },
		{ "protos", required_argument, 0, O_PROTOS }, { "json", required_argument, 0, O_JSON },
		{ "max-flows", required_argument, 0, O_MAXFLOWS },
		{ "show-identifiers", no_argument, 0, O_SHOWID }, { "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' }, { 0, 0, 0, 0 },
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":r:hV", longs, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("phonehome %s\n", PH_VERSION);
			exit(0);
		}
		if (c == '?')
			die("unknown option '%s' (see --help)%s", argv[optind - 1], "");
		if (c == ':')
			die("option '%s' needs a value%s", argv[optind - 1], "");
		parse_opt(o, c, optarg);
	}
	if (optind < argc)
		die("unexpected argument '%s' (capture files go after -r)%s", argv[optind], "");
	if (!o->ninputs)
		die("no input: give a capture file with -r FILE (see --help)%s%s", "", "");
}

/* Default databases and rules from the source tree or the installed prefix. */
static void resolve_defaults(struct options *o)
{
	static char geo[PATH_MAX], asn[PATH_MAX], protos[PATH_MAX];
	if (o->no_geoip) {
		o->ao.geoip_path = o->ao.asn_path = NULL;
	} else if (!o->ao.geoip_path && !o->ao.asn_path) {
		o->ao.geoip_path = find_data("geoip/country.mmdb", geo, sizeof geo);
		o->ao.asn_path = find_data("geoip/asn.mmdb", asn, sizeof asn);
		if (!o->ao.geoip_path && o->ao.policy.home[0])
			die("no GeoIP database: run 'make geoip' or give --geoip FILE (--home needs countries)%s%s", "", "");
		if (!o->ao.geoip_path)
			fprintf(stderr, "phonehome: warning: no GeoIP database (run 'make geoip'); countries unknown\n");
	}
	if (!o->ao.protos_path)
		o->ao.protos_path = find_data("rules/vendors.protos", protos, sizeof protos);
}

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	audit_packet(arg, dlt, ts_us, p, caplen);
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_stop)
		_exit(130);
	g_stop = 1;
}

int main(int argc, char **argv)
{
	struct options o;
	memset(&o, 0, sizeof o);
	parse_args(&o, argc, argv);
	resolve_defaults(&o);
	char err[1024];
	for (size_t i = 0; i < o.ninputs; i++)
		if (capture_check_file(o.inputs[i], err, sizeof err) < 0)
			die("%s%s", err, "");
	if (o.json_path && report_json_check_path(o.json_path, err, sizeof err) < 0)
		die("%s%s", err, "");
	struct audit a;
	if (audit_open(&a, &o.ao, err, sizeof err) < 0)
		die("%s%s", err, "");
	for (size_t i = 0; i < a.rep->nwarnings; i++)  /* identity warnings, before the long read */
		fprintf(stderr, "phonehome: warning: %s\n", a.rep->warnings[i]);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < o.ninputs && !g_stop; i++) {
		struct report_input *in = report_add_input(a.rep, o.inputs[i]);
		if (capture_read_file(o.inputs[i], on_packet, &a, in, &g_stop, err, sizeof err) < 0)
			die("%s%s", err, "");
		if (in->warning)
			fprintf(stderr, "phonehome: warning: %s\n", in->warning);
	}
	audit_finish(&a);
	int rc = 0;
	if (o.json_path) {
		json_t *doc = report_json_build(&a);
		if (report_json_write(doc, o.json_path, err, sizeof err) < 0) {
			fprintf(stderr, "phonehome: %s\n", err);
			rc = 2;
		}
		json_decref(doc);
	}
	if (!o.json_path || strcmp(o.json_path, "-"))
		summary_print(stdout, &a);
	audit_close(&a);
	return rc;
}
