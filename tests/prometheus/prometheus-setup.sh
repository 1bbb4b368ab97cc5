#!/bin/sh
# Unpacks Debian's Prometheus (prometheus and promtool) into DIR without
# installing it: installing would start a Prometheus service on the
# machine. Debian 12's prometheus package has promtool in it; Debian 13
# ships promtool as a package of its own. Reuses what an earlier run
# unpacked.
set -eu
dir=${1:?usage: prometheus-setup.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/debs"
cd "$dir/debs"
download() {
	# apt-get download needs package lists; fetch them once if missing
	if ! apt-get download "$1" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download "$1"
	fi
}
ls prometheus_*.deb >/dev/null 2>&1 || download prometheus
if [ ! -x "$dir/root/usr/bin/prometheus" ]; then
	mkdir -p "$dir/root"
	dpkg -x prometheus_*.deb "$dir/root"
fi
if [ ! -x "$dir/root/usr/bin/promtool" ]; then
	ls promtool_*.deb >/dev/null 2>&1 || download promtool
	dpkg -x promtool_*.deb "$dir/root"
fi
test -x "$dir/root/usr/bin/promtool" || { echo "prometheus-setup: no promtool in $dir" >&2; exit 1; }
