#!/bin/sh
# The Debian package of make deb, checked without installing it: its
# files, its conffile, its control fields, its maintainer scripts run
# against stubs that record what they would do, and lintian.
# usage: deb_test.sh PACKAGE.deb
set -u
deb=${1:?usage: deb_test.sh PACKAGE.deb}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-milter-debtest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
pass=0
fail=0

check() {
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${3:-}" ] && echo "$3" | sed 's/^/    /'
	fi
}

# 1. exactly these files
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $1, $2, $6}' | sort > "$work/files"
unitdir=$("$top/contrib/debian/unitdir.sh")
cat > "$work/expected" <<LIST
-rw-r--r-- root/root ./etc/esmtp-milter.conf
-rw-r--r-- root/root .$unitdir/esmtp-milter.service
-rw-r--r-- root/root ./usr/share/doc/esmtp-milter/README.gz
-rw-r--r-- root/root ./usr/share/doc/esmtp-milter/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/esmtp-milter/copyright
-rw-r--r-- root/root ./usr/share/doc/esmtp-milter/esmtp-milter.conf
-rw-r--r-- root/root ./usr/share/doc/esmtp-milter/esmtp-milter.json.gz
-rw-r--r-- root/root ./usr/share/lintian/overrides/esmtp-milter
-rw-r--r-- root/root ./usr/share/man/man1/esmtp-milter-stats.1.gz
-rw-r--r-- root/root ./usr/share/man/man5/esmtp-milter.conf.5.gz
-rw-r--r-- root/root ./usr/share/man/man7/esmtp-milter-statistics.7.gz
-rw-r--r-- root/root ./usr/share/man/man8/esmtp-milter.8.gz
-rwxr-xr-x root/root ./usr/bin/esmtp-milter-stats
-rwxr-xr-x root/root ./usr/sbin/esmtp-milter
LIST
sort -o "$work/expected" "$work/expected"
diff -u "$work/expected" "$work/files" > "$work/diff"
check "the package holds exactly the daemon, the report tool, man pages, unit, conffile and docs" $? "$(cat "$work/diff")"

# 2. the conffile is the shipped sample, and the unit runs the packaged daemon
mkdir "$work/root" "$work/ctl"
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/ctl"
[ "$(cat "$work/ctl/conffiles")" = /etc/esmtp-milter.conf ]
check "/etc/esmtp-milter.conf is a conffile" $?
cmp -s "$work/root/etc/esmtp-milter.conf" "$top/contrib/esmtp-milter.conf"
check "the conffile is contrib/esmtp-milter.conf" $?
grep -q '^ExecStart=/usr/sbin/esmtp-milter ' "$work/root$unitdir/esmtp-milter.service"
check "the unit starts /usr/sbin/esmtp-milter" $?
"$work/root/usr/sbin/esmtp-milter" -n -c "$work/root/etc/esmtp-milter.conf" >/dev/null 2>&1
check "the packaged daemon accepts the packaged config (-n)" $?
(cd "$work/root" && md5sum --quiet -c "$work/ctl/md5sums") >/dev/null 2>&1
check "md5sums match the files" $?

# 3. control fields
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
*libmilter1.0.1*adduser*) ok=0 ;; *) ok=1 ;;
esac
check "Depends names libmilter and adduser: $depends" $ok

# 4. the maintainer scripts, against stubs that record their calls
stubs="$work/stubs"
mkdir "$stubs"
for cmd in adduser deluser systemctl deb-systemd-helper deb-systemd-invoke invoke-rc.d rm rmdir; do
	printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n' "$cmd" "$work" > "$stubs/$cmd"
	chmod +x "$stubs/$cmd"
done
printf '#!/bin/sh\nexit ${GETENT_STATUS:-2}\n' > "$stubs/getent"
chmod +x "$stubs/getent"
run() {
	: > "$work/calls"
	env PATH="$stubs:$PATH" GETENT_STATUS="$1" sh "$work/ctl/$2" "$3" >/dev/null 2>&1
	echo $?
}
status=$(run 2 postinst configure)
[ "$status" = 0 ] && [ "$(cat "$work/calls")" = \
	"adduser --quiet --system --group --no-create-home --home /var/lib/esmtp-milter esmtp-milter" ]
check "postinst configure creates the esmtp-milter system user and starts nothing" $? "$(cat "$work/calls")"
status=$(run 0 postinst configure)
[ "$status" = 0 ] && [ ! -s "$work/calls" ]
check "postinst configure leaves an existing user alone" $? "$(cat "$work/calls")"
status=$(run 0 postrm remove)
[ "$status" = 0 ] && [ ! -s "$work/calls" ]
check "postrm remove leaves the user and the counters" $? "$(cat "$work/calls")"
status=$(run 0 postrm purge)
[ "$status" = 0 ] && [ "$(cat "$work/calls")" = "rm -rf /var/lib/esmtp-milter
rmdir /var/spool/postfix/esmtp-milter" ]
check "postrm purge removes the counters and the empty chroot socket directory, and keeps the user" $? "$(cat "$work/calls")"

# 5. lintian, with the overrides the package ships (each explained there)
out=$(lintian --tag-display-limit 0 -I "$deb" 2>&1 | grep -v 'root privileges')
[ -z "$out" ]
check "lintian reports nothing" $? "$out"

echo "deb: $pass passed, $fail failed"
[ "$fail" = 0 ]
