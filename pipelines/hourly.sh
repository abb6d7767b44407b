#!/usr/bin/env bash
# hourly.sh — one run of the pipe, for cron: collect → normalize → score →
# aggregate → detect → load → alert. Collect is pipelines/collect.sh (herd-
# fetch over $HERD_SOURCES, the raw records kept in $HERD_RAW_DIR); the run
# then takes every raw file there it has not processed yet (its ledger,
# $HERD_HOME/hourly.ledger), so collect.sh may also run on its own every
# 15 minutes. With FILEs (saved raw records) collection is skipped and the
# files are replayed instead (no herd-fetch needed).
#
# No alert is lost: the alert settings are checked (herd-alert --check)
# before anything is consumed, so a wrong one stops the run with exit 2 and
# takes no input; herd-detect writes its events straight into
# $HERD_HOME/alert-spool/, from where herd-alert queues them in its state;
# and every run, one with nothing new included, hands herd-alert the spool
# and lets it deliver everything queued, so events a receiver did not take
# are sent by the next run that reaches it.
#
# Aggregates stay exact across runs: each run aggregates its own posts into
# mergeable partials (herd-aggregate --partial), kept in
# $HERD_HOME/partials/BATCH.ndjson, and the windows it touched are merged
# (herd-aggregate --merge) from every batch whose time range overlaps; so
# an hour split over two runs is loaded whole, and replaying the same files
# again (the same BATCH, named after their checksum) changes nothing.
set -uo pipefail
pipeline=hourly
. "$(dirname "$0")/common.sh"

usage() {
	cat <<'EOF'
Usage: pipelines/hourly.sh [OPTIONS] [FILE...]
One pipeline run for cron: collect, normalize, score, aggregate, detect, load, alert.

Without FILEs: runs pipelines/collect.sh (unless HERD_COLLECT=off or
HERD_SOURCES is empty), which fetches every SOURCE:QUERY of $HERD_SOURCES with
herd-fetch and keeps the raw records in $HERD_RAW_DIR/YYYY/MM/DD/; then takes
every raw file (*.ndjson.gz) there that this pipeline has not processed yet
($HERD_HOME/hourly.ledger lists those it has). With FILEs (raw records,
.ndjson or .ndjson.gz) collection is skipped and they are replayed. Then:
  herd-normalize | herd-score --model $HERD_MODEL
  | herd-aggregate --partial (this run's partials) + --merge (the windows
    touched, over every batch that overlaps them)
  | herd-detect --state $HERD_HOME/detect-$HERD_DETECT_WINDOW.db
  | herd-load --db $HERD_DB          (posts, metrics, aggregates, events)
  herd-alert --state $HERD_STATE     (when a channel is configured; the alert
                                      records it writes are loaded too)
Alerting, when a channel is set: the settings are checked first (herd-alert
--check), before anything is collected or read; a wrong one (a *_FILE that
cannot be read, say) ends the run with exit 2 and consumes nothing. The
events herd-detect writes go to $HERD_HOME/alert-spool/ until herd-alert
has queued them in $HERD_STATE; herd-alert runs in every run, also when
there is nothing new, and delivers every queued event a channel does not
have yet: a receiver that is down only delays its alerts, each delivered
once (the webhook's Idempotency-Key covers a run killed mid-delivery).
Each program logs with --log-format $HERD_LOG_FORMAT and, with
$HERD_METRICS_DIR, writes hourly-STAGE.prom there; the run itself writes
hourly.prom (start, duration, exit status, last success, each stage's exit
status). Rejected lines are kept in the run's work folder
($HERD_HOME/work/hourly-STAMP, removed after a clean run).

Exit status: 0 clean (also when there was nothing new); 1 when lines were
rejected, collect.sh reported a failed source or a spent budget, or alerts
stay queued because a channel did not take them (the rest of the run still
happened; the next run sends them); 1 and a stop when a stage fails
outright; 2 on usage errors, a wrong alert setting included (nothing is
consumed). Run it under flock so that runs never overlap
(pipelines/crontab.example):
  flock -n $HERD_HOME/herd.lock pipelines/hourly.sh --env /etc/herd/herd.env

Options:
      --env FILE        read settings from FILE (shell assignments, exported)
  -h, --help            show this help and exit

Settings (environment; pipelines/herd.env.example documents each):
  HERD_HOME (required), HERD_DB, HERD_STATE, HERD_COLLECT (auto: run
  collect.sh when HERD_SOURCES is set; off: collect.sh runs from its own
  cron line), HERD_SOURCES and the other settings of collect.sh
  (HERD_FETCH_EVERY defaults to 1h here), HERD_RAW_DIR ($HERD_HOME/raw),
  HERD_MODEL (vader, or a BERT model directory),
  HERD_WINDOWS (1h,1d), HERD_DETECT_WINDOW (1h), HERD_DETECT_ARGS, HERD_ALERT
  (auto, off or dry-run), HERD_ALERT_ARGS, HERD_LOG_FORMAT, HERD_METRICS_DIR,
  and the channels' settings (HERD_SLACK_WEBHOOK…, herd-alert --help).

Example:
  pipelines/hourly.sh --env pipelines/herd.env.example saved/2021-01-27T14.ndjson.gz
EOF
}

files=()
while [ $# -gt 0 ]; do
	case $1 in
	--env) [ $# -ge 2 ] || usage_error "option '--env' needs a value"; load_env "$2"; shift ;;
	--env=*) load_env "${1#--env=}" ;;
	-h | --help) usage; exit 0 ;;
	--) shift; files+=("$@"); break ;;
	-?*) usage_error "unknown option '$1'" ;;
	*) files+=("$1") ;;
	esac
	shift
done
setup_home
HERD_MODEL=${HERD_MODEL:-vader}
HERD_WINDOWS=${HERD_WINDOWS:-1h,1d}
HERD_DETECT_WINDOW=${HERD_DETECT_WINDOW:-1h}
HERD_RAW_DIR=${HERD_RAW_DIR:-$HERD_HOME/raw}
HERD_ALERT=${HERD_ALERT:-auto}
HERD_COLLECT=${HERD_COLLECT:-auto}
case $HERD_COLLECT in auto | off) ;; *) usage_error "HERD_COLLECT is '$HERD_COLLECT', not auto or off" ;; esac
case $HERD_ALERT in auto | off | dry-run) ;; *) usage_error "HERD_ALERT is '$HERD_ALERT', not auto, off or dry-run" ;; esac
[[ ",$HERD_WINDOWS," == *",$HERD_DETECT_WINDOW,"* ]] ||
	usage_error "HERD_DETECT_WINDOW $HERD_DETECT_WINDOW is not one of HERD_WINDOWS ($HERD_WINDOWS)"
for f in "${files[@]}"; do [ -r "$f" ] || usage_error "$f: cannot read"; done

stamp=$(date -u +%Y%m%dT%H%M%SZ) # names this run's files: bookkeeping, not event time
work=$HERD_HOME/work/hourly-$stamp
mkdir -p "$work/rejects" "$HERD_HOME/partials" || die "$work: cannot create"
log info "run $stamp: db $HERD_DB"

# ---------------------------------------------------------------- alert settings
# Whether this run alerts (send, dry-run or off), decided and checked before
# anything is consumed: a wrong setting would otherwise only show after the
# input was taken and the events written, with nobody told.
channels=0
for v in HERD_SLACK_WEBHOOK HERD_WEBHOOK_URL HERD_SMTP_URL; do
	[ -z "${!v:-}" ] && [ -z "$(eval echo "\${${v}_FILE:-}")" ] || channels=1
done
alert=off dry=()
if [ "$HERD_ALERT" = dry-run ]; then
	alert=dry-run dry=(--dry-run)
elif [ "$HERD_ALERT" = auto ] && [ $channels -eq 1 ]; then
	alert=send
fi
spool=$HERD_HOME/alert-spool
events=$work/events.ndjson
if [ $alert != off ]; then
	# shellcheck disable=SC2086
	stage alert-check herd-alert --check --state "$HERD_STATE" "${dry[@]}" ${HERD_ALERT_ARGS:-} </dev/null
	case ${stage_rc[alert-check]} in
	0) ;;
	2)
		log error "alert: a setting is wrong (herd-alert says which above): nothing was collected or processed; fix it and the next run takes everything"
		rm -rf "$work"
		finish 2
		;;
	*) die "alert: herd-alert --check failed (exit ${stage_rc[alert-check]})" ;;
	esac
	if [ $alert = send ]; then
		mkdir -p "$spool" || die "$spool: cannot create"
		events=$spool/$stamp.ndjson
	fi
fi

# The alert stage: herd-alert queues what the spool holds (this run's
# events, and those of a run killed before it got there) and delivers every
# queued event; the spool files it read are then in the state, and go.
# A dry run previews this run's events only and remembers nothing.
alert_stage() {
	local feed=() f pending
	if [ $alert = off ]; then
		log info "alert: skipped (HERD_ALERT=$HERD_ALERT, $([ $channels -eq 1 ] && echo "channels set" || echo "no channel set"))"
		return 0
	fi
	if [ $alert = send ]; then
		for f in "$spool"/*.ndjson; do
			[ -e "$f" ] || continue
			[ -s "$f" ] || { rm -f "$f"; continue; }
			# A run killed while herd-detect wrote may have left half a
			# line (its state was not committed: those events come again).
			[ -z "$(tail -c1 "$f")" ] || sed -i '$d' "$f"
			feed+=("$f")
		done
	elif [ -s "$events" ]; then
		feed=("$events")
	fi
	# shellcheck disable=SC2086
	stage alert herd-alert --state "$HERD_STATE" "${dry[@]}" ${HERD_ALERT_ARGS:-} \
		--rejects "$work/rejects/alert.ndjson" "${feed[@]}" </dev/null >"$work/alerts.ndjson"
	case ${stage_rc[alert]} in
	0) ;;
	1)
		status=1
		[ ! -s "$work/rejects/alert.ndjson" ] ||
			log warn "alert: $(wc -l <"$work/rejects/alert.ndjson") lines rejected, kept in $work/rejects/alert.ndjson"
		pending=$(sqlite3 -readonly "$HERD_STATE" "SELECT count(*) FROM alert_pending" 2>/dev/null || echo some)
		[ "$pending" = 0 ] ||
			log warn "alert: $pending events stay queued in $HERD_STATE (a channel did not take them, see above); every run sends what is queued, the next one included"
		;;
	*) die "alert failed (exit ${stage_rc[alert]})" ;;
	esac
	[ $alert != send ] || [ ${#feed[@]} -eq 0 ] || rm -f "${feed[@]}"
	if [ $alert = send ] && [ -s "$work/alerts.ndjson" ]; then
		stage load-alerts herd-load --db "$HERD_DB" "$work/alerts.ndjson" || die "loading the alert records failed"
	fi
}

# ---------------------------------------------------------------- collect
raw=()
ledger=$HERD_HOME/hourly.ledger
if [ ${#files[@]} -gt 0 ]; then
	raw=("${files[@]}")
	# The batch is named after the files' contents: replaying them again
	# replaces their partials instead of adding to them.
	batch=replay-$(for f in "${files[@]}"; do sha1sum <"$f"; done | sha1sum | cut -c1-16)
	log info "collect: skipped, replaying ${#files[@]} files (batch $batch)"
else
	if [ "$HERD_COLLECT" = auto ] && [ -n "${HERD_SOURCES:-}" ]; then
		[ -x "$top/pipelines/collect.sh" ] || die "pipelines/collect.sh not found"
		HERD_FETCH_EVERY=${HERD_FETCH_EVERY:-1h} "$top/pipelines/collect.sh"
		stage_rc[collect]=$?
		case ${stage_rc[collect]} in
		0) ;;
		1) log warn "collect: a source failed or was stopped (see above); the rest goes on"; status=1 ;;
		*) die "collect.sh failed (exit ${stage_rc[collect]})" ;;
		esac
	fi
	# Every raw file not processed yet, oldest name first (names hold the time).
	touch "$ledger"
	if [ -d "$HERD_RAW_DIR" ]; then
		mapfile -t raw < <(cd "$HERD_RAW_DIR" && find . -type f -name '*.ndjson.gz' | sed 's|^\./||' | sort |
			grep -vxF -f "$ledger" | sed "s|^|$HERD_RAW_DIR/|")
	fi
	if [ ${#raw[@]} -eq 0 ]; then
		log info "collect: no new raw files in $HERD_RAW_DIR"
		alert_stage # what is queued goes out all the same
		[ $status -ne 0 ] || rm -rf "$work"
		finish $status
	fi
	# Named after the files (their paths under the raw folder: the same
	# SOURCE-HHMMSS names come back every day): a run that repeats the same
	# set (its ledger line was lost) replaces their partials.
	batch=raw-$(printf '%s\n' "${raw[@]#"$HERD_RAW_DIR"/}" | sha1sum | cut -c1-16)
	log info "collect: ${#raw[@]} new raw files (batch $batch)"
fi

# ---------------------------------------------------------------- normalize, score
stage normalize herd-normalize --rejects "$work/rejects/normalize.ndjson" "${raw[@]}" >"$work/posts.ndjson"
judge normalize "$work/rejects/normalize.ndjson"
score=(--model "$HERD_MODEL")
[ "$HERD_MODEL" = vader ] || score+=(--vader)
stage score herd-score "${score[@]}" --rejects "$work/rejects/score.ndjson" "$work/posts.ndjson" >"$work/scored.ndjson"
judge score "$work/rejects/score.ndjson"

# ---------------------------------------------------------------- aggregate
# This batch's partials, then the windows it touched merged over every batch
# that may hold them too (a superset: the keys keep only the touched ones).
part=$HERD_HOME/partials/$batch.ndjson
stage aggregate herd-aggregate --partial --lateness all --pass none --window "$HERD_WINDOWS" \
	--rejects "$work/rejects/aggregate.ndjson" "$work/scored.ndjson" >"$work/partials.ndjson"
judge aggregate "$work/rejects/aggregate.ndjson"
mv -f "$work/partials.ndjson" "$part" || die "$part: cannot write"
grep -o '"window":"[^"]*","start":"[^"]*"' "$part" | sort -u >"$work/keys"
index=$HERD_HOME/partials/index.tsv
touch "$index"
if [ -s "$work/keys" ]; then
	first=$(sed 's/.*"start":"\([^"]*\)"/\1/' "$work/keys" | sort | head -1)
	last=$(sed 's/.*"start":"\([^"]*\)"/\1/' "$work/keys" | sort | tail -1)
	{ grep -v "^$batch	" "$index"; printf '%s\t%s\t%s\n' "$batch" "$first" "$last"; } >"$index.tmp" && mv "$index.tmp" "$index"
	# A batch holding a window this run touched has that window's start
	# within its own first..last starts, and so overlaps first..last.
	mapfile -t parts < <(awk -F'\t' -v lo="$first" -v hi="$last" -v dir="$HERD_HOME/partials" \
		'$3 >= lo && $2 <= hi { print dir "/" $1 ".ndjson" }' "$index")
	stage merge herd-aggregate --merge "${parts[@]}" >"$work/merged.ndjson" || die "merge failed (exit ${stage_rc[merge]})"
	grep -F -f "$work/keys" "$work/merged.ndjson" >"$work/agg.ndjson"
	log info "aggregate: $(grep -c . "$work/agg.ndjson") windows touched, merged over ${#parts[@]} batches"
else
	rm -f "$part"
	grep -v "^$batch	" "$index" >"$index.tmp"; mv "$index.tmp" "$index"
	: >"$work/agg.ndjson"
	log info "aggregate: no posts with entities in this run"
fi

# ---------------------------------------------------------------- detect, load
# herd-detect reads the merged aggregates, and the scored posts (news for
# signals) and metrics (bars, pageviews) of this run.
# shellcheck disable=SC2086
stage detect herd-detect --state "$HERD_HOME/detect-$HERD_DETECT_WINDOW.db" --window "$HERD_DETECT_WINDOW" \
	${HERD_DETECT_ARGS:-} --rejects "$work/rejects/detect.ndjson" "$work/agg.ndjson" "$work/scored.ndjson" \
	>"$events"
# A herd-detect that failed committed nothing: its events come again.
[ "${stage_rc[detect]}" -le 1 ] || rm -f "$events"
judge detect "$work/rejects/detect.ndjson"
stage load herd-load --db "$HERD_DB" --rejects "$work/rejects/load.ndjson" \
	"$work/scored.ndjson" "$work/agg.ndjson" "$events"
judge load "$work/rejects/load.ndjson"
# Loaded: these raw files are done (a replay of FILEs is not recorded).
if [ ${#files[@]} -eq 0 ]; then
	printf '%s\n' "${raw[@]#"$HERD_RAW_DIR"/}" >>"$ledger"
fi

# ---------------------------------------------------------------- alert
alert_stage

if [ $status -eq 0 ]; then
	rm -rf "$work"
else
	log warn "the run's files are kept in $work"
fi
finish $status
