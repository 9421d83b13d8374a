#!/bin/sh
# End to end: every `apmatrix nodedev-*` command on apsim (tiny and z16), comparing what it prints, its exit
# code, the kernel's state (apsim's dump) and the store afterwards. Bad input is refused with a clear message and
# leaves both exactly as they were.
set -u
. "$(dirname "$0")/tap.sh"
rng=/usr/share/libvirt/schemas/nodedev.rng

am() { "$APMATRIX" --root "$ROOT" "$@"; }
state() { "$APSIM" ctl "$ROOT" dump; find "$ROOT/etc/mdevctl.d/matrix" -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; 2>/dev/null; }
xml() { # xml FILE UUID ADAPTERS DOMAINS [CONTROL] [PARENT] [TYPE]: comma lists, an attribute per ID
  {
    echo "<device>"
    echo "  <parent>${6:-ap_matrix}</parent>"
    echo "  <capability type='mdev'>"
    echo "    <type id='${7:-vfio_ap-passthrough}'/>"
    [ -n "$2" ] && echo "    <uuid>$2</uuid>"
    attrs assign_adapter "$3"
    attrs assign_domain "$4"
    [ -n "${5:-}" ] && attrs assign_control_domain "$5"
    echo "  </capability>"
    echo "</device>"
  } > "$1"
}
# refused NAME EXIT TEXT COMMAND...: exits with EXIT, says TEXT, and the host and store are as before

u1=0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u2=1b1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u3=2c1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
n1=mdev_$(echo $u1 | tr - _)_matrix

missing=""
for c in $("$APMATRIX" --help | awk '/^  nodedev-/ {print $1}') "pool define" "pool list" "pool show" "pool grow" \
         "pool shrink" "pool undefine" "export nova" --shape --count --member --control-domains --inventories --output --root --json --lock-timeout --live --config --current \
         --inactive --all --cap --disable; do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst" || missing="$missing $c"
done
check "every command and option of apmatrix --help is in apmatrix(1)" "" "$missing"
check "apmatrix --help lists the ten nodedev commands" "10" "$("$APMATRIX" --help | grep -c '^  nodedev-')"
check "--persistent is in apmatrix --help and attach-device --help" "2 yes" \
  "$("$APMATRIX" --help | grep -E '^  (attach|detach)-device' | grep -c -- '--persistent') $("$APMATRIX" attach-device --help | grep -q -- '^  --persistent' && echo yes)"

for topo in tiny z16; do
  start_sim $topo
  T=$ROOT
  cards=$(ls "$SYS/devices/ap" | grep -c '^card')
  queues=$(ls -d "$SYS/devices/ap"/card*/??.???? | wc -l)

  # --- reading
  check "$topo: nodedev-list --cap ap_card names every card" "$cards" "$(am nodedev-list --cap ap_card | grep -c '^ap_card')"
  check "$topo: --cap ap_queue every queue" "$queues" "$(am nodedev-list --cap ap_queue | grep -c '^ap_.._....$')"
  check "$topo: --cap ap_matrix and mdev_types name the matrix" "ap_matrix ap_matrix" \
    "$(am nodedev-list --cap ap_matrix) $(am nodedev-list --cap mdev_types)"
  check "$topo: --json lists the same devices" "$(am nodedev-list | wc -l)" \
    "$(am --json nodedev-list | grep -c '"name"')"
  if [ -f "$rng" ] && command -v xmllint >/dev/null; then
    bad=""
    # the cards and the matrix one by one, every device of the host from one nodedev-dumpxml --all (a document
    # each), all checked by one xmllint, which loads the schema once
    rm -rf "$T/xml"; mkdir "$T/xml"
    for d in $(am nodedev-list | grep 'card\|matrix'); do
      am nodedev-dumpxml "$d" > "$T/xml/one-$d.xml" || bad="$bad $d"
    done
    am nodedev-dumpxml --all | awk -v dir="$T/xml" '/^<device>/ {n++} n {print > (dir "/all-" n ".xml")}'
    files=$(ls "$T/xml" | wc -l)
    out=$(cd "$T/xml" && xmllint --noout --relaxng "$rng" *.xml 2>&1)
    bad="$bad$(echo "$out" | grep -v ' validates$' | grep ' fails to validate' | sed 's/ fails to validate//' | tr '\n' ' ')"
    check "$topo: nodedev-dumpxml output validates against libvirt's nodedev.rng (every one of $files documents)" "" \
      "$bad$([ "$(echo "$out" | grep -c ' validates$')" = "$files" ] || echo " (only $(echo "$out" | grep -c ' validates$') of $files validate)")"
  else
    ok "$topo: nodedev-dumpxml schema check # SKIP $rng or xmllint missing"
  fi
  check "$topo: a queue's XML names its card and driver" "<parent>ap_card01</parent> <name>cex4queue</name>" \
    "$(am nodedev-dumpxml ap_01_0002 | grep -oE '<parent>[^<]*</parent>|<name>cex4queue</name>' | tr '\n' ' ' | sed 's/ $//')"
  refused "$topo: dumpxml of an unknown device: exit 5" 5 "Node device 'ap_card77' not found" am nodedev-dumpxml ap_card77
  refused "$topo: an unknown command: exit 2" 2 "Unknown command 'nodedev-frobnicate'" am nodedev-frobnicate
  refused "$topo: an unknown --cap: exit 2" 2 "Unknown capability 'pci'" am nodedev-list --cap pci
  # global options go before or after the command, every one of them, with a value as a word or after '='
  check "$topo: every global option may follow the command" "0 0 0 0" \
    "$(am nodedev-list --cap ap_matrix --lock-timeout 5 >/dev/null; echo $?) $(am nodedev-list --unplug-timeout=2 >/dev/null; echo $?) $(am nodedev-list --json --cap ap_matrix >/dev/null; echo $?) $("$APMATRIX" nodedev-list --root "$ROOT" --lock-timeout=0.5 >/dev/null; echo $?)"
  refused "$topo: a bad --lock-timeout after the command: exit 2, the same words as before it" 2 \
    "--lock-timeout takes seconds from 0 to 3600, not 'x'" am nodedev-list --lock-timeout x
  refused "$topo: a global option without its value: exit 2" 2 "--unplug-timeout needs a value" am nodedev-list --unplug-timeout

  # --- free adapters 1 and 2 (and domains 2-4) for vfio_ap
  echo -1,-2 > "$SYS/bus/ap/apmask"; echo -2,-3,-4 > "$SYS/bus/ap/aqmask"

  # --- define, start, info, update, destroy, undefine
  xml "$T/a.xml" $u1 1 2
  out=$(am nodedev-define "$T/a.xml"); rc=$?
  check "$topo: nodedev-define" "0 Node device $n1 defined from $T/a.xml" "$rc $out"
  check "$topo: the definition is where mdevctl keeps it, in its format" \
    '{ "mdev_type": "vfio_ap-passthrough", "start": "manual", "attrs": [ { "assign_adapter": "1" }, { "assign_domain": "2" } ] }' \
    "$(tr -s ' \n' ' ' < "$ROOT/etc/mdevctl.d/matrix/$u1" | sed 's/ $//')"
  check "$topo: listed as inactive, not as active" "$n1 -" "$(am nodedev-list --cap mdev --inactive) -$(am nodedev-list --cap mdev)"
  check "$topo: nodedev-start" "0" "$(am nodedev-start $n1 >/dev/null; echo $?)"
  check "$topo: the kernel holds the matrix" "01.0002" "$(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix")"
  check "$topo: nodedev-info" "Active: yes|Persistent: yes|Autostart: no|Matrix: adapters 0x01; domains 0x02; control domains -" \
    "$(am nodedev-info $n1 | sed -n '4,7p' | tr -s ' ' | tr '\n' '|' | sed 's/|$//')"
  xml "$T/a2.xml" $u1 1 "2,3" 3
  check "$topo: nodedev-update --live changes only the running mdev" "0 01.0002 01.0003 0003 assign_domain\": \"2\"" \
    "$(am nodedev-update $n1 "$T/a2.xml" --live >/dev/null; echo $?) $(tr '\n' ' ' < "$SYS/devices/vfio_ap/matrix/$u1/matrix")$(cat "$SYS/devices/vfio_ap/matrix/$u1/control_domains") $(grep -o 'assign_domain": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u1")"
  check "$topo: --config then changes the definition" "0 assign_domain\": \"2\"|assign_domain\": \"3\"" \
    "$(am nodedev-update $n1 "$T/a2.xml" --config >/dev/null; echo $?) $(grep -o 'assign_domain": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u1" | tr '\n' '|' | sed 's/|$//')"
  xml "$T/bad-update.xml" $u2 1 2
  refused "$topo: an update may not change the UUID: exit 3" 3 "cannot change the UUID" am nodedev-update $n1 "$T/bad-update.xml"

  # --- conflicts, with who holds the queue
  xml "$T/b.xml" $u2 1 "3,4"
  refused "$topo: nodedev-create of a queue another mdev holds: exit 4, naming it" 4 \
    "APQN 01.0003 is already assigned to mdev $u1" am nodedev-create "$T/b.xml"
  mkdir -p "$ROOT/run/libvirt/qemu"
  printf "<domstatus state='running'>\n  <domain type='kvm'>\n    <name>vm1</name>\n    <devices>\n      <hostdev mode='subsystem' type='mdev' model='vfio-ap'>\n        <source>\n          <address uuid='%s'/>\n        </source>\n      </hostdev>\n    </devices>\n  </domain>\n</domstatus>\n" $u1 > "$ROOT/run/libvirt/qemu/vm1.xml"
  refused "$topo: and the guest that uses it, from libvirt's status file" 4 \
    "APQN 01.0003 is already assigned to mdev $u1 (used by guest vm1)" am nodedev-create "$T/b.xml"
  xml "$T/b.xml" $u2 2 "3,4"
  out=$(am --json nodedev-create "$T/b.xml"); rc=$?
  check "$topo: a free one is created (--json)" "0 \"result\" : \"Node device mdev_$(echo $u2 | tr - _)_matrix created from $T/b.xml\"," \
    "$rc $(echo "$out" | grep -o '"result" : .*')"
  check "$topo: a transient mdev has no definition" "Persistent: no" "$(am nodedev-info $u2 | grep Persistent | tr -s ' ')"
  xml "$T/c1.xml" $u1 2 4
  refused "$topo: update --live into another mdev's queue: exit 4" 4 "APQN 02.0004 is already assigned to mdev $u2" \
    am nodedev-update $n1 "$T/c1.xml" --live
  refused "$topo: --live and --config are both checked before either changes" 4 "APQN 02.0004 is already assigned" \
    am nodedev-update $n1 "$T/c1.xml" --live --config

  # --- bad input: each refused, naming what is wrong, host and store unchanged
  printf '<device><parent>ap_matrix</parent><capability type="mdev">' > "$T/trunc.xml"
  refused "$topo: truncated XML: exit 3" 3 "XML" am nodedev-define "$T/trunc.xml"
  echo '<device><parent>ap_matrix</parent></capabilty></device>' > "$T/malformed.xml"
  refused "$topo: malformed XML: exit 3" 3 "XML" am nodedev-define "$T/malformed.xml"
  xml "$T/p.xml" $u3 1 2 "" pci_0000_00_01_0
  refused "$topo: an unknown parent" 3 "pci_0000_00_01_0" am nodedev-define "$T/p.xml"
  xml "$T/t.xml" $u3 1 2 "" ap_matrix nvidia-35
  refused "$topo: a type that is not vfio_ap-passthrough" 3 "nvidia-35" am nodedev-create "$T/t.xml"
  sed "s/assign_domain/frobnicate/" "$T/a.xml" | sed "s/$u1/$u3/" > "$T/attr.xml"
  refused "$topo: an attribute outside the AP set" 3 "frobnicate" am nodedev-define "$T/attr.xml"
  max=$(cat "$SYS/bus/ap/ap_max_domain_id")
  xml "$T/max.xml" $u3 1 $((max + 1))
  if [ "$max" = 255 ]; then
    refused "$topo: a domain over the architecture's max: exit 3" 3 "not an ID from 0 to 255" am nodedev-define "$T/max.xml"
  else
    refused "$topo: a domain over the host's max ($max): exit 4" 4 "highest domain is" am nodedev-define "$T/max.xml"
  fi
  xml "$T/ctl.xml" $u3 2 "" 3
  refused "$topo: control domains without a usage domain" 4 "at least one usage domain" am nodedev-define "$T/ctl.xml"
  refused "$topo: an unknown UUID: exit 5" 5 "not defined" am nodedev-start 3d1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
  refused "$topo: a name with / and ..: not found, nothing followed" 5 "not found" am nodedev-start "../../../etc/passwd"
  sed "s|$u1|../../$u1|" "$T/a.xml" > "$T/dots.xml"
  refused "$topo: a UUID with .. in the XML" 3 "UUID" am nodedev-define "$T/dots.xml"
  head -c 10485760 /dev/zero | tr '\0' ' ' > "$T/big.xml"
  refused "$topo: a 10 MB input is refused unread" 3 "larger than 1024 KiB" am nodedev-define "$T/big.xml"
  : > "$T/empty.xml"
  refused "$topo: an empty file" 3 "empty" am nodedev-create "$T/empty.xml"
  refused "$topo: a missing file: exit 1" 1 "Cannot read" am nodedev-define "$T/nonexistent.xml"
  refused "$topo: start of a card: exit 3" 3 "is not an mdev" am nodedev-start ap_card01
  refused "$topo: start of an active mdev: exit 4" 4 "already active" am nodedev-start $n1

  # --- autostart: the autostart rules (overlaps with autostart definitions; the persistent masks)
  check "$topo: nodedev-autostart" "0 \"start\": \"auto\"" \
    "$(am nodedev-autostart $n1 >/dev/null; echo $?) $(grep -o '"start": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u1")"
  xml "$T/o.xml" $u3 1 3
  am nodedev-define "$T/o.xml" >/dev/null
  refused "$topo: a second autostart definition may not share a queue" 4 "defined for autostart by $u1" \
    am nodedev-autostart $u3
  am nodedev-undefine $u3 >/dev/null
  xml "$T/q.xml" $u3 2 2
  am nodedev-define "$T/q.xml" >/dev/null
  mkdir -p "$ROOT/etc/udev/rules.d"
  printf 'ACTION=="add", SUBSYSTEM=="ap", KERNEL=="card*", ATTR{../../bus/ap/apmask}="0xffffffff", ATTR{../../bus/ap/aqmask}="0xffffffff"\n' \
    > "$ROOT/etc/udev/rules.d/41-ap.rules"
  refused "$topo: autostart of a queue the persistent masks keep for the host (41-ap.rules)" 4 \
    "persistent masks in /etc/udev/rules.d/41-ap.rules" am nodedev-autostart $u3
  rm "$ROOT/etc/udev/rules.d/41-ap.rules"
  check "$topo: nodedev-autostart --disable" "0 \"start\": \"manual\"" \
    "$(am nodedev-autostart $n1 --disable >/dev/null; echo $?) $(grep -o '"start": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u1")"

  # --- destroy and undefine
  refused "$topo: nodedev-destroy of an mdev a guest uses (libvirt's status file): exit 4, naming the guest" 4 \
    "mdev $u1 is in use by guest vm1" am nodedev-destroy $n1
  rm "$ROOT/run/libvirt/qemu/vm1.xml"
  check "$topo: once the guest is gone, nodedev-destroy works" "0" "$(am nodedev-destroy $n1 >/dev/null; echo $?)"
  check "$topo: the mdev is gone, its definition stays" "no yes" \
    "$([ -d "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no) $([ -f "$ROOT/etc/mdevctl.d/matrix/$u1" ] && echo yes || echo no)"
  refused "$topo: destroy of an inactive mdev: exit 4" 4 "is not active" am nodedev-destroy $n1
  check "$topo: nodedev-undefine" "0 no" \
    "$(am nodedev-undefine $n1 >/dev/null; echo $?) $([ -f "$ROOT/etc/mdevctl.d/matrix/$u1" ] && echo yes || echo no)"
  am nodedev-undefine $u3 >/dev/null
  check "$topo: undefine of the transient one is refused, destroy works" "5 0" \
    "$(am nodedev-undefine $u2 2>/dev/null; echo $?) $(am nodedev-destroy $u2 >/dev/null; echo $?)"
  check "$topo: nothing left" "" "$(am nodedev-list --cap mdev --all)"
  stop_sim
done

# --- faults, on a host without ap_config (single writes)
printf '[host]\nusage-domains=0-7\nap-config=false\napmask=none\n[card 00]\n[card 01]\n[card 02]\n' > /tmp/apm-cli-$$.topo
start_sim /tmp/apm-cli-$$.topo
rm -f /tmp/apm-cli-$$.topo
xml "$ROOT/a.xml" $u1 "0,1" "2,3"
am nodedev-define "$ROOT/a.xml" >/dev/null
"$APSIM" ctl "$ROOT" inject assign_domain 1 EIO >/dev/null
refused "an errno on the 3rd write of a start: everything taken back" 4 "failed at assign_domain=0x02" am nodedev-start $n1
check "then the start works" "0" "$(am nodedev-start $n1 >/dev/null; echo $?)"
xml "$ROOT/b.xml" $u1 "0,1,2" "2,3,4" 4
"$APSIM" ctl "$ROOT" inject assign_domain 1 EBUSY >/dev/null
refused "an errno in the middle of a live update: the old matrix is put back" 4 "Everything it had written was taken back" \
  am nodedev-update $n1 "$ROOT/b.xml" --live
# a card leaving the host configuration while the update runs: the kernel keeps the assignment, the guest loses
# the adapter; apmatrix says so (exit 7) rather than claiming the plan came true
"$APSIM" ctl "$ROOT" latency 200000 >/dev/null
am nodedev-update $n1 "$ROOT/b.xml" --live > "$ROOT/upd.out" 2> "$ROOT/upd.err" &
# once the first write (assign_adapter 2) is in, two more are to come, 200 ms each: take the card out now
for i in $(seq 500); do grep -q '^02\.' "$SYS/devices/vfio_ap/matrix/$u1/matrix" 2>/dev/null && break; sleep 0.01; done
"$APSIM" ctl "$ROOT" config-adapter 2 off >/dev/null
wait $!; rc=$?
"$APSIM" ctl "$ROOT" latency 0 >/dev/null
check "a card leaving the configuration mid-update is reported (exit 7)" "7" "$rc"
check "naming what the guest gets instead" "yes" "$(grep -q 'would get' "$ROOT/upd.err" && echo yes || echo no)"
"$APSIM" ctl "$ROOT" config-adapter 2 on >/dev/null
check "once the card is back, the guest matrix is the planned one" "00.0002 00.0003 00.0004 01.0002 01.0003 01.0004 02.0002 02.0003 02.0004" \
  "$(tr '\n' ' ' < "$SYS/devices/vfio_ap/matrix/$u1/guest_matrix" | sed 's/ $//')"
stop_sim
finish
