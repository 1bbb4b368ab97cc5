#!/bin/sh
# make check-other-release: the README's test command in a fresh minimal
# root of the other supported Debian release (Debian 12 "bookworm" on a
# Debian 13 machine, Debian 13 "trixie" on a Debian 12 one), so that
# every submission is proven on both.
#
# The root is built with mmdebstrap (minbase) from the Debian archive this
# machine's apt already uses; the base tarball and the packages apt
# downloads are kept between runs under RELEASE_CACHE, but each run
# starts from the pristine base, so what make check installs it installs
# itself. The root is made a mount point of its own, with /proc, /sys,
# /dev, /run and /tmp, in a private mount and PID namespace: every mount
# and every process of the run ends with it. The clone's tracked files
# (and untracked ones git does not ignore) are copied to /src inside.
#
# usage: tests/release/other-release.sh TOP   (as root)
# OTHER_RELEASE=trixie|bookworm overrides the choice; RELEASE_KEEP=1
# leaves the root in place afterwards for a look inside.
set -eu

TOP=$(cd "${1:-.}" && pwd)
CACHE=${RELEASE_CACHE:-/var/cache/esmtp-milter/releases}
MAX_AGE_DAYS=7

if [ "$(id -u)" != 0 ]; then
	echo "check-other-release needs root: it builds a root and chroots into it" >&2
	exit 1
fi
here=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case "${OTHER_RELEASE:-$here}" in
bookworm) other=trixie ;;
trixie) other=bookworm ;;
*) echo "check-other-release: runs on Debian 12 or 13, not '$here'" >&2; exit 1 ;;
esac
[ -n "${OTHER_RELEASE:-}" ] && other=$OTHER_RELEASE

# The archive this machine installs from, from its own apt sources
# (deb822 or one-line), for the release's suite and its security suite.
apt_uri() {	# $1: a suite of this machine's release, e.g. bookworm
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null
		echo
	} | awk -v suite="$1" '
		/^URIs:/ { uri = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = uri }
		/^$/ { uri = "" }
		END { if (found != "") print found }'
	grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
		| awk -v suite="$1" '{ for (i = 2; i < NF; i++) if ($i ~ /^(https?|file):/ && $(i+1) == suite) print $i }'
}
mirror=$(apt_uri "$here" | head -n 1)
security=$(apt_uri "$here-security" | head -n 1)
if [ -z "$mirror" ]; then
	echo "check-other-release: no Debian archive for '$here' in this machine's apt sources" >&2
	exit 1
fi

"$TOP/contrib/deps.sh" release

mkdir -p "$CACHE/$other-archives/partial"
base=$CACHE/$other-minbase.tar
if [ -f "$base" ] && [ -z "$(find "$base" -mtime +$MAX_AGE_DAYS)" ]; then
	echo "check-other-release: the $other base root kept from an earlier run ($base)"
else
	echo "check-other-release: building a minimal $other root from $mirror"
	set -- "deb $mirror $other main" "deb $mirror $other-updates main"
	[ -n "$security" ] && set -- "$@" "deb $security $other-security main"
	# the name's ending tells mmdebstrap to write a tarball
	rm -rf "$base" "$CACHE/$other-minbase.new.tar"
	mmdebstrap --quiet --variant=minbase --mode=root "$other" \
		"$CACHE/$other-minbase.new.tar" "$@"
	mv "$CACHE/$other-minbase.new.tar" "$base"
fi

root=$CACHE/$other-root
rm -rf "$root"
mkdir -p "$root"
tar -xf "$base" -C "$root"
mkdir -p "$root/src"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard \
	| xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
	| tar --null -T - -cf -) | tar -xf - -C "$root/src"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# Inside: a new user of that release, as root, with nothing but make
# installed first, runs the README's command (or RELEASE_TARGETS, such as
# "unit page-tests": one suite alone, with only its own packages).
targets=${RELEASE_TARGETS:-check}
case $targets in
*[!a-z0-9\ -]*) echo "check-other-release: RELEASE_TARGETS: make targets only" >&2; exit 64 ;;
esac
echo "check-other-release: make $targets in $other ($(cat "$root/etc/debian_version"))"
status=0
unshare --mount --pid --fork --propagation private sh -eu -c '
	r=$1 archives=$2 targets=$3
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys"
	mount --rbind /dev "$r/dev" && mount --make-rslave "$r/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
	mount -t tmpfs -o mode=755 tmpfs "$r/run"
	mount --bind "$archives" "$r/var/cache/apt/archives"
	exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" sh -eu -c "
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null
		cd /src && make $targets"
' sh "$root" "$CACHE/$other-archives" "$targets" || status=$?

[ -n "${RELEASE_KEEP:-}" ] || rm -rf "$root"
if [ "$status" != 0 ]; then
	echo "check-other-release: make $targets failed in $other (exit $status)"
	exit "$status"
fi
echo "check-other-release: make $targets passed in $other"
