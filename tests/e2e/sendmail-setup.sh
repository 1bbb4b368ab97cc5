#!/bin/sh
# Unpacks a real Sendmail 8.17 from Debian's packages into DIR without
# installing it (its package conflicts with Postfix's), with the LD_PRELOAD
# shim that keeps it off DNS. Reuses what an earlier run unpacked.
set -eu
dir=${1:?usage: sendmail-setup.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/debs"
cd "$dir/debs"
pkgs="sendmail-bin sendmail-cf sendmail-base m4 libwrap0"
if ! ls sendmail-bin_*.deb >/dev/null 2>&1; then
	# apt-get download needs package lists; fetch them once if missing
	if ! apt-get download $pkgs >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download $pkgs
	fi
fi
if [ ! -x "$dir/bin/sendmail" ]; then
	mkdir -p "$dir/root" "$dir/bin"
	for f in ./*.deb; do dpkg -x "$f" "$dir/root"; done
	# a plain copy drops the setgid bit, so the loader honours
	# LD_LIBRARY_PATH (libwrap0 is unpacked, not installed)
	cp "$dir/root/usr/libexec/sendmail/sendmail" "$dir/bin/sendmail"
	chmod 755 "$dir/bin/sendmail"
fi
if [ ! -f "$dir/fakehost.so" ] || [ "$here/fakehost.c" -nt "$dir/fakehost.so" ]; then
	cc -shared -fPIC -O2 -o "$dir/fakehost.so" "$here/fakehost.c" -ldl
fi
