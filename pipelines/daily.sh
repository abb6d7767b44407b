#!/usr/bin/env bash
# daily.sh — the daily chores, for cron after midnight UTC: yesterday's
# digest and the heatmap, retention and VACUUM, verified backups of the
# records and state files, pruning of what hourly.sh leaves behind, and a
# health check whose failure makes the run exit 1 (cron mails it).
set -uo pipefail
pipeline=daily
. "$(dirname "$0")/common.sh"

usage() {
	cat <<'EOF'
Usage: pipelines/daily.sh [OPTIONS]
Daily chores for cron: digest and heatmap, retention, VACUUM, verified backups, health.

  1. report   herd-report --day complete digest (Markdown and HTML) and the
              heatmap, into $HERD_REPORT_DIR/digest-DAY.{md,html} and
              heatmap-DAY.html (DAY: the last complete day of data)
  2. maintain herd-maintain --db $HERD_DB retain vacuum backup
              $HERD_BACKUP_DIR/herd-DATE.db (DATE: today, UTC); the state file
              and herd-detect's state files are backed up beside it (verified
              with PRAGMA integrity_check); the newest $HERD_BACKUP_KEEP
              backups of each are kept
  3. prune    hourly.sh's partials of windows retention removed, its work
              folders older than 7 days, raw files older than $HERD_RAW_KEEP_DAYS
              days (and their lines in hourly.sh's ledger)
  4. health   herd-maintain health (--db, --state $HERD_STATE): stale
              sources, spent budgets, a damaged file
Each program logs with --log-format $HERD_LOG_FORMAT and, with
$HERD_METRICS_DIR, writes daily-STAGE.prom there; the run writes daily.prom.

Exit status: 0 when everything ran and health is green; 1 when a report
could not be made, a backup failed or health found a problem (the other
chores still ran); 2 on usage errors. Run it under the same flock as
hourly.sh, waiting for a running hour to finish (pipelines/crontab.example):
  flock -w 3000 $HERD_HOME/herd.lock pipelines/daily.sh --env /etc/herd/herd.env

Options:
      --env FILE        read settings from FILE (shell assignments, exported)
  -h, --help            show this help and exit

Settings (environment; pipelines/herd.env.example documents each):
  HERD_HOME (required), HERD_DB, HERD_STATE, HERD_REPORT_DIR
  ($HERD_HOME/reports), HERD_REPORT_ARGS (e.g. --exclude FILE), HERD_KEEP
  (herd-maintain --keep; its defaults posts=30d,aggregates=60d,events=365d),
  HERD_BACKUP_DIR ($HERD_HOME/backups), HERD_BACKUP_KEEP (7),
  HERD_RAW_DIR ($HERD_HOME/raw), HERD_RAW_KEEP_DAYS (30), HERD_HEALTH_ARGS
  (e.g. --max-data-age 2h), HERD_LOG_FORMAT, HERD_METRICS_DIR.

Example:
  pipelines/daily.sh --env /etc/herd/herd.env
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--env) [ $# -ge 2 ] || usage_error "option '--env' needs a value"; load_env "$2"; shift ;;
	--env=*) load_env "${1#--env=}" ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
	shift
done
setup_home
HERD_REPORT_DIR=${HERD_REPORT_DIR:-$HERD_HOME/reports}
HERD_BACKUP_DIR=${HERD_BACKUP_DIR:-$HERD_HOME/backups}
HERD_BACKUP_KEEP=${HERD_BACKUP_KEEP:-7}
HERD_RAW_DIR=${HERD_RAW_DIR:-$HERD_HOME/raw}
HERD_RAW_KEEP_DAYS=${HERD_RAW_KEEP_DAYS:-30}
[[ "$HERD_BACKUP_KEEP" =~ ^[1-9][0-9]*$ ]] || usage_error "HERD_BACKUP_KEEP is '$HERD_BACKUP_KEEP', not a positive integer"
[[ "$HERD_RAW_KEEP_DAYS" =~ ^[1-9][0-9]*$ ]] || usage_error "HERD_RAW_KEEP_DAYS is '$HERD_RAW_KEEP_DAYS', not a positive integer"
command -v sqlite3 >/dev/null || die "sqlite3 not found (scripts/install-deps.sh installs it)"
[ -f "$HERD_DB" ] || die "$HERD_DB: no such file (hourly.sh makes it)"
mkdir -p "$HERD_REPORT_DIR" "$HERD_BACKUP_DIR" || die "cannot create $HERD_REPORT_DIR or $HERD_BACKUP_DIR"
today=$(date -u +%F) # names today's backups: bookkeeping, not event time
log info "db $HERD_DB, backups for $today"

# ---------------------------------------------------------------- 1. report
# shellcheck disable=SC2086
if stage report-digest-json herd-report --db "$HERD_DB" --day complete --format json ${HERD_REPORT_ARGS:-} \
	digest >"$HERD_REPORT_DIR/digest.json.tmp"; then
	day=$(grep -o '"day":"[^"]*"' "$HERD_REPORT_DIR/digest.json.tmp" | head -1 | cut -d'"' -f4)
	mv -f "$HERD_REPORT_DIR/digest.json.tmp" "$HERD_REPORT_DIR/digest-$day.json"
	to=$(date -u -d "$day + 1 day" +%Y-%m-%dT00:00:00Z) # the heatmap ends with the day reported
	ok=1
	# shellcheck disable=SC2086
	stage report-digest-md herd-report --db "$HERD_DB" --day "$day" ${HERD_REPORT_ARGS:-} \
		-o "$HERD_REPORT_DIR/digest-$day.md" digest || ok=0
	# shellcheck disable=SC2086
	stage report-digest-html herd-report --db "$HERD_DB" --day "$day" --format html ${HERD_REPORT_ARGS:-} \
		-o "$HERD_REPORT_DIR/digest-$day.html" digest || ok=0
	# shellcheck disable=SC2086
	stage report-heatmap herd-report --db "$HERD_DB" --to "$to" ${HERD_REPORT_ARGS:-} \
		-o "$HERD_REPORT_DIR/heatmap-$day.html" heatmap || ok=0
	if [ $ok -eq 1 ]; then
		log info "report: $HERD_REPORT_DIR/digest-$day.{md,html,json}, heatmap-$day.html"
	else
		log error "report: a report of $day failed (see above)"
		status=1
	fi
else
	rm -f "$HERD_REPORT_DIR/digest.json.tmp"
	log error "report: no digest (exit ${stage_rc[report-digest-json]}): see above"
	status=1
fi

# ---------------------------------------------------------------- 2. maintain
keep=()
[ -z "${HERD_KEEP:-}" ] || keep=(--keep "$HERD_KEEP")
if ! stage maintain herd-maintain --db "$HERD_DB" "${keep[@]}" retain vacuum backup "$HERD_BACKUP_DIR/herd-$today.db"; then
	log error "maintain: failed (exit ${stage_rc[maintain]}): see above"
	status=1
fi
if [ -f "$HERD_STATE" ]; then
	stage backup-state herd-maintain --db "$HERD_STATE" backup "$HERD_BACKUP_DIR/state-$today.db" ||
		{ log error "backup of $HERD_STATE failed"; status=1; }
fi
# herd-detect's state files are not herd files: sqlite3's .backup (the same
# online backup API), then the same check.
for f in "$HERD_HOME"/detect-*.db; do
	[ -f "$f" ] || continue
	b=$HERD_BACKUP_DIR/$(basename "$f" .db)-$today.db
	if sqlite3 "$f" ".backup '$b.tmp'" && [ "$(sqlite3 "$b.tmp" 'PRAGMA integrity_check')" = ok ] && mv -f "$b.tmp" "$b"; then
		log info "backup: $f -> $b, integrity_check ok"
	else
		rm -f "$b.tmp"
		log error "backup of $f failed"
		status=1
	fi
done
# The newest HERD_BACKUP_KEEP of each kind (names sort by date).
for kind in $(ls "$HERD_BACKUP_DIR" | sed -n 's/-[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\.db$//p' | sort -u); do
	ls "$HERD_BACKUP_DIR" | grep -E "^$kind-[0-9]{4}-[0-9]{2}-[0-9]{2}\.db$" | sort -r | tail -n +$((HERD_BACKUP_KEEP + 1)) |
		while read -r old; do rm -f "$HERD_BACKUP_DIR/$old" && log info "backup: removed $old (HERD_BACKUP_KEEP=$HERD_BACKUP_KEEP)"; done
done

# ---------------------------------------------------------------- 3. prune
index=$HERD_HOME/partials/index.tsv
if [ -s "$index" ]; then
	oldest=$(sqlite3 "$HERD_DB" 'SELECT coalesce(min(start), "") FROM aggregates')
	n=0
	: >"$index.tmp"
	while IFS=$'\t' read -r batch first last; do
		if [ -n "$oldest" ] && [[ "$last" < "$oldest" ]]; then
			rm -f "$HERD_HOME/partials/$batch.ndjson"
			n=$((n + 1))
		else
			printf '%s\t%s\t%s\n' "$batch" "$first" "$last" >>"$index.tmp"
		fi
	done <"$index"
	mv -f "$index.tmp" "$index"
	log info "prune: $n batches of partials older than the oldest aggregate (${oldest:-none}) removed"
fi
find "$HERD_HOME/work" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null
[ ! -d "$HERD_RAW_DIR" ] || find "$HERD_RAW_DIR" -type f -name '*.ndjson.gz' -mtime +"$HERD_RAW_KEEP_DAYS" -delete
# hourly.sh's ledger forgets the raw files that are gone.
ledger=$HERD_HOME/hourly.ledger
if [ -s "$ledger" ]; then
	while read -r f; do [ ! -e "$HERD_RAW_DIR/$f" ] || echo "$f"; done <"$ledger" >"$ledger.tmp" && mv -f "$ledger.tmp" "$ledger"
fi

# ---------------------------------------------------------------- 4. health
# shellcheck disable=SC2086
stage health herd-maintain --db "$HERD_DB" --state "$HERD_STATE" ${HERD_HEALTH_ARGS:-} health >"$HERD_HOME/health.txt"
# Each line at the level it deserves: a FAIL is an error (ok and note are info),
# so that a log watcher filtering on level sees it.
while read -r line; do
	case $line in
	FAIL*) log error "health: $line" ;;
	*) log info "health: $line" ;;
	esac
done <"$HERD_HOME/health.txt"
if [ "${stage_rc[health]}" -ne 0 ]; then
	log error "health: not green (see above)"
	status=1
fi
finish $status
