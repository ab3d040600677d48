#!/usr/bin/env bash
# mkdeb.sh - packs a phonehome built for /usr into build/deb/phonehome_VERSION-REV_ARCH.deb.
# Usage: bash .ci/mkdeb.sh BINARY OUTDIR   (run from the project directory; `make deb` does it)
set -euo pipefail

BIN=$1
OUT=$2
REV=${DEB_REVISION:-1}
die() { echo "mkdeb: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "$BIN is not an executable"
for t in dpkg-deb dpkg-shlibdeps dpkg-architecture strip gzip; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install dpkg-dev binutils)"
done
VERSION=$("$BIN" --version | awk '{ print $2; exit }')
[ -n "$VERSION" ] || die "$BIN --version printed no version"
strings -a "$BIN" | grep "^/usr/share/phonehome/" >/dev/null || die "$BIN was not built with PREFIX=/usr"
ARCH=$(dpkg --print-architecture)
FULL=$VERSION-$REV
DEB=$OUT/phonehome_${FULL}_$ARCH.deb

# Who and when: the first commit's author, the last commit's date (reproducible), unless
# DEBFULLNAME/DEBEMAIL or SOURCE_DATE_EPOCH say otherwise.
if [ -n "${DEBFULLNAME:-}" ] && [ -n "${DEBEMAIL:-}" ]; then
	MAINT="$DEBFULLNAME <$DEBEMAIL>"
else
	MAINT=$(git log --reverse --format='%an <%ae>' 2>/dev/null | head -n 1 || true)
	[ -n "$MAINT" ] || MAINT="phonehome maintainers <root@localhost>"
fi
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$EPOCH
DATE=$(date -u -R -d "@$EPOCH")
YEAR=$(date -u +%Y -d "@$EPOCH")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

ROOT=$OUT/root
rm -rf "$ROOT" "$OUT/shlibs" "$OUT"/phonehome_*.deb
umask 022
D=$ROOT/usr/share/doc/phonehome
install -d "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/usr/share/man/man1" "$ROOT/usr/share/phonehome/rules" \
	"$ROOT/usr/share/phonehome/geoip" "$D"

# Files: the stripped binary, the fetch command and its scripts, the rules, man pages, docs.
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$ROOT/usr/bin/phonehome" "$BIN"
chmod 755 "$ROOT/usr/bin/phonehome"
install -m 755 geoip/phonehome-geoip "$ROOT/usr/bin/phonehome-geoip"
install -m 755 geoip/fetch.sh "$ROOT/usr/share/phonehome/geoip/fetch.sh"
install -m 755 geoip/build-asn.pl "$ROOT/usr/share/phonehome/geoip/build-asn.pl"
install -m 644 rules/*.json rules/*.protos "$ROOT/usr/share/phonehome/rules/"
for m in phonehome.1 geoip/phonehome-geoip.1; do
	gzip -9n <"$m" >"$ROOT/usr/share/man/man1/$(basename "$m").gz"
done
gzip -9n <README.md >"$D/README.md.gz"
install -m 644 rules/README.md "$D/README.rules.md"
gzip -9n <geoip/README.md >"$D/README.geoip.md.gz"

# This package is built for labs, not uploaded to Debian: there is no ITP bug to close.
install -d "$ROOT/usr/share/lintian/overrides"
echo "phonehome: initial-upload-closes-no-bugs" >"$ROOT/usr/share/lintian/overrides/phonehome"

# No licence is stated in the source tree: the copyright file says so.
cat >"$D/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: phonehome
Upstream-Contact: $MAINT
Comment: The GeoIP databases are not in this package. phonehome-geoip fetches them
 into /var/lib/phonehome from the npm packages @ip-location-db/geo-whois-asn-country-mmdb
 and @ip-location-db/asn; their data is CC BY 4.0 (NRO, RouteViews, DB-IP), with
 the licence texts in /var/lib/phonehome/SOURCES.txt.

Files: *
Copyright: $YEAR phonehome maintainers
License: proprietary

License: proprietary
 All rights reserved. The phonehome source tree states no licence; no right to
 copy, modify or redistribute this software is granted beyond what the copyright
 holders grant in writing.
EOT

cat <<EOT | gzip -9n >"$D/changelog.Debian.gz"
phonehome ($FULL) unstable; urgency=medium

  * Built by \`make deb\` from commit $COMMIT of phonehome $VERSION.

 -- $MAINT  $DATE
EOT

# Purging removes the databases phonehome-geoip fetched (files no package owns).
cat >"$ROOT/DEBIAN/postrm" <<'EOT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	rm -rf /var/lib/phonehome
fi
EOT
chmod 755 "$ROOT/DEBIAN/postrm"

# Depends from the libraries the binary links, through a throw-away debian/control.
mkdir -p "$OUT/shlibs/debian"
printf 'Source: phonehome\n\nPackage: phonehome\nArchitecture: any\n' >"$OUT/shlibs/debian/control"
ABS_BIN=$(cd "$ROOT/usr/bin" && pwd)/phonehome
DEPENDS=$(cd "$OUT/shlibs" && dpkg-shlibdeps -O -e"$ABS_BIN" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || die "dpkg-shlibdeps found no dependencies"
rm -rf "$OUT/shlibs"

SIZE=$(du -k -s --apparent-size "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<EOT
Package: phonehome
Version: $FULL
Architecture: $ARCH
Maintainer: $MAINT
Installed-Size: $SIZE
Depends: $DEPENDS
Recommends: mmdb-bin, libmaxmind-db-writer-perl, npm
Suggests: chromium
Section: net
Priority: optional
Description: privacy traffic auditor: what a phone sends, to whom, where
 phonehome reads pcap and pcapng captures (or captures live), follows every
 TCP and UDP flow, classifies it with nDPI, names and geolocates its server,
 and finds the phone's identifiers (IMEI, IMSI, phone numbers, MAC, e-mail,
 advertising ID) in what the phone sends, as they are, encoded or hashed,
 after TCP reassembly, HTTP parsing and decompression. It reports the leaks,
 those to servers outside the auditor's country first, as JSON, HTML,
 Markdown, Suricata EVE and an evidence capture.
 .
 phonehome-geoip fetches the free GeoIP databases it uses by default into
 /var/lib/phonehome (it needs npm, mmdb-bin and libmaxmind-db-writer-perl);
 without them the audit runs but destinations are not geolocated.
EOT

(cd "$ROOT" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
	>"$ROOT/DEBIAN/md5sums"
chmod 644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"
find "$ROOT" -newermt "@$EPOCH" -print0 | xargs -0 touch --no-dereference --date="@$EPOCH"

dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "deb: $DEB ($(du -k "$DEB" | cut -f1) KiB; Depends: $DEPENDS)"
