/* main.c - phonehome's command line: options, wiring of the pipeline, the read loop.
 * The only file that exits; every error here is one line on stderr and status 2. */
#include "audit.h"
#include "capture.h"
#include "capture_set.h"
#include "config.h"
#include "intern.h"
#include "decode.h"
#include "live.h"
#include "custody.h"
#include "diff.h"
#include "report_dir.h"
#include "report_json.h"
#include "shard.h"
#include "summary.h"
#include "util.h"
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
	struct capture_set in;        /* -r */
	const char *json_path;
	const char *report_dir, *eve_path, *format;  /* -o DIR, --eve FILE, --format text|json|md */
	int pdf;
	int no_geoip;
	int no_rules;                  /* --no-rules */
	const char *geo_missing;       /* no default GeoIP database: how to get one */
	struct audit_opts ao;
	const char *iface, *user;      /* -i, -Z */
	int list_ifaces;
	struct capture_live_opts lo;
	struct live_opts live;
	size_t threads;                /* --threads: workers for capture files; 0 = one per processor */
};

static volatile int g_stop, g_hup;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: phonehome -r FILE [-r FILE ...] [options]\n"
		"       phonehome -i IFACE [options]\n"
		"       phonehome diff OLD NEW [--json FILE] [-o DIR] [--fail-on-new]\n"
		"Audits what a phone sends: flows, app protocols (nDPI), destination countries\n"
		"(MaxMind DB) and the phone's identifiers leaving it.\n\n"
		"  -r, --read FILE        capture file (pcap or pcapng, gzip or zstd too); repeatable;\n"
		"                         a quoted pattern ('raw.pcap*') reads every match in capture order\n"
		"  -i, --interface IFACE  capture live on IFACE (e.g. the hotspot's wlan0)\n"
		"      --list-interfaces  list the interfaces that can be captured\n"
		"      --filter BPF       capture filter (live); narrowed to --device traffic\n"
		"      --no-promisc       do not put the interface in promiscuous mode\n"
		"  -w FILE                also write the raw live capture (pcap) to FILE\n"
		"  -C MB                  with -w: a new file (FILE1, FILE2, ...) before one passes MB\n"
		"                         million bytes\n"
		"  -G SECONDS             with -w: a new file every SECONDS of capture time (FILE may\n"
		"                         hold strftime conversions)\n"
		"  -W COUNT               with -C: keep the last COUNT files (the oldest is removed);\n"
		"                         with -G alone: stop after COUNT files\n"
		"      --duration SECONDS stop a live capture after this long\n"
		"      --count PACKETS    stop a live capture after this many packets\n"
		"  -q, --quiet            no live leak lines or status line\n"
		"  -Z USER                drop root to USER once the capture is open (default\n"
		"                         nobody when started as root, for live capture)\n"
		"      --identity FILE    the phone's identifiers (JSON; see rules/identity-example.json)\n"
		"      --device IP|MAC    the phone(s) under test; repeatable (default: every MAC\n"
		"                         that acts as a host on the LAN, with all its addresses;\n"
		"                         without a link layer, private, CGNAT, ULA, link-local;\n"
		"                         the phone itself for a PCAPdroid capture)\n"
		"      --app PKG          audit only this app's flows (package, name or uid, from\n"
		"                         PCAPdroid or NFLOG captures); repeatable\n"
		"      --apps FILE        PCAPdroid's connections CSV: the app of each flow of a\n"
		"                         plain capture, by protocol, addresses, ports and time\n"
		"      --home CC          the auditor's country (ISO 3166 alpha-2, e.g. IN)\n"
		"      --allow CC,CC      countries that are not foreign besides home\n"
		"      --geoip FILE       country or city database (MMDB); default country.mmdb in\n"
		"                         the source tree's geoip/, or " PH_GEOIPDIR " then\n"
		"                         " PH_DATADIR "/geoip\n"
		"      --asn-db FILE      ASN database (MMDB; default asn.mmdb, found like country.mmdb)\n"
		"      --no-geoip         do not geolocate\n"
		"      --protos FILE      nDPI host rules (default vendors.protos in the rules directory)\n"
		"      --rules DIR|FILE   detector rules for identifiers not in the identity; default the\n"
		"                         rules directory: the source tree's rules/, or\n"
		"                         " PH_DATADIR "/rules\n"
		"      --no-rules         no detector rules: only the identity's values are searched\n"
		"      --keylog FILE      NSS key log (SSLKEYLOGFILE) to decrypt TLS 1.2/1.3; repeatable\n"
		"      --accept FILE      accepted findings (JSON: kind, destination, reason); they stay\n"
		"                         in the report, out of the verdict; repeatable\n"
		"      --json FILE        write the JSON report to FILE ('-' for stdout)\n"
		"      --max-flows N      live flows kept in memory (default %d)\n"
		"      --max-reassembly N out-of-order bytes queued per TCP direction (default %d)\n"
		"      --max-report-flows N  ended flows without leaks listed in the report (default 0:\n"
		"                         all, ended flows waiting in a temporary file in $TMPDIR;\n"
		"                         live capture: 262144)\n"
		"      --threads N        workers auditing capture files (default: one per processor,\n"
		"                         at most %d; 1: no threads); live capture uses one\n"
		"      --show-identifiers do not mask identifiers in the report\n"
		"  -o, --report-dir DIR   write report.json, report.html, report.md, events.json and\n"
		"                         evidence.pcap into DIR (created if missing)\n"
		"      --eve FILE         Suricata EVE JSON lines (flow, dns, http, tls, leak, alert) to FILE\n"
		"      --eve-alerts yes|no\n"
		"                         an EVE alert record for each leak (default yes)\n"
		"      --format FMT       what stdout carries: text (default), json or md\n"
		"      --pdf              also print DIR/report.pdf with headless Chromium (needs -o)\n"
		"  -h, --help             this help\n"
		"  -V, --version          version\n\n"
		"phonehome diff compares two reports (a re-test); see phonehome diff --help.\n"
		"Exit status: 0 done (leaks or not), 2 bad option or input.\n",
		PH_MAX_FLOWS, PH_REASM_MAX_OOO_BYTES, PH_MAX_THREADS);
}

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "phonehome: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(2);
}

/* The source tree the binary was built in (exe's dir or one or two up, holding
 * src/main.c and rules/detectors.json) into root; 0 when it is an installed binary. */
static int find_tree(char *root, size_t len)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	static const char *ups[] = { "", "/..", "/../.." };
	for (size_t i = 0; slash && i < 3; i++) {
		snprintf(probe, sizeof probe, "%.*s%s/src/main.c", (int)(slash - exe), exe, ups[i]);
		if (access(probe, R_OK) < 0)
			continue;
		snprintf(probe, sizeof probe, "%.*s%s/rules/detectors.json", (int)(slash - exe), exe, ups[i]);
		if (access(probe, R_OK) == 0) {
			snprintf(root, len, "%.*s%s", (int)(slash - exe), exe, ups[i]);
			return 1;
		}
	}
	return 0;
}

/* First readable DIR/rel among dirs (NULL-terminated) into out, or NULL. */
static const char *find_data(const char *const *dirs, const char *rel, char *out, size_t outlen)
{
	for (; *dirs; dirs++) {
		snprintf(out, outlen, "%s/%s", *dirs, rel);
		if (access(out, R_OK) == 0)
			return out;
	}
	return NULL;
}

enum { O_LIST = 200, O_FILTER, O_NOPROMISC, O_DURATION, O_COUNT, O_IDENTITY = 256, O_DEVICE, O_HOME, O_ALLOW, O_GEOIP, O_ASN, O_NOGEO, O_PROTOS, O_JSON, O_MAXFLOWS, O_SHOWID,
       O_EVE, O_FORMAT, O_PDF, O_RULES, O_NORULES, O_MAXREASM, O_MAXREPORT, O_KEYLOG, O_THREADS,
       O_EVEALERTS, O_FAILNEW, O_APP, O_ACCEPT, O_APPS };

/* A count option from 1 to max, or exit 2 naming it. */
static size_t count_arg(const char *opt, const char *arg, unsigned long long max)
{
	char *end, lim[32];
	unsigned long long v = strtoull(arg, &end, 10);
	if (!arg[0] || *end || v < 1 || v > max || arg[0] == '-') {
		snprintf(lim, sizeof lim, "%llu", max);
		fprintf(stderr, "phonehome: %s: \"%s\" is not a number from 1 to %s\n", opt, arg, lim);
		exit(2);
	}
	return (size_t)v;
}

/* --app PKG: a package name, app name or uid as the capture gives it; up to 64. */
static void app_arg(struct options *o, const char *arg)
{
	if (o->ao.napps == sizeof o->ao.apps / sizeof o->ao.apps[0])
		die("--app: more than %s apps%s", "64", "");
	for (const char *c = arg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			die("--app: \"%s\" is not a package name%s", "", "");
	if (!arg[0] || strlen(arg) >= 128)
		die("--app: \"%s\" is not a package name, app name or uid%s", arg, "");
	o->ao.apps[o->ao.napps++] = arg;
}

static void parse_opt(struct options *o, int c, const char *arg)
{
	char err[256];
	struct policy *p = &o->ao.policy;
	switch (c) {
	case 'r':
		if (strpbrk(arg, "*?[") && access(arg, F_OK) != 0) {  /* a file so named is read as it is */
			if (capture_set_glob(&o->in, arg, err, sizeof err) < 0)
				die("%s%s", err, "");
			break;
		}
		if (!strcmp(arg, "-")) {  /* standard input, as tcpdump's -r - (read once: one -r -) */
			for (size_t i = 0; i < o->in.n; i++)
				if (!strcmp(o->in.paths[i], "/dev/stdin"))
					die("-r -: standard input can be read only once%s%s", "", "");
			arg = "/dev/stdin";
		}
		if (capture_set_add(&o->in, arg, err, sizeof err) < 0)
			die("%s%s", err, "");
		break;
	case O_IDENTITY: o->ao.identity_path = arg; break;
	case O_GEOIP: o->ao.geoip_path = arg; break;
	case O_ASN: o->ao.asn_path = arg; break;
	case O_NOGEO: o->no_geoip = 1; break;
	case O_PROTOS: o->ao.protos_path = arg; break;
	case O_RULES: o->ao.rules_path = arg; break;
	case O_KEYLOG:
		if (o->ao.nkeylog == sizeof o->ao.keylog_paths / sizeof o->ao.keylog_paths[0])
			die("--keylog: more than %s files%s", "16", "");
		o->ao.keylog_paths[o->ao.nkeylog++] = arg;
		break;
	case O_ACCEPT:
		if (o->ao.naccept == sizeof o->ao.accept_paths / sizeof o->ao.accept_paths[0])
			die("--accept: more than %s files%s", "16", "");
		o->ao.accept_paths[o->ao.naccept++] = arg;
		break;
	case O_NORULES: o->no_rules = 1; break;
	case O_JSON: o->json_path = arg; break;
	case O_SHOWID: o->ao.show_identifiers = 1; break;
	case 'o': o->report_dir = arg; break;
	case O_EVE: o->eve_path = arg; break;
	case O_EVEALERTS:
		if (strcmp(arg, "yes") && strcmp(arg, "no"))
			die("--eve-alerts: \"%s\" is not yes or no%s", arg, "");
		o->ao.eve_no_alerts = !strcmp(arg, "no");
		break;
	case O_PDF: o->pdf = 1; break;
	case O_APP: app_arg(o, arg); break;
	case O_APPS: o->ao.apps_csv = arg; break;
	case O_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json") && strcmp(arg, "md"))
			die("--format: \"%s\" is not text, json or md%s", arg, "");
		o->format = arg;
		break;
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
	case 'i': o->iface = arg; break;
	case 'w': o->lo.write_path = arg; break;
	case 'C': {
		char *end;
		double v = strtod(arg, &end);
		if (!arg[0] || *end || !(v > 0) || v > 1e6 || v * 1e6 < 1)
			die("-C: \"%s\" is not a file size in millions of bytes (0 < MB <= 1000000)%s", arg, "");
		o->lo.max_bytes = (uint64_t)(v * 1e6);
		break;
	}
	case 'G': o->lo.every_us = (uint64_t)count_arg("-G", arg, 31536000) * 1000000u; break;
	case 'W': o->lo.count = count_arg("-W", arg, 1000000); break;
	case 'q': o->live.quiet = 1; break;
	case 'Z': o->user = arg; break;
	case O_LIST: o->list_ifaces = 1; break;
	case O_FILTER: o->lo.filter = arg; break;
	case O_NOPROMISC: o->lo.promisc = -1; break;
	case O_DURATION: {
		char *end;
		double v = strtod(arg, &end);
		if (!arg[0] || *end || !(v > 0) || v > 31536000)
			die("--duration: \"%s\" is not a number of seconds (0 < s <= 1 year)%s", arg, "");
		o->live.duration_s = v;
		break;
	}
	case O_COUNT: {
		char *end;
		unsigned long long v = strtoull(arg, &end, 10);
		if (!arg[0] || *end || v < 1 || arg[0] == '-')
			die("--count: \"%s\" is not a positive number of packets%s", arg, "");
		o->live.count = v;
		break;
	}
	case O_MAXFLOWS: {
		char *end;
		unsigned long long v = strtoull(arg, &end, 10);
		if (!arg[0] || *end || v < 1 || v > 100000000ull || arg[0] == '-')
			die("--max-flows: \"%s\" is not a number from 1 to 100000000%s", arg, "");
		o->ao.max_flows = (size_t)v;
		break;
	}
	case O_MAXREASM: o->ao.max_reassembly = count_arg("--max-reassembly", arg, 1ull << 31); break;
	case O_MAXREPORT:
		o->ao.max_report_flows = strcmp(arg, "0") ? count_arg("--max-report-flows", arg, 100000000ull) : 0;
		break;
	case O_THREADS: o->threads = count_arg("--threads", arg, 64); break;
	}
}

static void parse_args(struct options *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "read", required_argument, 0, 'r' }, { "interface", required_argument, 0, 'i' },
		{ "list-interfaces", no_argument, 0, O_LIST }, { "filter", required_argument, 0, O_FILTER },
		{ "no-promisc", no_argument, 0, O_NOPROMISC }, { "duration", required_argument, 0, O_DURATION },
		{ "count", required_argument, 0, O_COUNT }, { "quiet", no_argument, 0, 'q' }, { "identity", required_argument, 0, O_IDENTITY },
		{ "device", required_argument, 0, O_DEVICE }, { "home", required_argument, 0, O_HOME },
		{ "allow", required_argument, 0, O_ALLOW }, { "geoip", required_argument, 0, O_GEOIP },
		{ "asn-db", required_argument, 0, O_ASN }, { "no-geoip", no_argument, 0, O_NOGEO },
		{ "protos", required_argument, 0, O_PROTOS }, { "json", required_argument, 0, O_JSON },
		{ "rules", required_argument, 0, O_RULES }, { "no-rules", no_argument, 0, O_NORULES },
		{ "keylog", required_argument, 0, O_KEYLOG }, { "accept", required_argument, 0, O_ACCEPT },
		{ "max-flows", required_argument, 0, O_MAXFLOWS },
		{ "max-reassembly", required_argument, 0, O_MAXREASM },
		{ "max-report-flows", required_argument, 0, O_MAXREPORT },
		{ "threads", required_argument, 0, O_THREADS },
		{ "show-identifiers", no_argument, 0, O_SHOWID }, { "help", no_argument, 0, 'h' },
		{ "report-dir", required_argument, 0, 'o' }, { "eve", required_argument, 0, O_EVE },
		{ "eve-alerts", required_argument, 0, O_EVEALERTS }, { "app", required_argument, 0, O_APP },
		{ "apps", required_argument, 0, O_APPS },
		{ "format", required_argument, 0, O_FORMAT }, { "pdf", no_argument, 0, O_PDF },
		{ "version", no_argument, 0, 'V' }, { 0, 0, 0, 0 },
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":r:i:w:C:G:W:Z:o:qhV", longs, NULL)) != -1) {
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
	if (o->list_ifaces)
		return;
	if (o->in.n && o->iface)
		die("-r and -i exclude each other: audit a file or an interface%s%s", "", "");
	if (!o->in.n && !o->iface)
		die("no input: give a capture file with -r FILE or an interface with -i IFACE (see --help)%s%s", "", "");
	if (!o->iface && (o->lo.write_path || o->lo.filter || o->live.duration_s > 0 || o->live.count))
		die("-w, --filter, --duration and --count need a live capture (-i IFACE)%s%s", "", "");
	if ((o->lo.max_bytes || o->lo.every_us || o->lo.count) && !o->lo.write_path)
		die("-C, -G and -W rotate the -w file: give -w FILE%s%s", "", "");
	if (o->lo.count && !o->lo.max_bytes && !o->lo.every_us)
		die("-W needs -C (a ring of files) or -G (the number of files)%s%s", "", "");
	if (o->iface && o->threads > 1)
		die("--threads is for capture files (-r): a live capture is audited by one worker%s%s", "", "");
}

static void diff_usage(FILE *out)
{
	fputs("usage: phonehome diff OLD NEW [--json FILE] [-o DIR] [--fail-on-new]\n"
	      "Compares two audits of the same phone (before and after a firmware update, a setting,\n"
	      "another carrier): what leaked before and not now, what is new, what changed (encoding,\n"
	      "country, transport or port, cleartext to TLS). OLD and NEW are report.json files or\n"
	      "directories written by -o. Destinations are compared by host name, registrable domain\n"
	      "and organisation (ASN), not by address; leaks by kind, subject and destination.\n\n"
	      "      --json FILE        write the machine-readable diff to FILE ('-' for stdout)\n"
	      "  -o, --report-dir DIR   write DIR/diff.html and DIR/diff.json (created if missing)\n"
	      "      --fail-on-new      exit 1 when a new foreign leak appears\n"
	      "  -h, --help             this help\n\n"
	      "Exit status: 0 compared, 1 a new foreign leak with --fail-on-new, 2 bad option or input.\n",
	      out);
}

/* phonehome diff OLD NEW: options, the two reports, the outputs; returns the exit status. */
static int run_diff(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "json", required_argument, 0, O_JSON }, { "report-dir", required_argument, 0, 'o' },
		{ "fail-on-new", no_argument, 0, O_FAILNEW }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *json = NULL, *dir = NULL;
	int fail_on_new = 0, c;
	char err[1024];
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longs, NULL)) != -1) {
		if (c == 'h') {
			diff_usage(stdout);
			return 0;
		}
		if (c == '?')
			die("diff: unknown option '%s' (see phonehome diff --help)%s", argv[optind - 1], "");
		if (c == ':')
			die("diff: option '%s' needs a value%s", argv[optind - 1], "");
		if (c == O_JSON)
			json = optarg;
		else if (c == 'o')
			dir = optarg;
		else
			fail_on_new = 1;
	}
	if (argc - optind != 2)
		die("diff: give two reports, OLD and NEW (report.json files or -o directories)%s%s", "", "");
	if (json && report_json_check_path(json, err, sizeof err) < 0)
		die("diff: %s%s", err, "");
	if (dir && report_dir_check(dir, err, sizeof err) < 0)
		die("diff: %s%s", err, "");
	struct diff_side *old = diff_side_read(argv[optind], err, sizeof err), *new = NULL;
	if (!old || !(new = diff_side_read(argv[optind + 1], err, sizeof err)))
		die("diff: %s%s", err, "");
	struct diff *d = diff_compare(old, new);
	int rc = fail_on_new && diff_new_foreign(d) ? 1 : 0;
	signal(SIGPIPE, SIG_IGN);  /* the reader of stdout gone: one line and exit 2, as the audit does */
	if ((!json || strcmp(json, "-")) && (diff_report_text(stdout, d), fflush(stdout) != 0 || ferror(stdout))) {
		snprintf(err, sizeof err, "-: cannot write to stdout: %s", strerror(errno));
		rc = 2;
	}
	if (rc != 2 && ((json && diff_report_write_json(d, json, err, sizeof err) < 0) ||
			(dir && diff_report_write_dir(d, dir, err, sizeof err) < 0)))
		rc = 2;
	if (rc == 2)
		fprintf(stderr, "phonehome: diff: %s\n", err);
	diff_free(d);
	diff_side_free(old);
	diff_side_free(new);
	return rc;
}

/* Default databases and rules from the source tree or the installed prefix. */
/* Default databases and rules: from the source tree when run from one (its geoip/
 * and rules/), else the fetched databases in PH_GEOIPDIR, then PH_DATADIR. */
static void resolve_defaults(struct options *o)
{
	static char geo[PATH_MAX], asn[PATH_MAX], protos[PATH_MAX], rules[PATH_MAX];
	static char root[PATH_MAX], tree_geo[PATH_MAX + 8], tree_rules[PATH_MAX + 8];
	const char *geo_dirs[3] = { PH_GEOIPDIR, PH_DATADIR "/geoip", NULL };
	const char *rule_dirs[2] = { PH_DATADIR "/rules", NULL };
	int tree = find_tree(root, sizeof root);
	if (tree) {
		snprintf(tree_geo, sizeof tree_geo, "%s/geoip", root);
		snprintf(tree_rules, sizeof tree_rules, "%s/rules", root);
		geo_dirs[0] = tree_geo, geo_dirs[1] = NULL;
		rule_dirs[0] = tree_rules;
	}
	if (o->no_geoip) {
		o->ao.geoip_path = o->ao.asn_path = NULL;
	} else if (!o->ao.geoip_path && !o->ao.asn_path) {
		o->ao.geoip_path = find_data(geo_dirs, "country.mmdb", geo, sizeof geo);
		o->ao.asn_path = find_data(geo_dirs, "asn.mmdb", asn, sizeof asn);
		if (!o->ao.geoip_path)  /* not an error: the audit runs, countries unknown */
			o->geo_missing = tree ? "run 'make geoip' in the source tree" :
					 "run phonehome-geoip as root to fetch it into " PH_GEOIPDIR;
	}
	if (!o->ao.protos_path)
		o->ao.protos_path = find_data(rule_dirs, "vendors.protos", protos, sizeof protos);
	if (o->no_rules)
		o->ao.rules_path = NULL;
	else if (!o->ao.rules_path && find_data(rule_dirs, "detectors.json", rules, sizeof rules))
		*strrchr(rules, '/') = 0;  /* the directory: every rules file in it */
	if (o->ao.rules_path == NULL && !o->no_rules && rules[0])
		o->ao.rules_path = rules;
}

static void on_packet(void *arg, int dlt, uint64_t ts_us, const uint8_t *p, size_t caplen)
{
	audit_packet(arg, dlt, ts_us, p, caplen);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		g_hup = 1;
		return;
	}
	if (g_stop && sig == SIGINT) {  /* a second ^C: the user wants out now, leaving no half report */
		util_tmp_remove_all();
		_exit(130);
	}
	g_stop = sig;  /* which one, for the report's warning */
}

static void set_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;  /* no SA_RESTART: poll(2) returns on a signal */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --device narrows the live capture: "(FILTER) and (host A or ether host M ...)". */
static char *device_filter(const struct options *o)
{
	const struct policy *p = &o->ao.policy;
	if (!p->ndev)
		return o->lo.filter ? util_xstrdup(o->lo.filter) : NULL;
	size_t n = 64 + (o->lo.filter ? strlen(o->lo.filter) : 0) + p->ndev * 80;
	char *f = util_xmalloc(n);
	size_t len = (size_t)snprintf(f, n, "%s%s%s(", o->lo.filter ? "(" : "", o->lo.filter ? o->lo.filter : "",
				      o->lo.filter ? ") and " : "");
	for (size_t i = 0; i < p->ndev; i++)
		len += (size_t)snprintf(f + len, n - len, "%s%s %s", i ? " or " : "", p->dev[i].is_mac ? "ether host" : "host",
					p->dev[i].text);
	snprintf(f + len, n - len, ")");
	return f;
}

/* Like tcpdump -Z: once the capture is open, root is not needed any more. */
static void drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		die("-Z: no such user \"%s\"%s", user, "");
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		die("-Z %s: cannot drop privileges: %s", user, strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) == 0)
		die("-Z %s: root could be regained after dropping privileges%s", user, "");
}

/* Every report requested: JSON (more writers hook in here). 0 or -1 with errbuf. */
static int write_reports(const struct audit *a, const struct options *o, char *err, size_t errlen)
{
	if ((o->report_dir || o->eve_path) && report_dir_write(a, o->report_dir, o->eve_path, o->pdf, err, errlen) < 0)
		return -1;
	if (!o->json_path)
		return 0;
	return report_json_write(a, o->json_path, err, errlen);
}

/* -o, --eve, --format and --pdf checked before the long read; nothing is written on error. */
static void check_report_opts(struct options *o, int argc, char **argv)
{
	char err[1024], chromium[PATH_MAX];
	o->ao.command_line = custody_command_line(argc, argv);
	o->ao.analysis_time = custody_now();
	if (o->report_dir && report_dir_check(o->report_dir, err, sizeof err) < 0)
		die("%s%s", err, "");
	if (o->eve_path && (!strcmp(o->eve_path, "-") || report_json_check_path(o->eve_path, err, sizeof err) < 0))
		die("--eve %s%s", !strcmp(o->eve_path, "-") ? "-: stdout is not supported, give a file" : err, "");
	if (o->pdf && !o->report_dir)
		die("--pdf needs -o DIR (the PDF is printed from DIR/report.html)%s%s", "", "");
	if (o->pdf && report_dir_find_chromium(chromium, sizeof chromium, err, sizeof err) < 0)
		die("%s%s", err, "");
	if (o->format && strcmp(o->format, "text") && o->json_path && !strcmp(o->json_path, "-"))
		die("--format %s: stdout already carries the JSON report (--json -)%s", o->format, "");
	if (o->format && !strcmp(o->format, "json") && !o->json_path)
		o->json_path = "-";
}

/* What stdout carries at the end: the text summary, or Markdown (--format md). */
static int print_stdout(const struct audit *a, const struct options *o, char *err, size_t errlen)
{
	if (o->format && !strcmp(o->format, "md"))
		return report_dir_md_stdout(a, err, errlen);
	if (!o->json_path || strcmp(o->json_path, "-"))
		summary_print(stdout, a);
	return 0;
}

struct reports_job {
	const struct audit *a;
	const struct options *o;
	int rc;
	char err[1024];
};

static void *reports_thread(void *arg)
{
	struct reports_job *j = arg;
	j->rc = write_reports(j->a, j->o, j->err, sizeof j->err);
	return NULL;
}

/* The report files and stdout's summary, side by side unless stdout is the JSON report;
 * 0, or 2 when either failed (said on stderr). */
static int finish_outputs(const struct audit *a, const struct options *o)
{
	struct reports_job j = { .a = a, .o = o };
	char err[1024];
	int rc = 0;
	pthread_t th;
	int apart = !(o->json_path && !strcmp(o->json_path, "-")) && pthread_create(&th, NULL, reports_thread, &j) == 0;
	if (!apart)
		reports_thread(&j);
	if (print_stdout(a, o, err, sizeof err) < 0) {
		fprintf(stderr, "phonehome: %s\n", err);
		rc = 2;
	}
	if (apart)
		pthread_join(th, NULL);
	if (j.rc < 0) {
		fprintf(stderr, "phonehome: %s\n", j.err);
		rc = 2;
	}
	return rc;
}

/* The live input's counts and -w files as they stand. */
static void live_input_update(struct audit *a, struct report_input *in, struct capture_live *c)
{
	size_t n;
	const struct report_file *f = capture_live_files(c, &n);
	struct capture_live_stats cs;
	capture_live_stats(c, &cs);
	in->packets = a->rep->st.packets;
	in->bytes = a->rep->st.bytes;
	in->first_us = cs.first_us;  /* the report's capture times, as a file input's */
	in->last_us = cs.last_us;
	report_input_set_files(in, f, n);
}

/* SIGHUP during a live capture: the reports as they stand, and carry on. */
static void write_interim(void *arg)
{
	void **ctx = arg;
	struct audit *a = ctx[0], snap = *(struct audit *)ctx[0];
	struct report r;
	char err[1024];
	live_input_update(a, &a->rep->inputs[a->rep->ninputs - 1], ctx[2]);
	audit_snapshot(a, &r);
	snap.rep = &r;
	if (write_reports(&snap, ctx[1], err, sizeof err) < 0)
		fprintf(stderr, "phonehome: interim report: %s\n", err);
	else
		fprintf(stderr, "phonehome: interim report written\n");
	audit_snapshot_free(&r);
}

/* The hash of input i, taken beside what came after its reads; its warning shown if it has one. */
static void hash_done(struct audit *a, struct capture_hash *h, size_t i)
{
	if (h && capture_hash_finish(h, &a->rep->inputs[i]))
		fprintf(stderr, "phonehome: warning: %s\n", a->rep->inputs[i].warning);
}

static const char *stop_name(void)
{
	return g_stop == SIGINT ? "SIGINT" : "SIGTERM";
}

/* A file whose read a signal stopped: the report covers part of it, and says so. */
static void stopped_warning(struct report_input *in, const char *path)
{
	char w[PATH_MAX + 256];
	snprintf(w, sizeof w, "%s: read stopped by %s after %llu packets: the report covers only these; its SHA-256 "
		 "is of %s", path, stop_name(), (unsigned long long)in->packets,
		 util_special_file(path) ? "the bytes read (a pipe)" : "the whole file");
	in->warning = util_xstrdup(w);
}

/* The report's last warning, on stderr too: what the user should know before the run ends. */
static void warned_now(const struct audit *a)
{
	fprintf(stderr, "phonehome: warning: %s\n", a->rep->warnings[a->rep->nwarnings - 1]);
}

/* The inputs a signal left unread, named in the report and on stderr. */
static void unread_warning(struct audit *a, const struct options *o)
{
	size_t from = a->rep->ninputs, n = o->in.n - from;
	report_warn(a->rep, "stopped by %s: %zu input%s not read: %s%s", stop_name(), n,
		    n == 1 ? "" : "s", o->in.paths[from], n > 1 ? " and the ones after it" : "");
	warned_now(a);
}

/* An input that begins before one read earlier ends: named once, in the report and on stderr. */
static void order_warning(struct audit *a, const struct options *o, size_t i, size_t before, uint64_t begins,
			  uint64_t ends)
{
	char t0[40], t1[40];
	util_iso8601(begins, t0, sizeof t0);
	util_iso8601(ends, t1, sizeof t1);
	report_warn(a->rep, "inputs out of capture order: %s begins at %s, before the end of %s (%s), read "
		    "before it; flows that span them are split and leaks in them may be missed: give the files "
		    "in capture order (a -r pattern is sorted so), or merge them (mergecap -w merged.pcap ...)",
		    o->in.paths[i], t0, o->in.paths[before], t1);
	warned_now(a);
}

/* Reads the inputs; the last one's hash may still be running: *last gets it, input *last_i.
 * *last may come in with the first input's hash, started before the set-up. */
static void run_files(struct audit *a, const struct options *o, struct capture_hash **last, size_t *last_i)
{
	struct capture_hash *early = *last;
	char err[1024];
	size_t n = a->o.workers;
	struct shard_set *ss = n > 1 ? shard_start(a, n) : NULL;
	struct capture_hash *pending = NULL;  /* the previous input's */
	size_t pending_i = 0, until_i = 0;
	uint64_t until = 0;                    /* the latest packet of the inputs read so far */
	int disorder = 0;
	for (size_t i = 0; i < o->in.n && !g_stop; i++) {
		struct report_input *in = report_add_input(a->rep, o->in.paths[i]);
		struct capture_hash *h = i == 0 ? early : NULL;
		if (capture_read_file_async(o->in.paths[i], ss ? shard_dispatch : on_packet, ss ? (void *)ss : a, in,
					    &g_stop, &h, err, sizeof err) < 0)
			die("%s%s", err, "");
		if (g_stop && !in->warning)
			stopped_warning(in, o->in.paths[i]);
		if (in->warning)
			fprintf(stderr, "phonehome: warning: %s\n", in->warning);
		if (in->packets && i && in->first_us < until && !disorder++)
			order_warning(a, o, i, until_i, in->first_us, until);
		if (in->packets && in->last_us >= until)
			until = in->last_us, until_i = i;
		hash_done(a, pending, pending_i);
		pending = h;
		pending_i = a->rep->ninputs - 1;
	}
	if (g_stop && a->rep->ninputs < o->in.n)
		unread_warning(a, o);
	if (!a->rep->ninputs)  /* stopped before the first read */
		capture_hash_abandon(early);
	if (ss && shard_finish(ss, err, sizeof err) < 0)
		die("%s%s", err, "");
	*last = pending;
	*last_i = pending_i;
}

static void run_live(struct audit *a, struct options *o)
{
	char err[1024];
	char *filter = device_filter(o);
	o->lo.iface = o->iface;
	o->lo.filter = filter;
	o->lo.promisc = o->lo.promisc >= 0;
	struct capture_live *c = capture_live_open(&o->lo, err, sizeof err);
	if (!c)
		die("%s%s", err, "");
	const char *user = o->user ? o->user : geteuid() == 0 ? "nobody" : NULL;
	if (user)
		drop_privileges(user);
	if (o->json_path && report_json_check_path(o->json_path, err, sizeof err) < 0)
		die("%s%s", err, "");
	if (capture_live_write_open(c, &o->lo, err, sizeof err) < 0)  /* as the user, like tcpdump -Z */
		die("%s%s", err, user ? " (written as the user root was dropped to: see -Z)" : "");
	struct report_input *in = report_add_input(a->rep, o->iface);
	in->link_type = decode_dlt_name(capture_live_link_type(c));
	if (!o->live.quiet)  /* like tcpdump's "listening on": the capture is open from here */
		fprintf(stderr, "phonehome: capturing on %s, link type %s%s%s\n", o->iface,
			decode_dlt_name(capture_live_link_type(c)), filter ? ", filter " : "", filter ? filter : "");
	o->live.color = isatty(STDOUT_FILENO);
	o->live.status_tty = isatty(STDERR_FILENO);
	live_attach(a, &o->live);
	void *ctx[3] = { a, o, c };
	struct live_signals sig = { &g_stop, &g_hup };
	if (live_run(a, c, &o->live, sig, write_interim, ctx, err, sizeof err) < 0)
		report_warn(a->rep, "%s", err);
	if (capture_live_close(c, err, sizeof err) < 0)
		report_warn(a->rep, "%s", err);
	live_input_update(a, in, c);
	capture_live_free(c);
	free(filter);
}

/* glibc raises its mmap threshold each time a large block is freed (up to 32 MiB); blocks of
 * that size then come from the heaps, and freed they stay there. The report's end, with every
 * run of the spill read back, then peaked 10-20 MiB higher at 10 GB than at 1 GB. Fixed
 * thresholds keep the peak flat (the same speed, measured). */
static void malloc_flat(void)
{
	mallopt(M_MMAP_THRESHOLD, PH_MALLOC_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, PH_MALLOC_MMAP_THRESHOLD);
}

int main(int argc, char **argv)
{
	struct options o;
	char err[1024];
	malloc_flat();
	if (argc > 1 && !strcmp(argv[1], "diff"))  /* a program of its own: phonehome diff OLD NEW */
		return run_diff(argc - 1, argv + 1);
	memset(&o, 0, sizeof o);
	parse_args(&o, argc, argv);
	if (o.list_ifaces) {
		if (capture_list_interfaces(stdout, err, sizeof err) < 0)
			die("%s%s", err, "");
		capture_set_free(&o.in);
		return 0;
	}
	resolve_defaults(&o);
	for (size_t i = 0; i < o.in.n; i++)
		if (capture_check_file(o.in.paths[i], err, sizeof err) < 0)
			die("%s%s", err, "");
	if (o.json_path && report_json_check_path(o.json_path, err, sizeof err) < 0)
		die("%s%s", err, "");
	check_report_opts(&o, argc, argv);
	struct audit a;
	o.ao.inputs = o.in.paths;
	o.ao.ninputs = o.in.n;
	o.ao.workers = o.iface ? 1 : o.threads ? o.threads : shard_default_count();
	/* ended flows wait on disk, not in memory (their --apps row, hint and --app filter are
	 * applied as they are read back): a week's live capture lists every flow too */
	o.ao.spill = 1;
	/* HTTP requests and DNS answers are kept for the EVE and HTML outputs only: without them a
	 * flow's events would hold it and them in memory for nothing */
	o.ao.no_events = !o.report_dir && !o.eve_path;
	/* the first file's custody hash starts now: it fills the core the set-up (Hyperscan's
	 * compile, nDPI) leaves idle. With -Z the file is opened once root is dropped, as before. */
	struct capture_hash *hash = o.iface || o.user ? NULL : capture_hash_start(o.in.paths[0]);
	size_t hash_i = 0;
	if (audit_open(&a, &o.ao, err, sizeof err) < 0)
		die("%s%s", err, "");
	if (o.geo_missing)
		report_warn(a.rep, "no GeoIP database (%s, or give --geoip FILE / --no-geoip); "
			    "destinations are not geolocated", o.geo_missing);
	for (size_t i = 0; i < a.rep->nwarnings; i++)  /* identity warnings, before the long read */
		fprintf(stderr, "phonehome: warning: %s\n", a.rep->warnings[i]);
	set_signals();
	a.rep->keep_on_error = o.iface != NULL;  /* a week's capture is not lost to a full $TMPDIR */
	if (o.iface)
		run_live(&a, &o);
	else {
		if (o.user)
			drop_privileges(o.user);
		run_files(&a, &o, &hash, &hash_i);
	}
	audit_finish(&a);
	hash_done(&a, hash, hash_i);  /* the workers' ends and the findings ran beside it */
	if (report_spill_error(a.rep))  /* before any report: nothing half-written */
		die("%s%s", report_spill_error(a.rep), "");
	if (a.rep->disk_note[0]) {
		report_warn(a.rep, "%s", a.rep->disk_note);
		warned_now(&a);
	}
	if (a.unscanned_warning)  /* traffic nobody looked at: said before any report */
		fprintf(stderr, "phonehome: warning: %s\n", a.rep->warnings[a.unscanned_warning - 1]);
	int rc = finish_outputs(&a, &o);
	audit_close(&a);
	capture_set_free(&o.in);
	intern_free();  /* after the last report: its leaks point into the pool */
	return rc;
}
