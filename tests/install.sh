#!/bin/sh
# make install with PREFIX and DESTDIR puts every file in place; the man
# pages render without a warning; the systemd unit passes systemd-analyze.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-milter-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

if make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	bad "make install DESTDIR=... PREFIX=/usr"; sed 's/^/    /' "$dest.log"
fi
rm -f "$dest.log"
# Every file make install puts in place, as the README lists them.
expected="usr/bin/esmtp-milter-stats
usr/lib/systemd/system/esmtp-milter.service
usr/sbin/esmtp-milter
usr/share/doc/esmtp-milter/LICENSE
usr/share/doc/esmtp-milter/README
usr/share/doc/esmtp-milter/esmtp-milter.conf
usr/share/doc/esmtp-milter/esmtp-milter.json
usr/share/man/man1/esmtp-milter-stats.1
usr/share/man/man5/esmtp-milter.conf.5
usr/share/man/man7/esmtp-milter-statistics.7
usr/share/man/man8/esmtp-milter.8"
for f in $expected; do
	if [ -s "$dest/$f" ]; then ok "installed /$f"; else bad "installed /$f"; fi
done
got=$(cd "$dest" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$got" = "$expected" ]; then
	ok "make install puts exactly the listed files in place"
else
	bad "make install puts exactly the listed files in place"
	echo "$got" | sed 's/^/    got: /'
fi
for f in $expected; do
	case $f in
	usr/share/doc/*) name=$(basename "$f") ;;
	*) name="PREFIX/${f#usr/}" ;;
	esac
	grep -qF "$name" "$top/README" || bad "the README names $name"
done
if [ -x "$dest/usr/sbin/esmtp-milter" ] && "$dest/usr/sbin/esmtp-milter" -n \
	-c "$dest/usr/share/doc/esmtp-milter/esmtp-milter.conf" >/dev/null; then
	ok "the installed daemon accepts the installed sample config"
else
	bad "the installed daemon accepts the installed sample config"
fi
unit="$dest/usr/lib/systemd/system/esmtp-milter.service"
if grep -q '^ExecStart=/usr/sbin/esmtp-milter -f' "$unit"; then
	ok "the unit names the installed daemon"
else
	bad "the unit names the installed daemon"
fi

for page in "$dest"/usr/share/man/man8/esmtp-milter.8 "$dest"/usr/share/man/man5/esmtp-milter.conf.5 \
	"$dest"/usr/share/man/man1/esmtp-milter-stats.1 \
	"$dest"/usr/share/man/man7/esmtp-milter-statistics.7; do
	warnings=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>&1)
	if [ -z "$warnings" ]; then ok "groff -ww: $(basename "$page")"; else bad "groff -ww: $(basename "$page")"; echo "$warnings" | sed 's/^/    /'; fi
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$out" ]; then ok "man -l: $(basename "$page")"; else bad "man -l: $(basename "$page")"; echo "$out" | sed 's/^/    /'; fi
	# a section-7 page describes, it has no synopsis
	case $page in *.7) sections='NAME DESCRIPTION' ;; *) sections='NAME SYNOPSIS DESCRIPTION' ;; esac
	for section in $sections "SEE ALSO"; do
		grep -q "^\.SH \"\{0,1\}$section" "$page" || { bad "$(basename "$page") has $section"; continue; }
	done
done
for section in OPTIONS RULES SIGNALS FILES "EXIT STATUS"; do
	if grep -q "^\.SH $section" "$dest/usr/share/man/man8/esmtp-milter.8"; then ok "esmtp-milter(8) has $section"; else bad "esmtp-milter(8) has $section"; fi
done

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify runs the ExecStart binary's path and man for Documentation=
	sed "s|/usr/sbin/|$dest/usr/sbin/|g" "$unit" >"$dest/esmtp-milter.service"
	out=$(MANPATH="$dest/usr/share/man" SYSTEMD_LOG_LEVEL=warning \
		systemd-analyze verify "$dest/esmtp-milter.service" 2>&1)
	if [ -z "$out" ]; then ok "systemd-analyze verify"; else bad "systemd-analyze verify"; echo "$out" | sed 's/^/    /'; fi
else
	echo "SKIP: systemd-analyze is not installed"
fi
# make uninstall, with the same variables, takes back every file and the
# documentation directory, and leaves the shared directories alone.
if make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then
	ok "make uninstall DESTDIR=... PREFIX=/usr"
else
	bad "make uninstall DESTDIR=... PREFIX=/usr"; sed 's/^/    /' "$dest.log"
fi
rm -f "$dest.log"
rm -f "$dest/esmtp-milter.service"
left=$(cd "$dest" && find . ! -type d)
if [ -z "$left" ]; then ok "nothing installed is left after make uninstall"
else bad "nothing installed is left after make uninstall"; echo "$left" | sed 's/^/    /'; fi
if [ ! -d "$dest/usr/share/doc/esmtp-milter" ]; then ok "the documentation directory is removed"
else bad "the documentation directory is removed"; fi
if [ -d "$dest/usr/share/man/man8" ]; then ok "shared directories stay"
else bad "shared directories stay"; fi

# make only builds: no dpkg or apt-get is run, and a missing library is
# named with its .pc file and the apt-get line
fake="$dest/fakebin"
mkdir -p "$fake"
for tool in dpkg dpkg-query apt-get; do
	printf '#!/bin/sh\necho "%s was run" >>"%s/ran"\nexit 1\n' "$tool" "$dest" >"$fake/$tool"
	chmod +x "$fake/$tool"
done
if PATH="$fake:$PATH" make -s -C "$top" all BUILD="$dest/build" >"$dest.log" 2>&1 \
	&& [ ! -e "$dest/ran" ]; then
	ok "make builds without dpkg or apt-get"
else
	bad "make builds without dpkg or apt-get"; cat "$dest/ran" "$dest.log" 2>/dev/null | sed 's/^/    /'
fi
real=$(command -v pkg-config)
printf '#!/bin/sh\nfor a in "$@"; do [ "$a" = milter ] && exit 1; done\nexec %s "$@"\n' "$real" >"$fake/pkg-config"
chmod +x "$fake/pkg-config"
if PATH="$fake:$PATH" make -s -C "$top" all BUILD="$dest/build" >"$dest.log" 2>&1; then
	bad "a missing library stops make"
elif grep -q "pkg-config finds no milter.pc" "$dest.log" \
	&& grep -q "apt-get install pkg-config libmilter-dev" "$dest.log"; then
	ok "a missing library is named with its apt-get line"
else
	bad "a missing library is named with its apt-get line"; sed 's/^/    /' "$dest.log"
fi
rm -rf "$fake" "$dest/build" "$dest.log" "$dest/ran"

echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
