#!/bin/sh
# The Debian packages the build and each test suite need, in one place.
#
#   contrib/deps.sh GROUP...        install what is missing (as root), or
#                                   print the apt-get line and exit 1
#   contrib/deps.sh --list GROUP... print the packages, one line
#
# make deps runs "build"; each test target of tests/tests.mk runs its own
# group (make unit: "unit"), so a suite runs alone without the packages
# of the others; make check runs "check", every group. Each group brings
# the build's packages too. The same names exist on Debian 12 and 13.
set -eu

group() {
	case $1 in
	build)	echo gcc make pkg-config libc6-dev libmilter-dev libglib2.0-dev \
		     libjson-glib-dev libmicrohttpd-dev libcurl4-openssl-dev \
		     libyaml-dev libgnutls28-dev libcrypt-dev ;;
	unit)	echo check ;;
	tsan)	echo libtsan2 ;;
	fuzz)	echo clang libclang-rt-dev ;;
	milter)	echo miltertest python3 ;;
	docs|cli) echo python3 ;;
	install) echo groff-base man-db ;;
	stats)	echo python3 python3-prometheus-client ;;
	page)	echo python3 chromium tidy ;;
	prometheus) echo python3 python3-prometheus-client curl openssl ;;
	deb)	echo dpkg-dev lintian ;;
	# sasl: the end-to-end Postfix offers AUTH (Cyrus SASL, sasldb);
	# nft checks the shared filter host's sample firewall (tcp.py)
	e2e)	echo python3 postfix openssl libsasl2-modules sasl2-bin nftables ;;
	# users, namespaces, the loopback interface; the shared filter
	# host's sample firewall (checked with nft -c); /bin/kill, which the
	# unit's ExecReload runs (a standard system has it, minbase not)
	deploy)	echo python3 postfix adduser util-linux iproute2 nftables procps \
		     openssl ;;
	bench)	echo python3 postfix ;;
	mutants) echo check miltertest python3 python3-prometheus-client \
		     chromium tidy curl openssl ;;
	# make check-other-release: the other release's root
	release) echo mmdebstrap util-linux ;;
	check)	for g in unit tsan fuzz milter docs install stats page \
		     prometheus deb e2e deploy; do group "$g"; done ;;
	*)	echo "deps.sh: no group $1" >&2; exit 64 ;;
	esac
}

list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
[ $# -gt 0 ] || { echo "usage: contrib/deps.sh [--list] GROUP..." >&2; exit 64; }

want=$(group build)
for g in "$@"; do
	[ "$g" = build ] && continue
	want="$want $(group "$g")"
done
want=$(printf '%s\n' $want | awk '!seen[$0]++' | tr '\n' ' ')
if [ $list = 1 ]; then echo $want; exit 0; fi

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
		|| missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages; as root run:"
	echo "  apt-get install$missing"
	exit 1
fi
case " $missing " in
# no system instance is set up or started: the tests run private ones
*" postfix "*) echo "postfix postfix/main_mailer_type select No configuration" \
	| debconf-set-selections ;;
esac
echo "installing:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	$missing >/dev/null
