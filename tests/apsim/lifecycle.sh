#!/bin/sh
# apsim start/stop/exec as a user meets them: readiness, refusals, and no stale mount even after a crash.
set -u
. "$(dirname "$0")/tap.sh"
start_sim tiny
check "start returns with the tree ready" "8/8 (complete)" "$(cat "$SYS/bus/ap/bindings")"
check "the host folders exist" "yes" "$([ -d "$ROOT/etc/mdevctl.d/matrix" ] && [ -d "$ROOT/run/lock" ] && [ -d "$ROOT/run/apsim/qmp" ] && [ -d "$ROOT/run/udev/data" ] && echo yes)"
check_fails "a second start on the same root is refused" "already runs" "$APSIM" start "$ROOT"
check_fails "an unknown topology is refused" "No topology named 'nope'" "$APSIM" start "$ROOT.other" --topology nope
check "and leaves nothing mounted" "no" "$(grep -q "$ROOT.other" /proc/mounts && echo yes || echo no)"
rm -rf "$ROOT.other"
check "exec sees the simulated /sys" "8/8 (complete)" "$("$APSIM" exec "$ROOT" -- cat /sys/bus/ap/bindings)"
check "exec passes the command's exit status" "3" "$("$APSIM" exec "$ROOT" -- sh -c 'exit 3'; echo $?)"
check "exec leaves the host's /sys alone" "no" "$([ -e /sys/bus/ap/bindings ] && [ "$(cat /sys/bus/ap/bindings 2>/dev/null)" = "8/8 (complete)" ] && echo yes || echo no)"
kill -9 "$(cat "$ROOT/run/apsim/apsim.pid")"
sleep 0.3
check "after a crash the mount is dead" "yes" "$(ls "$SYS" >/dev/null 2>&1 && echo no || echo yes)"
check_fails "exec refuses a root with no apsim" "no apsim runs on" "$APSIM" exec "$ROOT" -- true
"$APSIM" stop "$ROOT" >/dev/null; check "stop clears the dead mounts (sys and the run tmpfs)" "0" "$(grep -cE " ($SYS|$ROOT/run) " /proc/mounts)"
"$APSIM" start "$ROOT" --topology noapxa >/dev/null; check "the root can be started again" "63" "$(cat "$SYS/bus/ap/ap_max_adapter_id")"
check "ctl reports a refused request with status 1" "1" "$("$APSIM" ctl "$ROOT" guest-stop nobody 2>/dev/null; echo $?)"
mine=$ROOT
"$APSIM" ctl "$ROOT" guest-start vm1 >/dev/null
check "a running host has its lock folder and QMP sockets on the run tmpfs" "yes" "$([ -S "$ROOT/run/apsim/qmp/vm1.sock" ] && echo yes)"
stop_sim
check "stop unmounts both" "0" "$(grep -cE " $mine/(sys|run) " /proc/mounts)"
finish
