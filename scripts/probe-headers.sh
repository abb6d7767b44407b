#!/bin/sh
# probe-headers.sh — prints the C headers the compiler cannot find, one per
# line, so that the Makefile knows when to run install-deps.sh.
#
#   scripts/probe-headers.sh [CFLAG...] -- HEADER...      (CC from the environment, default cc)
#
# Each HEADER is preprocessed alone (`#include <HEADER>`); a header is
# missing when the preprocessor fails on it. The probe lives in a script,
# not in the Makefile, because a `#` inside $(shell …) means different
# things to different versions of GNU make: 4.3 keeps a `\#` verbatim,
# and the preprocessor took `\#include` as a stray token, so every header
# "existed" on a fresh machine (tests/setup/check-probe.sh).
# Exit 0 whatever is missing; 2 on usage errors.
set -u
cc=${CC:-cc}
flags=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	flags="$flags $1"
	shift
done
[ "${1:-}" = "--" ] || { echo "usage: probe-headers.sh [CFLAG...] -- HEADER..." >&2; exit 2; }
shift
for h in "$@"; do
	# shellcheck disable=SC2086
	printf '#include <%s>\n' "$h" | $cc $flags -E -x c - >/dev/null 2>&1 || echo "$h"
done
exit 0
