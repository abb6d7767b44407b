#!/usr/bin/env bash
# check-full-disk.sh — a disk that fills up under herd (issue 8, "Faults"):
# each program ends with one clear message and exit 1, leaves nothing
# half-written, and a re-run with room finishes the work.
#   - herd-load --db on a 4 MB file system with 60k posts: "database or
#     disk is full", the file passes integrity_check and holds whole
#     batches only; with room (the same file system grown) a re-run ends
#     with the clean load's rows;
#   - herd-load --pg-copy: the run is discarded (no load script, no COPY
#     file published); with room a new run writes them all;
#   - a filter whose output fills the disk (herd-normalize, herd-score,
#     herd-aggregate into the small file system, and into /dev/full):
#     "write error: No space left on device", exit 1.
# The full disk is a tmpfs of 4 MB when this test may mount one (root with
# CAP_SYS_ADMIN); else a file size limit (ulimit -f, SIGXFSZ ignored, so a
# write past it fails with EFBIG as a write to a full disk fails). It says
# which (HERD_FAULT_NO_MOUNT=1 forces the limit). Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-faults.sh"
need_pipe
cd "$tmp"
N=60000 B=1000
fault_posts $N >in.ndjson
"$bin/herd-load" -q --db clean.db --batch $B in.ndjson && rows clean.db >clean.rows

mkdir small
if [ -z "${HERD_FAULT_NO_MOUNT:-}" ] && mount -t tmpfs -o size=4m herd-full small 2>/dev/null; then
	how=tmpfs
	trap 'umount "$tmp/small" 2>/dev/null; rm -rf "$tmp"' EXIT
	limited() { "$@"; }
	room() { mount -o remount,size=256m "$tmp/small"; }
	nospace="No space left on device"
else
	how="ulimit -f"
	# 4 MB (bash counts 1024-byte blocks), for the command only; SIGXFSZ ignored
	# (inherited through exec), so the write fails with EFBIG.
	limited() { (trap '' XFSZ; ulimit -f 4096; "$@"); }
	room() { :; }
	nospace="File too large"
fi
echo "full disk: $how"

# ---------------------------------------------------------------- SQLite
limited "$bin/herd-load" -q --db small/k.db --batch $B in.ndjson 2>load.err
rc=$?
check "herd-load on a full disk: exit 1 (got $rc)" [ $rc -eq 1 ]
check "… with one clear message (got: $(head -1 load.err))" \
	grep -qE "^herd-load: small/k.db: .*(database or disk is full|disk I/O error)" load.err
check "… and no more than a few lines ($(wc -l <load.err))" [ "$(wc -l <load.err)" -le 3 ]
ic=$(sqlite3 small/k.db 'PRAGMA integrity_check' 2>&1)
check "the file passes integrity_check (got '$ic')" [ "$ic" = ok ]
why=$(whole_batches small/k.db $N $B)
check "it holds whole batches only, a prefix of the input, each post whole $why" [ -z "$why" ]
check "it holds some of them (the disk filled mid-way: $(count small/k.db posts) posts)" [ "$(count small/k.db posts)" -gt 0 ]
room
"$bin/herd-load" -q --db small/k.db --batch $B in.ndjson
check "with room, a re-run exits 0" [ $? -eq 0 ]
check "… and holds the clean load's rows" cmp -s clean.rows <(rows small/k.db)
rm -f small/k.db*
[ "$how" != tmpfs ] || mount -o remount,size=4m "$tmp/small"

# ---------------------------------------------------------------- COPY files
limited "$bin/herd-load" -q --pg-copy small/spool --run-id full in.ndjson 2>copy.err
rc=$?
check "herd-load --pg-copy on a full disk: exit 1 (got $rc)" [ $rc -eq 1 ]
check "… says the write failed (got: $(head -1 copy.err))" grep -q "write error: $nospace" copy.err
check "… and that the run is discarded" grep -q "run full is discarded, no file of it published" copy.err
check "no load script and no COPY file of it is left" [ -z "$(ls small/spool 2>/dev/null)" ]
room
"$bin/herd-load" -q --pg-copy small/spool --run-id again in.ndjson
check "with room, a new run exits 0 and publishes its load script" [ $? -eq 0 -a -f small/spool/load.again.sql ]
check "… with every post" [ "$(wc -l <small/spool/posts.again.copy)" -eq $N ]
rm -rf small/spool
[ "$how" != tmpfs ] || mount -o remount,size=4m "$tmp/small"

# ---------------------------------------------------------------- filters
# Each writes more than 4 MB: the scored posts, and (with --pass all) aggregate.
head -c 5000000 in.ndjson | sed '$d' >five.ndjson
for p in normalize score aggregate; do
	args=()
	[ $p = score ] && args=(--model vader)
	[ $p = aggregate ] && args=(--pass all)
	limited "$bin/herd-$p" -q "${args[@]}" five.ndjson >small/out 2>$p.err
	rc=$?
	check "herd-$p writing to a full disk: exit 1 (got $rc)" [ $rc -eq 1 ]
	check "… says so (got: $(head -1 $p.err))" grep -q "^herd-$p: write error: $nospace" $p.err
	rm -f small/out
	"$bin/herd-$p" -q "${args[@]}" five.ndjson >/dev/full 2>$p.err
	rc=$?
	check "herd-$p writing to /dev/full: exit 1 (got $rc)" [ $rc -eq 1 ]
	check "… 'No space left on device' (got: $(head -1 $p.err))" grep -q "^herd-$p: write error: No space left on device" $p.err
done

result
