# bash completion for apmatrix(1): commands, options, node device names, guest names and mdev UUIDs.
# Names are asked of apmatrix itself, with the --root, --connect and --qmp-dir already on the line.

_apmatrix_ask()
{
    local -a globals=()
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --root | --connect | --qmp-dir)
            globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
            ((i++))
            ;;
        esac
    done
    "${COMP_WORDS[0]}" "${globals[@]}" "$@" 2>/dev/null
}

_apmatrix_nodedevs()
{
    _apmatrix_ask nodedev-list --all
}

_apmatrix_mdev_uuids()
{
    _apmatrix_ask nodedev-list --cap mdev --all | sed -n 's/^mdev_\(.*\)_matrix$/\1/p' | tr _ -
}

_apmatrix()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="nodedev-list nodedev-dumpxml nodedev-info nodedev-define nodedev-create nodedev-start
        nodedev-destroy nodedev-undefine nodedev-update nodedev-autostart attach-device detach-device plug unplug
        list matrix mask check"
    local globals="--root --json --lock-timeout --connect --qmp-dir --unplug-timeout --help --version"
    local cmd="" opts="" i cmd_at=0 nargs=0
    local IFS=$' \t\n'

    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --root | --lock-timeout | --connect | --qmp-dir | --unplug-timeout) ((i++)) ;;
        -*) ;;
        *)
            cmd=${COMP_WORDS[i]}
            cmd_at=$i
            break
            ;;
        esac
    done
    case $prev in
    --root | --qmp-dir)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    --lock-timeout | --unplug-timeout | --connect | --apmask | --aqmask | --adapter | --domain | --control-domain)
        return
        ;;
    --format)
        COMPREPLY=($(compgen -W "text json svg" -- "$cur"))
        return
        ;;
    --color | --colour)
        COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
        return
        ;;
    --cap)
        COMPREPLY=($(compgen -W "ap_card ap_queue ap_matrix mdev mdev_types" -- "$cur"))
        return
        ;;
    --guest)
        COMPREPLY=($(compgen -W "$(_apmatrix_ask list --name)" -- "$cur"))
        return
        ;;
    --mdev)
        COMPREPLY=($(compgen -W "$(_apmatrix_mdev_uuids)" -- "$cur"))
        return
        ;;
    esac
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    case $cmd in
    nodedev-list) opts="--cap --all --inactive" ;;
    nodedev-dumpxml) opts="--inactive --all --cap" ;;
    nodedev-destroy) opts="--force" ;;
    nodedev-update) opts="--live --config --current" ;;
    nodedev-autostart) opts="--disable" ;;
    attach-device | detach-device) opts="--live --config --persistent --current" ;;
    plug) opts="--adapter --domain --control-domain --take-from-host --config" ;;
    unplug) opts="--adapter --domain --control-domain --config" ;;
    list) opts="--name" ;;
    matrix) opts="--format --all --guest --mdev --color" ;;
    mask) opts="--apmask --aqmask --persistent --dry-run" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --json --root" -- "$cur"))
        return
    fi
    # the place of the word among the command's own arguments
    for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --cap | --adapter | --domain | --control-domain | --format | --guest | --mdev | --color | --colour | \
            --apmask | --aqmask | --root | --connect | --qmp-dir) ((i++)) ;;
        -*) ;;
        *) ((nargs++)) ;;
        esac
    done
    case $cmd:$nargs in
    nodedev-dumpxml:0 | nodedev-info:0 | nodedev-start:0 | nodedev-destroy:0 | nodedev-undefine:0 | \
        nodedev-autostart:0 | nodedev-update:0)
        COMPREPLY=($(compgen -W "$(_apmatrix_nodedevs)" -- "$cur"))
        ;;
    attach-device:0 | detach-device:0 | plug:0 | unplug:0)
        COMPREPLY=($(compgen -W "$(_apmatrix_ask list --name)" -- "$cur"))
        ;;
    nodedev-define:0 | nodedev-create:0 | nodedev-update:1 | attach-device:1 | detach-device:1)
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
    esac
}

complete -F _apmatrix apmatrix
