#!/usr/bin/env bash
# replay.sh — saved raw data through the whole pipe into SQLite, then a short
# summary of what landed and the herds found (DESIGN.md §1: replays are
# first-class):
#
#   herd-normalize FILE… | herd-score | herd-aggregate --pass all
#     | herd-detect --pass all | herd-load
#
# `make demo` runs `pipelines/replay.sh --demo`: data/sample (the project's
# own six weeks, no network) into out/demo.db, and shows the GME herd of its
# last nine days with its leading community and each follower's lag.
# Re-running a replay into the same file changes nothing (herd-load upserts
# by key, and herd-detect starts from an empty state unless --state keeps
# one). Each program's rejected lines are kept in DB's rejects folder
# (out/demo.rejects/STAGE.ndjson).
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
# The programs: bin/ in a checkout; PREFIX/bin when installed (make install
# puts this folder in PREFIX/share/herd/pipelines).
bin=${HERD_BIN:-$top/bin}
[ -n "${HERD_BIN:-}" ] || [ -d "$bin" ] || bin=$(cd "$top/../.." && pwd)/bin

usage() {
	cat <<'EOF'
Usage: pipelines/replay.sh [OPTIONS] FILE...
       pipelines/replay.sh --demo [OPTIONS]
Replay saved raw records through normalize, score, aggregate, detect and load into SQLite.

Reads raw records (or, with --source, a source's bare items) from the FILEs
(.ndjson or .ndjson.gz), runs them through
  herd-normalize | herd-score --model vader | herd-aggregate --pass all
  | herd-detect --window D --pass all | herd-load
into the SQLite file --db, then prints a summary from it with sqlite3: the
top entities by posts with their mean sentiment, bull and bear counts and
busiest window; the herds herd-detect found (cascades: an entity's mentions
far above its own usual level, spreading from community to community),
each with its phases, its leading community and each follower's lag; and
the first herd's entity (else the top entity) by window, with the posts of
each community, from a week before the herd. Loading is idempotent:
replaying the same files again changes no row. Rejected lines of each stage
are kept in DB-without-.db.rejects/STAGE.ndjson; the rest is loaded and the
exit status is then 1 (0 when nothing was rejected, 2 on usage errors).

Options:
      --demo            replay data/sample into out/demo.db (what make demo runs)
      --db FILE         the SQLite file (default out/replay.db; --demo: out/demo.db)
      --window LIST     aggregate windows (default 1h,1d); the summary uses the
                        shortest for "busiest" and the longest for the daily view
      --detect D        the window herd-detect reads (default: the longest of
                        --window); 'off': no detection
      --state FILE      herd-detect's state, kept after the run (default: a
                        fresh one for the run, removed after it: the replay
                        detects over exactly its FILEs; give one to continue
                        from an earlier replay of the data before)
      --bert            score with the default BERT model (models/default, built
                        by make models) and add VADER beside it; without it VADER
                        alone scores
      --source NAME     the FILEs hold bare items of NAME (reddit, stocktwits,
                        newsapi, x), not raw records
      --top N           entities and herds in the summary (default 5)
      --summary         only print the summary of --db; load nothing
  -q, --quiet           programs print warnings only
  -h, --help            show this help and exit

Needs bin/ built (make), sqlite3, and the VADER lexicon in data/vader
(fetched by scripts/fetch-vader.sh when missing). Aggregation keeps every
window open to the end of the input (--lateness all), since files from
several sources interleave in time.

Examples:
  pipelines/replay.sh --demo
  pipelines/replay.sh --db out/jan.db --window 15m,1h,1d raw/2021-01-2*.ndjson.gz
EOF
}

die() { echo "replay: $*" >&2; exit 1; }
usage_error() { echo "replay: $*" >&2; echo "Try 'pipelines/replay.sh --help' for more information." >&2; exit 2; }

demo=0 db= windows=1h,1d detect= state= bert=0 source= topn=5 summary_only=0 quiet= rejected=0 failed=
files=()
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=1 ;;
	--db) [ $# -ge 2 ] || usage_error "option '--db' needs a value"; db=$2; shift ;;
	--db=*) db=${1#--db=} ;;
	--window) [ $# -ge 2 ] || usage_error "option '--window' needs a value"; windows=$2; shift ;;
	--window=*) windows=${1#--window=} ;;
	--detect) [ $# -ge 2 ] || usage_error "option '--detect' needs a value"; detect=$2; shift ;;
	--detect=*) detect=${1#--detect=} ;;
	--state) [ $# -ge 2 ] || usage_error "option '--state' needs a value"; state=$2; shift ;;
	--state=*) state=${1#--state=} ;;
	--bert) bert=1 ;;
	--source) [ $# -ge 2 ] || usage_error "option '--source' needs a value"; source=$2; shift ;;
	--source=*) source=${1#--source=} ;;
	--top) [ $# -ge 2 ] || usage_error "option '--top' needs a value"; topn=$2; shift ;;
	--top=*) topn=${1#--top=} ;;
	--summary) summary_only=1 ;;
	-q | --quiet) quiet=-q ;;
	-h | --help) usage; exit 0 ;;
	--) shift; files+=("$@"); break ;;
	-?*) usage_error "unknown option '$1'" ;;
	*) files+=("$1") ;;
	esac
	shift
done
[[ "$topn" =~ ^[1-9][0-9]*$ ]] || usage_error "--top: '$topn' is not a positive integer"

if [ $demo -eq 1 ]; then
	[ ${#files[@]} -eq 0 ] || usage_error "--demo replays data/sample: give no FILEs"
	[ -z "$source" ] || usage_error "--demo replays raw records: no --source"
	files=("$top"/data/sample/*.ndjson)
	db=${db:-$top/out/demo.db}
fi
db=${db:-$top/out/replay.db}

# Window lengths in seconds, to pick the shortest and the longest.
seconds() {
	local n=${1%[smhdw]} u=${1##*[0-9]}
	[[ "$n" =~ ^[0-9]+$ && -n "$u" ]] || usage_error "--window: '$1' is not a duration (like 15m, 1h, 1d)"
	case $u in s) echo "$n" ;; m) echo $((n * 60)) ;; h) echo $((n * 3600)) ;; d) echo $((n * 86400)) ;; w) echo $((n * 604800)) ;;
	*) usage_error "--window: '$1' is not a duration (like 15m, 1h, 1d)" ;; esac
}
short= long= short_s= long_s=
IFS=, read -r -a wlist <<<"$windows"
for w in "${wlist[@]}"; do
	s=$(seconds "$w")
	if [ -z "$short" ] || [ "$s" -lt "$short_s" ]; then short=$w short_s=$s; fi
	if [ -z "$long" ] || [ "$s" -gt "$long_s" ]; then long=$w long_s=$s; fi
done
detect=${detect:-$long}
[ "$detect" = off ] || [[ ",$windows," == *",$detect,"* ]] ||
	usage_error "--detect: '$detect' is not one of the windows ($windows), nor off"

command -v sqlite3 >/dev/null || die "sqlite3 not found (scripts/install-deps.sh installs it)"

# ---------------------------------------------------------------- load
if [ $summary_only -eq 0 ]; then
	[ ${#files[@]} -gt 0 ] || usage_error "no input FILEs (or --demo)"
	for f in "${files[@]}"; do [ -r "$f" ] || die "$f: cannot read"; done
	for p in normalize score aggregate detect load; do
		[ -x "$bin/herd-$p" ] || die "$bin/herd-$p not found: run make"
	done
	# herd-score looks in $HERD_HOME/data/vader, then data/vader beside bin/.
	if [ ! -s "${HERD_HOME:-/nonexistent}/data/vader/vader_lexicon.txt" ] &&
		[ ! -s "$top/data/vader/vader_lexicon.txt" ]; then
		echo "replay: no VADER lexicon in data/vader; fetching it (scripts/fetch-vader.sh)" >&2
		"$top/scripts/fetch-vader.sh" || die "no VADER lexicon: scripts/fetch-vader.sh failed (network?)"
	fi
	score=(--model vader)
	if [ $bert -eq 1 ]; then
		[ -d "$top/models/default" ] || die "--bert needs models/default: run make models"
		score=(--model "$top/models/default" --vader)
	fi
	norm=()
	[ -z "$source" ] || norm=(--source "$source")

	mkdir -p "$(dirname "$db")"
	rejects=${db%.db}.rejects
	mkdir -p "$rejects"
	rm -f "$rejects"/{normalize,score,aggregate,detect,load}.ndjson
	# herd-detect's memory: a fresh state for this replay, unless --state.
	detect_state=$state
	if [ -z "$detect_state" ]; then
		detect_state=$(mktemp "${TMPDIR:-/tmp}/replay-state.XXXXXX")
		trap 'rm -f "$detect_state" "$detect_state-wal" "$detect_state-shm"' EXIT
		rm -f "$detect_state"
	fi
	# herd-detect --pass all writes every record it read, then the events; with
	# --detect off, cat stands in for it.
	detector=("$bin/herd-detect" $quiet --window "$detect" --state "$detect_state" --pass all
		--rejects "$rejects/detect.ndjson")
	[ "$detect" != off ] || detector=(cat)

	set +e
	"$bin/herd-normalize" $quiet "${norm[@]}" --rejects "$rejects/normalize.ndjson" "${files[@]}" |
		"$bin/herd-score" $quiet "${score[@]}" --rejects "$rejects/score.ndjson" |
		"$bin/herd-aggregate" $quiet --window "$windows" --lateness all --pass all \
			--rejects "$rejects/aggregate.ndjson" |
		"${detector[@]}" |
		"$bin/herd-load" $quiet --db "$db" --rejects "$rejects/load.ndjson"
	status=("${PIPESTATUS[@]}")
	set -e
	# Exit 1 with rejects kept is a finished run with bad lines: the
	# summary follows and replay exits 1, as the programs do. Anything else
	# (exit 1 without rejects, 2, a signal) is a failure: no summary.
	i=0
	for p in normalize score aggregate detect load; do
		rc=${status[$i]}
		i=$((i + 1))
		[ "$rc" -ne 0 ] || continue
		if [ "$rc" -eq 1 ] && [ -s "$rejects/$p.ndjson" ]; then
			echo "replay: herd-$p rejected $(wc -l <"$rejects/$p.ndjson") lines (kept in $rejects/$p.ndjson)" >&2
			rejected=1
		else
			failed="herd-$p failed (exit $rc)"
		fi
	done
	rmdir "$rejects" 2>/dev/null || true
	[ -z "$failed" ] || die "$failed"
fi

# ---------------------------------------------------------------- summary
[ -f "$db" ] || die "$db: no such file"
q() { sqlite3 -batch -noheader "$db" "$@"; }

echo "$db: $(q "SELECT (SELECT count(*) FROM posts) || ' posts by ' ||
	(SELECT count(DISTINCT author) FROM posts) || ' authors from ' ||
	coalesce((SELECT min(created_at) FROM posts), '-') || ' to ' || coalesce((SELECT max(created_at) FROM posts), '-') ||
	', ' || (SELECT count(*) FROM aggregates) || ' aggregates, ' || (SELECT count(*) FROM events) || ' events'")"
echo "by source: $(q "SELECT group_concat(s, ', ') FROM (SELECT source || ' ' || count(*) AS s FROM posts
	GROUP BY source ORDER BY count(*) DESC, source)")"
echo "sentiment: $(q "SELECT coalesce(group_concat(m, ', '), 'none') FROM (SELECT model || ' ' || count(*) AS m FROM scores
	GROUP BY model ORDER BY model)") (scored posts per model)"
echo
echo "Top $topn entities by posts (sentiment: mean polarity over the $long windows, -1..1)"
printf '  %-8s %6s %8s %10s %5s %5s  %s\n' entity posts authors sentiment bull bear "busiest $short window"
q "WITH e AS (SELECT pe.entity, count(*) AS posts, count(DISTINCT p.author) AS authors
		FROM post_entities pe JOIN posts p ON p.id = pe.post_id GROUP BY pe.entity),
	d AS (SELECT entity, sum(sent_mean * sent_n) / sum(sent_n) AS mean, sum(bull) AS bull, sum(bear) AS bear
		FROM aggregates WHERE \"window\" = '$long' GROUP BY entity),
	b AS (SELECT entity, max(posts) AS peak, start FROM aggregates WHERE \"window\" = '$short' GROUP BY entity)
	SELECT printf('  %-8s %6d %8d %10s %5s %5s  %s', e.entity, e.posts, e.authors,
		coalesce(printf('%+.3f', d.mean), '-'), coalesce(d.bull, '-'), coalesce(d.bear, '-'),
		coalesce(b.start || ' (' || b.peak || ' posts)', '-'))
	FROM e LEFT JOIN d USING (entity) LEFT JOIN b USING (entity)
	ORDER BY e.posts DESC, e.entity LIMIT $topn"
# ---------------------------------------------------------------- herds
# Each cascade episode herd-detect found (events keyed by entity and
# episode): its phases, then its sources in order of arrival, from the
# episode's event that lists the most of them (the latest, as sources join).
episodes=$(q "SELECT entity || '|' || json_extract(evidence, '$.episode') FROM events WHERE type = 'cascade'
	GROUP BY entity, json_extract(evidence, '$.episode') ORDER BY min(\"at\"), entity")
echo
if [ -z "$episodes" ]; then
	echo "Herds: none found (no cascade event: no entity's mentions rose far above its usual level across communities)"
else
	echo "Herds found by herd-detect: $(grep -c . <<<"$episodes") (cascades: an entity's mentions far above its own usual level, spreading across communities)"
fi
shown=0 herd_entity= herd_start=
while IFS='|' read -r entity episode; do
	[ -n "$entity" ] || continue
	[ $shown -lt "$topn" ] || { echo "  … $(($(grep -c . <<<"$episodes") - shown)) more: SELECT * FROM events WHERE type = 'cascade'"; break; }
	shown=$((shown + 1))
	eq=${entity//\'/\'\'} pq=${episode//\'/\'\'}
	sel="FROM events WHERE type = 'cascade' AND entity = '$eq' AND json_extract(evidence, '$.episode') = '$pq'"
	[ -n "$herd_entity" ] || herd_entity=$entity herd_start=$episode
	echo "  $entity, from $(q "SELECT replace(substr('$pq', 1, 16), 'T00:00', '')") ($(q "SELECT json_extract(evidence, '$.window') $sel LIMIT 1") windows):" \
		"$(q "SELECT group_concat(p, ', ') FROM (SELECT json_extract(evidence, '$.phase') || ' ' || substr(\"at\", 1, 10) ||
			CASE WHEN json_extract(evidence, '$.phase') = 'start' THEN printf(' (score %.1f, %s)', score, severity) ELSE '' END AS p
			$sel ORDER BY \"at\", rowid)")"
	last="SELECT evidence AS e $sel ORDER BY json_array_length(evidence, '$.sources') DESC, \"at\" DESC LIMIT 1"
	peak=$(q "SELECT coalesce(json_extract(e, '$.peak_rate') || ' posts on ' || substr(json_extract(e, '$.peak_at'), 1, 10), '')
		FROM ($last)")
	[ -z "$peak" ] || echo "    busiest window: $peak"
	printf '    %-9s %-26s %-21s %s\n' role community "joined (lag)" posts
	q "SELECT printf('    %-9s %-26s %-21s %s', CASE WHEN s.key = 0 THEN 'leader' ELSE 'follower' END,
		json_extract(s.value, '$.source'),
		CASE WHEN s.key = 0 THEN substr(json_extract(s.value, '$.at'), 1, 10)
		     ELSE substr(json_extract(s.value, '$.at'), 1, 10) || ' (+' || json_extract(s.value, '$.lag') || ')' END,
		coalesce(json_extract(s.value, '$.posts'), '-'))
		FROM ($last) AS l, json_each(l.e, '$.sources') AS s ORDER BY s.key"
done <<<"$episodes"

# ---------------------------------------------------------------- one entity by window
# The first herd's entity from seven windows before it (else the top entity's
# last fifteen windows), with the posts of each community: how it spread.
view=$herd_entity
[ -n "$view" ] || view=$(q "SELECT entity FROM post_entities GROUP BY entity ORDER BY count(*) DESC, entity LIMIT 1")
if [ -n "$view" ]; then
	vq=${view//\'/\'\'}
	rows="SELECT * FROM aggregates WHERE entity = '$vq' AND \"window\" = '$long'"
	if [ -n "$herd_entity" ]; then
		from=$(q "SELECT coalesce((SELECT start FROM ($rows AND start < '${herd_start//\'/\'\'}' ORDER BY start DESC LIMIT 1 OFFSET 6)),
			(SELECT min(start) FROM ($rows)))")
		what="from 7 windows before its herd"
	else
		from=$(q "SELECT coalesce((SELECT start FROM ($rows) ORDER BY start DESC LIMIT 1 OFFSET 14), (SELECT min(start) FROM ($rows)))")
		what="the last 15"
	fi
	echo
	echo "$view by $long window ($what): posts, and posts per community"
	printf '  %-20s %6s %8s %10s %5s %5s  %s\n' start posts authors sentiment bull bear communities
	q "SELECT printf('  %-20s %6d %8d %10s %5s %5s  %s', start, posts, authors,
		coalesce(printf('%+.3f', sent_mean), '-'), coalesce(bull, '-'), coalesce(bear, '-'),
		coalesce((SELECT group_concat(c, ', ') FROM (SELECT key || ' ' || value AS c FROM json_each(a.sources)
			ORDER BY value DESC, key)), '-'))
		FROM ($rows AND start >= '$from') AS a ORDER BY start"
fi
exit $rejected
