#!/usr/bin/env bash
# Man pages are clean mdoc; make install puts programs and pages where
# PREFIX and DESTDIR say, the static client among them; make static
# builds it alone.
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1

for m in guardiand/guardiand.8 guardiand/guardiand.conf.5 \
    guardianctl/guardianctl.8 hostexec/hostexec.1; do
	if out=$(mandoc -T lint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		ok "mandoc -T lint: $m"
	else
		not_ok "mandoc -T lint: $m: $out"
	fi
done

D=$T/dest
if make -s O="$O" install DESTDIR="$D" PREFIX=/usr/local >"$T/inst" 2>&1; then
	ok "make install"
else
	not_ok "make install: $(tail -3 "$T/inst")"
fi
for f in sbin/guardiand sbin/guardianctl bin/hostexec; do
	[ -x "$D/usr/local/$f" ] && ok "installed $f" || not_ok "installed $f"
done
# make builds the static client too (musl is a build dependency), and
# make install puts it where a container can mount it.
if file "$D/usr/local/lib/guardiand/hostexec" | grep -q 'statically linked'
then
	ok "installed lib/guardiand/hostexec, the static client"
else
	not_ok "installed lib/guardiand/hostexec, the static client"
fi
for f in man8/guardiand.8 man8/guardianctl.8 man5/guardiand.conf.5 \
    man1/hostexec.1; do
	[ -f "$D/usr/local/share/man/$f" ] && ok "installed man page $f" ||
	    not_ok "installed man page $f"
done
# The installed daemon has no test hook.
if grep -q GUARDIAND_TEST_SYSCALL "$D/usr/local/sbin/guardiand"; then
	not_ok "installed guardiand carries no test hook"
else
	ok "installed guardiand carries no test hook"
fi
grep -q GUARDIAND_TEST_SYSCALL "$BIN/guardiand-test" &&
    ok "the test build does carry it" || not_ok "the test build carries it"

# make static: a client for any container image.
if make -s O="$T/static" static >"$T/static.log" 2>&1 &&
    [ -x "$T/static/hostexec-static" ]; then
	ok "make static"
	if file "$T/static/hostexec-static" | grep -q 'statically linked'; then
		ok "hostexec-static is statically linked"
	else
		not_ok "hostexec-static is statically linked"
	fi
	env -i "$T/static/hostexec-static" true 2>"$T/err"
	[ $? -eq 255 ] && grep -q CLOISTER "$T/err" &&
	    ok "hostexec-static runs (no environment: 255, says what to set)" ||
	    not_ok "hostexec-static runs"
else
	not_ok "make static: $(tail -3 "$T/static.log")"
fi

# hostexec links libc only.
libs=$(ldd "$BIN/hostexec" | awk '{print $1}' | grep -v -e linux-vdso \
    -e ld-linux -e '^libc\.so' | tr '\n' ' ')
case $(basename "$O") in
san) note "sanitizer build: hostexec links the sanitizer runtimes" ;;
*)	[ -z "$libs" ] && ok "hostexec links only libc" ||
	    not_ok "hostexec links only libc (also: $libs)" ;;
esac
exit 0
