#!/usr/bin/env bash
# make deb (README): the Debian package is built with debhelper from a
# copy of the tree, lintian finds no error, and the package unpacked
# into a scratch root holds the expected files and works from there:
# its guardiand checks the example configuration it ships, its static
# hostexec runs without any library.
. "$(dirname "$0")/../lib.sh"

# The package is built from source with its own flags, whatever the
# suite's build: once is enough, and the sanitizer run skips it.
if ldd "$BIN/guardiand" 2>/dev/null | grep -q libasan; then
	ok "the Debian package # SKIP built by make test, not per build"
	exit 0
fi

P=$T/pkg
if ! make -s -C "$TOP" deb O="$P" >"$T/deb.log" 2>&1; then
	not_ok "make deb builds the package and lintian passes it"
	tail -n 30 "$T/deb.log" | sed 's/^/#   /'
	exit 1
fi
ok "make deb builds the package and lintian passes it"
if grep -q '^E: ' "$T/deb.log"; then
	not_ok "lintian reports no error"
	grep '^E: ' "$T/deb.log" | sed 's/^/#   /'
else
	ok "lintian reports no error"
fi

DEB=$(ls "$P"/deb/guardiand_*_*.deb 2>/dev/null | head -n 1)
[ -f "$DEB" ] || { not_ok "the .deb is there"; exit 1; }
dpkg-deb -f "$DEB" Package Architecture Depends >"$T/fields"
check "it is the guardiand package" grep -qx 'Package: guardiand' "$T/fields"
check "its dependencies come from the libraries it links" \
    grep -q '^Depends: .*libevent' "$T/fields"

# The files, and only those.
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' |
    sort >"$T/files"
sort >"$T/expected" <<'EOF'
usr/bin/hostexec
usr/lib/guardiand/hostexec
usr/lib/systemd/user/guardiand.service
usr/sbin/guardianctl
usr/sbin/guardiand
usr/share/doc/guardiand/DESIGN.md.gz
usr/share/doc/guardiand/README.md.gz
usr/share/doc/guardiand/changelog.gz
usr/share/doc/guardiand/copyright
usr/share/doc/guardiand/examples/config.example.yaml
usr/share/doc/guardiand/examples/guardiand.example.yaml
usr/share/lintian/overrides/guardiand
usr/share/man/man1/hostexec.1.gz
usr/share/man/man5/guardiand.conf.5.gz
usr/share/man/man8/guardianctl.8.gz
usr/share/man/man8/guardiand.8.gz
EOF
if diff -u "$T/expected" "$T/files" >"$T/files.diff"; then
	ok "the package holds exactly the expected files"
else
	not_ok "the package holds exactly the expected files"
	sed 's/^/#   /' "$T/files.diff"
fi

R=$T/root
mkdir -p "$R" "$T/cfg"
dpkg-deb -x "$DEB" "$R"
EX=$R/usr/share/doc/guardiand/examples
cp "$EX/config.example.yaml" "$T/cfg/config.yaml"
cp "$EX/guardiand.example.yaml" "$T/cfg/guardiand.yaml"
check "the unpacked guardiand -n accepts the example configuration" \
    "$R/usr/sbin/guardiand" -n -f "$T/cfg/config.yaml"
printf 'hostexec:\n  auto_approve: [\n' >"$T/cfg/config.yaml"
if "$R/usr/sbin/guardiand" -n -f "$T/cfg/config.yaml" 2>"$T/bad.err"; then
	not_ok "and refuses a broken one"
else
	check "and refuses a broken one, naming the file" \
	    grep -q "config.yaml:" "$T/bad.err"
fi
OUT=$("$R/usr/sbin/guardiand" -n -f "$EX/config.example.yaml" -- \
    git status 2>&1)
case $OUT in
*auto_approve*|*manual_approve*|*deny*)
	ok "and decides a command under it ($OUT)" ;;
*)	not_ok "and decides a command under it: $OUT" ;;
esac

check "the container's hostexec is static" \
    sh -c "file -L '$R/usr/lib/guardiand/hostexec' | grep -q 'statically linked'"
"$R/usr/lib/guardiand/hostexec" >/dev/null 2>"$T/usage"
RC=$?
if [ "$RC" = 255 ] && grep -q '^usage: hostexec' "$T/usage"; then
	ok "and runs from the unpacked root"
else
	not_ok "and runs from the unpacked root (exit $RC)"
fi
check "the host's hostexec links only libc" \
    sh -c "ldd '$R/usr/bin/hostexec' | grep -v -e linux-vdso -e 'libc\\.so' \
    -e ld-linux | grep -q . && exit 1 || exit 0"
check "the user unit starts the packaged guardiand" \
    grep -q '^ExecStart=/usr/sbin/guardiand ' \
    "$R/usr/lib/systemd/user/guardiand.service"
check "the manual pages are there and render" \
    sh -c "zcat '$R/usr/share/man/man8/guardiand.8.gz' | mandoc -T ascii |
    grep -q GUARDIAND"
exit 0
