#!/usr/bin/env bash
# pg-load.sh — loads the runs that `herd-load --pg-copy DIR` wrote into a
# PostgreSQL database: each DIR/load.RUN.sql, in byte order of RUN, through
# psql with ON_ERROR_STOP, one transaction per run; a run that committed has
# its script and COPY files moved to DIR/loaded/. The first run that fails
# stops the loading (later runs must not overtake it: the run loaded last
# wins) and is left in DIR, its transaction rolled back.
#
# The COPY format, the load script and the last-wins rule are described in
# docs/storage.md ("PostgreSQL"); the scripts are self-contained, so this is
# only the loop, the lock and the bookkeeping around them.
set -uo pipefail
export LC_ALL=C

usage() {
	cat <<'EOF'
Usage: pipelines/pg-load.sh [OPTIONS] DIR [DSN]
Load the PostgreSQL COPY runs that herd-load --pg-copy wrote into DIR.

For each DIR/load.RUN.sql, in byte order of the run ids (default ids start
with the UTC time, so that is the order they were written), runs
  psql -X -q -At -v ON_ERROR_STOP=1 -d DSN -f load.RUN.sql
from DIR. Each script creates herd's tables when absent and upserts its
run's COPY files through staging tables in one transaction: loading a run
twice changes nothing, and a run that fails (a bad row, psql killed, the
server gone) commits nothing. A loaded run's script and files move to
DIR/loaded/. The first failing run stops the loading, exit 1: it stays in
DIR with the runs after it, to be loaded by the next call once fixed.

DSN is a libpq connection string or URI ('host=db dbname=herd user=herd',
'postgresql://herd@db/herd'); without it psql's defaults and the PG*
variables (PGHOST, PGDATABASE…) apply. Keep passwords out of the DSN (it
shows in ps): use ~/.pgpass, PGPASSFILE or PGPASSWORD. Tables go where the
search_path puts them (PGOPTIONS='-c search_path=herd').

Prints psql's per-table counts, prefixed with the run id:
  RUN: posts: 12 new, 3 updated, 40 unchanged
Exit: 0 every run loaded (or none to load), 1 a run failed or DIR is not
usable, 2 usage error. Two pg-load.sh on one DIR take turns (flock).

Options:
      --keep            leave loaded runs in DIR (do not move to loaded/)
  -q, --quiet           print failures only
  -h, --help            show this help and exit

Example:
  herd-load --pg-copy /var/spool/herd posts.ndjson
  pipelines/pg-load.sh /var/spool/herd 'host=db.example dbname=herd user=herd'
EOF
}

say() { [ "$quiet" = 1 ] || echo "$@"; }
die() { echo "pg-load: $*" >&2; exit 1; }
usage_error() { echo "pg-load: $*" >&2; echo "Try 'pipelines/pg-load.sh --help' for more information." >&2; exit 2; }

keep=0 quiet=0 args=()
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; args+=("$@"); break ;;
	-*) usage_error "unknown option '$1'" ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -ge 1 ] || usage_error "no DIR given"
[ ${#args[@]} -le 2 ] || usage_error "too many arguments (DIR [DSN])"
dir=${args[0]}
dsn=()
[ ${#args[@]} -lt 2 ] || dsn=(-d "${args[1]}")

command -v psql >/dev/null || die "psql not found (Debian: apt-get install postgresql-client)"
[ -d "$dir" ] || die "$dir: not a directory"
cd "$dir" || die "$dir: cannot enter"
exec 9>>.pg-load.lock || die "$dir/.pg-load.lock: cannot open"
flock 9 || die "$dir/.pg-load.lock: cannot lock"
[ "$keep" = 1 ] || mkdir -p loaded || die "$dir/loaded: cannot create"

# move_run RUN: the script first (it marks the run as loaded), then its files.
move_run() {
	[ ! -e "load.$1.sql" ] || mv -- "load.$1.sql" loaded/ || return
	for f in *."$1".copy; do
		[ ! -e "$f" ] || mv -- "$f" loaded/ || return
	done
}

# Files of runs whose script was moved before a previous call was cut short.
if [ "$keep" = 0 ]; then
	for s in loaded/load.*.sql; do
		[ -e "$s" ] || continue
		run=${s#loaded/load.}
		move_run "${run%.sql}" || die "$dir: cannot move run ${run%.sql} to loaded/"
	done
fi

export PGAPPNAME=${PGAPPNAME:-herd-pg-load}
n=0
for s in load.*.sql; do # glob order is byte order under LC_ALL=C
	[ -e "$s" ] || continue
	run=${s#load.}
	run=${run%.sql}
	# psql's results (one line per table) on stdout, its messages on stderr,
	# each prefixed with the run id.
	psql -X -q -At -v ON_ERROR_STOP=1 "${dsn[@]}" -f "$s" 2>.pg-load.err | while IFS= read -r line; do
		say "$run: $line"
	done
	rc=${PIPESTATUS[0]}
	[ ! -s .pg-load.err ] || sed "s/^/pg-load: $run: /" .pg-load.err >&2
	if [ "$rc" -ne 0 ]; then
		echo "pg-load: $dir/$s: psql exited $rc; run $run rolled back, nothing of it committed; it and later runs stay in $dir" >&2
		exit 1
	fi
	n=$((n + 1))
	[ "$keep" = 1 ] || move_run "$run" || die "$dir: run $run is loaded but could not be moved to loaded/"
done
say "pg-load: $dir: $n run$([ $n = 1 ] || echo s) loaded"
exit 0
