#!/bin/sh
# The vfio-ap user workflow of the kernel documentation (spec/kernel-ap.md §3.5), step by step with echo and
# cat, on apsim, guest included.
set -u
. "$(dirname "$0")/tap.sh"
start_sim tiny

# 2. free queues from zcrypt
echo -1 > "$SYS/bus/ap/apmask"; check "apmask -1 accepted" 0 $?
echo -2,-3 > "$SYS/bus/ap/aqmask"; check "aqmask -2,-3 accepted" 0 $?
check "freed queues bind to vfio_ap" "00.0002 00.0003 01.0000 01.0001 01.0002 01.0003 bind unbind" \
  "$(ls "$SYS/bus/ap/drivers/vfio_ap" | tr '\n' ' ' | sed 's/ $//')"
check "bindings complete" "8/8 (complete)" "$(cat "$SYS/bus/ap/bindings")"

# 3. create an mdev
uuid=5a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
echo "$uuid" > "$SYS/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
check "mdev created" 0 $?
mdev=$SYS/devices/vfio_ap/matrix/$uuid
check "available instances down by one" 65535 \
  "$(cat "$SYS/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances")"

# 4. assign adapter, domain, control domain
echo 1 > "$mdev/assign_adapter" && echo 0x2 > "$mdev/assign_domain" && echo 2 > "$mdev/assign_control_domain"
check "assignments accepted" 0 $?
# coreutils echo reports the kernel's errno, as users see it ("write error: ...")
check_fails "host-owned APQN refused" "Cannot assign requested address" sh -c "/bin/echo 0 > '$mdev/assign_adapter' && /bin/echo 1 > '$mdev/assign_domain'"

# 5. check matrix and guest_matrix
check "matrix" "00.0002
01.0002" "$(cat "$mdev/matrix")"
check "guest_matrix" "00.0002
01.0002" "$(cat "$mdev/guest_matrix")"
check "control_domains" "0002" "$(cat "$mdev/control_domains")"

# 6. start a guest with the device (QEMU -device vfio-ap,sysfsdev=...)
"$APSIM" ctl "$ROOT" guest-start vm1 mdev=$uuid; check "guest started with the mdev" 0 $?
check "queue in use" "in use" "$(cat "$SYS/devices/ap/card01/01.0002/status")"
check "guest sees the matrix" "adapters=0,1 domains=2 control_domains=2" \
  "$("$APSIM" ctl "$ROOT" guest-apcb vm1 | head -3 | tr '\n' ' ' | sed 's/ $//')"

# 7. hot plug and unplug by assigning and unassigning
echo 3 > "$mdev/assign_domain"; check "hot plug domain 3" 0 $?
check "guest got domain 3" "domains=2,3" "$("$APSIM" ctl "$ROOT" guest-apcb vm1 | sed -n 2p)"
echo 0 > "$mdev/unassign_adapter"; check "hot unplug adapter 0" 0 $?
check "guest lost adapter 0" "adapters=1" "$("$APSIM" ctl "$ROOT" guest-apcb vm1 | sed -n 1p)"

# 8. remove: the guest's QEMU is asked to release the device, then the mdev goes
echo 1 > "$mdev/remove"; check "remove returns once the guest released it" 0 $?
check "mdev gone" "no" "$([ -e "$mdev" ] && echo yes || echo no)"
check "guest has no queues left" "adapters=" "$("$APSIM" ctl "$ROOT" guest-apcb vm1 | sed -n 1p)"
check "queues unassigned" "unassigned" "$(cat "$SYS/devices/ap/card01/01.0002/status")"
check "returning the queues to the host is now allowed" 0 "$(echo +1 > "$SYS/bus/ap/apmask"; echo $?)"
check "adapter 1 with host domain 1 back on zcrypt" "cex4queue" "$(basename "$(readlink "$SYS/devices/ap/card01/01.0001/driver")")"
check "domain 2 still freed by aqmask" "vfio_ap" "$(basename "$(readlink "$SYS/devices/ap/card01/01.0002/driver")")"

stop_sim
finish
