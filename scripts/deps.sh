#!/bin/sh
# Checks that the Debian packages roamtrust needs are installed and installs
# only the missing ones with apt-get (as root). Usage: deps.sh build|fuzz
set -eu

build_pkgs="gcc make libc6-dev openssl ca-certificates libssl-dev libxml2-dev
libxml2-utils libcurl4-openssl-dev libcmocka-dev libsqlite3-dev sqlite3
libinih-dev libnng-dev libmicrohttpd-dev kamailio kamailio-utils-modules
sip-tester procps"
fuzz_pkgs="clang libclang-rt-14-dev"

case "${1:-build}" in
build) want=$build_pkgs ;;
fuzz) want="$build_pkgs $fuzz_pkgs" ;;
*) echo "usage: $0 build|fuzz" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
