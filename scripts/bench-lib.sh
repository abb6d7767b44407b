# bench-lib.sh — helpers for scripts/bench-*.sh (source it): timing the
# fastest of three runs with /usr/bin/time. Needs $tmp (a scratch folder).
#
#   read -r secs kb cpu < <(bench_best CMD ARGS...)   # stdout of the last run in $tmp/out

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
