#!/usr/bin/env bash
# `make run` as a newcomer meets it (README, DESIGN 6.2): etc/demo.sh in
# one tmux window; in others, shells like a login shell's (no demo
# runtime directory, the build directory not on PATH) into which the
# commands the demo prints, and the guardianctl command hostexec's
# "waiting for approval" hint names, are pasted as they are.
. "$(dirname "$0")/../lib.sh"

command -v tmux >/dev/null || { note "skip: tmux is not installed"; exit 0; }

TM=(tmux -S "$T/tmux.sock")
DEMOTMP=$T/demo
mkdir -p "$DEMOTMP"
# A shell as another terminal would start it: what the demo's own
# environment holds is not there.
SH="env -u XDG_RUNTIME_DIR PS1='$ ' bash --norc --noprofile"
"${TM[@]}" -f /dev/null new-session -d -s demo -x 400 -y 100 \
    "TMPDIR=$DEMOTMP bash $TOP/etc/demo.sh $BIN; echo DEMO-EXIT=\$?; sleep 600"
"${TM[@]}" new-window -d -t demo:1 "$SH"
"${TM[@]}" new-window -d -t demo:2 "$SH"
demo_cleanup() {
	"${TM[@]}" send-keys -t demo:0 C-c 2>/dev/null
	"${TM[@]}" kill-server 2>/dev/null
}
trap 'demo_cleanup; cleanup' EXIT

# pane N: window N's text, wrapped lines joined.
pane() { "${TM[@]}" capture-pane -p -J -S -300 -t "demo:$1"; }

# wait_pane N REGEX [SECONDS]: until window N shows a line matching.
wait_pane() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		pane "$1" | grep -qE -- "$2" && return 0
		sleep 0.1
	done
	note "window $1 never showed /$2/:"
	pane "$1" | grep -v '^$' | tail -n 20 | sed 's/^/#   /'
	return 1
}

# paste N LINE: typed into window N as a human pastes it.
paste() { "${TM[@]}" send-keys -t "demo:$1" -l -- "$2"; \
    "${TM[@]}" send-keys -t "demo:$1" Enter; }

if ! wait_pane 0 'Starting guardiand in the foreground' ||
    ! wait_pane 0 'ready: ' 30; then
	not_ok "the demo starts"
	exit 1
fi
ok "the demo starts"

# The commands exactly as printed (two leading spaces in the text).
printed() { pane 0 | sed -n "s/^  \(.*$1\)\$/\1/p" | head -n 1; }
LS=$(printed ' ls -l')
CAT=$(printed ' cat README')
TOUCH=$(printed ' touch hello.txt')
SHOW=$(printed ' show requests')
S=$(pane 0 | sed -n 's/^  scratch directory  //p' | head -n 1)
[ -n "$LS" ] && [ -n "$CAT" ] && [ -n "$TOUCH" ] && [ -n "$SHOW" ] &&
    [ -d "$S/worktree" ] || {
	not_ok "the demo prints the commands to try"
	pane 0 | sed 's/^/#   /'
	exit 1
}
ok "the demo prints the commands to try"

paste 1 "$LS; echo LS-RC=\$?"
check "its auto-approved command runs when pasted" \
    wait_pane 1 'LS-RC=0'
check "and lists the demo worktree" wait_pane 1 ' README$'
paste 1 "clear; $CAT; echo CAT-RC=\$?"
check "the unix-socket command runs when pasted" wait_pane 1 'CAT-RC=0'
check "and prints the worktree's README" \
    wait_pane 1 'This is the worktree of the demo cloister'

paste 1 "clear; $TOUCH; echo TOUCH-RC=\$?"
if wait_pane 1 'waiting for approval.*`[^`]* approve [^`]*`'; then
	ok "the request waits and hostexec says how to approve it"
else
	not_ok "the request waits and hostexec says how to approve it"
fi
HINT=$(pane 1 | sed -n 's/.*waiting for approval.*`\([^`]* approve [^`]*\)`.*/\1/p' |
    head -n 1)
ID=${HINT##* }
note "hint: $HINT"
paste 2 "$SHOW; echo SHOW-RC=\$?"
check "the printed guardianctl command lists it" wait_pane 2 'SHOW-RC=0'
check "with its id" wait_pane 2 "$ID"
[ -e "$S/worktree/hello.txt" ] &&
    not_ok "nothing runs before the approval"
paste 2 "clear; $HINT; echo APPROVE-RC=\$?"
check "hostexec's hint, pasted, approves it" wait_pane 2 'APPROVE-RC=0'
check "then the command runs and hostexec exits 0" \
    wait_pane 1 'TOUCH-RC=0'
check "the file is made in the worktree" test -e "$S/worktree/hello.txt"

"${TM[@]}" send-keys -t demo:0 C-c
check "Ctrl-C stops the demo cleanly" wait_pane 0 'DEMO-EXIT=0'
check "and removes its scratch directory" test ! -e "$S"

exit "$NFAIL"
