# completion.bash — bash completion for herd and its programs. make install
# puts it in PREFIX/share/bash-completion/completions/herd, with a link named
# after each herd-X, so that bash-completion loads it on first use; or
# source it by hand (`. scripts/completion.bash`).
#
#   herd <TAB>              the commands (the herd-* programs beside herd)
#   herd score --<TAB>      herd-score's options
#   herd-score --mo<TAB>    the same, run directly
#   anything else           file names
# The options are read from each program's own --help when asked for, so
# they are never out of date; nothing else is run.

# _herd_options PROGRAM: the options PROGRAM's --help lists (its option
# lines: "  -x, --long ARG   what it does").
_herd_options() {
	"$1" --help 2>/dev/null | sed -nE 's/^ {1,8}(-[A-Za-z0-9], )?(--[A-Za-z0-9][A-Za-z0-9-]*).*/\1\2/p' |
		tr ', ' '\n\n' | grep -E '^-'
}

# _herd_complete PROGRAM (herd-X run directly, or herd's COMMAND): its
# options when the word starts with -, else nothing (complete -o default
# falls back to file names).
_herd_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	COMPREPLY=()
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_herd_options "$1")" -- "$cur")
	fi
}

# herd COMMAND …: the commands first, then the command's options.
_herd() {
	local herd dir cur=${COMP_WORDS[COMP_CWORD]}
	herd=$(type -P "$1") || return 0
	dir=${herd%/*}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		local p names=()
		for p in "$dir"/herd-*; do
			[ -x "$p" ] && names+=("${p##*/herd-}")
		done
		mapfile -t COMPREPLY < <(compgen -W "${names[*]} --help --version" -- "$cur")
	elif [ -x "$dir/herd-${COMP_WORDS[1]}" ]; then
		_herd_complete "$dir/herd-${COMP_WORDS[1]}"
	fi
}

complete -o default -F _herd herd
for _herd_p in $(compgen -c herd- | sort -u); do
	complete -o default -F _herd_complete "$_herd_p"
done
unset _herd_p
