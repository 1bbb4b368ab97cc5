#!/bin/sh
# Command line and daemon behaviour: options, exit codes (sysexits.h),
# config checking, the socket (stale, busy, mode, owner), the pid file,
# privileges and signals. Every daemon started here is stopped by its pid.
set -u
daemon=$(cd "$(dirname "${1:?usage: cli.sh DAEMON}")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-milter-cli.XXXXXX")
chmod 755 "$work"
pass=0
fail=0
pids=

cleanup() {
	[ -s "$work/bg.pid" ] && pids="$pids $(cat "$work/bg.pid")"
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -f "$work/err" ] && sed 's/^/    /' "$work/err"; }

# expect NAME STATUS COMMAND...: the exit status must be STATUS
expect() {
	name=$1 want=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else echo "    exit $got, want $want"; bad "$name"; fi
}

# grep_out NAME PATTERN FILE
grep_in() {
	if grep -q -- "$2" "$3"; then ok "$1"; else echo "    no '$2' in $3:"; sed 's/^/    /' "$3"; bad "$1"; fi
}

wait_socket() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}

# stop PID: SIGTERM, then the exit status must be 0
stop() {
	kill "$1"
	wait "$1"
	status=$?
	pids=$(echo "$pids" | sed "s/\b$1\b//")
	return $status
}

printf '[milter]\ntrusted_networks =\n[stats]\nlisten =\n' >"$work/good.conf"
printf '[milter]\nbogus = 1\n[size]\nmax = x\n' >"$work/bad.conf"

expect "-V exits 0" 0 "$daemon" -V
grep_in "-V prints the version" "esmtp-milter [0-9]" "$work/out"
expect "-h exits 0" 0 "$daemon" -h
grep_in "-h prints usage" "usage: esmtp-milter" "$work/out"
expect "unknown option is EX_USAGE" 64 "$daemon" -x
expect "missing option value is EX_USAGE" 64 "$daemon" -c
expect "stray argument is EX_USAGE" 64 "$daemon" stray
expect "bad -l is EX_USAGE" 64 "$daemon" -l loud
expect "-n on a good file exits 0" 0 "$daemon" -n -c "$work/good.conf"
expect "-n on a bad file exits 78" 78 "$daemon" -n -c "$work/bad.conf"
grep_in "-n names file and line" "bad.conf:2: unknown key \"bogus\" in \[milter\]" "$work/err"
grep_in "-n reports every problem" "bad.conf:4: max" "$work/err"
expect "-n on a missing named file exits 78" 78 "$daemon" -n -c "$work/none.conf"
expect "a missing named file stops the daemon" 78 "$daemon" -f -c "$work/none.conf" -p "unix:$work/x.sock"
grep_in "the missing file is named" "none.conf" "$work/err"
expect "a bad file stops the daemon" 78 "$daemon" -f -c "$work/bad.conf" -p "unix:$work/x.sock"

# the soft open files limit is raised to the hard one, and that is logged
if [ "$(ulimit -H -n)" != unlimited ] && [ "$(ulimit -H -n)" -gt 512 ]; then
	(ulimit -S -n 512; exec "$daemon" -f -c "$work/good.conf" -p "unix:$work/nofile.sock") 2>"$work/log7" &
	p7=$!
	pids="$pids $p7"
	wait_socket "$work/nofile.sock"
	soft=$(awk '/^Max open files/ {print $4}' /proc/$p7/limits)
	if [ "$soft" = "$(ulimit -H -n)" ]; then ok "the open files limit is raised to the hard limit"; else echo "    soft $soft"; bad "the open files limit is raised to the hard limit"; fi
	grep_in "the raise is logged" "open files limit raised from 512 to " "$work/log7"
	stop "$p7"
else
	echo "SKIP: the hard open files limit leaves nothing to raise"
fi

# -T: the effective config (a config file itself) and the rule table
printf '[milter]\ntrusted_networks = 192.0.2.0/24\ndry_run = true\n[size]\nmax = 5\n[size_limits]\nto:lists.example.net = 7\n[actions]\nsize_overrun = tag\n[stats]\nlisten =\n' >"$work/t.conf"
expect "-T exits 0" 0 "$daemon" -T -c "$work/t.conf"
cp "$work/out" "$work/effective.conf"
grep_in "-T shows a changed key" "^max = 5\$" "$work/effective.conf"
grep_in "-T shows a default" "^overrun_bytes = 4096\$" "$work/effective.conf"
grep_in "-T shows networks" "^trusted_networks = 192.0.2.0/24\$" "$work/effective.conf"
grep_in "-T shows size limits" "^to:lists.example.net = 7\$" "$work/effective.conf"
grep_in "-T shows every action" "^utf8_undeclared = log\$" "$work/effective.conf"
grep_in "-T shows the rule table with the action in force" "^# size_overrun  *eom  *log (dry_run)  *552 5.3.4  *452 4.3.1\$" "$work/effective.conf"
grep_in "-T shows a rule that stays ignored in a dry run" "^# param_private  *mail,rcpt  *ignore " "$work/effective.conf"
expect "-T output is a valid config" 0 "$daemon" -n -c "$work/effective.conf"
"$daemon" -T -c "$work/effective.conf" >"$work/effective2.conf" 2>"$work/err"
if diff "$work/effective.conf" "$work/effective2.conf" | grep -v "^[<>] # esmtp-milter" | grep -q "^[<>]"; then bad "-T of -T output is the same"; else ok "-T of -T output is the same"; fi
expect "-T on a bad file exits 78" 78 "$daemon" -T -c "$work/bad.conf"

# a stale socket from a dead process is removed
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$work/stale.sock"
"$daemon" -f -c "$work/good.conf" -p "unix:$work/stale.sock" -P "$work/pid" 2>"$work/log1" &
p1=$!
pids="$pids $p1"
sleep 0.3
if wait_socket "$work/stale.sock" && grep -q "removed stale socket" "$work/log1"; then ok "stale socket removed"; else bad "stale socket removed"; fi
if [ "$(cat "$work/pid" 2>/dev/null)" = "$p1" ]; then ok "pid file holds the pid"; else bad "pid file holds the pid"; fi
mode=$(stat -c %a "$work/stale.sock")
if [ "$mode" = 660 ]; then ok "socket_mode 0660 applied"; else echo "    mode $mode"; bad "socket_mode 0660 applied"; fi

# a second instance on the same socket refuses to start
expect "a live socket is not taken over" 69 "$daemon" -f -c "$work/good.conf" -p "unix:$work/stale.sock"
grep_in "the live socket is named" "another process is listening" "$work/err"

if stop "$p1"; then ok "SIGTERM exits 0"; else bad "SIGTERM exits 0"; fi
if [ ! -e "$work/pid" ]; then ok "pid file removed at exit"; else bad "pid file removed at exit"; fi

# a file that is not a socket is never removed
echo keep >"$work/file.sock"
expect "a regular file at the socket path stops the daemon" 69 "$daemon" -f -c "$work/good.conf" -p "unix:$work/file.sock"
if [ "$(cat "$work/file.sock")" = keep ]; then ok "the regular file is untouched"; else bad "the regular file is untouched"; fi

# socket_mode from the config, dry_run announced, -p wins over the config
printf '[milter]\nsocket = unix:%s/unused.sock\nsocket_mode = 0600\ndry_run = true\n[stats]\nlisten =\n' "$work" >"$work/mode.conf"
"$daemon" -f -c "$work/mode.conf" -p "unix:$work/mode.sock" 2>"$work/log2" &
p2=$!
pids="$pids $p2"
if wait_socket "$work/mode.sock"; then ok "-p overrides the config socket"; else bad "-p overrides the config socket"; fi
mode=$(stat -c %a "$work/mode.sock" 2>/dev/null)
if [ "$mode" = 600 ]; then ok "socket_mode 0600 applied"; else echo "    mode $mode"; bad "socket_mode 0600 applied"; fi
grep_in "dry_run is announced" "dry_run is on" "$work/log2"
stop "$p2"

# without -f the daemon detaches; the pid file names the daemon
"$daemon" -c "$work/good.conf" -p "unix:$work/bg.sock" -P "$work/bg.pid" 2>"$work/err"
st=$?
i=0
while [ ! -s "$work/bg.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if [ $st = 0 ] && wait_socket "$work/bg.sock" && [ -s "$work/bg.pid" ]; then
	bgpid=$(cat "$work/bg.pid")
	pids="$pids $bgpid"
	ok "detaches and writes the pid file"
	kill "$bgpid"
	i=0
	while kill -0 "$bgpid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	if kill -0 "$bgpid" 2>/dev/null; then bad "detached daemon stops on SIGTERM"; else ok "detached daemon stops on SIGTERM"; fi
else
	bad "detaches and writes the pid file"
fi

# privileges: as root, drop to nobody after opening the socket
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	"$daemon" -f -c "$work/good.conf" -p "unix:$work/priv.sock" -u nobody 2>"$work/log3" &
	p3=$!
	pids="$pids $p3"
	if wait_socket "$work/priv.sock"; then
		uid=$(awk '/^Uid:/ {print $3}' /proc/$p3/status)
		owner=$(stat -c %U "$work/priv.sock")
		if [ "$uid" = "$(id -u nobody)" ]; then ok "-u drops to nobody"; else echo "    uid $uid"; bad "-u drops to nobody"; fi
		if [ "$owner" = nobody ]; then ok "the socket belongs to nobody"; else bad "the socket belongs to nobody"; fi
	else
		bad "-u drops to nobody"
	fi
	stop "$p3"
	expect "an unknown user is EX_NOUSER" 67 "$daemon" -f -c "$work/good.conf" -p "unix:$work/u.sock" -u no-such-user-here
else
	echo "SKIP: privilege tests need root"
fi

# a socket that cannot be opened: the path and the reason
expect "a socket in a missing directory is EX_UNAVAILABLE" 69 "$daemon" -f -c "$work/good.conf" -p "unix:$work/nodir/x.sock"
grep_in "the socket error names the directory and the reason" "cannot open socket unix:$work/nodir/x.sock: directory $work/nodir: No such file or directory" "$work/err"
expect "a pid file that cannot be written is EX_CANTCREAT" 73 "$daemon" -f -c "$work/good.conf" -p "unix:$work/pf.sock" -P "$work/nodir/x.pid"
grep_in "the pid file error names the path and the reason" "cannot write pid file $work/nodir/x.pid: .*No such file or directory" "$work/err"

# the state file: path and reason when it cannot be written
printf '[milter]\ntrusted_networks =\n[stats]\nlisten =\nstate_file = %s/nodir/state.json\n' "$work" >"$work/state.conf"
"$daemon" -f -c "$work/state.conf" -p "unix:$work/st.sock" 2>"$work/log4" &
p4=$!
pids="$pids $p4"
wait_socket "$work/st.sock"
stop "$p4"
grep_in "the state file error names the path and the reason" "cannot save statistics to $work/nodir/state.json: .*No such file or directory" "$work/log4"

# a reload (here on SIGHUP) names the restart-only keys that changed, and
# only those
"$daemon" -f -c "$work/good.conf" -p "unix:$work/rl.sock" 2>"$work/log5" &
p5=$!
pids="$pids $p5"
wait_socket "$work/rl.sock"
cp "$work/good.conf" "$work/good.conf.orig"
printf '[milter]\ntrusted_networks =\nsocket_mode = 0600\nlog_level = debug\n[stats]\nlisten =\n' >"$work/good.conf"
kill -HUP "$p5"
i=0
while ! grep -q "reloaded" "$work/log5" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep_in "a reload names the changed restart-only key" "in force only after a restart: socket_mode\$" "$work/log5"
stop "$p5"
mv "$work/good.conf.orig" "$work/good.conf"

# under systemd, stderr that is the journal gets no copy of what syslog sends
: >"$work/log6"
js=$(stat -c '%d:%i' "$work/log6")
JOURNAL_STREAM=$js "$daemon" -f -c "$work/good.conf" -p "unix:$work/js.sock" 2>>"$work/log6" &
p6=$!
pids="$pids $p6"
wait_socket "$work/js.sock"
stop "$p6"
if [ ! -s "$work/log6" ]; then ok "no stderr copy when stderr is the journal"; else bad "no stderr copy when stderr is the journal"; sed 's/^/    /' "$work/log6"; fi

for f in "$work"/log*; do
	if grep -qE 'AddressSanitizer|runtime error:' "$f"; then bad "sanitizer report in $f"; sed 's/^/    /' "$f"; fi
done
echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
