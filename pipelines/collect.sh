#!/usr/bin/env bash
# collect.sh — the collect step on its own, for a cron line every 15
# minutes: every source configured in the env file is fetched (one
# herd-fetch per source, all its queries in one run: one connection, one
# budget), its raw records kept gzipped in
# $HERD_RAW_DIR/YYYY/MM/DD/SOURCE-HHMMSS.ndjson.gz for replays, then
# normalized (and scored, with HERD_COLLECT_MODEL) and loaded into $HERD_DB.
#
# Nothing fetched is lost between the steps: herd-fetch writes into a work
# file ($HERD_HOME/collect/SOURCE-STAMP.ndjson) and moves its cursors only
# after the items are flushed there; the work file is gzipped into the raw
# folder (under a temporary name, renamed when whole) and loaded, and only
# then removed. A run killed half way leaves its work files, and the next
# run gzips and loads them first (loading is idempotent: upserts by id).
set -uo pipefail
pipeline=collect
. "$(dirname "$0")/common.sh"

usage() {
	cat <<'EOF'
Usage: pipelines/collect.sh [OPTIONS] [SOURCE...]
Fetch every configured source, keep the raw records for replays, normalize and load them.

For each source in $HERD_SOURCES (or only the SOURCEs named), runs
  herd-fetch SOURCE --state $HERD_STATE --every $HERD_FETCH_EVERY QUERY...
into a work file, keeps it as $HERD_RAW_DIR/YYYY/MM/DD/SOURCE-HHMMSS.ndjson.gz,
then runs
  herd-normalize [| herd-score --model $HERD_COLLECT_MODEL] | herd-load --db $HERD_DB
on it. Work files a killed run left behind are kept and loaded first.

Exit status: 0 clean; 1 when a source failed, a budget or rate limit stopped
one (herd-fetch's exit 3: the next run goes on), or lines were rejected (the
other sources still run); 2 on usage errors. Run it under the lock the other
pipelines take, so that it never overlaps them:
  */15 * * * * flock -n $LOCK pipelines/collect.sh --env /etc/herd/herd.env

Options:
      --env FILE        read settings from FILE (shell assignments, exported)
  -h, --help            show this help and exit

Settings (environment; pipelines/herd.env.example documents each):
  HERD_HOME (required), HERD_DB, HERD_STATE, HERD_SOURCES: SOURCE:QUERY
  entries, separated by spaces, or by newlines when a query holds a space
  ("newsapi:GameStop OR GME"); HERD_FETCH_EVERY (15m here), HERD_FETCH_ARGS
  (every source), HERD_FETCH_ARGS_<SOURCE> (one source, e.g.
  HERD_FETCH_ARGS_NEWSAPI="--lang en --budget 90"), HERD_RAW_DIR
  ($HERD_HOME/raw), HERD_COLLECT_MODEL (unset: load unscored posts),
  HERD_LOG_FORMAT, HERD_METRICS_DIR; credentials as herd-fetch --help says
  (NAME or NAME_FILE).

Example:
  pipelines/collect.sh --env /etc/herd/herd.env reddit stocktwits
EOF
}

only=()
while [ $# -gt 0 ]; do
	case $1 in
	--env) [ $# -ge 2 ] || usage_error "option '--env' needs a value"; load_env "$2"; shift ;;
	--env=*) load_env "${1#--env=}" ;;
	-h | --help) usage; exit 0 ;;
	-?*) usage_error "unknown option '$1'" ;;
	*) only+=("$1") ;;
	esac
	shift
done
setup_home
HERD_RAW_DIR=${HERD_RAW_DIR:-$HERD_HOME/raw}
HERD_FETCH_EVERY=${HERD_FETCH_EVERY:-15m}
[ -n "${HERD_SOURCES:-}" ] || usage_error "HERD_SOURCES is empty: nothing to collect"
work=$HERD_HOME/collect
mkdir -p "$work/rejects" || die "$work: cannot create"

# SOURCE:QUERY entries, by newlines when there are any, else by spaces.
declare -A queries
order=()
if [[ $HERD_SOURCES == *$'\n'* ]]; then
	mapfile -t entries <<<"$HERD_SOURCES"
else
	read -r -a entries <<<"$HERD_SOURCES"
fi
for sq in "${entries[@]}"; do
	sq=${sq#"${sq%%[![:space:]]*}"} # trim
	sq=${sq%"${sq##*[![:space:]]}"}
	[ -n "$sq" ] || continue
	src=${sq%%:*} query=${sq#*:}
	[ "$src" != "$sq" ] && [ -n "$query" ] || usage_error "HERD_SOURCES: '$sq' is not SOURCE:QUERY"
	[[ $src =~ ^[a-z]+$ ]] || usage_error "HERD_SOURCES: '$src' is not a source name"
	[ -n "${queries[$src]:-}" ] || order+=("$src")
	queries[$src]+="$query"$'\n'
done
for s in "${only[@]}"; do
	[ -n "${queries[$s]:-}" ] || usage_error "$s: not in HERD_SOURCES"
done

# Keep a work file as a raw file and load it; remove it when both are done.
settle() { # WORK-FILE
	local f=$1 base src stamp day dest name rc
	base=${f##*/}
	base=${base%.ndjson}
	src=${base%%-*} stamp=${base#*-}
	day=${stamp:0:4}/${stamp:4:2}/${stamp:6:2}
	dest=$HERD_RAW_DIR/$day/$src-${stamp:9:6}.ndjson.gz
	if [ ! -s "$f" ]; then
		rm -f "$f"
		return 0
	fi
	mkdir -p "${dest%/*}" || die "${dest%/*}: cannot create"
	gzip -c "$f" >"$dest.tmp" && mv -f "$dest.tmp" "$dest" || die "$dest: cannot write"
	name=load-$src
	common_opts "normalize-$src"
	local norm=("$bin/herd-normalize" "${opts[@]}" --rejects "$work/rejects/$base.normalize.ndjson" "$f")
	common_opts "$name"
	if [ -n "${HERD_COLLECT_MODEL:-}" ]; then
		local sopts=("${opts[@]}")
		common_opts "score-$src"
		"${norm[@]}" | "$bin/herd-score" "${opts[@]}" --model "$HERD_COLLECT_MODEL" \
			--rejects "$work/rejects/$base.score.ndjson" |
			"$bin/herd-load" "${sopts[@]}" --db "$HERD_DB" --rejects "$work/rejects/$base.load.ndjson"
	else
		"${norm[@]}" | "$bin/herd-load" "${opts[@]}" --db "$HERD_DB" --rejects "$work/rejects/$base.load.ndjson"
	fi
	rc=$?
	stage_rc[$name]=$rc
	if [ "$rc" -ne 0 ]; then
		# Rejected lines are kept; the records that could be loaded were.
		if compgen -G "$work/rejects/$base.*.ndjson" >/dev/null; then
			log warn "$src: lines rejected, kept in $work/rejects/$base.*.ndjson"
			status=1
		else
			log error "$src: normalize or load failed (exit $rc); $f is kept for the next run"
			status=1
			return 1
		fi
	fi
	log info "$src: $(grep -c . "$f") raw records kept in $dest and loaded"
	rm -f "$f"
}

# What a killed run left.
for f in "$work"/*-*.ndjson; do
	[ -e "$f" ] || continue
	log warn "loading ${f##*/}, left by an earlier run"
	settle "$f"
done

stamp=$(date -u +%Y%m%dT%H%M%SZ) # names the files: bookkeeping, not event time
for src in "${order[@]}"; do
	if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $src "* ]]; then
		continue
	fi
	mapfile -t qs < <(printf '%s' "${queries[$src]}")
	extra_var=HERD_FETCH_ARGS_${src^^}
	f=$work/$src-$stamp.ndjson
	# shellcheck disable=SC2086
	stage "fetch-$src" herd-fetch "$src" --state "$HERD_STATE" --every "$HERD_FETCH_EVERY" \
		${HERD_FETCH_ARGS:-} ${!extra_var:-} "${qs[@]}" >"$f"
	case ${stage_rc[fetch-$src]} in
	0) ;;
	3) log warn "$src: stopped by its budget or a rate limit; the next run goes on"; status=1 ;;
	2) log error "$src: herd-fetch refused its settings (exit 2)"; status=1 ;;
	*) log error "$src: a query failed (exit ${stage_rc[fetch-$src]}); what was fetched is kept"; status=1 ;;
	esac
	settle "$f"
done
finish $status
