#!/bin/sh
# libudev-based tools see the simulated devices under `apsim exec`: the udev database, kept current, and the
# statfs shim that makes the FUSE /sys pass systemd's sysfs check.
set -u
. "$(dirname "$0")/tap.sh"
if ! command -v udevadm >/dev/null; then
  echo "1..0 # SKIP udevadm is not installed (Debian's udev package)"
  exit 0
fi
start_sim tiny
info() { "$APSIM" exec "$ROOT" -- udevadm info "$@" 2>&1; }
card=$(info /sys/devices/ap/card01)
check "card: subsystem ap" "U: ap" "$(echo "$card" | grep '^U:')"
check "card: devtype ap_card" "T: ap_card" "$(echo "$card" | grep '^T:')"
check "card: bound to cex4card" "V: cex4card" "$(echo "$card" | grep '^V:')"
check "card: mode from the uevent file" "E: MODE=ep11" "$(echo "$card" | grep '^E: MODE=')"
check "card: initialized (udev database entry)" "1" "$(echo "$card" | grep -c '^E: USEC_INITIALIZED=')"
check "queue: devtype ap_queue" "T: ap_queue" "$(info /sys/bus/ap/devices/01.0002 | grep '^T:')"
check "matrix: subsystem matrix, no devtype (libvirt tells it by its subsystem)" "U: matrix" \
  "$(info /sys/devices/vfio_ap/matrix | grep -E '^(U|T):' | tr '\n' ' ' | sed 's/ $//')"

echo 0x > "$SYS/bus/ap/apmask"
uuid=9a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
echo $uuid > "$SYS/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
mdev=$(info /sys/bus/mdev/devices/$uuid)
check "a new mdev is known to udev" "U: mdev" "$(echo "$mdev" | grep '^U:')"
check "its properties" "E: MDEV_TYPE=vfio_ap-passthrough" "$(echo "$mdev" | grep '^E: MDEV_TYPE=')"
check "its database entry" "1" "$(echo "$mdev" | grep -c '^E: USEC_INITIALIZED=')"
echo 1 > "$SYS/devices/vfio_ap/matrix/$uuid/remove"
check "its database entry goes with it" "no" "$([ -e "$ROOT/run/udev/data/+mdev:$uuid" ] && echo yes || echo no)"
# udev events reach monitors inside `apsim exec` (its private network namespace), filtered by subsystem
uuid2=9b1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
udevadm monitor --udev --subsystem-match=mdev > "$ROOT/mon-host.out" 2>&1 &
host_monitor=$!
"$APSIM" exec "$ROOT" -- sh -c "udevadm monitor --udev --subsystem-match=mdev > '$ROOT/mon.out' 2>&1 & m=\$!
  udevadm monitor --udev --subsystem-match=ap > '$ROOT/mon-ap.out' 2>&1 & a=\$!
  sleep 0.5
  echo $uuid2 > /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create
  echo +1 > /sys/bus/ap/apmask
  echo 1 > /sys/devices/vfio_ap/matrix/$uuid2/remove
  sleep 0.5; kill \$m \$a"
check "the mdev's add event" "1" "$(grep -c "add *\/devices\/vfio_ap\/matrix\/$uuid2 (mdev)" "$ROOT/mon.out")"
check "the mdev's remove event" "1" "$(grep -c "remove *\/devices\/vfio_ap\/matrix\/$uuid2 (mdev)" "$ROOT/mon.out")"
check "the mdev monitor got no ap events" "0" "$(grep -c '(ap)' "$ROOT/mon.out")"
check "the ap monitor got card 1's four queues unbinding and binding" "8" \
  "$(grep -c 'bind *\/devices\/ap\/card01\/01\.000[0-3] (ap)' "$ROOT/mon-ap.out")"
kill $host_monitor
check "no event escaped into the host's network namespace" "0" "$(grep -c "$uuid2" "$ROOT/mon-host.out")"

"$APSIM" ctl "$ROOT" config-adapter 1 off
check "a card leaving the configuration leaves the database" "no" "$([ -e "$ROOT/run/udev/data/+ap:card01" ] && echo yes || echo no)"
"$APSIM" ctl "$ROOT" config-adapter 1 on
check "and comes back with it" "T: ap_card" "$(info /sys/devices/ap/card01 | grep '^T:')"
stop_sim
finish
