#!/usr/bin/env bash
# install-test.sh - builds the .deb, installs it with apt, audits the sample from another
# directory before and after phonehome-geoip, then purges it. Root on Debian 12.
# PH_DEB_NO_FETCH=1 skips phonehome-geoip (it downloads from the npm registry).
set -uo pipefail
cd "$(dirname "$0")/../.."
PROJ=$(pwd)
SAMPLE=$PROJ/tests/sample/redmi1s.pcap
IDENT=/usr/share/phonehome/rules/identity-example.json
pass=0 fail=0

ok() { echo "  ok    $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL  $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "deb: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

if [ "$(id -u)" -ne 0 ]; then
	echo "deb: skipped: installing a package needs root"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive

# The IMEI leak to api.account.xiaomi.com, in CN and foreign when want=CN; found but not
# geolocated when want=none.
report_ok() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = sys.argv[2]
imei = [l for l in r["leaks"] if l["kind"] == "imei" and l["host"] == "api.account.xiaomi.com"]
if not imei:
    sys.exit("no imei leak to api.account.xiaomi.com")
if want == "CN" and not any(l["country"] == "CN" and l["foreign"] for l in imei):
    sys.exit("imei leak not to a foreign CN destination: %r" % [(l["country"], l["foreign"]) for l in imei])
if want == "none" and any(l["country"] for l in imei):
    sys.exit("a country without a database: %r" % [l["country"] for l in imei])
protos = [x["path"] for x in r["custody"]["rules"]]
if protos != ["/usr/share/phonehome/rules/vendors.protos"]:
    sys.exit("protos not from /usr/share/phonehome: %r" % protos)
PY
}

# One audit of the sample from a fresh directory; want=CN, none or any (CN if the
# databases are there, else none and a warning naming phonehome-geoip).
audit() {
	local want=$1 tmp rc
	tmp=$(mktemp -d)
	(cd "$tmp" && phonehome -r "$SAMPLE" --identity "$IDENT" --home IN --json report.json >out.txt 2>err.txt)
	rc=$?
	check "audit ($want) exits 0" [ "$rc" -eq 0 ]
	if [ "$want" = any ]; then
		if [ -f /var/lib/phonehome/country.mmdb ]; then want=CN; else want=none; fi
	fi
	if [ "$want" = none ]; then
		check "no database: one warning line names phonehome-geoip" \
			[ "$(grep -c 'no GeoIP database (run phonehome-geoip as root' "$tmp/err.txt")" -eq 1 ]
	else
		check "database present: no GeoIP warning" bash -c "! grep -q 'no GeoIP database' '$tmp/err.txt'"
	fi
	check "report: imei leak to api.account.xiaomi.com ($want)" report_ok "$tmp/report.json" "$want"
	[ "$fail" -eq 0 ] || sed 's/^/        /' "$tmp/err.txt"
	rm -rf "$tmp"
}

echo "deb: make deb"
if make deb; then ok "make deb"; else bad "make deb"; finish; fi
debs=(build/deb/phonehome_*.deb)
check "one package in build/deb" [ "${#debs[@]}" -eq 1 ]
lint=$(lintian --fail-on error "${debs[0]}" 2>&1); rc=$?
check "lintian: no error${lint:+ ($(echo "$lint" | head -n 3 | tr '\n' ' '))}" [ "$rc" -eq 0 ]
if apt-get install -y -q "./${debs[0]}"; then ok "apt-get install ./${debs[0]}"; else bad "apt-get install"; finish; fi
check "installed: /usr/bin/phonehome, phonehome-geoip" [ -x /usr/bin/phonehome -a -x /usr/bin/phonehome-geoip ]
check "installed: rules in /usr/share/phonehome/rules" [ -f /usr/share/phonehome/rules/detectors.json ]

audit any
v=$(cd / && phonehome --version)
check "phonehome --version: $v" [ "$v" = "phonehome $(sed -n 's/^#define PH_VERSION "\(.*\)"/\1/p' src/config.h)" ]
if command -v man >/dev/null && ! grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
	check "man -w phonehome" [ "$(man -w phonehome)" = /usr/share/man/man1/phonehome.1.gz ]
else
	echo "  skip  man -w phonehome (no man, or man pages excluded by dpkg)"
fi

if [ ! -f /var/lib/phonehome/country.mmdb ]; then
	err=$(runuser -u nobody -- phonehome-geoip 2>&1 >/dev/null)
	check "phonehome-geoip as nobody: one line asking for root" \
		[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 -a "$(printf '%s\n' "$err" | grep -c 'run it as root')" -eq 1 ]
fi
if [ "${PH_DEB_NO_FETCH:-}" = 1 ]; then
	echo "  skip  phonehome-geoip (PH_DEB_NO_FETCH=1)"
else
	check "phonehome-geoip (fetches from the npm registry)" phonehome-geoip
	check "databases in /var/lib/phonehome" [ -f /var/lib/phonehome/country.mmdb -a -f /var/lib/phonehome/asn.mmdb ]
	audit CN
fi

check "apt-get purge -y phonehome" apt-get purge -y -q phonehome
check "purged: /usr/bin/phonehome gone" [ ! -e /usr/bin/phonehome ]
check "purged: /usr/share/phonehome and /var/lib/phonehome gone" [ ! -e /usr/share/phonehome -a ! -e /var/lib/phonehome ]
finish
