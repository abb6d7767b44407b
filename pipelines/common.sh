# common.sh — what pipelines/hourly.sh and pipelines/daily.sh share, sourced
# by both: reading the environment file, where things live under HERD_HOME,
# logging (text, or JSON lines like the programs' --log-format json),
# running one stage with the common options (--log-format, --metrics), and
# the pipeline's own metrics file for node_exporter.
#
# Settings (environment, usually from an env file: pipelines/herd.env.example):
#   HERD_HOME         where herd keeps its files (required)
#   HERD_DB           the records file (default $HERD_HOME/herd.db)
#   HERD_STATE        the state file: fetch cursors and budgets, alerts sent
#                     (default $HERD_HOME/state.db)
#   HERD_LOG_FORMAT   text (default) or json
#   HERD_METRICS_DIR  write PIPELINE-STAGE.prom files there (node_exporter's
#                     textfile directory); unset: no metrics
#   HERD_BIN          the programs (default: bin/ beside pipelines/ in a
#                     checkout, PREFIX/bin when installed by make install)

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The programs: bin/ in a checkout; PREFIX/bin when installed (make install
# puts this folder in PREFIX/share/herd/pipelines).
bin=${HERD_BIN:-$top/bin}
[ -n "${HERD_BIN:-}" ] || [ -d "$bin" ] || bin=$(cd "$top/../.." && pwd)/bin
export LC_ALL=C

# The environment file: shell assignments, exported (set -a).
load_env() {
	[ -r "$1" ] || usage_error "--env: $1: cannot read"
	set -a
	# shellcheck disable=SC1090
	. "$1"
	set +a
}

# Paths under HERD_HOME, once the environment is read.
setup_home() {
	[ -n "${HERD_HOME:-}" ] || usage_error "HERD_HOME is not set (set it in the environment or the --env file)"
	mkdir -p "$HERD_HOME" || die "$HERD_HOME: cannot create"
	HERD_HOME=$(cd "$HERD_HOME" && pwd)
	export HERD_HOME
	HERD_DB=${HERD_DB:-$HERD_HOME/herd.db}
	HERD_STATE=${HERD_STATE:-$HERD_HOME/state.db}
	HERD_LOG_FORMAT=${HERD_LOG_FORMAT:-text}
	case $HERD_LOG_FORMAT in text | json) ;; *) usage_error "HERD_LOG_FORMAT is '$HERD_LOG_FORMAT', not text or json" ;; esac
	if [ -n "${HERD_METRICS_DIR:-}" ]; then
		mkdir -p "$HERD_METRICS_DIR" || die "$HERD_METRICS_DIR: cannot create"
	fi
}

# ---------------------------------------------------------------- logging

# A JSON string's inside: backslash, quote and control characters escaped.
json_escape() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	printf '%s' "$s"
}

# log LEVEL MESSAGE: "hourly: message" or {"ts":…,"prog":"hourly",…} on stderr.
log() {
	if [ "${HERD_LOG_FORMAT:-text}" = json ]; then
		printf '{"ts":"%s","prog":"%s","level":"%s","msg":"%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
			"$pipeline" "$1" "$(json_escape "$2")" >&2
	else
		printf '%s: %s\n' "$pipeline" "$2" >&2
	fi
}
die() { log error "$*"; finish 1; }
usage_error() {
	echo "$pipeline: $*" >&2
	echo "Try 'pipelines/$pipeline.sh --help' for more information." >&2
	exit 2
}

# ---------------------------------------------------------------- stages

# The options every program takes in a pipeline, for stage NAME.
common_opts() {
	opts=(--log-format "$HERD_LOG_FORMAT")
	[ -z "${HERD_METRICS_DIR:-}" ] || opts+=(--prometheus "$HERD_METRICS_DIR/$pipeline-$1.prom")
}

# stage NAME PROGRAM ARGS... (stdout as the caller redirects it): run it with
# the common options; its exit status goes to stage_rc[NAME].
declare -A stage_rc
stage() {
	local name=$1 prog=$2 rc
	shift 2
	common_opts "$name"
	[ -x "$bin/$prog" ] || die "$bin/$prog not found: run make"
	"$bin/$prog" "${opts[@]}" "$@"
	rc=$?
	stage_rc[$name]=$rc
	return $rc
}

# After a stage that may reject lines: exit 1 with rejects kept is a run
# with bad lines (go on, the pipeline exits 1); anything else stops it.
judge() { # NAME REJECTS-FILE
	local rc=${stage_rc[$1]}
	[ "$rc" -ne 0 ] || return 0
	if [ "$rc" -eq 1 ] && [ -s "$2" ]; then
		log warn "$1: $(wc -l <"$2") lines rejected, kept in $2"
		status=1
		return 0
	fi
	die "$1 failed (exit $rc)"
}

# ---------------------------------------------------------------- metrics

started=$(date +%s)
status=0

# The pipeline's own metrics (same names as the programs'): written whole
# at the end of the run, the last success carried over a failure.
write_metrics() { # EXIT-STATUS
	[ -n "${HERD_METRICS_DIR:-}" ] || return 0
	local f=$HERD_METRICS_DIR/$pipeline.prom now last s labels
	now=$(date +%s)
	labels="program=\"pipelines/$pipeline.sh\",task=\"$pipeline\""
	last=$(sed -n "s/^herd_run_last_success_timestamp_seconds{$labels} //p" "$f" 2>/dev/null)
	[ "$1" -ne 0 ] || last=$now
	{
		echo "# HELP herd_run_start_timestamp_seconds When the run started (Unix time)."
		echo "# TYPE herd_run_start_timestamp_seconds gauge"
		echo "herd_run_start_timestamp_seconds{$labels} $started"
		echo "# HELP herd_run_duration_seconds How long the run took, in seconds."
		echo "# TYPE herd_run_duration_seconds gauge"
		echo "herd_run_duration_seconds{$labels} $((now - started))"
		echo "# HELP herd_run_exit_status Exit status of the run: 0 ok, 1 rejects or I/O error, 2 usage."
		echo "# TYPE herd_run_exit_status gauge"
		echo "herd_run_exit_status{$labels} $1"
		if [ -n "$last" ]; then
			echo "# HELP herd_run_last_success_timestamp_seconds When the program last exited 0 (Unix time)."
			echo "# TYPE herd_run_last_success_timestamp_seconds gauge"
			echo "herd_run_last_success_timestamp_seconds{$labels} $last"
		fi
		if [ ${#stage_rc[@]} -gt 0 ]; then
			echo "# HELP herd_pipeline_stage_exit_status Exit status of each stage of the pipeline's last run."
			echo "# TYPE herd_pipeline_stage_exit_status gauge"
			for s in $(printf '%s\n' "${!stage_rc[@]}" | sort); do
				echo "herd_pipeline_stage_exit_status{$labels,stage=\"$s\"} ${stage_rc[$s]}"
			done
		fi
	} >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
}

# End the run: metrics, a last log line, the exit status.
finish() {
	write_metrics "$1"
	if [ "$1" -eq 0 ]; then
		log info "done in $(($(date +%s) - started)) s"
	else
		log error "finished with exit status $1 after $(($(date +%s) - started)) s"
	fi
	exit "$1"
}
