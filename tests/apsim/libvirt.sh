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
d1=1b1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
d2=2c1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
d3=3d1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
mdevxml() {
  printf "<device>\n  <parent>ap_matrix</parent>\n  <capability type='mdev'>\n    <type id='vfio_ap-passthrough'/>\n    <uuid>%s</uuid>\n    <attr name='assign_adapter' value='%s'/>\n    <attr name='assign_domain' value='%s'/>\n  </capability>\n</device>\n" "$1" "$2" "$3" > "$ROOT/$1.xml"
}
mdevxml $d1 1 1; mdevxml $d2 1 1; mdevxml $d3 1 3
ln -s "$APMATRIX_CALLOUT" "$ROOT/etc/mdevctl.d/scripts.d/callouts/10-apmatrix"
out=$ROOT/virsh.out
"$APSIM" exec "$ROOT" -- sh -c "
  . '$(dirname "$0")/libvirt-env.sh'
  LIBVIRTD_LOG='$ROOT/libvirtd.log'
  libvirt_start || { echo 'libvirtd did not answer' > '$out'; exit 1; }
  # parity: what libvirt lists and prints, and what apmatrix does, in the same namespace (root /)
  for cap in ap_card ap_queue ap_matrix; do
    \$VIRSH nodedev-list --cap \$cap > '$ROOT/virsh.'\$cap
    '$APMATRIX' nodedev-list --cap \$cap > '$ROOT/apmatrix.'\$cap
    for d in \$(cat '$ROOT/virsh.'\$cap); do
      \$VIRSH nodedev-dumpxml \$d > '$ROOT/x.virsh'; '$APMATRIX' nodedev-dumpxml \$d > '$ROOT/x.apmatrix'
      [ -s '$ROOT/x.virsh' ] && echo \$d >> '$ROOT/xml.compared'
      cmp -s '$ROOT/x.virsh' '$ROOT/x.apmatrix' || echo \$d >> '$ROOT/xml.differ'
    done
  done
  # virsh nodedev-define/-start/-create: libvirt -> mdevctl -> apmatrix-callout -> apsim
  {
    \$VIRSH nodedev-define '$ROOT/$d1.xml'; echo \"define rc=\$?\"
    [ -f /etc/mdevctl.d/matrix/$d1 ] && echo 'stored rc=yes'
    \$VIRSH nodedev-start mdev_$(echo $d1 | tr - _)_matrix; echo \"start rc=\$?\"
    \$VIRSH nodedev-create '$ROOT/$d2.xml'; echo \"create-overlap rc=\$?\"
    \$VIRSH nodedev-create '$ROOT/$d3.xml'; echo \"create rc=\$?\"
  } > '$ROOT/lifecycle.out' 2>&1
  for i in \$(seq 20); do \$VIRSH nodedev-list --cap mdev | grep -q $d3 && break; sleep 0.25; done
  \$VIRSH nodedev-list --cap mdev --all > '$ROOT/virsh.mdevs'
  '$APMATRIX' nodedev-list --cap mdev --all > '$ROOT/apmatrix.mdevs'
  \$VIRSH nodedev-destroy mdev_$(echo $d3 | tr - _)_matrix >/dev/null 2>&1
  \$VIRSH nodedev-destroy mdev_$(echo $d1 | tr - _)_matrix >/dev/null 2>&1
  \$VIRSH nodedev-undefine mdev_$(echo $d1 | tr - _)_matrix >/dev/null 2>&1
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
for cap in ap_card ap_queue ap_matrix; do
  check "virsh nodedev-list --cap $cap names exactly what apmatrix names" "$(cat "$ROOT/virsh.$cap")" "$(cat "$ROOT/apmatrix.$cap")"
done
check "virsh nodedev-dumpxml and apmatrix nodedev-dumpxml print the same document for each of them" "11 documents, differing: " \
  "$(wc -l < "$ROOT/xml.compared") documents, differing: $(cat "$ROOT/xml.differ" 2>/dev/null)"
lc() { grep "^$1 rc=" "$ROOT/lifecycle.out" | cut -d= -f2; }
check "virsh nodedev-define goes through mdevctl and apmatrix-callout" "0 yes" \
  "$(lc define) $(lc stored)"
check "virsh nodedev-start starts it on the simulated host" "0" "$(lc start)"
check "an overlapping virsh nodedev-create is refused" "1" "$(lc create-overlap)"
check "with apmatrix's words" "yes" \
  "$(grep -q "APQN 01.0001 is already assigned to mdev $d1" "$ROOT/lifecycle.out" && echo yes || echo no)"
check "a valid virsh nodedev-create succeeds" "0" "$(lc create)"
check "both are listed by virsh and by apmatrix alike" "$(sed '/^$/d' "$ROOT/virsh.mdevs" | sort)" "$(sort "$ROOT/apmatrix.mdevs")"
check "namely the defined and the created one" "2" "$(sed '/^$/d' "$ROOT/virsh.mdevs" | wc -l)"
stop_sim
finish
