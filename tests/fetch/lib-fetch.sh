# tests/fetch/lib-fetch.sh — sourced by tests/fetch/check-*.sh after
# ../lib.sh: the fixture server (fixture-server.py) on loopback, herd-fetch
# pointed at it with test secrets in the environment, and checks on what
# the server saw (its request log, one JSON line per request).
#
#   need_fetch                      # skip unless herd-fetch, python3, jq, $SHARED
#   serve "$(config …)"             # write the server's config (JSON) and start it
#   reconfig "$(config …)"          # change the config of the running server
#   hf ARGS...                      # herd-fetch with --state, --base-url, fake sleeps
#   hf_bg OUT ARGS...               # the same in the background ($! is herd-fetch)
#   reqs 'JQ FILTER'                # count logged requests matching a jq filter
#   no_secrets FILE...              # no test secret in any of the files
#   ids FILE JQ                     # the sorted ids a jq path gives, one a line
# $F is ../shared/data/api-fixtures, $FX tests/fetch/fixtures.
F=$SHARED/api-fixtures
FX=$top/tests/fetch/fixtures
log=$tmp/requests.ndjson
sleeps=$tmp/sleeps
server_pid=
# Test secrets: the server checks them, no output of herd may show them.
export REDDIT_CLIENT_ID=herd-test-id-5d1f REDDIT_CLIENT_SECRET=herd-test-secret-9c2e
export NEWSAPI_KEY=herd-test-newsapi-71ab X_BEARER_TOKEN=herd-test-bearer-0e4c ALPHAVANTAGE_KEY=herd-test-av-3f9d
export UNUSUALWHALES_TOKEN=herd-test-uw-6b2a FINNHUB_KEY=herd-test-finnhub-8d3c
unset STOCKTWITS_TOKEN REDDIT_CLIENT_ID_FILE REDDIT_CLIENT_SECRET_FILE NEWSAPI_KEY_FILE X_BEARER_TOKEN_FILE \
	ALPHAVANTAGE_KEY_FILE UNUSUALWHALES_TOKEN_FILE FINNHUB_KEY_FILE HERD_CONTACT
SECRETS_JSON='"secrets": {"reddit_id": "herd-test-id-5d1f", "reddit_secret": "herd-test-secret-9c2e",
  "newsapi_key": "herd-test-newsapi-71ab", "x_bearer": "herd-test-bearer-0e4c", "av_key": "herd-test-av-3f9d",
  "uw_token": "herd-test-uw-6b2a", "finnhub_key": "herd-test-finnhub-8d3c"}'

stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

need_fetch() {
	[ -x "$bin/herd-fetch" ] || skip "$bin/herd-fetch not built yet"
	command -v python3 >/dev/null || skip "python3 not installed (the fixture server needs it)"
	command -v jq >/dev/null || skip "jq not installed"
	[ -d "$F" ] || skip "$F absent (the recorded API responses)"
}

reconfig() {
	printf '%s\n' "$1" >"$tmp/config.json.new"
	mv "$tmp/config.json.new" "$tmp/config.json"
	touch -d "+1 second" "$tmp/config.json" 2>/dev/null || true
}

serve() {
	reconfig "$1"
	rm -f "$tmp/port"
	python3 "$top/tests/fetch/fixture-server.py" "$tmp/config.json" "$tmp/port" "$log" 2>"$tmp/server.err" &
	server_pid=$!
	for _ in $(seq 100); do
		[ -s "$tmp/port" ] && break
		sleep 0.05
	done
	[ -s "$tmp/port" ] || { echo "FAIL: the fixture server did not start: $(cat "$tmp/server.err")"; exit 1; }
	URL=http://127.0.0.1:$(cat "$tmp/port")
}

hf() {
	HERD_FAKE_SLEEP=$sleeps "$bin/herd-fetch" --state "$tmp/state.db" --base-url "$URL" "$@"
}

# hf_bg OUT ARGS...: herd-fetch in the background, stdout appended to OUT;
# $! is herd-fetch itself (exec), so kill -9 reaches it.
hf_bg() {
	local out=$1
	shift
	(HERD_FAKE_SLEEP=$sleeps exec "$bin/herd-fetch" --state "$tmp/state.db" --base-url "$URL" "$@" >>"$out" 2>>"$tmp/bg.err") &
}

reqs() {
	local n=0
	[ -s "$log" ] && n=$(jq -c "select($1)" "$log" | grep -c .)
	echo "$n"
}

no_secrets() {
	local s f
	for s in herd-test-id-5d1f herd-test-secret-9c2e herd-test-newsapi-71ab herd-test-bearer-0e4c herd-test-av-3f9d \
		herd-test-uw-6b2a herd-test-finnhub-8d3c; do
		for f in "$@"; do
			[ -e "$f" ] || continue
			if grep -qF -- "$s" "$f"; then
				echo "secret ${s%-*}-… found in ${f##*/}"
				return 1
			fi
		done
	done
}

ids() { jq -r "$2" "$1" | sort; }
