# bench-lib.sh — helpers for scripts/bench-*.sh (source it): timing the
# fastest of three runs with /usr/bin/time, and printing the results as
# table lines and ratios. Needs $tmp (a scratch folder).
#
#   read -r secs kb cpu < <(bench_best CMD ARGS...)   # stdout of the last run in $tmp/out
#   bench_row LABEL "$(bench_best …)" N posts "$(bench_mb FILE)" NOTE   # a table line

# bench_best CMD...: prints "wall_seconds peak_kb cpu_seconds" (user + sys)
# of the fastest of 3 runs by wall time; exits when a run fails (its stderr
# is shown). CPU time is the steadier figure on a machine others share.
bench_best() {
	local best_s="" best_kb="" best_cpu="" s kb u sy
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || { echo "failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
		read -r s kb u sy < "$tmp/time"
		if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
			best_s=$s best_kb=$kb best_cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
		fi
	done
	echo "$best_s $best_kb $best_cpu"
}

# bench_mb FILE...: their size together in MB (10^6 bytes), one decimal.
bench_mb() { du -cb "$@" | awk 'END { printf "%.1f", $1 / 1e6 }'; }

# bench_row LABEL "SECS KB CPU" N UNIT MB NOTE: one line of a results
# table: wall and CPU seconds, N UNITs (posts, rows…) per second, MB/s of
# an input of MB, peak memory, a note.
bench_row() {
	local secs kb cpu
	read -r secs kb cpu <<<"$2"
	awk -v l="$1" -v r="$secs" -v c="$cpu" -v kb="$kb" -v n="$3" -v u="$4" -v mb="$5" -v note="$6" 'BEGIN {
		printf "%-30s %6.2f s %6.2f s CPU %8.0f %s/s %6.1f MB/s %5.0f MB  %s\n", l, r, c, n / r, u, mb / r, kb / 1024, note }'
}

# bench_ratio A B: A's wall seconds over B's, two decimals (each a
# bench_best triple or bare seconds).
bench_ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f", a / b }'; }

# bench_new_db DB CMD...: bench_best of CMD with the SQLite file DB (and
# its -wal and -shm) removed before each run, so every run makes it anew.
bench_new_db() {
	local db=$1
	shift
	bench_best sh -c 'rm -f "$1" "$1-wal" "$1-shm"; shift; exec "$@"' sh "$db" "$@"
}
