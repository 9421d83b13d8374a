#!/bin/sh
# Rules as the kernel has them, through the commands as users meet them: a start refuses what the live host
# refuses and only warns about the persistent configuration (define and autostart keep refusing it); relative
# masks in 41-ap.rules apply to the kernel's boot default; definitions are applied attribute by attribute as
# mdevctl writes them. apsim's dump and the store are compared before and after every refusal.
set -u
. "$(dirname "$0")/tap.sh"
am() { "$APMATRIX" --root "$ROOT" "$@"; }
state() { "$APSIM" ctl "$ROOT" dump; find "$ROOT/etc/mdevctl.d/matrix" -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; 2>/dev/null; }
store=etc/mdevctl.d/matrix
u1=c1000000-0000-4000-8000-000000000001
u2=c2000000-0000-4000-8000-000000000002
u3=c3000000-0000-4000-8000-000000000003
# config START ADAPTER DOMAIN: an mdevctl definition, as another tool (or an editor) leaves it in the store
config() { printf '{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "%s",\n  "attrs": [\n    {\n      "assign_adapter": "%s"\n    },\n    {\n      "assign_domain": "%s"\n    }\n  ]\n}\n' "$1" "$2" "$3"; }

start_sim tiny
echo -1 > "$SYS/bus/ap/apmask"

# ---- two autostart definitions that share a queue: refused to define, warned about at start ----------------------
mdev_xml "$ROOT/m1.xml" $u1 1 2
am nodedev-define "$ROOT/m1.xml" >/dev/null
am nodedev-autostart $u1 >/dev/null
mdev_xml "$ROOT/m2.xml" $u2 1 2
am nodedev-define "$ROOT/m2.xml" >/dev/null
refused "autostart of a definition that shares a queue with another autostart one is refused" 4 \
  "APQN 01.0002 is defined for autostart by $u1 too" am nodedev-autostart $u2
# as another tool may leave it: both autostart
config auto 1 2 > "$ROOT/$store/$u2"
out=$(am nodedev-start $u2 2>&1); rc=$?
check "a start of one of two overlapping autostart definitions goes ahead: the live host allows it" "0 01.0002" \
  "$rc $(cat "$SYS/devices/vfio_ap/matrix/$u2/matrix" 2>/dev/null)"
check "with a warning about the next boot" "yes" \
  "$(echo "$out" | grep -q "warning: APQN 01.0002 is defined for autostart by $u1 too.*the start goes ahead" && echo yes || echo "$out")"
refused "the other one cannot start now: the live host refuses a queue twice" 4 \
  "APQN 01.0002 is already assigned to mdev $u2" am nodedev-start $u1
check "apmatrix check reports the overlap" "yes" "$(am check 2>&1 | grep -q "autostart" && echo yes || echo no)"
am nodedev-destroy $u2 >/dev/null; am nodedev-undefine $u2 >/dev/null

# ---- persistent masks that keep the queue from vfio_ap after a reboot ---------------------------------------------
cat > "$ROOT/etc/udev/rules.d/41-ap.rules" <<'RULES'
ACTION=="add", SUBSYSTEM=="ap", KERNEL=="ap", ATTR{bindings_complete_count}!="0", GOTO="ap_end"
ACTION=="change", SUBSYSTEM=="ap", KERNEL=="ap", ENV{BINDINGS}=="complete", ENV{COMPLETECOUNT}=="1", GOTO="ap_end"
GOTO="end"
LABEL="ap_end"
ATTR{../../bus/ap/apmask}="0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
ATTR{../../bus/ap/aqmask}="0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
LABEL="end"
RULES
config auto 1 3 > "$ROOT/$store/$u3"
out=$(am nodedev-start $u3 2>&1); rc=$?
check "a start of an autostart definition the persistent masks would block goes ahead (the live masks allow it)" \
  "0 01.0003" "$rc $(cat "$SYS/devices/vfio_ap/matrix/$u3/matrix" 2>/dev/null)"
check "with a warning naming the rules file" "yes" \
  "$(echo "$out" | grep -q "warning: APQN 01.0003 is kept for the host's default crypto drivers by the persistent masks in /etc/udev/rules.d/41-ap.rules" && echo yes || echo "$out")"
am nodedev-destroy $u3 >/dev/null
refused "a define of an autostart mdev the persistent masks block is refused" 4 "persistent masks" \
  am nodedev-autostart $u3

# ---- a relative mask in 41-ap.rules: at boot it applies to the kernel's default, every ID for the host ---------------
sed -i 's|ATTR{../../bus/ap/apmask}="0xf*"|ATTR{../../bus/ap/apmask}="-1"|; /aqmask/d' "$ROOT/etc/udev/rules.d/41-ap.rules"
echo -0,-1 > "$SYS/bus/ap/apmask"
out=$(am mask 2>&1)
check "apmatrix mask shows the persistent apmask of a relative rule applied to the boot default (all but adapter 1)" \
  "apmask 0xbfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" \
  "$(echo "$out" | sed -n '/^Persistent/,$p' | grep -o 'apmask 0x[0-9a-f]*')"
mdev_xml "$ROOT/m0.xml" $u1 0 1
config manual 0 1 > "$ROOT/$store/$u1"
refused "so an autostart definition of adapter 0 is refused: at boot adapter 0 is the host's (the live mask is not)" 4 \
  "APQN 00.0001 is kept for the host's default crypto drivers by the persistent masks" am nodedev-autostart $u1
config manual 1 1 > "$ROOT/$store/$u1"
check "and one of adapter 1, which the rule gives to vfio_ap, is taken" "0" "$(am nodedev-autostart $u1 >/dev/null 2>&1; echo $?)"
rm -f "$ROOT/etc/udev/rules.d/41-ap.rules"

stop_sim
finish
