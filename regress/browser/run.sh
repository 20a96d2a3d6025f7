#!/usr/bin/env bash
# Runs the browser tests of the approval page: Debian's chromium driven
# by playwright-core (pinned in package.json; no browser download).
# Needs BIN (the build directory); screenshots go to $BIN/screenshots.
# With DOC_SHOT=path it also writes the README screenshot there.
set -u
cd "$(dirname "$0")"
: "${BIN:?set BIN to the build directory}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export BIN CHROMIUM
export SHOTS=${SHOTS:-$BIN/screenshots}

if ! command -v node >/dev/null; then
	echo "not ok - browser tests: node is missing (apt-get install nodejs npm)"
	exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
	echo "not ok - browser tests: $CHROMIUM is missing (apt-get install chromium)"
	exit 1
fi
if [ ! -f node_modules/playwright-core/package.json ]; then
	echo "not ok - browser tests: playwright-core is missing" \
	    "(cd regress/browser && npm ci)"
	exit 1
fi
node ui.test.mjs
rc=$?
[ "$rc" -eq 0 ] || echo "# ui.test.mjs exited with status $rc"
exit "$rc"
