# bash completion for apmatrix(1). The candidates come from apmatrix itself ("apmatrix complete -- WORDS"), out of
# the command table that its parser and --help read, as virsh's completion asks virsh: commands, options, choices,
# node device names, mdev UUIDs and guest names (asked of the host and guests of the --root, --connect and
# --qmp-dir already on the line). Where a file or a folder is wanted, apmatrix says so and bash completes it.

_apmatrix()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local -a words=("${COMP_WORDS[@]:1:COMP_CWORD}")
    local -a candidates

    ((${#words[@]})) || words=("")
    candidates=($("${COMP_WORDS[0]}" complete -- "${words[@]}" 2>/dev/null))
    case ${candidates[0]-} in
    @file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    @dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=("${candidates[@]}") ;;
    esac
}

complete -F _apmatrix apmatrix
