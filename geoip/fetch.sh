#!/usr/bin/env bash
# fetch.sh - fetches phonehome's default geolocation databases from the npm registry.
# Usage: bash geoip/fetch.sh DIR  -> DIR/country.mmdb, DIR/asn.mmdb, DIR/SOURCES.txt
set -euo pipefail

DIR=${1:-geoip}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COUNTRY_PKG=@ip-location-db/geo-whois-asn-country-mmdb
ASN_PKG=@ip-location-db/asn

die() { echo "geoip: $*" >&2; exit 1; }

# A database is usable when mmdblookup opens it and finds 8.8.8.8 with the given key.
usable() { mmdblookup --file "$1" --ip 8.8.8.8 "${@:2}" >/dev/null 2>&1; }

command -v mmdblookup >/dev/null || die "mmdblookup not found (apt-get install mmdb-bin; in the source tree \`make deps\`)"
mkdir -p "$DIR"
if [ -f "$DIR/country.mmdb" ] && [ -f "$DIR/asn.mmdb" ] && usable "$DIR/country.mmdb" && usable "$DIR/asn.mmdb"; then
	echo "geoip: $DIR/country.mmdb and $DIR/asn.mmdb present and readable; nothing to do"
	exit 0
fi

command -v npm >/dev/null || die "npm not found (apt-get install npm; in the source tree \`make deps\`)"
command -v node >/dev/null || die "node not found (apt-get install npm; in the source tree \`make deps\`)"
command -v sha256sum >/dev/null || die "sha256sum not found"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null \
	|| die "perl module MaxMind::DB::Writer::Tree not found (apt-get install libmaxmind-db-writer-perl; in the source tree \`make deps\`)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/phonehome-geoip.XXXXXX")
cleanup() { rm -rf "$TMP" "$DIR/.country.mmdb.$$" "$DIR/.asn.mmdb.$$" "$DIR/.SOURCES.txt.$$"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# npm pack PKG into TMP/NAME and unpack it there; prints nothing, fails loudly.
fetch_pkg() {
	local pkg=$1 name=$2 tgz
	mkdir -p "$TMP/$name"
	tgz=$(cd "$TMP/$name" && npm pack --silent --ignore-scripts "$pkg" 2>"$TMP/$name.err" | tail -n 1) \
		|| die "npm pack $pkg failed: $(head -n 1 "$TMP/$name.err")"
	[ -f "$TMP/$name/$tgz" ] || die "npm pack $pkg produced no tarball"
	mv "$TMP/$name/$tgz" "$TMP/$name.tgz"
	tar -xzf "$TMP/$name.tgz" -C "$TMP/$name" || die "cannot unpack $pkg"
}

pkg_field() { node -p "require(process.argv[1]).$2" "$TMP/$1/package/package.json"; }

t0=$(now)
echo "geoip: downloading $COUNTRY_PKG and $ASN_PKG with npm"
fetch_pkg "$COUNTRY_PKG" country
fetch_pkg "$ASN_PKG" asn
t1=$(now)
echo "geoip: download took $(elapsed "$t0" "$t1") s"

src=$TMP/country/package/geo-whois-asn-country.mmdb
[ -f "$src" ] || die "$COUNTRY_PKG has no geo-whois-asn-country.mmdb"
cp "$src" "$DIR/.country.mmdb.$$"
usable "$DIR/.country.mmdb.$$" country_code || die "$COUNTRY_PKG: geo-whois-asn-country.mmdb does not resolve 8.8.8.8"

for f in asn-ipv4.csv asn-ipv6.csv; do
	[ -f "$TMP/asn/package/$f" ] || die "$ASN_PKG has no $f"
done
echo "geoip: building asn.mmdb from $(cat "$TMP"/asn/package/asn-ipv[46].csv | wc -l) ranges"
perl "$HERE/build-asn.pl" "$DIR/.asn.mmdb.$$" "$TMP/asn/package/asn-ipv4.csv" "$TMP/asn/package/asn-ipv6.csv" \
	|| die "building asn.mmdb failed"
usable "$DIR/.asn.mmdb.$$" autonomous_system_number || die "built asn.mmdb does not resolve 8.8.8.8"
t2=$(now)
echo "geoip: ASN build took $(elapsed "$t1" "$t2") s"

# What was fetched, from where, and under which terms.
sources() {
	local cv av
	cv=$(pkg_field country version)
	av=$(pkg_field asn version)
	cat <<EOF
phonehome default geolocation databases, fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) by geoip/fetch.sh

country.mmdb
  source:  npm $COUNTRY_PKG@$cv, file geo-whois-asn-country.mmdb (unmodified)
  tarball: sha256 $(sha256sum "$TMP/country.tgz" | cut -d' ' -f1)
  file:    sha256 $(sha256sum "$DIR/.country.mmdb.$$" | cut -d' ' -f1)
  licence: package.json says "$(pkg_field country license)"; its README and NRO_LICENSE say the
           data (GeoFeed + RIR whois + ASN, by sapics/ip-location-db) is CC BY 4.0 by the
           Number Resource Organization: give attribution to nro.net.
  NRO_LICENSE:
$(awk '{ print "    " $0 }' "$TMP/country/package/NRO_LICENSE")

asn.mmdb
  source:  npm $ASN_PKG@$av, files asn-ipv4.csv and asn-ipv6.csv, converted to a
           GeoLite2-ASN-layout MaxMind DB by geoip/build-asn.pl
  tarball: sha256 $(sha256sum "$TMP/asn.tgz" | cut -d' ' -f1)
  file:    sha256 $(sha256sum "$DIR/.asn.mmdb.$$" | cut -d' ' -f1)
  licence: package.json says "$(pkg_field asn license)";
           CC BY 4.0 data of RouteViews,
           the NRO (5 RIRs) and DB-IP: attribution to routeviews.org, nro.net and db-ip.com
           is required (DB-IP asks web applications for a link back to db-ip.com).
EOF
	for f in ROUTEVIEWS-LICENSE NRO_LICENSE DBIP-LICENSE MODIFICATIONS; do
		[ -f "$TMP/asn/package/$f" ] || continue
		echo "  $f:"
		awk '{ print "    " $0 }' "$TMP/asn/package/$f"
		echo
	done
}
sources >"$DIR/.SOURCES.txt.$$"

mv -f "$DIR/.country.mmdb.$$" "$DIR/country.mmdb"
mv -f "$DIR/.asn.mmdb.$$" "$DIR/asn.mmdb"
mv -f "$DIR/.SOURCES.txt.$$" "$DIR/SOURCES.txt"
echo "geoip: wrote $DIR/country.mmdb, $DIR/asn.mmdb and $DIR/SOURCES.txt (total $(elapsed "$t0" "$(now)") s)"
