#!/usr/bin/env bash
# check-unreadable.sh — inputs that cannot be read (issue 8, "Faults"):
# a missing file, a directory, a file this user may not read, and a gzip
# file cut short, given between two good files to each program of the pipe
# (herd-normalize, herd-score, herd-aggregate, herd-load) and to
# herd-import. Each bad input gets one clear message (file, what failed),
# the good files and every whole line before the cut are processed, no
# partial line gets through, the exit status is 1; herd-load's file then
# holds exactly those records, and a re-run with the inputs mended
# completes to the clean run's rows.
# "May not read" runs the program as nobody (runuser) when the test runs
# as root, since root reads any file. Prints "RESULT N passed, N failed".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-faults.sh"
need_pipe
cd "$tmp"
fault_posts 3000 >all.ndjson
head -n 1000 all.ndjson >a.ndjson
sed -n 1001,2000p all.ndjson >b.ndjson
sed -n 2001,3000p all.ndjson | gzip -6 >c.ndjson.gz
head -c $(($(wc -c <c.ndjson.gz) * 2 / 3)) c.ndjson.gz >cut.ndjson.gz
mkdir dir
# The whole lines a reader can get out of the cut file.
whole=$(zcat cut.ndjson.gz 2>/dev/null | wc -l)
zcat cut.ndjson.gz 2>/dev/null | head -n "$whole" >cut.whole
check "the cut file ends inside a line ($whole whole lines)" [ "$(zcat cut.ndjson.gz 2>/dev/null | tail -c 1 | od -An -c | tr -d ' ')" != '\n' ]

# Each program on good, missing, dir, cut, good.
for p in normalize score aggregate; do
	args=()
	[ $p = score ] && args=(--model vader)
	[ $p = aggregate ] && args=(--pass all --lateness all)
	"$bin/herd-$p" "${args[@]}" a.ndjson missing.ndjson dir cut.ndjson.gz b.ndjson >$p.out 2>$p.err
	rc=$?
	"$bin/herd-$p" -q "${args[@]}" a.ndjson cut.whole b.ndjson >$p.want
	check "herd-$p: exit 1 (got $rc)" [ $rc -eq 1 ]
	check "herd-$p: 'missing.ndjson: No such file or directory'" grep -qx "herd-$p: missing.ndjson: No such file or directory" $p.err
	check "herd-$p: 'dir: read error ... Is a directory'" grep -qx "herd-$p: dir: read error after line 0: Is a directory" $p.err
	check "herd-$p: the cut gzip file is a read error after its last whole line ($(grep cut.ndjson.gz $p.err))" \
		grep -qx "herd-$p: cut.ndjson.gz: read error after line $whole: Input/output error" $p.err
	check "herd-$p: nothing else on stderr ($(wc -l <$p.err) lines)" [ "$(grep -vc -e 'posts without entities' $p.err)" -eq 3 ]
	check "herd-$p: the output is that of the readable lines, no partial line" cmp -s $p.want $p.out
done

"$bin/herd-load" -q --db t.db a.ndjson missing.ndjson dir cut.ndjson.gz b.ndjson 2>load.err
rc=$?
check "herd-load: exit 1 (got $rc)" [ $rc -eq 1 ]
check "herd-load: the three messages" [ "$(grep -c -e missing.ndjson -e 'dir: read error' -e 'cut.ndjson.gz: read error' load.err)" -eq 3 ]
check "herd-load: the file holds the readable records ($((2000 + whole)))" [ "$(count t.db posts)" -eq $((2000 + whole)) ]
check "herd-load: integrity_check ok" [ "$(sqlite3 t.db 'PRAGMA integrity_check')" = ok ]
"$bin/herd-load" -q --db t.db a.ndjson b.ndjson c.ndjson.gz
check "herd-load: with the inputs mended, a re-run exits 0" [ $? -eq 0 ]
"$bin/herd-load" -q --db clean.db all.ndjson
check "herd-load: … and holds the clean run's rows" cmp -s <(rows clean.db) <(rows t.db)

# herd-import: CSV files.
printf 'id,when,body\n1,2021-01-27T14:00:00Z,GME up\n2,2021-01-27T15:00:00Z,AMC down\n' >a.csv
"$bin/herd-import" --map id=id,created_at=when,text=body a.csv missing.csv dir a.csv >imp.out 2>imp.err
rc=$?
check "herd-import: exit 1 (got $rc)" [ $rc -eq 1 ]
check "herd-import: 'missing.csv: No such file or directory'" grep -qx "herd-import: missing.csv: No such file or directory" imp.err
check "herd-import: the directory is named with its error ($(grep dir imp.err))" grep -q "^herd-import: dir: .*Is a directory" imp.err
check "herd-import: both readable files imported (4 records)" [ "$(wc -l <imp.out)" -eq 4 ]

# A file this user may not read.
cp a.ndjson secret.ndjson
chmod 000 secret.ndjson
as=()
if [ "$(id -u)" -eq 0 ]; then
	command -v runuser >/dev/null && id nobody >/dev/null 2>&1 || { echo "skip: root without runuser/nobody: no permission check"; result; }
	as=(runuser -u nobody --)
	chmod 755 "$tmp"
	chmod 644 a.ndjson b.ndjson
fi
"${as[@]}" "$bin/herd-normalize" -q a.ndjson secret.ndjson b.ndjson >perm.out 2>perm.err
rc=$?
check "a file it may not read: exit 1 (got $rc)" [ $rc -eq 1 ]
check "… 'secret.ndjson: Permission denied' (got: $(head -1 perm.err))" grep -qx "herd-normalize: secret.ndjson: Permission denied" perm.err
check "… and the others are read" cmp -s perm.out <("$bin/herd-normalize" -q a.ndjson b.ndjson)

result
