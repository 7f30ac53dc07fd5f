# zsh -f tests/zsh_complete.zsh FPATH_DIR 'command line': the matches real zsh completion offers for that line,
# one per line. An interactive zsh in a pseudo-terminal (zpty) loads the completion system (compinit) with
# FPATH_DIR first on $fpath, the line is typed with a TAB, and a compadd wrapper prints every match it is given.
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='' PROMPT='' RPS1=''; fpath=(${(q)1} \$fpath)"
zpty -w z 'autoload -U compinit && compinit -u -D'
zpty -w z 'compadd() { local -a __hits; builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "<hit>$h</hit>"; done; builtin compadd "$@"; }'
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=100000"
# Split markers, so the terminal's echo of these lines never looks like the marker itself.
zpty -w z 'zle-line-init() { print -n "<zle""/>" }; zle -N zle-line-init'
zpty -w z 'print "<ready""/>"'
local line
while zpty -r z line; do [[ $line == *'<ready/>'* ]] && break; done
zpty -r -m z line '*<zle/>*'  # the line editor runs: keys go to it now, not to the terminal's own echo
zpty -n -w z "$2"$'\t'
zpty -w z $'\C-e\C-u'"print '<done''/>'"
while zpty -r z line; do
  [[ $line == *'<done/>'* ]] && break
  [[ $line == *'<hit>'*'</hit>'* ]] && { line=${line#*<hit>}; print -r -- ${line%%</hit>*} }
done
zpty -d z
