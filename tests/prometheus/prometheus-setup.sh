#!/bin/sh
# Unpacks Debian's Prometheus (prometheus and promtool) into DIR without
# installing it: installing would start a Prometheus service on the
# machine. Reuses what an earlier run unpacked.
set -eu
dir=${1:?usage: prometheus-setup.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/debs"
cd "$dir/debs"
if ! ls prometheus_*.deb >/dev/null 2>&1; then
	# apt-get download needs package lists; fetch them once if missing
	if ! apt-get download prometheus >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download prometheus
	fi
fi
if [ ! -x "$dir/root/usr/bin/promtool" ]; then
	mkdir -p "$dir/root"
	dpkg -x prometheus_*.deb "$dir/root"
fi
