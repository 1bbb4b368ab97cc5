#!/bin/sh
# make deb: a Debian package of this tree, built with dpkg-deb from
# "make install" into a staging root and the files beside this script.
# usage: build-deb.sh TOP OUTDIR VERSION
set -eu
top=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
version=$3
here="$top/contrib/debian"
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-milter-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
root="$stage/root"
doc="$root/usr/share/doc/esmtp-milter"

unitdir=$("$here/unitdir.sh")
make -s -C "$top" install DESTDIR="$root" PREFIX=/usr \
	UNITDIR="$unitdir" >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/sbin/esmtp-milter" "$root/usr/bin/esmtp-milter-stats"
gzip -9n "$root"/usr/share/man/man*/*
# Debian's copyright file replaces LICENSE; long documents are compressed
rm "$doc/LICENSE"
gzip -9n "$doc/README" "$doc/esmtp-milter.json"
sed -e "/@LICENSE@/{r $top/LICENSE" -e 'd}' "$here/copyright" \
	| sed -e '/^License: BSD-2-clause$/,$!b' -e 's/^$/ ./' \
	      -e '/^ \.$/b' -e '/^License:/b' -e 's/^\([^ ]\)/ \1/' \
	> "$doc/copyright"
sed "s/@VERSION@/$version/" "$here/changelog" | gzip -9n > "$doc/changelog.gz"
install -d "$root/etc" "$root/usr/share/lintian/overrides"
install -m 0644 "$top/contrib/esmtp-milter.conf" "$root/etc/esmtp-milter.conf"
# the override names the unit where this release has it; a tag this
# release's lintian no longer knows is left out (it would be an error)
sed "s|@UNIT@|${unitdir#/}/esmtp-milter.service|" "$here/lintian-overrides" \
	| if [ "$unitdir" = /lib/systemd/system ]; then cat; else grep -v 'alternative-init'; fi \
	> "$root/usr/share/lintian/overrides/esmtp-milter"

# the shared libraries the two programs need, as Debian names them
mkdir -p "$stage/src/debian"
printf 'Source: esmtp-milter\n\nPackage: esmtp-milter\nArchitecture: any\n' \
	> "$stage/src/debian/control"
depends=$(cd "$stage/src" && dpkg-shlibdeps -O \
	"$root/usr/sbin/esmtp-milter" "$root/usr/bin/esmtp-milter-stats" \
	2>/dev/null | sed -n 's/^shlibs:Depends=//p')

install -d "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$depends/" "$here/control" > "$root/DEBIAN/control"
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/postrm" "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' \
	-printf '%P\n' | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
deb="$out/esmtp-milter_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
