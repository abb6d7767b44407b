#!/usr/bin/env bash
# check-report-pg.sh — herd-report --pg DSN (issue 7, item 2: "from the
# SQLite file (and the PostgreSQL one when given a DSN)") against a real
# PostgreSQL server started here (tests/pg/server.sh). The same records go
# into SQLite (herd-load --db) and into PostgreSQL (herd-load --pg-copy,
# then pipelines/pg-load.sh), into a SQLite file and a database of the same
# name (the report names its source), and then every report must come out
# of both the same:
#   - data/sample through the pipe (normalize, score VADER, aggregate 1h
#     and 1d, herd-detect on both windows) and, from ../shared/data, the
#     51k real comments of January 2021 (import, aggregate 1d, detect);
#     plus a few records whose names and evidence hold every character COPY
#     escapes;
#   - digest (md, html: byte for byte; json: byte for byte but for the
#     order of the keys inside each event's evidence, which jsonb does not
#     keep — the same document as jq reads it, and the same strings and
#     number literals, and the same length) and heatmap (html, json: byte
#     for byte) for several --day, --window, --baseline, --from/--to;
#   - the same stderr and exit status too (an unknown window, an empty
#     database with herd's tables), and -o writes the same file;
#   - a digest of a given day, a heatmap of a given window and end copy
#     less (-v counts the rows);
#   - --db with --pg is a usage error (2); a bad DSN, no server, a
#     database without herd's tables: one line "herd-report: postgresql:
#     …", exit 1, nothing written to --output.
# Skips (77) without the PostgreSQL server binaries, psql or jq, without
# ../shared/data, or when the pipe cannot run here.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/server.sh"
pg_find || skip "PostgreSQL server binaries or psql absent (/usr/lib/postgresql/*/bin: scripts/install-deps.sh installs postgresql)"
command -v jq >/dev/null || skip "jq absent"
[ -d "$SHARED" ] || skip "$SHARED absent"
for p in report detect import; do
	[ -x "$bin/herd-$p" ] || skip "$bin/herd-$p not built yet"
done
need_pipe
trap 'pg_stop; rm -rf "$tmp"' EXIT
pg_start "$tmp" -c fsync=off -c full_page_writes=off 2>"$tmp/pg.err" || { check "the server starts: $(cat "$tmp/pg.err")" false; result; }
PATH=$bin:$PATH
cd "$tmp" || exit 1

# load NAME FILE...: the records into the SQLite file NAME and the
# PostgreSQL database NAME.
load() {
	local name=$1
	shift
	herd-load -q --db "$name" "$@"
	herd-load -q --pg-copy "spool-$name" "$@"
	pq postgres "CREATE DATABASE \"$name\""
	"$top/pipelines/pg-load.sh" -q "spool-$name" "dbname=$name" >"$name.pgload" 2>&1
	check "$name: pg-load.sh loads it ($(tail -1 "$name.pgload"))" [ $? -eq 0 ]
}

# same NAME ARGS...: herd-report ARGS from the file and from the database
# give the same stdout, stderr and exit status.
same() {
	local name=$1 ra rb what
	shift
	herd-report --db "$name" "$@" >a.out 2>a.err
	ra=$?
	herd-report --pg "dbname=$name" "$@" >b.out 2>b.err
	rb=$?
	what="$name: $* ($(wc -c <a.out) bytes, exit $ra)"
	check "$what: same exit status (--pg: $rb $(head -1 b.err))" [ "$ra" -eq "$rb" ]
	check "$what: same messages ($(head -1 a.err) / $(head -1 b.err))" cmp -s a.err b.err
	case " $* " in
	*" json "*"digest ")
		check "$what: the same document as jq reads it" cmp -s <(jq -S -c . a.out) <(jq -S -c . b.out)
		check "$what: the same strings and number literals" \
			cmp -s <(grep -oE '"([^"\\]|\\.)*"|-?[0-9][-+.eE0-9]*' a.out | sort) \
			<(grep -oE '"([^"\\]|\\.)*"|-?[0-9][-+.eE0-9]*' b.out | sort)
		check "$what: the same length" [ "$(wc -c <a.out)" -eq "$(wc -c <b.out)" ] ;;
	*)
		check "$what: byte for byte$(cmp a.out b.out 2>&1 | head -1 | sed 's/^/: /')" cmp -s a.out b.out ;;
	esac
}

# ---------------------------------------------------------------- usage and connection errors
herd-report --db x --pg 'dbname=x' digest >out 2>&1
check "--db with --pg: exit 2 ($?)" [ $? -eq 2 ]
check "--db with --pg: the usage line ($(head -1 out))" \
	[ "$(cat out)" = "herd-report: --db and --pg: one or the other
Try 'herd-report --help' for more information." ]
check "--help names --pg" grep -q -- '--pg DSN' <(herd-report --help)

herd-report --pg 'nosuchkey=1' -o bad.md digest >out 2>&1
check "a bad DSN: exit 1 ($?)" [ $? -eq 1 ]
check "a bad DSN: libpq's reason, one line ($(cat out))" \
	[ "$(cat out)" = 'herd-report: postgresql: invalid connection option "nosuchkey"' ]
check "a bad DSN: nothing written to --output" [ ! -e bad.md ]
herd-report --pg "host=$tmp/nosuchdir dbname=x" -o bad.md heatmap >out 2>&1
check "no server: exit 1 ($?)" [ $? -eq 1 ]
check "no server: one line naming the socket ($(cat out))" \
	[ "$(wc -l <out)" -eq 1 ] && grep -q "^herd-report: postgresql: connection to server on socket \"$tmp/nosuchdir/" out
check "no server: nothing written to --output" [ ! -e bad.md ]
pq postgres "CREATE DATABASE bare"
herd-report --pg 'dbname=bare' -o bad.md digest >out 2>&1
check "a database without herd's tables: exit 1 ($?)" [ $? -eq 1 ]
check "a database without herd's tables: the server's reason ($(cat out))" \
	[ "$(cat out)" = 'herd-report: postgresql: relation "aggregates" does not exist' ]
check "a database without herd's tables: nothing written to --output" [ ! -e bad.md ]

# ---------------------------------------------------------------- data/sample
herd-normalize -q "$top"/data/sample/*.ndjson | herd-score -q --model vader |
	herd-aggregate -q --window 1h,1d --lateness all --pass all >sample.ndjson
grep '"kind":"agg","entity":"[^"]*","window":"1h"' sample.ndjson | herd-detect -q --state s1h.db --window 1h \
	--min-posts 8 --source-min 3 >ev1h.ndjson # the sample's hours are thin (data/sample/README.md)
herd-detect -q --state s1d.db --window 1d sample.ndjson >ev1d.ndjson
check "sample: herd-detect found events in both window lengths ($(cat ev1h.ndjson ev1d.ndjson | wc -l))" [ -s ev1h.ndjson -a -s ev1d.ndjson ]
load sample sample.ndjson ev1h.ndjson ev1d.ndjson
for f in md html json; do
	same sample --format "$f" digest
	same sample --format "$f" --day 2021-01-27 digest
	same sample --format "$f" --window 1h --day 2021-01-28 --baseline 1 digest
done
same sample --day complete --top 3 --min-mentions 1 --min-scored 1 digest
same sample --day 2021-02-20 digest
same sample --window 5m digest
for f in html json; do
	same sample --format "$f" heatmap
	same sample --format "$f" --window 1h heatmap
	same sample --format "$f" --window 1h --from 2021-01-27T00:00:00Z --to 2021-01-28T00:00:00Z --top 4 heatmap
	same sample --format "$f" --window 1h --from 2021-01-27T03:20:00Z --to 2021-01-27T20:30:00Z heatmap
	same sample --format "$f" --window 1h --to 2021-01-28T06:30:00Z --columns 10 heatmap
	same sample --format "$f" --window 1d --to 2021-01-28T00:00:00Z heatmap
done
herd-report --db sample --format html --day 2021-01-27 -o a.html digest
PGDATABASE=sample herd-report --pg '' --format html --day 2021-01-27 -o b.html digest
check "sample: -o writes the same file, --pg '' takes PGDATABASE" cmp -s a.html b.html

# ---------------------------------------------------------------- every character COPY escapes
# Names and evidence with tab, newline, CR, backslash, quotes, markup, a
# control character and non-ASCII text; a NULL sentiment.
for d in 25 26 27; do
	printf '{"kind":"agg","entity":"tab\\tname","window":"1d","start":"2021-01-%sT00:00:00Z","posts":%d,"authors":3,"sources":{"r/x\\\\y":%d,"\\"q\\"":1},"sentiment":{"n":5,"mean":-0.12345678901234567,"weighted":1e-7,"bull":1,"bear":3},"engagement":7}\n' $d $((d * 2)) $d
	printf '{"kind":"agg","entity":"Ünï<&>\\\\","window":"1d","start":"2021-01-%sT00:00:00Z","posts":%d,"authors":1,"sources":{"x":1},"sentiment":null,"engagement":0}\n' $d $((d - 20))
done >odd.ndjson
# The first aggregate, and one on the first day of the 27th's sparkline:
# a digest of the 27th must copy that day (the first is always copied).
printf '{"kind":"agg","entity":"first","window":"1d","start":"2021-01-01T00:00:00Z","posts":1,"authors":1,"sources":null,"sentiment":null,"engagement":0}\n' >>odd.ndjson
printf '{"kind":"agg","entity":"tab\\tname","window":"1d","start":"2021-01-14T00:00:00Z","posts":9,"authors":9,"sources":{"x":9},"sentiment":null,"engagement":0}\n' >>odd.ndjson
cat >>odd.ndjson <<'EOF'
{"kind":"event","type":"cascade","entity":"tab\tname","at":"2021-01-27T00:00:00Z","key":"cascade:tab\tname:start","score":3.5,"severity":"warn","evidence":{"phase":"start","leader":"r/x\\y\nline\r\u0007","rate":54,"baseline":50.0,"sources":[{"source":"\"q\""},{"source":"é"}]}}
{"kind":"event","type":"signal","entity":"Ünï<&>\\","at":"2021-01-27T12:00:00Z","key":"signal:odd","score":0.30000000000000004,"severity":null,"evidence":{"direction":"SELL","confidence":1e-300}}
EOF
load odd odd.ndjson
for f in md html json; do
	same odd --format "$f" --min-mentions 1 --min-scored 1 digest
	same odd --format "$f" --min-mentions 1 --min-scored 1 --day 2021-01-27 --baseline 1 digest
done
check "odd: the sparkline of tab\\tname starts with the 14th's 9 mentions" \
	[ "$(herd-report --pg dbname=odd --min-mentions 1 --day 2021-01-27 --baseline 1 --format json digest |
		jq -c '.movers[] | select(.entity == "tab\tname") | .daily[0]')" = 9 ]
same odd --format json heatmap
same odd --format html heatmap

# ---------------------------------------------------------------- January 2021, real comments
CM=$SHARED/reddit-ticker-comments-2021-01/daily_data
if [ -d "$CM" ]; then
	stop=$top/data/entities/stoplist.txt
	herd-import -q --source reddit --date-from-filename --community-from-filename '^[0-9-]+_([a-z]+)_' \
		--map text=comment,entities=ticker,vader.compound=compound "$CM"/*_comments.csv |
		herd-aggregate -q --window 1d --lateness all >jan-agg.ndjson
	herd-detect -q --state jan-state.db --window 1d --exclude "$stop" jan-agg.ndjson >jan-ev.ndjson
	load jan jan-agg.ndjson jan-ev.ndjson
	for f in md html json; do
		same jan --exclude "$stop" --format "$f" --day 2021-01-22 digest
		same jan --format "$f" --day 2021-01-27 --baseline 2 --top 20 digest
	done
	for f in html json; do
		same jan --exclude "$stop" --format "$f" heatmap
		same jan --format "$f" --top 60 --scale 0.5 heatmap
	done
	all=$(herd-report -v --pg dbname=jan heatmap 2>&1 >/dev/null | grep -o '[0-9]* aggregates')
	day=$(herd-report -v --pg dbname=jan --day 2021-01-22 --baseline 1 digest 2>&1 >/dev/null | grep -o '[0-9]* aggregates')
	check "jan: a digest of a given day copies less ($day) than all ($all = $(pq jan 'SELECT count(*) FROM aggregates'))" \
		[ "${day% *}" -lt "${all% *}" ] && [ "${all% *}" -eq "$(pq jan 'SELECT count(*) FROM aggregates')" ]
	same jan --format json --window 1d --to 2021-01-24T00:00:00Z --columns 2 heatmap
	cols=$(herd-report -v --pg dbname=jan --window 1d --to 2021-01-24T00:00:00Z --columns 2 heatmap 2>&1 >/dev/null |
		grep -o '[0-9]* aggregates')
	check "jan: a heatmap of a given window and end copies less ($cols) than all ($all)" [ "${cols% *}" -lt "${all% *}" ]
else
	echo "note: $CM absent: the January 2021 comments are not compared"
fi

# ---------------------------------------------------------------- an empty database
herd-load -q --db empty </dev/null
pq postgres "CREATE DATABASE empty"
sed -n '/^CREATE TABLE IF NOT EXISTS aggregates/,/^CREATE INDEX IF NOT EXISTS events_entity_at/p' \
	spool-sample/loaded/load.*.sql >schema.sql
psql -X -q -v ON_ERROR_STOP=1 -d empty -f schema.sql
check "empty: herd's tables made" [ "$(pq empty "SELECT count(*) FROM events")" = 0 ]
same empty digest
same empty --format json heatmap

result
