#!/bin/sh
# make-man.sh — a section-1 manual page from a program's own --help, so that
# the page and --help never disagree (make man; make install puts the pages
# in PREFIX/share/man/man1). herd's --help texts share one layout, which
# this script reads as:
#   line 1 "Usage: PROG …" and lines indented under it   -> SYNOPSIS
#   line 2, the one-line summary (or, when line 2 is blank or part of the
#     usage, the first sentence of the first paragraph)    -> NAME
#   text up to "Options:" or "Commands:"                   -> DESCRIPTION
#   "Options:" / "Commands:" (or "Name:" right above an option) -> OPTIONS / COMMANDS
#     "  -x, --long ARG   what it does" and the lines indented under it
#     become one tagged paragraph each; a line "Name:" at the margin there
#     is a subsection; a paragraph at the margin after the options is NOTES
#   "Example:" / "Examples:" (and what follows)            -> EXAMPLES
# Other indented lines are kept as they are (no filling), as in --help.
#
#   scripts/make-man.sh PROGRAM > NAME.1      (PROGRAM: a path to run)
#
# Exit 1 when PROGRAM --help fails or does not start with "Usage: ".
set -eu
[ $# -eq 1 ] || { echo "usage: scripts/make-man.sh PROGRAM > NAME.1" >&2; exit 2; }
prog=$1
name=${prog##*/}
help=$("$prog" --help) || { echo "make-man: $prog --help failed" >&2; exit 1; }
version=$("$prog" --version 2>/dev/null | sed -n '1s/^[^ ]* //p')
case $help in
"Usage: "*) ;;
*) echo "make-man: $prog --help does not start with 'Usage: '" >&2; exit 1 ;;
esac

printf '%s\n' "$help" | LC_ALL=C awk -v name="$name" -v version="${version:-unknown}" '
# Roff-safe text: backslashes escaped, hyphens as minus signs (so that
# options copy and paste), a leading dot or quote defused.
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.\x27]/) s = "\\&" s
	return s
}
# An option line: "-x, --long ARG" or "--long ARG" indented at most 8.
function isopt(l) { return l ~ /^ +-/ && match(l, /^ +/) && RLENGTH <= 8 }
function endpre() { if (pre) { print ".fi"; print ".RE"; pre = 0 } }
function endpara() { endpre(); para = 0 }
function section(t) { endpara(); print ".SH " t; sect = t; opts = 0 }
{ lines[NR] = $0 }
END {
	# The usage block: line 1 and the lines under it that name the program again.
	n = 1
	while (n + 1 <= NR && lines[n + 1] ~ "^ +" name "( |$)") n++
	summary = (n + 1 <= NR) ? lines[n + 1] : ""
	body = n + 2
	if (summary ~ /^ *$/) {
		# No summary line: the first sentence of the first paragraph.
		for (i = n + 1; i <= NR && lines[i] ~ /^ *$/; i++) ;
		summary = ""
		for (; i <= NR && lines[i] !~ /^ *$/; i++) summary = summary (summary == "" ? "" : " ") lines[i]
		sub(/\. .*/, "", summary)
		body = n + 1
	}
	sub(/\.$/, "", summary)
	if (index(summary, name " ") == 1) summary = substr(summary, length(name) + 2) # "herd turns …"
	up = toupper(name)
	print ".\\\" Made by scripts/make-man.sh from `" name " --help`; edit the program, not this page."
	print ".TH \"" up "\" \"1\" \"\" \"herd " version "\" \"herd manual\""
	print ".nh"
	print ".ad l"
	print ".SH NAME"
	print esc(name) " \\- " esc(summary)
	print ".SH SYNOPSIS"
	print ".nf"
	for (i = 1; i <= n; i++) { s = lines[i]; sub(/^Usage: /, "", s); sub(/^ +/, "", s); print esc(s) }
	print ".fi"
	section("DESCRIPTION")
	for (i = body; i <= NR; i++) {
		l = lines[i]
		if (l ~ /^ *$/) { endpara(); continue }
		if (l ~ /^Options:$/) { section("OPTIONS"); continue }
		if (l ~ /^Commands:$/) { section("COMMANDS"); continue }
		if (l ~ /^Examples?( .*)?:$/) {
			section("EXAMPLES")
			rest = l; sub(/^Examples?:?/, "", rest); sub(/^ *\(/, "", rest); sub(/\):$/, "", rest); sub(/:$/, "", rest)
			if (rest != "") { print esc(rest) ":" }
			continue
		}
		if (l ~ /^[^ ].*:$/ && l !~ /\. / && isopt(lines[i + 1]) && sect != "OPTIONS" && sect != "EXAMPLES") {
			# "General:" and options under it, with no "Options:" line before.
			section("OPTIONS")
		}
		if (sect == "OPTIONS" && isopt(l)) {
			# An option: the term up to the first run of two spaces, then
			# its text and the lines indented under it, filled.
			endpara()
			s = l; sub(/^ +/, "", s)
			term = s; desc = ""
			if (match(s, /  +/)) { term = substr(s, 1, RSTART - 1); desc = substr(s, RSTART + RLENGTH) }
			while (i + 1 <= NR && lines[i + 1] ~ /^ +[^ ]/ && match(lines[i + 1], /^ +/) && RLENGTH >= 10) {
				i++; c = lines[i]; sub(/^ +/, "", c); desc = desc (desc == "" ? "" : " ") c
			}
			print ".TP"
			print "\\fB" esc(term) "\\fR"
			if (desc != "") print esc(desc)
			opts = 1
			continue
		}
		if (sect == "OPTIONS" && l ~ /^[^ ].*:$/ && l !~ /\. /) { endpara(); print ".SS " esc(substr(l, 1, length(l) - 1)); continue }
		if (sect == "OPTIONS" && opts && l ~ /^[^ ]/) section("NOTES")
		if (l ~ /^ /) {
			if (!pre) { if (para) { para = 0 } print ".RS 2"; print ".nf"; pre = 1 }
			s = l; sub(/^  /, "", s)
			print esc(s)
			continue
		}
		endpre()
		if (!para) { print ".PP"; para = 1 }
		print esc(l)
	}
	endpara()
	print ".SH \"SEE ALSO\""
	if (name == "herd") print "Each command has its own page: \\fBherd\\-normalize\\fR(1), \\fBherd\\-score\\fR(1), and so on."
	else print "\\fBherd\\fR(1); the documentation in share/doc/herd (README.md, docs/*.md) of the installation."
}'
