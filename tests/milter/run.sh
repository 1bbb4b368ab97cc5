#!/bin/sh
# Runs every tests/milter/*.lua against a freshly started daemon: one
# daemon per script, on a private unix socket, with the script's own
# config (NAME.conf, or default.conf) and environment (NAME.env, if
# any). The daemon is stopped by its pid, and its log must hold no
# sanitizer report.
set -u
daemon=${1:?usage: run.sh DAEMON [SCRIPT...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
daemon=$(cd "$(dirname "$daemon")" && pwd)/$(basename "$daemon")
scripts=${*:-$(ls "$here"/*.lua "$here"/*.py | grep -vE '/(lib|wrapper)\.lua$|/rawmilter\.py$')}
work=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-milter-test.XXXXXX")
pass=0
fail=0
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

for script in $scripts; do
	name=$(basename "$script"); name=${name%.*}
	dir="$work/$name"
	mkdir -p "$dir"
	conf="$here/$name.conf"
	[ -f "$conf" ] || conf="$here/default.conf"
	# @DIR@ in a config: this script's own directory (a policy socket)
	sed "s|@DIR@|$dir|g" "$conf" >"$dir/test.conf"
	conf="$dir/test.conf"
	sock="$dir/sock"
	# NAME.env: environment for this script's daemon (test knobs)
	envs=
	[ -f "$here/$name.env" ] && envs=$(cat "$here/$name.env")
	env $envs ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$daemon" -f -l debug -c "$conf" -p "unix:$sock" 2>"$dir/log" &
	pid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	ok=1
	if [ "${script##*.}" = py ]; then
		"${PYTHON:-python3}" "$script" "$sock" "$dir/log" "$conf" "$pid" >"$dir/out" 2>&1 || ok=0
	elif ! miltertest -s "$here/wrapper.lua" -D "script=$script" -D "socket=unix:$sock" -D "log=$dir/log" \
		-D "lib=$here/lib.lua" -D "daemon=$daemon" -D "pid=$pid" \
		-D "dir=$dir" -D "conf=$conf" >"$dir/out" 2>&1; then
		ok=0
	fi
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid"
		status=$?
	else
		wait "$pid"
		status=$?
		echo "daemon exited during the test (status $status)" >>"$dir/out"
		ok=0
	fi
	pid=
	if [ "$status" -ne 0 ]; then
		echo "daemon exit status $status" >>"$dir/out"
		ok=0
	fi
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$dir/log"; then
		echo "sanitizer report in the daemon log" >>"$dir/out"
		ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS: $name"
		# what a script measured, shown on success too
		grep '^figure: ' "$dir/out" | sed 's/^/    /'
	else
		fail=$((fail + 1))
		echo "FAIL: $name"
		sed 's/^/    /' "$dir/out"
		echo "    --- daemon log"
		tail -n 40 "$dir/log" | sed 's/^/    /'
	fi
done
echo "milter: $pass passed, $fail failed"
[ $fail -eq 0 ]
