#!/bin/sh
# End to end: apmatrix's one command grammar, out of its command table, on apsim. Every command takes the global
# options after it exactly as before it (same output, same exit code); --opt value and --opt=value are one; an
# unknown option, a missing value, a value for a flag and an option given twice are refused with the same words by
# every command, and leave the host as it was. --validate checks node-device and hostdev XML against libvirt's
# installed RelaxNG schemas, as virsh does, and an XML error names the file and the line.
set -u
. "$(dirname "$0")/tap.sh"

state() { "$APSIM" ctl "$ROOT" dump; find "$ROOT/etc/mdevctl.d/matrix" -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; 2>/dev/null; }
u1=0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
u9=9f1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b
n9=mdev_$(echo $u9 | tr - _)_matrix

start_sim tiny
T=$ROOT
echo -1 > "$SYS/bus/ap/apmask"
"$APSIM" ctl "$ROOT" guest-start vm1 >/dev/null
mdev_xml "$T/ok.xml" $u1 1 2
printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" $u9 > "$T/h9.xml"
printf '<device>\n  <parent>ap_matrix</parent>\n  <capability type="mdev">\n</device>\n' > "$T/broken.xml"

# a command of two words ("pool define") is written pool:define in the lists here (tap.sh's words)
# --- every command, with the global options before it and after it: the same answer
# (each request either only reads or is refused before anything is written)
same=""; differ=""
while IFS='|' read -r cmd args; do
  # shellcheck disable=SC2086
  before=$("$APMATRIX" --root "$ROOT" --json --lock-timeout 5 --unplug-timeout=2 $(words "$cmd") $args 2>&1); rc1=$?
  # shellcheck disable=SC2086
  after=$("$APMATRIX" $(words "$cmd") $args --root "$ROOT" --json --lock-timeout=5 --unplug-timeout 2 2>&1); rc2=$?
  if [ "$before" = "$after" ] && [ "$rc1" = "$rc2" ]; then same="$same $cmd"; else differ="$differ $cmd($rc1/$rc2)"; fi
done <<EOF
nodedev-list|--cap ap_card
nodedev-dumpxml|ap_matrix
nodedev-info|ap_card01
nodedev-define|$T/broken.xml
nodedev-create|$T/broken.xml
nodedev-start|$n9
nodedev-destroy|$n9
nodedev-undefine|$n9
nodedev-update|$n9 $T/ok.xml
nodedev-autostart|$n9
attach-device|vm1 $T/h9.xml
detach-device|vm1
plug|vm1 --domain 1
unplug|vm1 --domain 1
list|
matrix|--format json
mask|
check|
pool:define|a/b --adapter 0 --domain 0
pool:list|
pool:show|nosuch
pool:grow|nosuch
pool:shrink|nosuch --count 1
pool:undefine|nosuch
export:nova|
EOF
check "every command takes the global options after it as before it" "" "$differ"
listed=$(apmatrix_commands | tr '\n' ' ')
tested=$(echo "$same" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
check "and every command of the table was tried" "$listed" "$tested"
check "the JSON error of a refused request is the same wherever --json stands" \
  "$("$APMATRIX" --json --root "$ROOT" nodedev-start $n9)" "$("$APMATRIX" nodedev-start $n9 --root "$ROOT" --json)"

# --- the same words from every command
bad=""
for cmd in $listed; do
  out=$("$APMATRIX" --root "$ROOT" $(words "$cmd") --frobnicate 2>&1); rc=$?
  [ $rc = 2 ] && [ "$(echo "$out" | head -1)" = "apmatrix: $(words "$cmd") does not take '--frobnicate'" ] || bad="$bad $cmd:unknown($rc)"
  out=$("$APMATRIX" --root "$ROOT" $(words "$cmd") --lock-timeout 2>&1); rc=$?
  [ $rc = 2 ] && [ "$(echo "$out" | head -1)" = "apmatrix: --lock-timeout needs a value" ] || bad="$bad $cmd:missing($rc)"
  out=$("$APMATRIX" --root "$ROOT" $(words "$cmd") --json=yes 2>&1); rc=$?
  [ $rc = 2 ] && [ "$(echo "$out" | head -1)" = "apmatrix: --json takes no value" ] || bad="$bad $cmd:flag($rc)"
  out=$("$APMATRIX" --root "$ROOT" $(words "$cmd") --root "$ROOT" 2>&1); rc=$?
  [ $rc = 2 ] && [ "$(echo "$out" | head -1)" = "apmatrix: --root is given twice" ] || bad="$bad $cmd:twice($rc)"
  "$APMATRIX" $(words "$cmd") --help >/dev/null 2>&1 || bad="$bad $cmd:help"
done
check "an unknown option, a missing value, a flag's value and a repeated option: exit 2, the same words everywhere" "" "$bad"
out=$("$APMATRIX" --frobnicate nodedev-list 2>&1); rc=$?
check "before the command, an unknown option is said as such (exit 2)" "2 apmatrix: Unknown option '--frobnicate'" "$rc $(echo "$out" | head -1)"
refused "an option's bad value after the command is refused before anything is done" 2 \
  "--unplug-timeout takes seconds above 0 up to 3600, not '0'" "$APMATRIX" plug vm1 --domain 1 --root "$ROOT" --unplug-timeout 0
refused "a second argument a command does not have" 2 "nodedev-start does not take 'extra'" \
  "$APMATRIX" --root "$ROOT" nodedev-start $n9 extra
refused "a missing argument names it" 2 "nodedev-start needs NAME" "$APMATRIX" --root "$ROOT" nodedev-start
refused "--current with --live" 2 "--current cannot go with --live" "$APMATRIX" --root "$ROOT" nodedev-update $n9 "$T/ok.xml" --live --current
check "--cap=VALUE is --cap VALUE" "$("$APMATRIX" --root "$ROOT" nodedev-list --cap ap_queue)" \
  "$("$APMATRIX" nodedev-list --root="$ROOT" --cap=ap_queue)"
check "--cap twice is both" "$("$APMATRIX" --root "$ROOT" nodedev-list --cap ap_card,ap_matrix)" \
  "$("$APMATRIX" --root "$ROOT" nodedev-list --cap ap_card --cap ap_matrix)"
check "an argument by its name, as virsh takes it (--device)" "$("$APMATRIX" --root "$ROOT" nodedev-dumpxml ap_card01)" \
  "$("$APMATRIX" --root "$ROOT" nodedev-dumpxml --device ap_card01)"
check "'--' ends the options: a word after it is an argument" "5" \
  "$("$APMATRIX" --root "$ROOT" nodedev-info -- --json >/dev/null 2>&1; echo $?)"
check "--help after a command wins over its errors" "0" "$("$APMATRIX" nodedev-start --frobnicate --help >/dev/null 2>&1; echo $?)"
check "--version" "apmatrix 0" "$("$APMATRIX" --version | cut -d. -f1)"

# --- XML errors name the file and the line
refused "a node-device document that is not well-formed: the file, the line, what is wrong" 3 \
  "$T/broken.xml, line 4: the node device document is not well-formed XML: an end tag does not match the element it closes" \
  "$APMATRIX" --root "$ROOT" nodedev-define "$T/broken.xml"
refused "from standard input, it is named as such" 3 "standard input, line 4: the node device document is not well-formed XML" \
  sh -c "\"$APMATRIX\" --root \"$ROOT\" nodedev-define - < \"$T/broken.xml\""

# --- --validate: libvirt's own schemas
rng=$(pkg-config --variable=datarootdir libvirt 2>/dev/null)/libvirt/schemas
if [ -f "$rng/nodedev.rng" ] && [ -f "$rng/domain.rng" ]; then
  # libvirt 9.0's nodedev.rng wants a <name>; apmatrix itself does not
  sed "s|<device>|<device><name>mdev_$(echo $u1 | tr - _)_matrix</name>|" "$T/ok.xml" > "$T/named.xml"
  sed "s|<parent>ap_matrix</parent>|<parent>ap_matrix</parent><colour>red</colour>|" "$T/named.xml" > "$T/unknown.xml"
  refused "nodedev-define --validate: what libvirt's schema refuses is refused, quoting it, and not defined" 3 \
    "does not validate against $rng/nodedev.rng" "$APMATRIX" --root "$ROOT" nodedev-define --validate "$T/unknown.xml"
  err=$("$APMATRIX" --root "$ROOT" nodedev-define --validate "$T/unknown.xml" 2>&1)
  check "the schema's complaint names the element and the line" "yes" \
    "$(echo "$err" | grep -q 'line 1: <colour>: ' && echo yes || echo "$err")"
  if command -v xmllint >/dev/null; then
    check "xmllint with the same schema finds the document invalid too, and the named one valid" "invalid valid" \
      "$(xmllint --noout --relaxng "$rng/nodedev.rng" "$T/unknown.xml" >/dev/null 2>&1 && echo valid || echo invalid) $(xmllint --noout --relaxng "$rng/nodedev.rng" "$T/named.xml" >/dev/null 2>&1 && echo valid || echo invalid)"
  else
    ok "xmllint agrees # SKIP xmllint is not installed"
  fi
  check "without --validate apmatrix takes it (it skips what it does not know)" "0" \
    "$("$APMATRIX" --root "$ROOT" nodedev-define "$T/unknown.xml" >/dev/null 2>&1; echo $?)"
  "$APMATRIX" --root "$ROOT" nodedev-undefine $u1 >/dev/null 2>&1
  refused "the define form without <name> does not validate against libvirt 9.0's schema either" 3 \
    "does not validate against" "$APMATRIX" --root "$ROOT" nodedev-define --validate "$T/ok.xml"
  check "nodedev-define --validate takes a document the schema takes" "0 yes" \
    "$("$APMATRIX" --root "$ROOT" nodedev-define --validate "$T/named.xml" >/dev/null 2>&1; echo $?) $([ -f "$ROOT/etc/mdevctl.d/matrix/$u1" ] && echo yes)"
  refused "nodedev-update --validate refuses what the schema refuses" 3 "does not validate against" \
    "$APMATRIX" --root "$ROOT" nodedev-update $u1 --validate "$T/unknown.xml" --config
  refused "nodedev-create --validate refuses what the schema refuses" 3 "does not validate against" \
    "$APMATRIX" --root "$ROOT" nodedev-create --validate "$T/unknown.xml"
  "$APMATRIX" --root "$ROOT" nodedev-start $u1 >/dev/null
  printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap' managed='perhaps'><source><address uuid='%s'/></source></hostdev>\n" $u1 > "$T/hbad.xml"
  printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" $u1 > "$T/h1.xml"
  refused "attach-device --validate: a hostdev libvirt's domain schema refuses is not attached" 3 \
    "does not validate against $rng/domain.rng" "$APMATRIX" --root "$ROOT" attach-device vm1 --validate "$T/hbad.xml"
  check "attach-device --validate attaches a hostdev the schema takes" "0" \
    "$("$APMATRIX" --root "$ROOT" attach-device vm1 "$T/h1.xml" --validate >/dev/null 2>&1; echo $?)"
  refused "detach-device --validate checks its file too" 3 "does not validate against" \
    "$APMATRIX" --root "$ROOT" detach-device vm1 "$T/hbad.xml" --validate
  check "detach-device --validate with a good file detaches" "0" \
    "$("$APMATRIX" --root "$ROOT" detach-device vm1 "$T/h1.xml" --validate >/dev/null 2>&1; echo $?)"
else
  ok "--validate # SKIP libvirt's schemas are not installed in $rng"
fi
finish
