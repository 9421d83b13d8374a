#!/bin/sh
# Real peer: libvirt's own QEMU driver (Debian's libvirtd with virtlogd, QEMU as libvirt-qemu) runs guests of the
# simulated host, with apsim-qemu as their emulator and apmatrix-hook in /etc/libvirt/hooks/qemu.d: virsh start,
# destroy, attach-device and detach-device of vfio-ap mdevs, apmatrix --connect qemu:///system on the same
# guests, the labels libvirt puts on /dev/vfio, faults (a guest that never lets go, an mdev removed under a
# guest, libvirtd restarted) and a concurrent mix of virsh and apmatrix. Every outcome is checked against apsim's
# state: the mdevs in sysfs and each guest's CRYCB (APCB).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/tap.sh"

if [ "${1:-}" != --inside ]; then
  if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null || ! command -v virtlogd >/dev/null ||
     ! ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1; then
    echo "1..0 # SKIP libvirtd, its QEMU driver or virsh is not installed (./run test installs libvirt-daemon and libvirt-clients)"
    exit 0
  fi
  start_sim z16
  trap 'exit 1' INT TERM
  export ROOT SYS
  "$APSIM" exec "$ROOT" -- sh "$0" --inside
  rc=$?
  stop_sim
  exit $rc
fi

# ---- inside the namespace: libvirtd runs here, /sys is the simulated host's ---------------------------------------
. "$HERE/libvirt-qemu-env.sh"
T=$ROOT
LIBVIRTD_LOG=${KEEP_LOG:-$T/libvirtd.log}
am() { "$APMATRIX" "$@"; }
lv() { "$APMATRIX" --connect qemu:///system "$@"; }
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
apcb() { ctl guest-apcb "$1" 2>/dev/null | head -3 | tr '\n' ' ' | sed 's/ $//'; }
# the guest's domains one by one ("30-32,34" is 30,31,32,34)
apcb_domains() {
  ctl guest-apcb "$1" | sed -n 's/^domains=//p' | tr ',' '\n' |
    awk -F- 'NF == 2 { for (i = $1; i <= $2; i++) print i; next } NF { print }' | tr '\n' ',' | sed 's/,$//'
}
gm() { tr '\n' ' ' < "/sys/devices/vfio_ap/matrix/$1/guest_matrix" | sed 's/ $//'; }
active() { [ -e "/sys/bus/mdev/devices/$1" ] && echo active || echo inactive; }
domstate() { $VIRSH domstate "$1" 2>/dev/null | head -1; }
live_hostdevs() { $VIRSH dumpxml "$1" 2>/dev/null | grep -o "<address uuid='[^']*'" | cut -d"'" -f2 | tr '\n' ' ' | sed 's/ $//'; }
group_owner() { # the owner of the mdev's /dev/vfio node
  g=$(basename "$(readlink "/sys/bus/mdev/devices/$1/iommu_group")")
  stat -c %U "/dev/vfio/$g"
}
# what a refusal must leave as it was: apsim's whole model, the definitions, libvirt's domains and their XML
state() {
  ctl dump
  cat /etc/mdevctl.d/matrix/* 2>/dev/null
  for d in $($VIRSH list --all --name); do echo "$d $(domstate "$d")"; $VIRSH dumpxml "$d" | grep -v '<seclabel\|<label\|<imagelabel'; done
}
# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() {
  _t=$1; shift
  for _i in $(seq $((_t * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}
mdev() { # UUID ADAPTERS DOMAINS [CONTROL]: defined (not started)
  mdev_xml "$T/$1.xml" "$@"
  am nodedev-define "$T/$1.xml" >/dev/null 2>&1 || echo "# nodedev-define $1 failed"
}
define() { # NAME [UUID]
  domain_xml "$@" > "$T/dom-$1.xml"
  $VIRSH define "$T/dom-$1.xml" >/dev/null || echo "# virsh define $1 failed"
}
hd() { hostdev_xml "$1" > "$T/hd-$1.xml"; echo "$T/hd-$1.xml"; }

# adapters 0-3 go to vfio_ap; 4-7 stay with the host's default drivers
echo -0-3 > /sys/bus/ap/apmask
libvirt_hook "$APMATRIX_HOOK"
if ! libvirt_start; then
  echo "Bail out! libvirtd did not start"; cat "$LIBVIRTD_LOG" 2>/dev/null | tail -20 | sed 's/^/# /'
  exit 1
fi

m1=b1000000-0000-4000-8000-000000000001   # 00.0001 (control domain 1): defined; vm1 cold-plugs it through the hook
m2=b2000000-0000-4000-8000-000000000002   # 00.0001: overlaps m1
m3=b3000000-0000-4000-8000-000000000003   # 05.0001: the host's default drivers hold it
m4=b4000000-0000-4000-8000-000000000004   # 01.0002: active; virsh hot-plugs it into vm2
m5=b5000000-0000-4000-8000-000000000005   # 02.0003: defined; apmatrix attaches it to vm3 on demand
m6=b6000000-0000-4000-8000-000000000006   # 01.0004: defined only
m7=b7000000-0000-4000-8000-000000000007   # 01.0005: active; a second vfio-ap for vm2
m8=b8000000-0000-4000-8000-000000000008   # 03.0006: active; vm4's definition only (--config)
mdev $m1 0 1 1; mdev $m2 0 1; mdev $m3 5 1; mdev $m4 1 2; mdev $m5 2 3; mdev $m6 1 4; mdev $m7 1 5; mdev $m8 3 6
am nodedev-start $m4 >/dev/null; am nodedev-start $m7 >/dev/null; am nodedev-start $m8 >/dev/null

# ---- cold plug: virsh start of a domain whose mdev is only defined: the hook starts it --------------------------
define vm1 $m1
out=$($VIRSH start vm1 2>&1); rc=$?
check "virsh start of a domain with a defined mdev: the hook starts it" "0 running active" "$rc $(domstate vm1) $(active $m1)"
check "the guest's APCB is the mdev's matrix within the host configuration" "adapters=0 domains=1 control_domains=1" "$(apcb vm1)"
check "the kernel shows the guest's queue in use" "00.0001 in use" "$(gm $m1) $(cat /sys/devices/ap/card00/00.0001/status)"
check "libvirt labelled the mdev's /dev/vfio node for QEMU" "libvirt-qemu" "$(group_owner $m1)"
check "libvirt's live XML names the device hostdev0" "yes" "$($VIRSH dumpxml vm1 | grep -q "<alias name='hostdev0'/>" && echo yes || echo no)"
out=$(lv list); rc=$?
check "apmatrix --connect qemu:///system list sees the guest, its mdev and APQNs" "0 vm1 $m1 00.0001" \
  "$rc $(echo "$out" | awk '$1 == "vm1" {print $1, $2, $3}')"
before=$(state)
out=$(am nodedev-destroy $m1 2>&1); rc=$?
check "without --connect, apmatrix knows the guest from libvirt's status file and refuses to remove its mdev" "4 yes" \
  "$rc $(echo "$out" | grep -q "in use by guest vm1" && echo yes || echo "$out")"
check "state unchanged" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"
group1=$(basename "$(readlink "/sys/bus/mdev/devices/$m1/iommu_group")")
out=$($VIRSH destroy vm1 2>&1); rc=$?
check "virsh destroy: the guest lets its mdev go, the hook stops it again" "0 shut off inactive" "$rc $(domstate vm1) $(active $m1)"
check "its definition stays" "yes" "$([ -f /etc/mdevctl.d/matrix/$m1 ] && echo yes || echo no)"
check "the group's node went with the mdev" "no" "$([ -e /dev/vfio/$group1 ] && echo yes || echo no)"
check "the guest is gone from apsim" "" "$(apcb vm1)"

# ---- refused at virsh start, in apmatrix's words; nothing left running or started ---------------------------------
$VIRSH start vm1 >/dev/null 2>&1
define vmo $m2
before=$(state)
out=$($VIRSH start vmo 2>&1); rc=$?
check "virsh start of a domain whose mdev overlaps an active one is refused" "1 shut off inactive" "$rc $(domstate vmo) $(active $m2)"
check "virsh's error carries apmatrix's sentence" "yes" \
  "$(echo "$out" | grep -q "apmatrix-hook: guest vmo: cannot start with its vfio-ap device: .*APQN 00.0001 is already assigned to mdev $m1" && echo yes || echo "$out")"
check "and nothing changed" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"
define vmh $m3
before=$(state)
out=$($VIRSH start vmh 2>&1); rc=$?
check "virsh start of a domain whose mdev holds APQNs of the host's drivers is refused" "1 shut off inactive" \
  "$rc $(domstate vmh) $(active $m3)"
check "naming the APQN and the mask" "yes" "$(echo "$out" | grep -q "05.0001" && echo "$out" | grep -q "apmask" && echo yes || echo "$out")"
check "and nothing changed" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"

# ---- the guest's life: pause and resume, a guest shutdown, what apsim-qemu does not implement ------------------------
out=$($VIRSH shutdown vm1 2>&1); rc=$?
wait_for 10 sh -c "[ \"\$($VIRSH domstate vm1)\" = 'shut off' ]"
check "virsh shutdown: the guest powers down (system_powerdown), libvirt ends its QEMU, the hook stops the mdev" \
  "0 shut off inactive" "$rc $(domstate vm1) $(active $m1)"
domain_xml vmq | sed "s|<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|;
  s|</devices>|</devices><qemu:commandline><qemu:arg value='-device'/><qemu:arg value='virtio-rng-ccw'/></qemu:commandline>|" \
  > "$T/dom-vmq.xml"
$VIRSH define "$T/dom-vmq.xml" >/dev/null
out=$($VIRSH start vmq 2>&1); rc=$?
check "a device apsim-qemu does not implement: virsh start fails with apsim-qemu's words" "1 shut off yes" \
  "$rc $(domstate vmq) $(echo "$out" | grep -q "'virtio-rng-ccw' is not a valid device model name: apsim's QEMU front implements vfio-ap only" && echo yes || echo "$out")"

domain_xml vm2x $m4 | sed "s|</hostdev>|</hostdev>$(hostdev_xml $m7)|" > "$T/dom-vm2x.xml"
out=$($VIRSH define "$T/dom-vm2x.xml" 2>&1); rc=$?
check "libvirt refuses a definition with two vfio-ap hostdevs" "1 yes" \
  "$rc $(echo "$out" | grep -q "Only one hostdev of model vfio-ap is supported" && echo yes || echo "$out")"

# ---- hot plug with virsh ----------------------------------------------------------------------------------------
define vm2
$VIRSH start vm2 >/dev/null
out=$($VIRSH attach-device vm2 "$(hd $m4)" --live 2>&1); rc=$?
check "virsh attach-device --live of an active mdev" "0 $m4" "$rc $(live_hostdevs vm2)"
check "the guest's APCB has it" "adapters=1 domains=2 control_domains=" "$(apcb vm2)"
check "its /dev/vfio node is QEMU's" "libvirt-qemu" "$(group_owner $m4)"
check "--live only: the definition has no hostdev" "" "$($VIRSH dumpxml --inactive vm2 | grep -o "uuid='$m4'")"
before=$(state)
out=$($VIRSH attach-device vm2 "$(hd $m7)" --live 2>&1); rc=$?
check "libvirt lets a second vfio-ap through to QEMU, which refuses it" "1 yes" \
  "$rc $(echo "$out" | grep -q "No 'ap-bus' bus found for device 'vfio-ap'" && echo yes || echo "$out")"
check "state unchanged, m7's node left to root" "yes root" "$([ "$before" = "$(state)" ] && echo yes || echo no) $(group_owner $m7)"
hostdev_xml $m7 | sed "s|</source>|</source><boot order='1'/>|" > "$T/hd-boot.xml"
before=$(state)
out=$($VIRSH attach-device vm2 "$T/hd-boot.xml" --live 2>&1); rc=$?
check "libvirt refuses a boot order on vfio-ap before QEMU" "1 yes yes" \
  "$rc $(echo "$out" | grep -q "booting from assigned devices is not supported by mediated devices of model vfio-ap" && echo yes || echo "$out") $([ "$before" = "$(state)" ] && echo yes || echo no)"
define vm3
$VIRSH start vm3 >/dev/null
before=$(state)
out=$($VIRSH attach-device vm3 "$(hd $m4)" --live 2>&1); rc=$?
check "libvirt refuses an mdev another domain uses" "1 yes" \
  "$rc $(echo "$out" | grep -q "mediated device /sys/bus/mdev/devices/$m4 is in use by driver QEMU, domain vm2" && echo yes || echo "$out")"
check "state unchanged" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"
before=$(state)
out=$($VIRSH attach-device vm3 "$(hd $m6)" --live 2>&1); rc=$?
check "libvirt refuses an mdev that is defined but not active (it never starts one on hot plug)" "1 yes" \
  "$rc $(echo "$out" | grep -q "mediated device '$m6' not found" && echo yes || echo "$out")"
check "state unchanged" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"
out=$($VIRSH detach-device vm2 "$(hd $m4)" --live 2>&1); rc=$?
check "virsh detach-device --live" "0 " "$rc $(live_hostdevs vm2)"
check "the guest's APCB is empty, the queue only assigned" "adapters= domains= control_domains= assigned" \
  "$(apcb vm2) $(cat /sys/devices/ap/card01/01.0002/status)"
check "the mdev stays active (libvirt never stops one)" "active" "$(active $m4)"
check "its /dev/vfio node is root's again" "root" "$(group_owner $m4)"
define vm4
$VIRSH start vm4 >/dev/null
out=$($VIRSH suspend vm4 2>&1); rc=$?
check "virsh suspend: QEMU stops the guest (stop, query-status)" "0 paused" "$rc $(domstate vm4)"
out=$($VIRSH resume vm4 2>&1); rc=$?
check "virsh resume: it runs again (cont)" "0 running" "$rc $(domstate vm4)"
out=$($VIRSH attach-device vm4 "$(hd $m8)" --config 2>&1); rc=$?
check "virsh attach-device --config changes the definition only" "0 yes " \
  "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no) $(live_hostdevs vm4)"
check "the running guest got nothing" "adapters= domains= control_domains=" "$(apcb vm4)"
out=$($VIRSH detach-device vm4 "$(hd $m8)" --config 2>&1); rc=$?
check "virsh detach-device --config takes it out of the definition" "0 no" \
  "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no)"

# ---- apmatrix on libvirt's guests ---------------------------------------------------------------------------------
out=$(lv attach-device vm3 "$T/hd-$m5.xml" 2>/dev/null || lv attach-device vm3 "$(hd $m5)"); rc=$?
check "apmatrix attach-device of a defined mdev: started on demand, attached through libvirt" "0 active $m5" \
  "$rc $(active $m5) $(live_hostdevs vm3)"
check "it says so" "yes" "$(echo "$out" | grep -q "mdev $m5 was started from its definition for guest vm3" && echo yes || echo "$out")"
check "the guest's APCB has it" "adapters=2 domains=3 control_domains=" "$(apcb vm3)"
check "libvirt labelled the node" "libvirt-qemu" "$(group_owner $m5)"
out=$(lv plug vm3 --domain 7); rc=$?
check "apmatrix plug reaches the running libvirt guest" "0 adapters=2 domains=3,7 control_domains=" "$rc $(apcb vm3)"
out=$(lv unplug vm3 --domain 3); rc=$?
check "apmatrix unplug" "0 adapters=2 domains=7 control_domains=" "$rc $(apcb vm3)"
check "apmatrix list" "vm3 $m5 02.0007" "$(lv list | awk '$1 == "vm3" {print $1, $2, $3}')"
before=$(state)
out=$(lv nodedev-destroy $m5 2>&1); rc=$?
check "nodedev-destroy is refused while the libvirt guest holds the mdev, naming it" "4 yes" \
  "$rc $(echo "$out" | grep -q "in use by guest vm3" && echo yes || echo "$out")"
check "state unchanged" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"
out=$(lv attach-device vm2 "$T/hd-$m5.xml" 2>&1); rc=$?
check "apmatrix refuses the mdev for a second libvirt guest, naming the first" "4 yes" \
  "$rc $(echo "$out" | grep -q "mdev $m5 is in use by guest vm3" && echo yes || echo "$out")"
out=$(lv detach-device vm3 2>&1); rc=$?
check "apmatrix detach-device: libvirt detaches, the mdev started on demand stops" "0 inactive " \
  "$rc $(active $m5) $(live_hostdevs vm3)"
check "the guest's APCB is empty, the node gone with the mdev" "adapters= domains= control_domains=" "$(apcb vm3)"
lv attach-device vm3 "$T/hd-$m4.xml" >/dev/null
out=$(lv nodedev-destroy $m4 --force 2>&1); rc=$?
check "nodedev-destroy --force detaches through libvirt first" "0 inactive " "$rc $(active $m4) $(live_hostdevs vm3)"
check "saying so" "yes" "$(echo "$out" | grep -q "detached from guest vm3 first" && echo yes || echo "$out")"
am nodedev-start $m4 >/dev/null

out=$(lv attach-device vm4 "$T/hd-$m8.xml" --config 2>&1); rc=$?
check "apmatrix attach-device --config: libvirt's definition only" "0 yes  adapters= domains= control_domains=" \
  "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no) $(live_hostdevs vm4) $(apcb vm4)"
out=$(lv detach-device vm4 "$T/hd-$m8.xml" --config 2>&1); rc=$?
check "apmatrix detach-device --config" "0 no" "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no)"
out=$(lv attach-device vm4 "$T/hd-$m8.xml" --live --config 2>&1); rc=$?
check "apmatrix attach-device --live --config: both" "0 yes $m8 adapters=3 domains=6 control_domains=" \
  "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no) $(live_hostdevs vm4) $(apcb vm4)"
out=$(lv detach-device vm4 --live --config 2>&1); rc=$?
check "apmatrix detach-device --live --config: both" "0 no  active" \
  "$rc $($VIRSH dumpxml --inactive vm4 | grep -q "uuid='$m8'" && echo yes || echo no) $(live_hostdevs vm4) $(active $m8)"

# ---- faults: a guest that never completes an unplug ---------------------------------------------------------------
$VIRSH attach-device vm2 "$T/hd-$m4.xml" --live >/dev/null
ctl guest-unplug-hang vm2 on >/dev/null
out=$($VIRSH detach-device vm2 "$T/hd-$m4.xml" --live 2>&1); rc=$?
check "virsh detach-device of a guest that never lets go: libvirt waits, then keeps the hostdev" "0 $m4" \
  "$rc $(live_hostdevs vm2)"
check "the queue stays in the guest's use" "adapters=1 domains=2 control_domains= in use" \
  "$(apcb vm2) $(cat /sys/devices/ap/card01/01.0002/status)"
out=$(lv --unplug-timeout 1 detach-device vm2 2>&1); rc=$?
check "apmatrix detach-device then reports exit 6, with the device still there" "6 $m4" "$rc $(live_hostdevs vm2)"
check "in words" "yes" "$(echo "$out" | grep -qi "in the process of unplug\|did not release" && echo yes || echo "$out")"
lv --unplug-timeout 30 detach-device vm2 > "$T/late.out" 2>&1 & late=$!
sleep 1
t0=$(date +%s)
ctl guest-unplug-hang vm2 off >/dev/null
wait $late; rc=$?
t1=$(date +%s)
check "an apmatrix detach still waiting when the guest lets go ends then, on libvirt's event" "0 yes" \
  "$rc $([ $((t1 - t0)) -lt 10 ] && echo yes || echo "no: $((t1 - t0)) s")"
wait_for 10 sh -c "[ -z \"\$($VIRSH dumpxml vm2 | grep -o \"uuid='$m4'\")\" ]"
check "once the guest lets go, libvirt drops the hostdev (DEVICE_DELETED)" "" "$(live_hostdevs vm2)"
check "and the guest has nothing" "adapters= domains= control_domains= assigned" \
  "$(apcb vm2) $(cat /sys/devices/ap/card01/01.0002/status)"
out=$(lv attach-device vm2 "$T/hd-$m4.xml" 2>&1); rc=$?
check "apmatrix recovers: the mdev attaches again" "0 $m4" "$rc $(live_hostdevs vm2)"

# ---- faults: the mdev removed on the host while attached --------------------------------------------------------
echo 1 > /sys/bus/mdev/devices/$m4/remove; rc=$?
wait_for 10 sh -c "[ -z \"\$($VIRSH dumpxml vm2 | grep -o \"uuid='$m4'\")\" ]"
check "removing an attached mdev: the request IRQ unplugs it, libvirt drops the hostdev" "0 inactive " \
  "$rc $(active $m4) $(live_hostdevs vm2)"
check "the guest keeps running without it" "running adapters= domains= control_domains=" "$(domstate vm2) $(apcb vm2)"

# ---- faults: libvirtd restarted while a domain runs -----------------------------------------------------------------
lv attach-device vm3 "$T/hd-$m5.xml" >/dev/null
libvirt_restart; rc=$?
check "libvirtd restarted: it reconnects to the running domain" "0 running $m5" "$rc $(domstate vm3) $(live_hostdevs vm3)"
check "apmatrix still sees the guest and its mdev" "vm3 $m5 02.0003" "$(lv list | awk '$1 == "vm3" {print $1, $2, $3}')"
out=$(lv plug vm3 --domain 8); rc=$?
check "and plugs into it through the new monitor connection" "0 adapters=2 domains=3,8 control_domains=" "$rc $(apcb vm3)"
out=$(lv detach-device vm3 2>&1); rc=$?
check "detach after the restart" "0 inactive " "$rc $(active $m5) $(live_hostdevs vm3)"

# ---- a guest whose QEMU is killed lets its mdev go ----------------------------------------------------------------
am nodedev-start $m4 >/dev/null
lv attach-device vm2 "$T/hd-$m4.xml" >/dev/null
pid=$(cat /run/libvirt/qemu/vm2.pid)
kill -9 "$pid"
wait_for 10 sh -c "[ \"\$(cat /sys/devices/ap/card01/01.0002/status)\" = assigned ]"
check "SIGKILL of the guest's QEMU: the kernel closes its device" "assigned" "$(cat /sys/devices/ap/card01/01.0002/status)"
wait_for 10 sh -c "[ \"\$($VIRSH domstate vm2)\" = 'shut off' ]"
check "libvirt sees the domain gone, and the node is root's again" "shut off root" "$(domstate vm2) $(group_owner $m4)"

# ---- concurrency: virsh on two domains, apmatrix plug/unplug on two others -----------------------------------------
for d in c1 c2 c3 c4; do define $d; $VIRSH start $d >/dev/null; done
mc1=c1000000-0000-4000-8000-000000000001; mc2=c2000000-0000-4000-8000-000000000002
mc3=c3000000-0000-4000-8000-000000000003; mc4=c4000000-0000-4000-8000-000000000004
mdev $mc1 1 20; mdev $mc2 1 21; mdev $mc3 2 30; mdev $mc4 3 40
for u in $mc1 $mc2 $mc3 $mc4; do am nodedev-start $u >/dev/null; hd $u >/dev/null; done
lv attach-device c3 "$(hd $mc3)" >/dev/null; lv attach-device c4 "$(hd $mc4)" >/dev/null
virsh_worker() { # DOMAIN UUID ROUNDS: attach and detach; the last line says whether it is attached
  _att=no
  for _r in $(seq "$3"); do
    $VIRSH attach-device "$1" "$T/hd-$2.xml" --live >/dev/null 2>&1 && _att=yes
    $VIRSH detach-device "$1" "$T/hd-$2.xml" --live >/dev/null 2>&1 && _att=no
  done
  $VIRSH attach-device "$1" "$T/hd-$2.xml" --live >/dev/null 2>&1 && _att=yes
  echo "$_att"
}
plug_worker() { # DOMAIN ROUNDS FIRST: plug and unplug domains FIRST..FIRST+3; the last line lists what stays
  _have=""
  for _r in $(seq "$2"); do
    _d=$(( $3 + _r % 4 ))
    if lv plug "$1" --domain $_d >/dev/null 2>>"$T/lockorder.err"; then _have="$_have $_d"; fi
    if [ $((_r % 3)) = 0 ] && lv unplug "$1" --domain $_d >/dev/null 2>>"$T/lockorder.err"; then
      _have=$(echo "$_have" | tr ' ' '\n' | grep -vx "$_d" | tr '\n' ' ')
    fi
  done
  echo "$_have" | tr ' ' '\n' | sed '/^$/d' | sort -n | uniq | tr '\n' ',' | sed 's/,$//'
}
t0=$(date +%s)
virsh_worker c1 $mc1 6 > "$T/w1" & p1=$!
virsh_worker c2 $mc2 6 > "$T/w2" & p2=$!
plug_worker c3 8 31 > "$T/w3" & p3=$!
plug_worker c4 8 41 > "$T/w4" & p4=$!
wait $p1 $p2 $p3 $p4   # not libvirtd, which runs in the background too
t1=$(date +%s)
check "the concurrent mix finishes in bounded time (under 240 s)" "yes" "$([ $((t1 - t0)) -lt 240 ] && echo yes || echo "no: $((t1 - t0)) s")"
want() { [ "$(cat "$T/$1")" = yes ] && echo "adapters=1 domains=$2 control_domains=" || echo "adapters= domains= control_domains="; }
check "c1's APCB matches virsh's last successful operation" "$(want w1 20)" "$(apcb c1)"
check "c2's APCB matches virsh's last successful operation" "$(want w2 21)" "$(apcb c2)"
plugged() { printf '%s' "$1"; [ -n "$2" ] && printf ',%s' "$2"; }
check "c3's APCB matches apmatrix's successful plugs and unplugs" "$(plugged 30 "$(cat "$T/w3")")" "$(apcb_domains c3)"
check "c4's APCB matches apmatrix's successful plugs and unplugs" "$(plugged 40 "$(cat "$T/w4")")" "$(apcb_domains c4)"
dup=$(for u in $(ls /sys/bus/mdev/devices); do cat "/sys/bus/mdev/devices/$u/matrix"; done | sort | uniq -d)
check "no APQN is in two mdevs" "" "$dup"
check "no lock-order report" "" "$(grep -i "lock-order" "$T/lockorder.err" "$LIBVIRTD_LOG" 2>/dev/null)"

libvirt_stop
# what apsim-qemu and the hook said in the domains' logs: no sanitizer or lock-order report
check "the domains' logs carry no sanitizer or lock-order report" "" \
  "$(grep -hE -A12 "Sanitizer|lock-order violation|runtime error" /var/log/libvirt/qemu/*.log 2>/dev/null | head -40)"
finish
