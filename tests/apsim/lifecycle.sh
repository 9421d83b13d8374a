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
# what libvirt's QEMU driver reads under exec
check "exec binds the root's udev rules over /etc/udev, not the host's" "mine" \
  "$(echo '# mine' > "$ROOT/etc/udev/rules.d/41-ap.rules"; "$APSIM" exec "$ROOT" -- sh -c 'cat /etc/udev/rules.d/41-ap.rules' | cut -c3-)"
rm -f "$ROOT/etc/udev/rules.d/41-ap.rules"
check "the simulated host lists its CPUs" "0-1 0-1 0-1 yes" \
  "$(printf '[host]\ncpus=2\n' > "$ROOT.topo"; "$APSIM" start "$ROOT.cpu" --topology "$ROOT.topo" >/dev/null; cat "$ROOT.cpu/sys/devices/system/cpu/online" "$ROOT.cpu/sys/devices/system/cpu/possible" "$ROOT.cpu/sys/devices/system/cpu/present" | tr '\n' ' '; [ "$(cat "$ROOT.cpu/sys/devices/system/cpu/offline")" = "" ] && echo yes; "$APSIM" stop "$ROOT.cpu" >/dev/null)"
rm -rf "$ROOT.cpu" "$ROOT.topo"
u=5a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
check "exec has /dev/vfio/vfio, VFIO's misc device 10:196 (0xa:0xc4)" "character special file a:c4 666" \
  "$("$APSIM" exec "$ROOT" -- stat -c '%F %t:%T %a' /dev/vfio/vfio)"
echo $u > "$SYS/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
group=$(basename "$(readlink "$SYS/bus/mdev/devices/$u/iommu_group")")
check "an mdev's group gets its /dev/vfio node, root's, 0600, and one that opens" "yes root 600 opens" \
  "$("$APSIM" exec "$ROOT" -- sh -c "[ -c /dev/vfio/$group ] && echo yes; stat -c '%U %a' /dev/vfio/$group; : < /dev/vfio/$group && echo opens" | tr '\n' ' ' | sed 's/ $//')"
echo 1 > "$SYS/bus/mdev/devices/$u/remove"
check "the node goes with the mdev" "no" "$("$APSIM" exec "$ROOT" -- sh -c "[ -e /dev/vfio/$group ] && echo yes || echo no")"
t0=$(date +%s)
check "exec stops what the command left running in the namespace" "0 gone" \
  "$("$APSIM" exec "$ROOT" -- sh -c 'sleep 300 & echo $! > '"$ROOT"'/left.pid'; echo $?) $(kill -0 "$(cat "$ROOT/left.pid")" 2>/dev/null && echo alive || echo gone)"
check "and returns at once when it goes on SIGTERM" "yes" "$([ $(( $(date +%s) - t0 )) -lt 5 ] && echo yes || echo no)"
check "exec leaves the host's /sys alone" "no" "$([ -e /sys/bus/ap/bindings ] && [ "$(cat /sys/bus/ap/bindings 2>/dev/null)" = "8/8 (complete)" ] && echo yes || echo no)"
kill -9 "$(cat "$ROOT/run/apsim/apsim.pid")"
sleep 0.3
check "after a crash the mount is dead" "yes" "$(ls "$SYS" >/dev/null 2>&1 && echo no || echo yes)"
check_fails "exec refuses a root with no apsim" "no apsim runs on" "$APSIM" exec "$ROOT" -- true
"$APSIM" stop "$ROOT" >/dev/null; check "stop clears the dead mounts (sys and the run and dev tmpfs)" "0" "$(grep -cE " ($SYS|$ROOT/run|$ROOT/dev) " /proc/mounts)"
"$APSIM" start "$ROOT" --topology noapxa >/dev/null; check "the root can be started again" "63" "$(cat "$SYS/bus/ap/ap_max_adapter_id")"
check "ctl reports a refused request with status 1" "1" "$("$APSIM" ctl "$ROOT" guest-stop nobody 2>/dev/null; echo $?)"
# injected faults: listed while pending, counted down by writes, dropped on request
"$APSIM" ctl "$ROOT" inject aqmask 2 EIO >/dev/null; "$APSIM" ctl "$ROOT" inject apmask 1 EBUSY >/dev/null
check "inject list shows the pending injections (attribute, writes to go, errno)" "aqmask 2 5|apmask 1 16" \
  "$("$APSIM" ctl "$ROOT" inject list | tr '\n' '|' | sed 's/|$//')"
echo +0 > "$SYS/bus/ap/aqmask"
check "a write counts an injection down" "aqmask 1 5|apmask 1 16" "$("$APSIM" ctl "$ROOT" inject list | tr '\n' '|' | sed 's/|$//')"
check "inject clear ATTR drops that attribute's only" "injections dropped: 1 apmask 1 16" \
  "$("$APSIM" ctl "$ROOT" inject clear aqmask) $("$APSIM" ctl "$ROOT" inject list)"
check "inject clear drops the rest, and the write it would have failed succeeds" "injections dropped: 1  0" \
  "$("$APSIM" ctl "$ROOT" inject clear) $("$APSIM" ctl "$ROOT" inject list) $(echo +0 > "$SYS/bus/ap/apmask"; echo $?)"
mine=$ROOT
"$APSIM" ctl "$ROOT" guest-start vm1 >/dev/null
check "a running host has its lock folder and QMP sockets on the run tmpfs" "yes" "$([ -S "$ROOT/run/apsim/qmp/vm1.sock" ] && echo yes)"
stop_sim
check "stop unmounts all three" "0" "$(grep -cE " $mine/(sys|run|dev) " /proc/mounts)"
finish
