# tests/pg/lib-compare.sh — sourced by the PostgreSQL tests after
# server.sh and a started server: herd's tables in a PostgreSQL database
# and in an SQLite file compared row by row, and the fingerprint that shows
# whether any row was rewritten.
#
#   newdb NAME                       # a new database
#   same_tables SQLITEDB PGDB LABEL  # one check per table: the same rows
#   fingerprint PGDB                 # per table: count, ctid/xmin digest
#   changed_lines PGLOAD-OUTPUT      # pg-load lines that changed something
#   waitfor PGDB SQL                 # poll until SQL prints t (20 s at most)
newdb() { pq postgres "CREATE DATABASE $1"; }
tables="posts post_entities scores metrics aggregates events raw"

# Every row of a table as a canonical JSON array (keys sorted, numbers as
# jq reads them), sorted. Both sides print reals with 15 significant digits
# (SQLite's JSON always does; PostgreSQL with extra_float_digits = 0), so
# equal doubles print the same; exact round trips are checked on their own.
canon() { jq -S -c 'walk(if type == "number" then . + 0 else . end)' | sort; }
cols_for() { # PGDB TABLE WHAT: the select list, from PostgreSQL's columns
	pq "$1" "SELECT string_agg(CASE
		WHEN '$3' = 'pg' AND data_type LIKE 'timestamp%'
		THEN format('to_char(%I AT TIME ZONE ''UTC'', ''YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'')', column_name)
		WHEN '$3' = 'sqlite' AND data_type = 'jsonb' THEN format('json(%I)', column_name)
		ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$2'"
}
pg_rows() { # PGDB TABLE
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SET extra_float_digits = 0" \
		-c "SELECT json_build_array($(cols_for "$1" "$2" pg)) FROM $2" | canon
}
sqlite_rows() { # SQLITEDB TABLE PGDB
	sqlite3 -batch -noheader "$1" "SELECT json_array($(cols_for "$3" "$2" sqlite)) FROM $2" | canon
}
# same_tables SQLITEDB PGDB LABEL: every table has the same rows in both.
same_tables() {
	local t n
	for t in $tables; do
		pg_rows "$2" "$t" >"$tmp/pg.rows"
		sqlite_rows "$1" "$t" "$2" >"$tmp/sqlite.rows"
		n=$(wc -l <"$tmp/pg.rows")
		check "$3: $t has the same $n rows as in SQLite ($(wc -l <"$tmp/sqlite.rows") there)$(
			diff "$tmp/sqlite.rows" "$tmp/pg.rows" | head -4 | tr '\n' ' ' | cut -c1-400)" \
			cmp -s "$tmp/pg.rows" "$tmp/sqlite.rows"
	done
}
# fingerprint DB: per table, its count and every row's place and version:
# a row rewritten (even with equal values) changes its ctid and xmin.
fingerprint() {
	local t
	for t in $tables; do
		pq "$1" "SELECT '$t', count(*), md5(coalesce(string_agg(ctid::text || '/' || xmin::text, ',' ORDER BY ctid), ''))
			FROM $t"
	done
}
# The per-table lines pg-load prints that are not "0 new, 0 updated…".
changed_lines() { grep -E '^[^ ]+: [a-z_]+: ' "$1" | grep -vE ': 0 new, (0 updated, )?[0-9]+ unchanged(, 0 dropped)?$'; }


# waitfor DB SQL: poll until SQL prints t, at most 20 s.
waitfor() {
	local i
	for i in $(seq 200); do
		[ "$(pq "$1" "$2")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
