#!/bin/sh
# End to end: `apmatrix matrix` (golden text maps of tiny and z16 with and without guests, folding, colour, the
# JSON form against apsim's state dump, the SVG form rendered to PNG and checked pixel by pixel), `apmatrix mask`
# (shown, changed, refused and accepted exactly as the kernel refuses and accepts, persistent, rolled back on a
# fault), `apmatrix check` (every finding provoked, detected, and fixed by its own fix), the progress line, the
# bash completion, and --help against the man pages of every program.
# APM_REGENERATE=1 rewrites the golden files in tests/data/map from what apmatrix prints.
set -u
. "$(dirname "$0")/tap.sh"
golden=$APMATRIX_SOURCE_DIR/tests/data/map
completion=$APMATRIX_SOURCE_DIR/tools/completion/apmatrix.bash

am() { "$APMATRIX" --root "$ROOT" "$@"; }
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
state() { ctl dump; cat "$ROOT/etc/udev/rules.d/41-ap.rules" 2>/dev/null; find "$ROOT/etc/mdevctl.d" -type f 2>/dev/null | sort | xargs -r cat; }
hostdev() { printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" "$2" > "$1"; }
# golden NAME COMMAND...: what the command prints is tests/data/map/NAME.txt
golden() {
  name=$1; shift
  out=$("$@" 2>&1)
  if [ "${APM_REGENERATE:-}" = 1 ]; then printf '%s\n' "$out" > "$golden/$name.txt"; fi
  if [ "$out" = "$(cat "$golden/$name.txt" 2>/dev/null)" ]; then ok "golden map $name"
  else notok "golden map $name" "differs from tests/data/map/$name.txt (APM_REGENERATE=1 rewrites it):"
       printf '%s\n' "$out" | diff "$golden/$name.txt" - | sed 's/^/# /' | head -40; fi
}
widest() { awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'; }
# the map's JSON against apsim's own dump: every queue of the dump is a cell with the state its driver and
# the dump's mdevs give it
json_matches_dump() {
  am --json matrix --all > "$ROOT/map.json" && ctl dump > "$ROOT/dump.json" && python3 - "$ROOT/map.json" "$ROOT/dump.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
cells = {c["apqn"]: c for c in m["cells"]}
owner = {}
for md in m["mdevs"]:
    for a in md["adapters"]:
        for q in md["domains"]:
            owner["%02x.%04x" % (a, q)] = md["uuid"]
dump_mdevs = {md["uuid"]: md for md in d["mdevs"]}
bad = []
for driver, apqns in d["queues"].items():
    for apqn in apqns.split():
        c = cells.get(apqn)
        if c is None: bad.append(apqn + " missing"); continue
        want = {"cex4queue": ("host", "host-offline"), "vfio_ap": ("free", "assigned", "in-use", "filtered"),
                "unbound": ("unbound", "filtered")}[driver]
        if c["state"] not in want: bad.append("%s %s is %s" % (apqn, driver, c["state"]))
        if c["mdev"] != owner.get(apqn): bad.append("%s mdev %s, want %s" % (apqn, c["mdev"], owner.get(apqn)))
for md in m["mdevs"]:
    if md["uuid"] not in dump_mdevs: bad.append("mdev %s not in the dump" % md["uuid"])
if len(m["mdevs"]) != len(d["mdevs"]): bad.append("mdev count")
print("; ".join(bad))
PY
}

# --- --help and the man pages agree, for every program
missing=""
for c in matrix mask check --format --all --guest --mdev --color --apmask --aqmask --persistent --dry-run --name; do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst" || missing="$missing $c"
done
for c in $(apmatrix_commands); do
  grep -q -- "\*\*$(words "$c")\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst" || missing="$missing $c"
done
for c in $("$APMATRIX" --help | grep -oE -- '--[a-z-]+' | sort -u); do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst" || missing="$missing $c"
done
check "apmatrix: every command and option of --help is in apmatrix(1)" "" "$missing"
# every command's own --help (the command table) against the man page: each option in the command's entry
missing=""
commands=$(apmatrix_commands | tr '\n' ' ')
for cmd in $commands complete; do
  entry=$(awk -v c="**$(words "$cmd")**" 'index($0, c) == 1 { on = 1; print; next } on && /^\*\*/ { exit } on && /^[A-Z]/ { exit } on { print }' \
    "$APMATRIX_SOURCE_DIR/docs/apmatrix.1.rst")
  [ -n "$entry" ] || { missing="$missing $cmd"; continue; }
  for o in $("$APMATRIX" $(words "$cmd") --help | sed -n '/^Arguments and options:/,$p' | grep -oE -- '^  --[a-z-]+' | sort -u); do
    echo "$entry" | grep -q -- "\*\*$o\*\*" || missing="$missing $cmd:$o"
  done
done
check "apmatrix: every option of every command's --help is in that command's entry of apmatrix(1)" "" "$missing"
missing=""
for c in $("$APSIM" --help | awk '/^  apsim/ {print $2}') $("$APSIM" --help | grep -oE -- '--[a-z-]+' | sort -u) --help; do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apsim.1.rst" || missing="$missing $c"
done
for sub in $("$APSIM" --help | awk '/^  apsim/ {print $2}'); do
  for c in $("$APSIM" "$sub" --help | sed -n '/^Application Options:/,$p' | grep -oE -- '--[a-z-]+' | sort -u); do
    grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apsim.1.rst" || missing="$missing $sub:$c"
  done
done
check "apsim: every command and option of --help is in apsim(1)" "" "$missing"
missing=""
for c in $("$APMATRIX_CALLOUT" --help 2>&1 | sed -n '/^Application Options:/,$p' | grep -oE -- '(^  -[a-z]|--[a-z-]+)' | tr -d ' ' | sort -u); do
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix-callout.8.rst" || missing="$missing $c"
done
[ "$("$APMATRIX_CALLOUT" --help 2>&1 | sed -n '/^Application Options:/,$p' | grep -c -- '^  -')" -ge 6 ] || missing="$missing (--help lists no options)"
check "apmatrix-callout: every option of --help is in apmatrix-callout(8)" "" "$missing"
missing=""
for c in "prepare begin" "release end"; do
  "$APMATRIX_HOOK" --help | grep -q "$c" || missing="$missing help:$c"
  grep -q -- "\*\*$c\*\*" "$APMATRIX_SOURCE_DIR/docs/apmatrix-hook.8.rst" || missing="$missing man:$c"
done
check "apmatrix-hook: its operations are in --help and apmatrix-hook(8)" "" "$missing"

u1=a1000000-0000-4000-8000-000000000001
u2=a2000000-0000-4000-8000-000000000002
u3=a3000000-0000-4000-8000-000000000003
u4=a4000000-0000-4000-8000-000000000004

# ======================================================================================= tiny
start_sim tiny
T=$ROOT
golden tiny-empty am matrix
check "tiny: a clean host passes the check (exit 0)" "0 No problems found: 2 cards, 8 queues, 0 mdevs and 0 definitions checked" \
  "$(out=$(am check); echo "$? $out")"

# --- mask specs: apmatrix accepts and refuses exactly what the kernel does (each tried on apsim, then undone)
bad=""
for spec in +1 -0x01 0x8 x8 +0-3 +010 "-0,+0x47" 0xf0f0 "" "+4-2" "+1 ,+2" "+256" "+0x100" "-" "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0" \
            "1,2" "+1;+2" "0xg" "++1"; do
  old=$(cat "$SYS/bus/ap/aqmask")
  if printf '%s' "$spec" > "$SYS/bus/ap/aqmask" 2>/dev/null; then kernel=ok; else kernel=refused; fi
  printf '%s' "$old" > "$SYS/bus/ap/aqmask"
  if am mask --aqmask "$spec" --dry-run >/dev/null 2>&1; then ours=ok; else ours=refused; fi
  [ "$kernel" = "$ours" ] || bad="$bad [$spec: kernel $kernel, apmatrix $ours]"
done
check "mask: 19 aqmask values accepted and refused as the kernel does" "" "$bad"
refused "mask: a value the kernel refuses is refused (exit 3), naming it" 3 "'+4-2' is not a valid apmask" am mask --apmask +4-2
refused "mask --dry-run changes nothing" 0 "" sh -c "\"$APMATRIX\" --root \"$ROOT\" mask --apmask -0 --dry-run 2>&1 >/dev/null"
out=$(am mask --dry-run --apmask -0)
check "mask --dry-run says what would move" "  4 queues would move to vfio_ap and 0 to the host's default drivers" "$(echo "$out" | grep 'would move')"

# --- mask: take adapter 0 from the host, with a progress line forced on
out=$(APMATRIX_PROGRESS=1 APMATRIX_PROGRESS_DELAY_MS=0 am mask --apmask -0 2>"$T/err"); rc=$?
check "mask --apmask -0: done, and the queues bound to vfio_ap" "0 00.0000 00.0001 00.0002 00.0003" \
  "$rc $(ctl dump | python3 -c 'import json,sys; print(json.load(sys.stdin)["queues"]["vfio_ap"])')"
check "mask: the apmask went to the kernel" "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" "$(cat "$SYS/bus/ap/apmask")"
check "mask: a progress line while waiting for the bindings (forced on)" "yes" \
  "$(grep -q 'Waiting for the AP bus to re-bind the queues' "$T/err" && echo yes)"
out=$(am mask --apmask -0)
check "mask: the same change again changes nothing" "The masks are already so: nothing changed" "$out"
check "mask: no progress line without a terminal" "" "$(am mask --aqmask -0x0f 2>&1 >/dev/null)"
am mask --aqmask +0x0f >/dev/null
if command -v script >/dev/null; then
  out=$(APMATRIX_PROGRESS_DELAY_MS=0 script -qec "\"$APMATRIX\" --root \"$ROOT\" matrix --color never" /dev/null | tr '\r' '\n')
  check "progress: on a terminal, reading the host shows a line (delay 0), then clears it" "yes yes" \
    "$(echo "$out" | grep -q 'Reading the AP host: 2/2 (100%)' && echo yes) $(echo "$out" | grep -q '^AP crypto matrix' && echo yes)"
else
  ok "progress on a terminal # SKIP script(1) missing"
fi

# --- two mdevs, one on a running guest
ctl guest-start vm1 >/dev/null; ctl guest-start vm2 >/dev/null
mdev_xml "$T/m1.xml" $u1 0 1 1; am nodedev-create "$T/m1.xml" >/dev/null
hostdev "$T/h1.xml" $u1; am attach-device vm1 "$T/h1.xml" >/dev/null
mdev_xml "$T/m2.xml" $u2 0 2,3 2; am nodedev-create "$T/m2.xml" >/dev/null
golden tiny-guests am matrix
check "matrix JSON agrees with apsim's dump (tiny, guests)" "" "$(json_matches_dump)"
out=$(am --json matrix | python3 -c 'import json,sys; m=json.load(sys.stdin); print(" ".join("%s=%s/%s" % (c["apqn"], c["state"], c["guest"]) for c in m["cells"] if c["mdev"]))')
check "matrix JSON: in use by vm1, assigned without a guest" "00.0001=in-use/vm1 00.0002=assigned/None 00.0003=assigned/None" "$out"
out=$(am matrix --guest vm1)
check "matrix --guest vm1: the guest's part only" "AP crypto matrix of guest vm1 (mdev $u1)|00 CEX8C  A" \
  "$(echo "$out" | sed -n '1p;/^00 /p' | tr '\n' '|' | sed 's/|$//')"
check "matrix --mdev (node device name) is the same part" "$(am matrix --mdev $u2)" "$(am matrix --mdev mdev_$(echo $u2 | tr - _)_matrix)"
refused "matrix --guest of a guest without an mdev: exit 5" 5 "Guest vm2 holds no active vfio-ap mdev" am matrix --guest vm2
refused "matrix --mdev of no mdev: exit 5" 5 "mdev $u3 is not active" am matrix --mdev $u3
refused "matrix --mdev garbage: exit 3" 3 "'xyz' is neither a UUID nor an mdev node device name" am matrix --mdev xyz
refused "matrix --format pdf: exit 2" 2 "--format takes text, json or svg, not 'pdf'" am matrix --format pdf
refused "matrix --guest with a bad name: exit 3" 3 "" am matrix --guest '../x'
check "matrix --color always: ANSI colours (in use green)" "yes" "$(am matrix --color always | grep -q "$(printf '\033')\[30;42mA" && echo yes)"
check "matrix without a terminal: no escape codes" "0" "$(am matrix | grep -c "$(printf '\033')")"

# --- the SVG form: well-formed, rendered by librsvg, every cell the colour its state says
am matrix --format svg > "$T/map.svg"
if command -v rsvg-convert >/dev/null && command -v xmllint >/dev/null; then
  check "matrix --format svg is well-formed XML" "0" "$(xmllint --noout "$T/map.svg" 2>&1; echo $?)"
  rsvg-convert "$T/map.svg" -o "$T/map.png" 2>&1
  out=$(python3 "$APMATRIX_SOURCE_DIR/tests/check-svg-png.py" "$T/map.svg" "$T/map.png")
  check "SVG rendered to PNG: size, the colour of all 8 cells, labels present" "ok 8 cells" "$out"
else
  ok "SVG rendering # SKIP rsvg-convert (librsvg2-bin) or xmllint missing"
  ok "SVG pixels # SKIP rsvg-convert (librsvg2-bin) or xmllint missing"
fi

# --- mask refusals name the mdev and its guest; state unchanged
refused "mask: giving adapter 0 back while mdevs hold it is refused, naming mdev and guest" 4 \
  "APQNs 00.0001 would go back to the host's default drivers, but they are assigned to mdev $u1 (used by guest vm1)" \
  am mask --apmask +0
am mask --aqmask -2 >/dev/null
refused "mask: domain 2 back is refused as kernel 6.19 refuses it (every adapter checked, though adapter 0 stays vfio_ap's)" 4 \
  "APQNs 00.0002 would go back to the host's default drivers, but they are assigned to mdev $u2" am mask --aqmask +2
check "mask: the kernel refuses the same write (EBUSY)" "refused" "$(echo +2 > "$SYS/bus/ap/aqmask" 2>/dev/null && echo written || echo refused)"
# --- a fault: EIO on the second mask write; the first is taken back
before=$(state)
ctl inject aqmask 1 EIO >/dev/null
err=$(am mask --apmask -1 --aqmask -3 2>&1); rc=$?
check "mask: EIO on the aqmask write: exit 1, the apmask taken back" "1 same" "$rc $([ "$before" = "$(state)" ] && echo same || echo differs)"

# --- persistent masks: written as chzdev writes them, read back, and checked against autostart definitions
out=$(am mask --apmask -1 --persistent); rc=$?
check "mask --persistent: done, 41-ap.rules written" "0 yes" "$rc $(grep -q 'ATTR{../../bus/ap/apmask}="0x3fff' "$ROOT/etc/udev/rules.d/41-ap.rules" && echo yes)"
check "mask: the persistent masks are read back" "Persistent masks (/etc/udev/rules.d/41-ap.rules): the same as the active masks" \
  "$(am mask | grep '^Persistent')"
mdev_xml "$T/m4.xml" $u4 1 0; am nodedev-define "$T/m4.xml" >/dev/null; am nodedev-autostart $u4 >/dev/null
refused "mask --persistent: refused when the boot masks would take an autostart definition's APQNs" 4 \
  "The persistent masks would give APQNs 01.0000 to the host's default drivers at boot, but the autostart definition of mdev $u4 needs them" \
  am mask --apmask +1 --persistent
out=$(am mask --aqmask -0x0e); rc=$?
check "mask without --persistent leaves the rule alone" "0 differ" "$rc $(am mask | grep -q 'which differ from the active ones' && echo differ)"
am mask --aqmask +0x0e >/dev/null

# --- check: every finding, provoked, detected, and its fix tried where it is an apmatrix command
mkdir -p "$T/etc/mdevctl.d/matrix"
printf '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"1"},{"assign_domain":"0"}]}\n' > "$T/etc/mdevctl.d/matrix/$u3"
printf 'not json\n' > "$T/etc/mdevctl.d/matrix/b0000000-0000-4000-8000-00000000000b"
printf '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"0"},{"assign_domain":"0x0a"}]}\n' > "$T/etc/mdevctl.d/matrix/c0000000-0000-4000-8000-00000000000c"
printf '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"2"},{"assign_domain":"0"}]}\n' > "$T/etc/mdevctl.d/matrix/d0000000-0000-4000-8000-00000000000d"
dead=$(sh -c 'echo $$'); printf '%s\n' "$dead" > "$T/run/lock/s390apconfig.lock"
ctl config-domain 1 off >/dev/null
am check > "$T/check.txt"; rc=$?
kinds=$(am --json check | python3 -c 'import json,sys; print(" ".join(sorted(set(f["kind"] for f in json.load(sys.stdin)["findings"]))))')
check "check: exit 8 when anything is wrong" "8" "$rc"
check "check: every kind of finding is detected" \
  "autostart-overlap corrupt-definition definition-not-configured guest-lacks-apqns persistent-mask-blocks stale-lock unassigned-vfio-queues" "$kinds"
check "check: the autostart overlap names both definitions and the APQN" "yes" \
  "$(grep -q "autostart definitions of mdevs $u3 and $u4 share APQNs 01.0000" "$T/check.txt" && echo yes)"
check "check: the guest lacking a queue is named with the reason" "yes" \
  "$(grep -q "Guest vm1 (mdev $u1) lacks 1 of its 1 APQNs: domain 0x01 is not in the host configuration" "$T/check.txt" && echo yes)"
check "check: the stale lock names its dead owner" "yes" "$(grep -q "its owner, process $dead, is gone" "$T/check.txt" && echo yes)"
check "check: every finding has a fix" "$(grep -c '^error\|^warning' "$T/check.txt")" "$(grep -c '^         fix: ' "$T/check.txt")"
# the fixes, run as printed
for kind in stale-lock corrupt-definition autostart-overlap; do
  fix=$(am --json check | python3 -c "import json,sys; print([f['fix'] for f in json.load(sys.stdin)['findings'] if f['kind']=='$kind'][0])")
  case $fix in
    apmatrix\ *) eval "\"$APMATRIX\" --root \"$ROOT\" ${fix#apmatrix }" >/dev/null 2>&1 ;;
    rm\ *) fix=${fix%%,*}; eval "$fix" ;;
  esac
  check "check: the fix of $kind removes it ($fix)" "" "$(am --json check | grep "\"kind\" : \"$kind\"")"
done
ctl config-domain 1 on >/dev/null
check "check: the guest gets its queue back when the domain returns" "" "$(am --json check | grep '"kind" : "guest-lacks-apqns"')"
stop_sim

# ======================================================================================= z16
start_sim z16
T=$ROOT
golden z16-empty am matrix
check "z16: the text map fits 80 columns (85 domains folded)" "yes 2" \
  "$([ "$(am matrix | widest)" -le 80 ] && echo yes) $(am matrix | grep -c '^Domains 0x')"
check "z16: --all shows every ID up to the maximum (256 x 85), folded in 80 columns" "256 yes" \
  "$(am --json matrix --all | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))') $([ "$(am matrix --all | widest)" -le 80 ] && echo yes)"
check "z16: a wider terminal folds less (COLUMNS=200)" "0" "$(COLUMNS=200 am matrix | grep -c '^Domains 0x')"
am mask --apmask -5,-6 --aqmask -0x47-0x49 >/dev/null
ctl guest-start vm1 >/dev/null; ctl guest-start vm2 >/dev/null
mdev_xml "$T/m1.xml" $u1 5,6 0x47 0x47; am nodedev-create "$T/m1.xml" >/dev/null
hostdev "$T/h1.xml" $u1; am attach-device vm1 "$T/h1.xml" >/dev/null
mdev_xml "$T/m2.xml" $u2 5 0x48 0x48; am nodedev-create "$T/m2.xml" >/dev/null
hostdev "$T/h2.xml" $u2; am attach-device vm2 "$T/h2.xml" >/dev/null
am plug vm2 --domain 0x49 >/dev/null
ctl config-adapter 6 off >/dev/null
golden z16-guests am matrix
check "matrix JSON agrees with apsim's dump (z16, guests, an adapter out of the configuration)" "" "$(json_matches_dump)"
am mask --aqmask -0x50 >/dev/null
fix=$(am --json check | python3 -c 'import json,sys; print([f["fix"] for f in json.load(sys.stdin)["findings"] if f["kind"] == "unassigned-vfio-queues"][0])')
check "check: the fix for idle vfio_ap queues gives back what the masks can (not what mdevs hold)" \
  "apmatrix mask --aqmask +0x50 gives 6 of them back to the host" "$(echo "$fix" | sed 's/;.*//')"
am mask --aqmask +0x50 >/dev/null
check "check: after that fix the six queues are the host's again" "6" \
  "$(ctl dump | python3 -c 'import json,sys; print(len([q for q in json.load(sys.stdin)["queues"]["cex4queue"].split() if q.endswith(".0050")]))')"

# --- completion, as bash calls it
if command -v bash >/dev/null; then
  comp() { bash -c ". \"$completion\"; COMP_WORDS=($1); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _apmatrix; echo \"\${COMPREPLY[*]}\"" _ "$1"; }
  comp2() { bash -c ". \"$completion\"; COMP_WORDS=($1 ''); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _apmatrix; echo \"\${COMPREPLY[*]}\"" _ "$1"; }
  check "completion: every command of --help (a command of two words by its first)" \
    "$("$APMATRIX" --help | awk '/^  [a-z]/ {print $1}' | sort -u | tr '\n' ' ')" \
    "$(comp2 "$APMATRIX" | tr ' ' '\n' | sort | tr '\n' ' ')"
  check "completion: matrix options, then the global ones" \
    "--format --all --guest --mdev --color --root --json --lock-timeout --connect --qmp-dir --unplug-timeout --help --version" \
    "$(comp "$APMATRIX matrix --")"
  check "completion: an option already given is not offered again" "--all --guest --mdev --color" \
    "$(comp "$APMATRIX matrix --format text --" | tr ' ' '\n' | grep -vE -- '^--(root|json|lock-timeout|connect|qmp-dir|unplug-timeout|help|version)$' | tr '\n' ' ' | sed 's/ $//')"
  check "completion: --cap completes after the last comma" "ap_card,ap_queue" "$(comp "$APMATRIX nodedev-list --cap ap_card,ap_q")"
  check "completion: a file where a file is wanted" "yes" \
    "$(cd "$T" && comp "$APMATRIX --root $ROOT nodedev-define m" | tr ' ' '\n' | grep -qx m1.xml && echo yes)"
  check "completion: --format values" "text json svg" "$(comp2 "$APMATRIX matrix --format")"
  check "completion: node device names (card 06 left the configuration)" "ap_card00 ap_card01 ap_card02 ap_card03 ap_card04 ap_card05 ap_card07" \
    "$(comp "$APMATRIX --root $ROOT nodedev-dumpxml ap_card")"
  check "completion: guest names" "vm1 vm2" "$(comp2 "$APMATRIX --root $ROOT plug")"
  check "completion: mdev UUIDs" "$u1" "$(comp "$APMATRIX --root $ROOT matrix --mdev a1")"
  check "completion: the guest of --guest" "vm2" "$(comp "$APMATRIX --root $ROOT matrix --guest vm2")"
else
  ok "completion # SKIP bash missing"
fi
finish
