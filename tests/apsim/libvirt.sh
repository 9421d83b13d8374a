#!/bin/sh
# Real peer: Debian's libvirt daemon under `apsim exec` lists the simulated AP devices through libudev (the
# udev database and the statfs shim) and sees an mdev appear through the relayed udev events.
set -u
. "$(dirname "$0")/tap.sh"
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
  echo "1..0 # SKIP libvirtd or virsh is not installed (./run test installs libvirt-daemon and libvirt-clients)"
  exit 0
fi
start_sim tiny
echo -1 > "$SYS/bus/ap/apmask"
uuid=0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
out=$ROOT/virsh.out
"$APSIM" exec "$ROOT" -- sh -c "
  . '$(dirname "$0")/libvirt-env.sh'
  LIBVIRTD_LOG='$ROOT/libvirtd.log'
  libvirt_start || { echo 'libvirtd did not answer' > '$out'; exit 1; }
  {
    echo '== cards'; \$VIRSH nodedev-list --cap ap_card
    echo '== queues'; \$VIRSH nodedev-list --cap ap_queue
    echo '== matrix'; \$VIRSH nodedev-list --cap ap_matrix
    echo '== card xml'; \$VIRSH nodedev-dumpxml ap_card01
    echo '== queue xml'; \$VIRSH nodedev-dumpxml ap_01_0002
    echo '== matrix xml'; \$VIRSH nodedev-dumpxml ap_matrix
    echo $uuid > /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create
    for i in \$(seq 20); do \$VIRSH nodedev-list --cap mdev | grep -q $uuid && break; sleep 0.25; done
    echo '== mdevs'; \$VIRSH nodedev-list --cap mdev
  } > '$out' 2>&1
  libvirt_stop"
section() { sed -n "/^== $1\$/,/^== /p" "$out" | sed '1d;/^== /d;/^$/d'; }
check "virsh lists the simulated cards" "ap_card00
ap_card01" "$(section cards)"
check "and their eight queues" "ap_00_0000 ap_00_0001 ap_00_0002 ap_00_0003 ap_01_0000 ap_01_0001 ap_01_0002 ap_01_0003" \
  "$(section queues | tr '\n' ' ' | sed 's/ $//')"
check "and the matrix device" "ap_matrix" "$(section matrix)"
check "card XML: adapter and driver" "<name>cex4card</name> <ap-adapter>0x01</ap-adapter>" \
  "$(section 'card xml' | grep -oE '<name>cex4card</name>|<ap-adapter>[^<]*</ap-adapter>' | tr '\n' ' ' | sed 's/ $//')"
check "queue XML: parent card, vfio_ap driver, domain" "<parent>ap_card01</parent> <name>vfio_ap</name> <ap-domain>0x0002</ap-domain>" \
  "$(section 'queue xml' | grep -oE '<parent>[^<]*</parent>|<name>vfio_ap</name>|<ap-domain>[^<]*</ap-domain>' | tr '\n' ' ' | sed 's/ $//')"
check "matrix XML: the mdev type and its instances" "<type id='vfio_ap-passthrough'> <deviceAPI>vfio-ap</deviceAPI> <availableInstances>65536</availableInstances>" \
  "$(section 'matrix xml' | grep -oE "<type id='[^']*'>|<deviceAPI>[^<]*</deviceAPI>|<availableInstances>[^<]*</availableInstances>" | tr '\n' ' ' | sed 's/ $//')"
check "a new mdev reaches libvirt through the udev events" "mdev_0a1c4f0e_2b3d_4e6f_8a9b_0c1d2e3f4a5b_matrix" "$(section mdevs)"
stop_sim
finish
