# bench-lib.sh — helpers for scripts/bench-*.sh (source it): timing the
# fastest of three runs with /usr/bin/time. Needs $tmp (a scratch folder).
#
#   read -r secs kb < <(bench_best CMD ARGS...)   # stdout of the last run in $tmp/out

# bench_best CMD...: prints "seconds peak_kb" of the fastest of 3 runs;
# exits when a run fails (its stderr is shown).
bench_best() {
	local best_s="" best_kb="" s kb
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || { echo "failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
		read -r s kb < "$tmp/time"
		if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
			best_s=$s best_kb=$kb
		fi
	done
	echo "$best_s $best_kb"
}
