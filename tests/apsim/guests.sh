#!/bin/sh
# End to end on apsim's guests (QMP back-end): attach-device, detach-device, plug, unplug, list, nodedev-destroy
# with a guest, a cold-plugged guest, --config, the refusals with apsim's state unchanged, faults (a guest that
# never sends DEVICE_DELETED, an errno injected halfway through a plug, a card leaving the host configuration while
# a plug runs), the libvirt hook fed domain XML, and the libvirt back-end on test:///default.
set -u
. "$(dirname "$0")/tap.sh"

am() { "$APMATRIX" --root "$ROOT" "$@"; }
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
state() { ctl dump; find "$ROOT/etc/mdevctl.d/matrix" "$ROOT/run/apsim/qmp" -name '*.xml' -o -type f -path '*mdevctl*' 2>/dev/null | sort | xargs -r cat; }
hostdev() { # FILE UUID [EXTRA-ELEMENT]
  printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'>\n  <source>\n    <address uuid='%s'/>\n  </source>\n%s</hostdev>\n" "$2" "${3:-}" > "$1"
}
apcb() { ctl guest-apcb "$1" | head -3 | tr '\n' ' ' | sed 's/ $//'; }
gm() { tr '\n' ' ' < "$SYS/devices/vfio_ap/matrix/$1/guest_matrix" | sed 's/ $//'; }

u1=a1000000-0000-4000-8000-000000000001
u2=a2000000-0000-4000-8000-000000000002
u3=a3000000-0000-4000-8000-000000000003
u4=a4000000-0000-4000-8000-000000000004

missing=""
for c in attach-device detach-device plug unplug list --connect --qmp-dir --unplug-timeout --adapter --domain \
         --control-domain --take-from-host --force --persistent; do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst" || missing="$missing $c"
done
check "every guest command and option is in apmatrix(1)" "" "$missing"

start_sim tiny
T=$ROOT
# adapter 0 goes to vfio_ap; adapter 1 stays the host's
echo -0 > "$SYS/bus/ap/apmask"
ctl guest-start vm1 >/dev/null; ctl guest-start vm2 >/dev/null
mdev_xml "$T/m1.xml" $u1 0 1 1
am nodedev-define "$T/m1.xml" >/dev/null
hostdev "$T/h1.xml" $u1
hostdev "$T/h2.xml" $u2

# --- attach: started on demand, the kernel's view confirmed
out=$(am attach-device vm1 "$T/h1.xml"); rc=$?
check "attach-device of a defined mdev starts it on demand and attaches it" "0" "$rc"
check "it says so, and what the guest has" "Device attached successfully: mdev $u1 to guest vm1|mdev $u1 was started from its definition for guest vm1; it stops again when detached|Guest vm1 has: 00.0001 (control domains: 0x01)" \
  "$(echo "$out" | tr '\n' '|' | sed 's/|$//')"
check "the kernel has the queue in use" "in use" "$(cat "$SYS/devices/ap/card00/00.0001/status")"
check "the guest's CRYCB has it" "adapters=0 domains=1 control_domains=1" "$(apcb vm1)"
check "list shows the guest with its mdev and APQNs" " vm1                  $u1  00.0001 (0x01)" "$(am list | grep vm1)"
check "list --json, with the -device form for a QEMU without libvirt" "\"00.0001\" vfio-ap,id=hostdev0,sysfsdev=/sys/bus/mdev/devices/$u1" \
  "$(am --json list | grep -o '"00.0001"' | head -1) $(am --json list | grep -o 'vfio-ap,id=[^"]*' | head -1)"

# --- refusals, each leaving apsim as it was
refused "a second guest may not take the same mdev: exit 4, naming the guest" 4 "mdev $u1 is in use by guest vm1" \
  am attach-device vm2 "$T/h1.xml"
refused "a guest has one vfio-ap device: exit 4" 4 "Guest vm1 already has a vfio-ap device (mdev $u1, id hostdev0)" \
  am attach-device vm1 "$T/h2.xml"
refused "an mdev neither active nor defined: exit 5" 5 "mdev $u2 is neither active nor defined" am attach-device vm2 "$T/h2.xml"
refused "an unknown guest: exit 5" 5 "No guest named 'vm9' among the QEMU monitors in" am attach-device vm9 "$T/h1.xml"
refused "a guest name with a slash: exit 3" 3 "'a/b' is not a guest name" am attach-device a/b "$T/h1.xml"
hostdev "$T/boot.xml" $u1 "  <boot order='1'/>
"
refused "a boot order on vfio-ap (libvirt's rule): exit 3" 3 "boot" am attach-device vm2 "$T/boot.xml"
echo "<hostdev mode='subsystem' type='pci'><source/></hostdev>" > "$T/pci.xml"
refused "a hostdev that is not an mdev: exit 3" 3 "not a mediated device" am attach-device vm2 "$T/pci.xml"
printf '<hostdev' > "$T/broken.xml"
refused "broken XML: exit 3" 3 "" am attach-device vm2 "$T/broken.xml"
refused "plug into a guest without a vfio-ap device: exit 4" 4 "Guest vm2 has no vfio-ap device" am plug vm2 --domain 2
refused "plug of a queue the host's drivers hold: exit 4, naming the mask, suggesting --take-from-host" 4 \
  "--take-from-host" am plug vm1 --adapter 1
refused "plug of what the guest has already: exit 4" 4 "has domains 0x01 already" am plug vm1 --domain 1
refused "unplug of what the guest lacks: exit 4" 4 "does not have adapters 0x01" am unplug vm1 --adapter 1
refused "plug with nothing to plug: exit 3" 3 "Nothing to plug" am plug vm1
refused "a domain beyond 255: exit 3" 3 "" am plug vm1 --domain 256
refused "nodedev-destroy of the mdev the guest holds: exit 4, naming the guest" 4 "mdev $u1 is in use by guest vm1" \
  am nodedev-destroy $u1
refused "detach-device naming another mdev: exit 5" 5 "has no vfio-ap device for mdev $u2" am detach-device vm1 "$T/h2.xml"
refused "plug --config into a guest without a device: exit 4" 4 "no vfio-ap device" am plug vm2 --domain 2 --config

# --- plug and unplug
out=$(am plug vm1 --domain 2); rc=$?
check "plug --domain 2" "0 Guest vm1 has: 00.0001 00.0002 (control domains: 0x01)" "$rc $(echo "$out" | grep '^Guest')"
check "the guest's CRYCB got it (hot plug)" "adapters=0 domains=1,2 control_domains=1" "$(apcb vm1)"
# a live-only plug: the mdev runs with more than its definition asks for, and nothing hides it
n1=mdev_$(echo $u1 | tr - _)_matrix
out=$(am check 2>&1)
check "check reports an active mdev whose matrix differs from its definition" "yes" \
  "$(echo "$out" | grep -q "mdev $u1 runs with 00.0001 00.0002 (control domains: 0x01), but its definition asks for 00.0001 (control domains: 0x01)" && echo yes || echo "$out")"
check "with the fix that keeps what runs, and the one that goes back" "yes" \
  "$(echo "$out" | grep -q "nodedev-update $n1 $u1.xml --config; to go back to the definition: apmatrix nodedev-dumpxml --inactive $n1" && echo yes || echo "$out")"
check "nodedev-dumpxml shows what the mdev runs with; --inactive the definition" "1,2 1" \
  "$(am nodedev-dumpxml $n1 | grep -o "assign_domain' value='[^']*'" | grep -o "[0-9]*'$" | tr -d "'" | tr '\n' ',' | sed 's/,$//') $(am nodedev-dumpxml --inactive $n1 | grep -o "assign_domain' value='[^']*'" | grep -o "[0-9]*'$" | tr -d "'")"
out=$(am plug vm1 --adapter 1 --take-from-host); rc=$?
check "plug --adapter 1 --take-from-host takes adapter 1 from apmask first" "0 Taken from the host's default drivers: adapters 0x01, domains -" \
  "$rc $(echo "$out" | grep '^Taken')"
check "apmask lost adapter 1, the queues went to vfio_ap" "0x3f vfio_ap" \
  "$(cut -c1-4 "$SYS/bus/ap/apmask") $(basename "$(readlink "$SYS/devices/ap/card01/01.0001/driver")")"
check "the guest has adapter 1's queues" "00.0001 00.0002 01.0001 01.0002" "$(gm $u1)"
check "without --config the definition is unchanged" '"assign_adapter": "0"' "$(grep -o '"assign_adapter": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u1")"
refused "unplug --config alone of what only the running guest has: its definition lacks it, exit 4" 4 \
  "Guest vm1's mdev does not have adapters 0x01" am unplug vm1 --adapter 1 --config
out=$(am unplug vm1 --adapter 1 --live --config); rc=$?
check "unplug --adapter 1 --live --config" "0 adapters=0 domains=1,2" "$rc $(apcb vm1 | cut -d' ' -f1-2)"
check "--config gives the definition the same change only: domain 2, plugged live only, stays out of it" "no" \
  "$(grep -q '"assign_domain": "2"' "$ROOT/etc/mdevctl.d/matrix/$u1" && echo yes || echo no)"
out=$(am plug vm1 --domain 2 --config); rc=$?
check "plug --config alone changes the definition, not the running guest" "0 yes adapters=0 domains=1,2" \
  "$rc $(grep -q '"assign_domain": "2"' "$ROOT/etc/mdevctl.d/matrix/$u1" && echo yes || echo no) $(apcb vm1 | cut -d' ' -f1-2)"
check "and says so" "yes" "$(echo "$out" | grep -q "Plugged into the definition of guest vm1's mdev $u1 (the running guest is as it was)" && echo yes || echo "$out")"
refused "plug --config of what the definition has already: exit 4" 4 "has domains 0x02 already" am plug vm1 --domain 2 --config
refused "--current with --config: exit 2" 2 "--current cannot go with" am plug vm1 --domain 3 --current --config
check "plug --control-domain" "0 control_domains=1,3" "$(am plug vm1 --control-domain 3 >/dev/null; echo $?) $(apcb vm1 | cut -d' ' -f3)"
check "unplug --json reports the guest matrix" "\"00.0001\"" \
  "$(am --json unplug vm1 --control-domain 3 | grep -A3 guest_matrix | grep -o '"00.0001"')"

# --- each warning said once; a refused plug says only why it is refused
ctl config-adapter 1 off >/dev/null
mdev_xml "$T/mw.xml" $u4 0,1 3
am nodedev-define "$T/mw.xml" >/dev/null 2>&1
hostdev "$T/h4.xml" $u4
ctl guest-start vm6 >/dev/null
out=$(am attach-device vm6 "$T/h4.xml" 2>&1); rc=$?
check "an attach says what the guest lacks once, not as a warning and again as what it lacks" "0 1" \
  "$rc $(echo "$out" | grep -c "adapters 0x01 are not in the host's AP configuration")"
out=$(am plug vm6 --domain 1 2>&1); rc=$?
check "a refused plug prints no warning about the plan it refuses" "4 0" "$rc $(echo "$out" | grep -c 'warning')"
am detach-device vm6 >/dev/null; ctl guest-stop vm6 >/dev/null; am nodedev-undefine $u4 >/dev/null
ctl config-adapter 1 on >/dev/null

# --- a plug asks its own guest's monitor only; a refusal asks the others too, to name who holds the APQN
mdev_xml "$T/m3.xml" $u3 0 3
am nodedev-create "$T/m3.xml" >/dev/null
hostdev "$T/h3.xml" $u3
am attach-device vm2 "$T/h3.xml" >/dev/null
refused "plug of a domain another guest's mdev holds: exit 4, naming that guest" 4 \
  "APQN 00.0003 is already assigned to mdev $u3 (used by guest vm2)" am plug vm1 --domain 3
am detach-device vm2 >/dev/null
am nodedev-destroy $u3 >/dev/null
# a monitor that takes the connection and never greets, as a hung QEMU's would
hung_sock=$ROOT/run/apsim/qmp/vmhung.sock
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16); held = []
while True: held.append(s.accept())' "$hung_sock" &
hung=$!
for _ in $(seq 50); do [ -S "$hung_sock" ] && break; sleep 0.1; done
t0=$(date +%s%N)
out=$(am plug vm1 --domain 3); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a plug is not held up by another guest's hung monitor (it asks its own guest only)" "0 yes 00.0001 00.0002 00.0003" \
  "$rc $([ $ms -lt 2500 ] && echo yes || echo "no ($ms ms)") $(gm $u1)"
am unplug vm1 --domain 3 >/dev/null
# and no request on another guest waits for it: they ask their own guest, and learn who holds an mdev from the host
timed() { t0=$(date +%s%N); out=$("$@" 2>&1); rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 )); }
mdev_xml "$T/m3.xml" $u3 0 3
am nodedev-create "$T/m3.xml" >/dev/null
hostdev "$T/h3.xml" $u3
timed am attach-device vm2 "$T/h3.xml"
check "attach-device on another guest is not held up by the hung monitor" "0 yes" "$rc $([ $ms -lt 2500 ] && echo yes || echo "no ($ms ms)")"
timed am detach-device vm2
check "nor is detach-device" "0 yes" "$rc $([ $ms -lt 2500 ] && echo yes || echo "no ($ms ms)")"
timed am nodedev-destroy $u3
check "nor nodedev-destroy of an mdev no guest holds" "0 yes" "$rc $([ $ms -lt 2500 ] && echo yes || echo "no ($ms ms)")"
timed am list
check "list waits a bounded time (the guests asked at once) and shows the hung guest as not answering" "0 yes yes" \
  "$rc $([ $ms -lt 12000 ] && echo yes || echo "no ($ms ms)") $(echo "$out" | grep -q '^ vmhung  *?  *(not answering)' && echo yes || echo "$out")"
check "the other guests are listed as ever" "vm1 $u1" "$(echo "$out" | awk '$1 == "vm1" {print $1, $2}')"
timed am nodedev-destroy $u1
check "a refusal that names the guest holding the mdev asks the others, bounded, and names the one that did not answer" \
  "4 yes yes yes" \
  "$rc $([ $ms -lt 12000 ] && echo yes || echo "no ($ms ms)") $(echo "$out" | grep -q "in use by guest vm1" && echo yes || echo no) $(echo "$out" | grep -q "warning: guest vmhung was not asked" && echo yes || echo "$out")"
kill $hung; wait $hung 2>/dev/null; rm -f "$hung_sock"

# --- detach: DEVICE_DELETED, then the on-demand mdev stops
out=$(am detach-device vm1); rc=$?
check "detach-device (the guest's one device)" "0 Device detached successfully: mdev $u1 from guest vm1|mdev $u1 was stopped" \
  "$rc $(echo "$out" | tr '\n' '|' | sed 's/|$//')"
check "the mdev started on demand is gone, its definition stays" "no yes" \
  "$([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no) $([ -f "$ROOT/etc/mdevctl.d/matrix/$u1" ] && echo yes || echo no)"
check "the guest has nothing left" "adapters= domains= control_domains=" "$(apcb vm1)"
refused "detach from a guest without a device: exit 5" 5 "Guest vm1 has no vfio-ap device" am detach-device vm1

# --- a guest started with its mdev cold-plugged; an mdev that was active before is not stopped by a detach
mdev_xml "$T/m2.xml" $u2 0 2
am nodedev-create "$T/m2.xml" >/dev/null
ctl guest-start vm3 mdev=$u2 >/dev/null
check "list shows the cold-plugged guest" " vm3                  $u2  00.0002 (-)" "$(am list | grep vm3)"
check "detach of a cold-plugged device leaves the mdev" "0 yes" \
  "$(am detach-device vm3 "$T/h2.xml" >/dev/null; echo $?) $([ -e "$SYS/devices/vfio_ap/matrix/$u2" ] && echo yes || echo no)"

# --- nodedev-destroy --force: detached from the guest first, then removed
am attach-device vm2 "$T/h2.xml" >/dev/null
out=$(am nodedev-destroy $u2 --force 2>&1); rc=$?
check "nodedev-destroy --force detaches the guest first" "0 apmatrix: warning: detached from guest vm2 first (--force)" \
  "$rc $(echo "$out" | head -1)"
check "and the mdev is gone, the guest has no device" "no vm2 -" \
  "$([ -e "$SYS/devices/vfio_ap/matrix/$u2" ] && echo yes || echo no) $(am list | awk '$1 == "vm2" {print $1, $2}')"

# --- --config: the guest's definition beside its monitor
out=$(am attach-device vm2 "$T/h1.xml" --config); rc=$?
check "attach-device --config writes the guest's definition" "0 yes" \
  "$rc $(grep -q "uuid='$u1'" "$ROOT/run/apsim/qmp/vm2.xml" && echo yes || echo no)"
check "the definition is domain XML libvirt's schema accepts (with a name)" "<name>vm2</name>" "$(grep -o '<name>vm2</name>' "$ROOT/run/apsim/qmp/vm2.xml")"
check "--config alone leaves the running guest and the mdev alone" "adapters= no" \
  "$(apcb vm2 | cut -d' ' -f1) $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
refused "a second vfio-ap hostdev in the definition: exit 4" 4 "already has a vfio-ap hostdev" am attach-device vm2 "$T/h1.xml" --config
check "detach-device --config takes it out again" "0 no" \
  "$(am detach-device vm2 "$T/h1.xml" --config >/dev/null; echo $?) $(grep -q "uuid='$u1'" "$ROOT/run/apsim/qmp/vm2.xml" && echo yes || echo no)"
check "attach-device --live --config does both" "0 yes adapters=0" \
  "$(am attach-device vm2 "$T/h1.xml" --live --config >/dev/null; echo $?) $(grep -q "uuid='$u1'" "$ROOT/run/apsim/qmp/vm2.xml" && echo yes || echo no) $(apcb vm2 | cut -d' ' -f1)"
check "detach-device --live --config does both" "0 no adapters=" \
  "$(am detach-device vm2 --live --config >/dev/null; echo $?) $(grep -q "uuid='$u1'" "$ROOT/run/apsim/qmp/vm2.xml" && echo yes || echo no) $(apcb vm2 | cut -d' ' -f1)"
ctl guest-stop vm2 >/dev/null
refused "attach --live to a stopped guest: exit 4" 4 "not running" am attach-device vm2 "$T/h1.xml" --live
check "a stopped guest with a definition is listed" "vm2" "$(am list | awk '$1 == "vm2" {print $1}')"

# --- an mdev started on demand whose guest went without a detach: check reports it, its fix removes it
mdev_xml "$T/m5.xml" $u4 0 2
am nodedev-define "$T/m5.xml" >/dev/null 2>&1
hostdev "$T/h5.xml" $u4
ctl guest-start vm5 >/dev/null
am attach-device vm5 "$T/h5.xml" >/dev/null
ctl guest-stop vm5 >/dev/null
out=$(am check 2>&1)
n4=mdev_$(echo $u4 | tr - _)_matrix
check "check reports an mdev started on demand that no guest holds, with its fix" "yes yes" \
  "$(echo "$out" | grep -q "mdev $u4 was started on demand for guest vm5, which no longer holds it" && echo yes || echo no) $(echo "$out" | grep -q "fix: apmatrix nodedev-destroy $n4" && echo yes || echo no)"
am nodedev-destroy $n4 >/dev/null
check "and the fix clears it: the mdev and its record gone, the definition kept, nothing reported" "no no yes 0" \
  "$([ -e "$SYS/devices/vfio_ap/matrix/$u4" ] && echo yes || echo no) $([ -e "$ROOT/run/apmatrix/on-demand/$u4" ] && echo yes || echo no) $([ -f "$ROOT/etc/mdevctl.d/matrix/$u4" ] && echo yes || echo no) $(am check 2>&1 | grep -c "$u4")"
am nodedev-undefine $n4 >/dev/null

# --- faults: a guest that never sends DEVICE_DELETED
am attach-device vm1 "$T/h1.xml" >/dev/null
ctl guest-unplug-hang vm1 on >/dev/null
out=$(am --unplug-timeout 0.5 detach-device vm1 2>&1); rc=$?
check "a guest that never answers device_del: exit 6 with a clear message" "6 yes" \
  "$rc $(echo "$out" | grep -q 'did not release its vfio-ap device .hostdev0. within 500 ms' && echo yes || echo no)"
check "nothing half-done: the device and the mdev are still there" "in use yes" \
  "$(cat "$SYS/devices/ap/card00/00.0001/status") $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
refused "nodedev-destroy still refuses while the unplug hangs" 4 "in use by guest vm1" am nodedev-destroy $u1
ctl guest-unplug-hang vm1 off >/dev/null
check "once the guest lets go the mdev can be destroyed" "0" "$(am nodedev-destroy $u1 >/dev/null; echo $?)"

# --- faults: an errno halfway through a plug (ordered writes: a kernel without ap_config)
stop_sim
printf '[host]\nap-config=false\nusage-domains=0-3\ncontrol-domains=0-3\napmask=none\naqmask=none\n[card 00]\nhwtype=14\n[card 01]\nhwtype=14\n' > /tmp/apm-guests-noapconfig.topo
start_sim /tmp/apm-guests-noapconfig.topo
T=$ROOT
ctl guest-start vm1 >/dev/null
mdev_xml "$T/m1.xml" $u1 0 1
am nodedev-define "$T/m1.xml" >/dev/null
hostdev "$T/h1.xml" $u1
am attach-device vm1 "$T/h1.xml" >/dev/null
ctl inject assign_domain 2 EIO >/dev/null
refused "an EIO on the last of three writes: the plug is taken back, nothing half-done" 4 "failed at assign_domain=0x03: Input/output error. Everything it had written was taken back" \
  am plug vm1 --adapter 1 --domain 2,3
check "the guest still has what it had" "adapters=0 domains=1 control_domains=" "$(apcb vm1)"
check "and the plug works once the kernel does" "0 00.0001 00.0002 00.0003 01.0001 01.0002 01.0003" \
  "$(am plug vm1 --adapter 1 --domain 2,3 >/dev/null; echo $?) $(gm $u1)"

# --- faults: a card leaving the host configuration while a plug runs
am unplug vm1 --adapter 1 >/dev/null
ctl latency 300000 >/dev/null
am plug vm1 --adapter 1 > "$T/plug.out" 2> "$T/plug.err" &
pid=$!
sleep 0.2
ctl config-adapter 1 off >/dev/null
wait $pid; rc=$?
ctl latency 0 >/dev/null
check "the plug finishes (done, or done but different: 0 or 7)" "yes" "$([ $rc = 0 ] || [ $rc = 7 ] && echo yes || echo no)"
check "and says why the guest lacks adapter 1" "yes" \
  "$(grep -q 'adapters 0x01 are not in the host.s AP configuration' "$T/plug.out" && echo yes || echo no)"
check "the kernel kept the assignment but filtered the guest" "00.0001 00.0002 00.0003" "$(gm $u1)"
ctl config-adapter 1 on >/dev/null
check "the guest gets the adapter once the card is back" "00.0001 00.0002 00.0003 01.0001 01.0002 01.0003" "$(gm $u1)"
am detach-device vm1 >/dev/null

# --- the libvirt hook, fed domain XML on stdin
HOOK=$(dirname "$APMATRIX")/apmatrix-hook
dom() { printf "<domain type='kvm'>\n  <name>%s</name>\n  <devices>\n    <hostdev mode='subsystem' type='mdev' model='vfio-ap'>\n      <source>\n        <address uuid='%s'/>\n      </source>\n    </hostdev>\n  </devices>\n</domain>\n" "$1" "$2"; }
hook() { APMATRIX_ROOT=$ROOT "$HOOK" "$@"; }
check "hook prepare begin starts the defined mdev" "0 yes" \
  "$(dom vm7 $u1 | hook vm7 prepare begin -; echo $?) $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
check "hook started begin / stopped end pass" "0 0" "$(dom vm7 $u1 | hook vm7 started begin -; echo $?) $(dom vm7 $u1 | hook vm7 stopped end -; echo $?)"
check "hook release end stops what it started" "0 no" \
  "$(dom vm7 $u1 | hook vm7 release end -; echo $?) $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
out=$(dom vm7 $u3 | hook vm7 prepare begin - 2>&1); rc=$?
check "hook refuses a guest whose mdev is neither active nor defined, naming it" "1 apmatrix-hook: guest vm7: cannot start with its vfio-ap device: mdev $u3 is neither active nor defined: define it first (apmatrix nodedev-define)" "$rc $out"
mdev_xml "$T/m4.xml" $u4 0 1
am nodedev-create "$T/m4.xml" >/dev/null
out=$(dom vm7 $u1 | hook vm7 prepare begin - 2>&1); rc=$?
check "hook refuses a start whose APQNs another mdev holds, naming it" "1 yes no" \
  "$rc $(echo "$out" | grep -q "APQN 00.0001 is already assigned to mdev $u4" && echo yes || echo no) $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
check "hook refuses XML of another guest" "1" "$(dom vm8 $u1 | hook vm7 prepare begin - 2>/dev/null; echo $?)"
check "hook refuses broken XML" "1" "$(printf '<domain>' | hook vm7 prepare begin - 2>/dev/null; echo $?)"
check "hook passes a guest without vfio-ap" "0" "$(printf "<domain><name>vm7</name></domain>" | hook vm7 prepare begin - 2>/dev/null; echo $?)"
am nodedev-destroy $u4 >/dev/null

# --- the libvirt back-end, on libvirt's test driver (no QEMU: reading works, attach needs a real libvirt)
if command -v virsh >/dev/null; then
  cat > "$T/node.xml" <<EOF
<node>
  <domain type='test'>
    <name>lv1</name>
    <memory>1024</memory>
    <os><type>hvm</type></os>
    <devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-ap'>
        <source><address uuid='$u1'/></source>
      </hostdev>
    </devices>
  </domain>
  <domain type='test'>
    <name>lv2</name>
    <memory>1024</memory>
    <os><type>hvm</type></os>
  </domain>
</node>
EOF
  out=$(am --connect "test://$T/node.xml" list); rc=$?
  check "libvirt back-end: list names the guest and its mdev (test:///)" "0 lv1 $u1" "$rc $(echo "$out" | awk '$1 == "lv1" {print $1, $2}')"
  am nodedev-start $u1 >/dev/null
  out=$(am --connect "test://$T/node.xml" nodedev-destroy $u1 2>&1); rc=$?
  check "libvirt back-end: nodedev-destroy refuses, naming libvirt's guest" "4 yes" "$rc $(echo "$out" | grep -q 'in use by guest lv1' && echo yes || echo no)"
  refused "libvirt back-end: attach-device of lv1's mdev to lv2 is refused, naming lv1" 4 "mdev $u1 is in use by guest lv1" \
    am --connect "test://$T/node.xml" attach-device lv2 "$T/h1.xml"
  mdev_xml "$T/m2.xml" $u2 1 2
  am nodedev-define "$T/m2.xml" >/dev/null
  hostdev "$T/h2.xml" $u2
  out=$(am --connect "test://$T/node.xml" attach-device lv2 "$T/h2.xml" 2>&1); rc=$?
  check "libvirt back-end: attach-device says what the test driver lacks" "1 yes" \
    "$rc $(echo "$out" | grep -q 'libvirt at test://.*cannot attach the vfio-ap hostdev: .*not supported' && echo yes || echo "$out")"
  check "and the mdev it started on demand was taken back" "no" "$([ -e "$SYS/devices/vfio_ap/matrix/$u2" ] && echo yes || echo no)"
  check "libvirt back-end: test:///default lists its guest 'test' without a vfio-ap device" "test - (no vfio-ap device)" \
    "$(am --connect test:///default list | awk '$1 == "test" {print $1, $2, $3, $4, $5}')"
  out=$(am --connect "test:///nonexistent/file.xml" list 2>&1); rc=$?
  check "libvirt back-end: a URI that does not connect" "1 yes" "$rc $(echo "$out" | grep -q 'cannot connect' && echo yes || echo no)"
else
  ok "libvirt back-end # SKIP virsh (libvirt-clients) is not installed"
fi

stop_sim
rm -f /tmp/apm-guests-noapconfig.topo
finish
