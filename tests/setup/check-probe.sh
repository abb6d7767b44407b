#!/usr/bin/env bash
# check-probe.sh — the Makefile's header probe, which decides whether
# `make` runs scripts/install-deps.sh on a fresh machine (issue 12.1): a
# header that cannot exist must be reported missing, one that every C
# compiler has must not, whatever GNU make does with `#` in $(shell …).
# Runs `make probe` itself, so the Makefile's wiring is what is checked.
. "$(dirname "$0")/../lib.sh"

command -v make >/dev/null || skip "make not installed"
ghost=herd/no-such-header-$$.h

out=$(CC=${CC:-cc} "$top/scripts/probe-headers.sh" -- stdio.h "$ghost" stddef.h)
check "the script reports only the missing header (got '$out')" [ "$out" = "$ghost" ]
out=$(CC=${CC:-cc} "$top/scripts/probe-headers.sh" -DX=1 -- stdio.h)
check "no header missing prints nothing (got '$out')" [ -z "$out" ]
"$top/scripts/probe-headers.sh" stdio.h >/dev/null 2>&1
check "no -- is a usage error" [ $? -eq 2 ]

out=$(MAKEFLAGS= make -s -C "$top" probe PROBE_EXTRA="stdio.h $ghost" 2>&1)
rc=$?
check "make probe exits non-zero with a ghost header (rc $rc)" [ $rc -ne 0 ]
check "make probe names the ghost header (got '$out')" grep -q "missing headers:.*$ghost" <<<"$out"
check "make probe does not name stdio.h" bash -c '! grep -q "stdio\.h" <<<"$1"' _ "$out"

# On a machine where the build works, the real list is complete.
if [ -x "$bin/herd-score" ]; then
	# MAKEFLAGS= : run from `make -j2 test`, the inherited jobserver flags make
	# GNU make warn on stderr ("jobserver unavailable"), which is not the probe
	out=$(MAKEFLAGS= make -s -C "$top" probe 2>&1)
	check "make probe finds every header the build used (got '$out')" [ "$out" = "all headers found" ]
fi
result
