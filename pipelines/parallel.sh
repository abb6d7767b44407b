#!/usr/bin/env bash
# parallel.sh — the per-record stages of the pipe on every core, or on
# several hosts, with GNU parallel; one merge gives what one process gives:
#
#   input ─split by GNU parallel (--pipe, whole lines)─┬ herd-normalize | herd-score | herd-aggregate --partial ┐
#                                                       ├ herd-normalize | herd-score | herd-aggregate --partial ┼ herd-aggregate --merge [| herd-load]
#                                                       └ …  (one job per block, -j at a time per host)          ┘
#
# herd-aggregate's partial records hold the exact mergeable state (authors
# as sets, fixed-point sums), so the merged agg records are byte for byte
# those of one pass with --lateness all, whatever the split
# (tests/scale/check-parallel.sh proves it on real and generated data).
# Nothing is home-made here: GNU parallel splits, schedules and, with
# --sshlogin, ships blocks to other hosts over ssh.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
# The programs: bin/ in a checkout; PREFIX/bin when installed (make install
# puts this folder in PREFIX/share/herd/pipelines).
bin=${HERD_BIN:-$top/bin}
[ -n "${HERD_BIN:-}" ] || [ -d "$bin" ] || bin=$(cd "$top/../.." && pwd)/bin

usage() {
	cat <<'EOF'
Usage: pipelines/parallel.sh [OPTIONS] FILE...
Run normalize and score on shards across cores (or hosts) with GNU parallel, then merge the aggregates.

Reads raw records (or posts, or with --source bare items) from the FILEs
(.ndjson or .ndjson.gz; '-' is stdin), cuts them into blocks of whole lines
(--block) and runs on each block, as one GNU parallel job,
  herd-normalize | herd-score --model M | herd-aggregate --partial --lateness all
then merges the partial aggregates with herd-aggregate --merge. The agg
records written (to stdout, or into --db) are exactly those of
  herd-normalize FILE… | herd-score --model M | herd-aggregate --lateness all
as one process writes them (same records, same order). With --pass all the
scored posts come first (in no set order across shards).

Options:
  -j, --jobs N          jobs at a time on each host (default: its CPU cores)
      --block SIZE      input bytes per job (default 32M; k, M, G as GNU parallel reads them)
  -w, --window LIST     aggregate windows (default 1h,1d)
  -m, --model M         herd-score --model: vader (default) or a BERT model directory
      --vader           also add VADER when --model is a BERT model
      --source NAME     the FILEs hold bare items of NAME (reddit, stocktwits, ...)
      --pass all        also write the scored posts (herd-aggregate --pass all)
      --db FILE         load the output into this SQLite file with herd-load
                        instead of writing it to stdout
      --rejects DIR     keep each stage's rejected lines in DIR/STAGE.SHARD.ndjson
                        (a local folder: with --sshlogin, on a shared file system)
  -S, --sshlogin LIST   also run jobs on these hosts (GNU parallel's --sshlogin:
                        user@host, N/host for N jobs, ':' for this machine; comma-
                        separated). Each host needs herd built at the same path
                        (or --remote-bin) with its data/ and the model
      --sshloginfile F  hosts from a file, one per line (GNU parallel's format)
      --remote-bin DIR  where herd's programs are on every host (default: this bin/)
  -q, --quiet           programs print warnings only
  -h, --help            show this help and exit

Messages from a job name its block: "shard 7: herd-normalize: <stdin>:12: ..."
is line 12 of the 7th block. Exit status: 0 when every stage of every job
exited 0; 1 when some line was rejected (or a program reported an I/O error:
see the messages); 2 on usage errors; 3 when a job or the merge failed
otherwise (killed, crashed, could not start): the output is then incomplete.

Examples:
  pipelines/parallel.sh -j 2 raw/2021-01-*.ndjson.gz > agg.ndjson
  pipelines/parallel.sh --pass all --db herd.db raw/*.ndjson.gz
  pipelines/parallel.sh -S 8/node1,8/node2,: --block 64M big.ndjson > agg.ndjson
EOF
}

die() { echo "parallel: $*" >&2; exit 3; }
usage_error() { echo "parallel: $*" >&2; echo "Try 'pipelines/parallel.sh --help' for more information." >&2; exit 2; }
need_value() { [ "$2" -ge 2 ] || usage_error "option '$1' needs a value"; }

jobs= block=32M windows=1h,1d model=vader vader=0 source= pass= db= rejects= quiet=
remote_bin= ssh=()
files=()
while [ $# -gt 0 ]; do
	case $1 in
	-j | --jobs) need_value "$1" $#; jobs=$2; shift ;;
	--block) need_value "$1" $#; block=$2; shift ;;
	-w | --window) need_value "$1" $#; windows=$2; shift ;;
	-m | --model) need_value "$1" $#; model=$2; shift ;;
	--vader) vader=1 ;;
	--source) need_value "$1" $#; source=$2; shift ;;
	--pass) need_value "$1" $#; [ "$2" = all ] || usage_error "--pass: only 'all' is offered"; pass=all; shift ;;
	--db) need_value "$1" $#; db=$2; shift ;;
	--rejects) need_value "$1" $#; rejects=$2; shift ;;
	-S | --sshlogin) need_value "$1" $#; ssh+=(--sshlogin "$2"); shift ;;
	--sshloginfile) need_value "$1" $#; ssh+=(--sshloginfile "$2"); shift ;;
	--remote-bin) need_value "$1" $#; remote_bin=$2; shift ;;
	-q | --quiet) quiet=-q ;;
	-h | --help) usage; exit 0 ;;
	--) shift; files+=("$@"); break ;;
	-) files+=(-) ;;
	-?*) usage_error "unknown option '$1'" ;;
	*) files+=("$1") ;;
	esac
	shift
done
[ ${#files[@]} -gt 0 ] || usage_error "no input FILEs ('-' for stdin)"
[ -z "$jobs" ] || [[ "$jobs" =~ ^[1-9][0-9]*$ ]] || usage_error "--jobs: '$jobs' is not a positive integer"
[[ "$block" =~ ^[1-9][0-9]*[kKmMgG]?$ ]] || usage_error "--block: '$block' is not a size (like 512k, 32M, 1G)"
command -v parallel >/dev/null || die "GNU parallel not found (scripts/install-deps.sh installs it)"
for p in normalize score aggregate; do [ -x "$bin/herd-$p" ] || die "$bin/herd-$p not found: run make"; done
[ -z "$db" ] || [ -x "$bin/herd-load" ] || die "$bin/herd-load not found: run make"
for f in "${files[@]}"; do [ "$f" = - ] || [ -r "$f" ] || die "$f: cannot read"; done
# Read the input here: a file that vanishes or a broken gzip file must
# fail the run, not look like a short input.
[ -z "$rejects" ] || mkdir -p "$rejects" || die "$rejects: cannot make the folder"

# ---------------------------------------------------------------- one job
# The command GNU parallel runs per block (in bash, here or over ssh);
# {#} is the job's number. Every argument is quoted for the shell.
rb=${remote_bin:-$bin}
q() { printf '%q' "$1"; }
rej() { [ -z "$rejects" ] || printf ' --rejects %q' "$(cd "$rejects" && pwd)/$1.{#}.ndjson"; }
score=(--model "$model")
[ $vader -eq 0 ] || score+=(--vader)
norm_opts=
[ -z "$source" ] || norm_opts="--source $(q "$source")"
score_opts=$(printf ' %q' "${score[@]}")
agg_pass=
[ -z "$pass" ] || agg_pass="--pass all"
job="set -o pipefail; { { $(q "$rb/herd-normalize") $quiet $norm_opts$(rej normalize)"
job+=" | $(q "$rb/herd-score") $quiet$score_opts$(rej score)"
job+=" | $(q "$rb/herd-aggregate") $quiet --partial --lateness all --window $(q "$windows") $agg_pass$(rej aggregate); }"
job+=" 2>&1 1>&3 3>&- | sed -u 's/^/shard {#}: /' >&2; } 3>&1"

# ---------------------------------------------------------------- run
joblog=$(mktemp)
trap 'rm -f "$joblog"' EXIT
par=(parallel --pipe --block "$block" --joblog "$joblog" --halt never "${ssh[@]}")
[ -z "$jobs" ] || par+=(-j "$jobs")
# --merge passes the posts on (they are not its kind) and merges the rest.
merge=("$bin/herd-aggregate" $quiet --merge)

# One plain file: GNU parallel's --pipe-part has each job read its own
# byte range of it (no copy through parallel's splitter, about half its
# CPU); otherwise the input is decompressed and split as one stream.
input=(zcat -f -- "${files[@]}")
if [ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] && [ "$(head -c 2 "${files[0]}" | od -An -tx1 | tr -d ' ')" != 1f8b ]; then
	input=(true)
	par=("${par[@]/#--pipe/--pipe-part}")
	par+=(-a "${files[0]}")
fi
set +e
if [ -n "$db" ]; then
	"${input[@]}" | SHELL=/bin/bash "${par[@]}" "$job" | "${merge[@]}" |
		"$bin/herd-load" $quiet --db "$db" ${rejects:+--rejects "$rejects/load.ndjson"}
	status=("${PIPESTATUS[@]}")
else
	"${input[@]}" | SHELL=/bin/bash "${par[@]}" "$job" | "${merge[@]}"
	status=("${PIPESTATUS[@]}")
fi
set -e

# The jobs' own statuses (column 7 of the job log; 8 is a signal).
worst=$(awk 'NR > 1 { s = $7 > 0 ? $7 : 0; if ($8 > 0) s = 128 + $8; if (s > w) w = s } END { print w + 0 }' "$joblog")
njobs=$(($(wc -l <"$joblog") - 1))
[ "${status[0]}" -eq 0 ] || die "reading the input failed (zcat exit ${status[0]}): the output is incomplete"
[ "$worst" -le 1 ] || die "a job failed (exit $worst; see 'shard N:' above): the output is incomplete"
[ "${status[2]}" -le 1 ] || die "herd-aggregate --merge failed (exit ${status[2]})"
[ -z "$db" ] || [ "${status[3]}" -le 1 ] || die "herd-load failed (exit ${status[3]})"
[ $njobs -gt 0 ] || [ "${status[1]}" -eq 0 ] || die "GNU parallel failed (exit ${status[1]})"
if [ -n "$rejects" ]; then
	rmdir "$rejects" 2>/dev/null || true
fi
rc=0
for s in "$worst" "${status[@]:2}"; do [ "$s" -eq 0 ] || rc=1; done
exit $rc
