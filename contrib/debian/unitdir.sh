#!/bin/sh
# Where this Debian release wants a package's systemd units: Debian 13
# finished the /usr merge and its lintian calls /lib/systemd/system an
# aliased location; Debian 12's packages still ship units there.
. /etc/os-release
if [ "${VERSION_ID%%.*}" -ge 13 ] 2>/dev/null; then
	echo /usr/lib/systemd/system
else
	echo /lib/systemd/system
fi
