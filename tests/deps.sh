#!/usr/bin/env bash
# Installs the Debian packages phonehome needs; does nothing when all are present.
set -eu
missing=()
for p in "$@"; do
	# npm may come with a Node.js that is not Debian's (e.g. nodesource's, which bundles
	# it); Debian's npm package would conflict with it, so a working npm command is enough
	[ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "deps: all present"; exit 0; }
echo "deps: installing ${missing[*]}"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
