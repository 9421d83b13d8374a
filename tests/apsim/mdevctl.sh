#!/bin/sh
# Real peer: Debian's mdevctl under `apsim exec` defines, starts, lists, stops and undefines a vfio_ap mdev with
# attributes; an overlapping start fails with the kernel's error and leaves no mdev behind.
set -u
. "$(dirname "$0")/tap.sh"
if ! command -v mdevctl >/dev/null; then
  echo "1..0 # SKIP mdevctl is not installed (./run test installs Debian's mdevctl package)"
  exit 0
fi
start_sim tiny
mdevctl() { "$APSIM" exec "$ROOT" -- mdevctl "$@"; }
echo -1 > "$SYS/bus/ap/apmask"
echo -2,-3 > "$SYS/bus/ap/aqmask"
json=$ROOT/m.json
cat > "$json" <<'JSON'
{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},{"assign_domain":"0x2"},{"assign_control_domain":"2"}]}
JSON
u1=7a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u2=8a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b

check "mdevctl types sees the matrix parent" "matrix
  vfio_ap-passthrough
    Available instances: 65536
    Device API: vfio-ap
    Name: VFIO AP Passthrough Device" "$(mdevctl types)"
mdevctl define -u $u1 -p matrix --jsonfile "$json"; check "define" 0 $?
check "definition file where mdevctl keeps it" "yes" "$([ -f "$ROOT/etc/mdevctl.d/matrix/$u1" ] && echo yes)"
mdevctl start -u $u1; check "start" 0 $?
check "the kernel got the attributes in order" "01.0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix")"
check "control domain" "0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/control_domains")"
check "list --dumpjson" '{"matrix":[{"7a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b":{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},{"assign_domain":"0x2"},{"assign_control_domain":"2"}]}}]}' \
  "$(mdevctl list --dumpjson | tr -d ' \n' | sed 's/^\[//; s/\]$//')"
check "list -d shows it active" "$u1 matrix vfio_ap-passthrough manual (active)" "$(mdevctl list -d)"
check_fails "overlapping start fails with the kernel's error" "Address already in use" \
  mdevctl start -u $u2 -p matrix --jsonfile "$json"
check "and leaves no mdev behind" "0" "$(ls "$SYS/devices/vfio_ap/matrix" | grep -c $u2)"
check "the first mdev is untouched" "01.0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix")"
mdevctl stop -u $u1; check "stop" 0 $?
check "removed from sysfs" "no" "$([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
mdevctl undefine -u $u1; check "undefine" 0 $?
check "definition gone" "0" "$(ls "$ROOT/etc/mdevctl.d/matrix" | wc -l)"
stop_sim
finish
