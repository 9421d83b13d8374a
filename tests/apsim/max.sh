#!/bin/sh
# The largest host: 256 adapters x 256 domains mount, list and rebind.
set -u
. "$(dirname "$0")/tap.sh"
start_sim max
check "every card and queue listed" 65792 "$(find "$SYS/bus/ap/devices/" -mindepth 1 | wc -l)"
check "bindings" "65536/65536 (complete)" "$(cat "$SYS/bus/ap/bindings")"
echo -0-127 > "$SYS/bus/ap/apmask"; check "half the adapters freed" 0 $?
check "32768 queues on vfio_ap" 32768 "$(ls "$SYS/bus/ap/drivers/vfio_ap" | grep -c '\.')"
uuid=6a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
echo "$uuid" > "$SYS/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
printf '0x%s,0x%s,0x0\n' "$(printf 'f%.0s' $(seq 32))" "$(printf 'f%.0s' $(seq 64))" > "$SYS/devices/vfio_ap/matrix/$uuid/ap_config"
check "ap_config of 128 x 256 accepted" 0 $?
check "32768 APQNs in the matrix" 32768 "$(wc -l < "$SYS/devices/vfio_ap/matrix/$uuid/matrix")"
stop_sim
finish
