# tests/pg/server.sh — a throwaway PostgreSQL server for the tests and the
# benchmark (sourced by tests/pg/check-pgcopy.sh, scripts/bench-pgcopy.sh):
# Debian's binaries, a fresh data directory under the caller's folder, a
# unix socket there and no TCP listener, user "herd" with trust auth. The
# server refuses to run as root, so as root it runs as nobody (or a
# herdtest user made for it) and the folder is opened to it (mode 711).
#
#   pg_find || skip "…"           # sets pgbin; 1 when initdb/pg_ctl/psql are absent
#   pg_start DIR [-c name=value…]  # initdb + start in DIR/pg; exports PGHOST,
#                                 # PGUSER, PGDATABASE; 1 and why on stderr
#   trap pg_stop EXIT             # immediate stop (the data is thrown away)
#   pq DB SQL                     # one query, plain rows, stop on error

pg_find() {
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] && command -v psql >/dev/null
}

pg_as() { if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

pg_start() {
	local dir=$1
	shift
	pg_user=
	if [ "$(id -u)" -eq 0 ]; then
		pg_user=nobody
		id -u "$pg_user" >/dev/null 2>&1 || {
			pg_user=herdtest
			id -u "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
		}
		chmod 711 "$dir"
	fi
	pg_data=$dir/pg/data pg_sock=$dir/pg/sock
	mkdir -p "$pg_data" "$pg_sock" && chmod 711 "$dir/pg" || return 1
	[ -z "$pg_user" ] || chown "$pg_user" "$pg_data" "$pg_sock" || return 1
	pg_as "$pgbin/initdb" -N -A trust -U herd -E UTF8 --locale=C -D "$pg_data" >"$dir/pg/initdb.log" 2>&1 ||
		{ echo "initdb failed: $(tail -3 "$dir/pg/initdb.log")" >&2; return 1; }
	pg_as "$pgbin/pg_ctl" -D "$pg_data" -l "$pg_sock/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_sock' $*" start >"$dir/pg/pg_ctl.log" 2>&1 ||
		{ echo "the server did not start: $(tail -3 "$pg_sock/server.log")" >&2; return 1; }
	unset PGPORT PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSWORD PGPASSFILE PGAPPNAME
	export PGHOST=$pg_sock PGUSER=herd PGDATABASE=postgres
}

pg_stop() {
	[ -z "${pg_data:-}" ] || pg_as "$pgbin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1
}

pq() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
