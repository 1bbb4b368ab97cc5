#!/bin/sh
# Unpacks Debian's rsyslog into DIR without installing it (installing
# would start a system-wide syslog daemon), so that the deployment test
# can run the real one privately. Reuses what an earlier run unpacked.
set -eu
dir=${1:?usage: rsyslog-setup.sh DIR}
mkdir -p "$dir/debs"
cd "$dir/debs"
pkgs="rsyslog libestr0 libfastjson4 liblognorm5"
if ! ls rsyslog_*.deb >/dev/null 2>&1; then
	# apt-get download needs package lists; fetch them once if missing
	if ! apt-get download $pkgs >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download $pkgs
	fi
fi
if [ ! -x "$dir/root/usr/sbin/rsyslogd" ]; then
	mkdir -p "$dir/root"
	for f in ./*.deb; do dpkg -x "$f" "$dir/root"; done
fi
