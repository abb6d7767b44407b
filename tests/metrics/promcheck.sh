#!/usr/bin/env bash
# promcheck.sh — a strict checker of Prometheus's text exposition format as
# node_exporter's textfile collector reads it (promtool is not packaged
# here), for the files herd programs write with --metrics:
#
#   tests/metrics/promcheck.sh FILE...      exit 0 when every file passes
#
# Checks, per file: it ends with a newline and has no blank lines; every
# line is "# HELP name text", "# TYPE name type" or a sample
# "name{label="value",...} number"; names match [a-zA-Z_:][a-zA-Z0-9_:]*,
# label names [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"; label
# values escape only \\ \" \n; HELP text escapes only \\ \n; a family has
# at most one HELP and one TYPE, both before its samples, and its samples
# are contiguous; a sample of a typed family has the family's name (gauge,
# counter, untyped); no label name twice in a sample, no series twice;
# values are floats (Go syntax, NaN, +Inf, -Inf); no timestamps (the
# textfile collector refuses them). Each problem prints "FILE:LINE: why".
set -u
export LC_ALL=C
[ $# -gt 0 ] || { echo "usage: promcheck.sh FILE..." >&2; exit 2; }
bad=0
for f in "$@"; do
	if [ ! -s "$f" ]; then
		echo "$f: empty or missing"
		bad=1
		continue
	fi
	if [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
		echo "$f: does not end with a newline"
		bad=1
	fi
	awk -v file="$f" '
	function err(why) { printf "%s:%d: %s\n", file, NR, why; bad = 1 }
	function name_ok(s) { return s ~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ }
	function value_ok(s) {
		return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ || s == "NaN" || s == "+Inf" || s == "-Inf"
	}
	# Start using family f: samples of one family must be contiguous.
	function use_family(f) {
		if (f != current) {
			if (f in closed)
				err("family " f " continues after another family began")
			if (current != "")
				closed[current] = 1
			current = f
		}
	}
	/^$/ { err("blank line"); next }
	/^# HELP / {
		rest = substr($0, 8); sp = index(rest, " ")
		n = sp ? substr(rest, 1, sp - 1) : rest
		text = sp ? substr(rest, sp + 1) : ""
		if (!name_ok(n)) err("bad metric name in HELP: " n)
		if (n in help) err("second HELP for " n)
		if (n in sampled) err("HELP for " n " after its samples")
		t = text; gsub(/\\\\/, "", t); gsub(/\\n/, "", t)
		if (index(t, "\\")) err("bad escape in HELP text of " n)
		help[n] = 1; use_family(n); next
	}
	/^# TYPE / {
		if (NF != 4) { err("TYPE line needs a name and a type"); next }
		n = $3
		if (!name_ok(n)) err("bad metric name in TYPE: " n)
		if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) err("unknown type " $4)
		if (n in type) err("second TYPE for " n)
		if (n in sampled) err("TYPE for " n " after its samples")
		type[n] = $4; use_family(n); next
	}
	/^#/ { next } # other comments are allowed
	{
		line = $0
		if (match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/) == 0) { err("sample does not start with a metric name"); next }
		n = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1)
		series = n; split("", seen)
		if (substr(line, 1, 1) == "{") {
			line = substr(line, 2); series = series "{"
			while (substr(line, 1, 1) != "}") {
				if (match(line, /^[a-zA-Z_][a-zA-Z0-9_]*="/) == 0) { err("bad label in " n); next }
				ln = substr(line, 1, RLENGTH - 2); line = substr(line, RLENGTH + 1)
				if (substr(ln, 1, 2) == "__") err("reserved label name " ln)
				if (ln in seen) err("label " ln " twice in " n)
				seen[ln] = 1
				# the value, up to an unescaped quote
				v = ""
				while (1) {
					c = substr(line, 1, 1)
					if (c == "") { err("unterminated label value in " n); next }
					if (c == "\"") break
					if (c == "\\") {
						d = substr(line, 2, 1)
						if (d != "\\" && d != "\"" && d != "n") err("bad escape \\" d " in a label value of " n)
						v = v c d; line = substr(line, 3); continue
					}
					v = v c; line = substr(line, 2)
				}
				line = substr(line, 2); series = series ln "=" v ","
				if (substr(line, 1, 1) == ",") line = substr(line, 2)
				else if (substr(line, 1, 1) != "}") { err("expected , or } after a label of " n); next }
			}
			line = substr(line, 2); series = series "}"
		}
		if (substr(line, 1, 1) != " ") { err("expected one space before the value of " n); next }
		line = substr(line, 2)
		nv = split(line, parts, " ")
		if (nv != 1 || substr(line, length(line), 1) == " ") { err("a timestamp or extra text after the value of " n); next }
		if (!value_ok(parts[1])) err("bad value " parts[1] " of " n)
		fam = n
		if (!(n in type)) {
			base = n; sub(/_(bucket|count|sum|total|created)$/, "", base)
			if (base in type && type[base] ~ /histogram|summary/) fam = base
		}
		use_family(fam)
		if (series in done) err("series twice: " series)
		done[series] = 1; sampled[fam] = 1
	}
	END { exit bad }
	' "$f" || bad=1
done
exit $bad
