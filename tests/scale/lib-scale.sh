# tests/scale/lib-scale.sh — sourced by the scale tests after tests/lib.sh:
# the single-process reference they compare the sharded runs with, and the
# table comparison.
#
#   one FILE [herd-aggregate options] > agg.ndjson
#   same_table A.db B.db TABLE        # same rows, in any order

# The pipe in one process: what parallel.sh and Spark must reproduce.
one() {
	local f=$1
	shift
	"$bin/herd-normalize" -q "$f" | "$bin/herd-score" -q --model vader |
		"$bin/herd-aggregate" -q --lateness all --window 1h,1d "$@"
}

same_table() { cmp -s <(sqlite3 "$1" "SELECT * FROM $3" | sort) <(sqlite3 "$2" "SELECT * FROM $3" | sort); }
