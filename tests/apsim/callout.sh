#!/bin/sh
# Real peer: Debian's mdevctl under `apsim exec` with apmatrix-callout in its callout folder. A conflicting
# define or start is refused with apmatrix's words and leaves nothing behind; a valid one succeeds; a lock held
# by another process makes mdevctl wait and then proceed.
set -u
. "$(dirname "$0")/tap.sh"
if ! command -v mdevctl >/dev/null; then
  echo "1..0 # SKIP mdevctl is not installed (./run test installs Debian's mdevctl package)"
  exit 0
fi
start_sim tiny
ln -s "$APMATRIX_CALLOUT" "$ROOT/etc/mdevctl.d/scripts.d/callouts/10-apmatrix"
mdevctl() { "$APSIM" exec "$ROOT" -- mdevctl "$@"; }
echo -1 > "$SYS/bus/ap/apmask"
echo -2,-3 > "$SYS/bus/ap/aqmask"
u1=7a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u2=8a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u3=9a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
# json START ADAPTER DOMAINS NAME: an mdevctl config, an assign_domain per ID of the comma list DOMAINS
json() {
  _d=$(echo "$3" | tr ',' '\n' | sed 's/.*/{"assign_domain":"&"}/' | tr '\n' ',' | sed 's/,$//')
  printf '{"mdev_type":"vfio_ap-passthrough","start":"%s","attrs":[{"assign_adapter":"%s"},%s]}' "$1" "$2" "$_d" > "$ROOT/$4.json"
}
json auto 1 2 a; json manual 1 2 b; json auto 1 "2,3" c

mdevctl define -u $u1 -p matrix --jsonfile "$ROOT/a.json"; check "a valid define passes the callout" 0 $?
mdevctl start -u $u1; check "and starts" 0 $?
check "the kernel got it" "01.0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix")"
check "the lock is released after post" "no" "$([ -e "$ROOT/run/lock/s390apconfig.lock" ] && echo yes || echo no)"
check_fails "a conflicting start is refused in apmatrix's words" "APQN 01.0002 is already assigned to mdev $u1" \
  mdevctl start -u $u2 -p matrix --jsonfile "$ROOT/b.json"
check "before any write: no mdev left behind" "0" "$(ls "$SYS/devices/vfio_ap/matrix" | grep -c $u2)"
check "and the lock is released" "no" "$([ -e "$ROOT/run/lock/s390apconfig.lock" ] && echo yes || echo no)"
# the kernel takes one ID per write, and mdevctl writes the value as it is: a list would fail half way in start
printf '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},{"assign_domain":"2,3"}]}' > "$ROOT/list.json"
check_fails "a define with a comma list is refused before mdevctl writes it (the kernel takes one ID a write)" \
  "Attribute assign_domain has the value '2,3', which the kernel does not take: it takes one ID" \
  mdevctl define -u $u3 -p matrix --jsonfile "$ROOT/list.json"
check "and not written" "no" "$([ -e "$ROOT/etc/mdevctl.d/matrix/$u3" ] && echo yes || echo no)"
check_fails "an overlapping autostart define is refused (ap-check's rule)" "APQN 01.0002 is defined for autostart by $u1" \
  mdevctl define -u $u3 -p matrix --jsonfile "$ROOT/c.json"
check "and not written" "no" "$([ -e "$ROOT/etc/mdevctl.d/matrix/$u3" ] && echo yes || echo no)"
check "get attributes prints the active matrix as ap-check does" \
  '[{"assign_adapter":"1"},{"assign_domain":"2"}]' \
  "$("$APSIM" exec "$ROOT" -- "$APMATRIX_CALLOUT" -t vfio_ap-passthrough -e get -a attributes -s none -u $u1 -p matrix)"
check "other mdev types are left to other callouts (exit 2)" "2" \
  "$("$APMATRIX_CALLOUT" -t nvidia-35 -e pre -a start -s none -u $u1 -p matrix </dev/null; echo $?)"

# mdevctl writes attributes in order and the kernel takes an unassign too: the callout checks what they leave
mdevctl stop -u $u1
printf '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},{"assign_domain":"2"},{"assign_domain":"3"},{"unassign_domain":"3"}]}' > "$ROOT/un.json"
mdevctl define -u $u3 -p matrix --jsonfile "$ROOT/un.json"; rc=$?
check "a definition with an unassign is taken: the attributes are applied in order" "0 yes" \
  "$rc $([ -e "$ROOT/etc/mdevctl.d/matrix/$u3" ] && echo yes || echo no)"
mdevctl start -u $u3; rc=$?
check "mdevctl starts it and the kernel holds what the attributes leave" "0 01.0002" \
  "$rc $(cat "$SYS/devices/vfio_ap/matrix/$u3/matrix" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
mdevctl stop -u $u3; mdevctl undefine -u $u3
mdevctl start -u $u1

# a lock held by a live process: mdevctl waits, and proceeds once it is gone
mdevctl stop -u $u1
sleep 30 & holder=$!
echo "$holder" > "$ROOT/run/lock/s390apconfig.lock"
( mdevctl start -u $u1; echo $? > "$ROOT/start.rc" ) &
sleep 1
check "mdevctl waits while another process holds the lock" "0" "$(ls "$SYS/devices/vfio_ap/matrix" | grep -c $u1)"
kill $holder; wait $holder 2>/dev/null
for i in $(seq 50); do [ -e "$ROOT/start.rc" ] && break; sleep 0.2; done
check "and proceeds once the holder is gone" "0" "$(cat "$ROOT/start.rc" 2>/dev/null)"
check "the mdev is there" "01.0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix" 2>/dev/null)"

# mdevctl 1.3's live event (modify --live), called as mdevctl 1.3 calls it: the config on stdin
callout() { "$APSIM" exec "$ROOT" -- "$APMATRIX_CALLOUT" -t vfio_ap-passthrough -e "$1" -a "$2" -s none -u "$3" -p matrix; }
check "get capabilities advertises the live event and modify" \
  '{"supports":{"version":2,"actions":["define","undefine","start","stop","modify","attributes","capabilities"],"events":["pre","post","get","live","notify"]}}' \
  "$(echo '{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","get","live","notify"]}}' | callout get capabilities $u1)"
json auto 1 "2,3" live
check "live modify applies the new matrix in one ap_config write" "0 01.0002 01.0003" \
  "$(callout live modify $u1 < "$ROOT/live.json" >/dev/null 2>&1; echo $?) $(tr '\n' ' ' < "$SYS/devices/vfio_ap/matrix/$u1/matrix" | sed 's/ $//')"
check "and releases its lock" "no" "$([ -e "$ROOT/run/lock/s390apconfig.lock" ] && echo yes || echo no)"
"$APSIM" exec "$ROOT" -- sh -c "echo $u2 > /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
printf '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},{"assign_domain":"3"}]}' > "$ROOT/live2.json"
before=$("$APSIM" ctl "$ROOT" dump)
err=$(callout live modify $u2 < "$ROOT/live2.json" 2>&1 >/dev/null); rc=$?
check "a live modify into another mdev's queue is refused in apmatrix's words" "1 yes" \
  "$rc $(echo "$err" | grep -q "APQN 01.0003 is already assigned to mdev $u1" && echo yes || echo no)"
check "and changes nothing" "$before" "$("$APSIM" ctl "$ROOT" dump)"
stop_sim
finish
