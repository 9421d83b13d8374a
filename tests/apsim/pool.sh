#!/bin/sh
# End to end: apmatrix pool on apsim. A pool carves adapters x domains into members of one shape, each a persistent,
# autostarted, started mdev that Debian's mdevctl and libvirt see like any other; every refusal leaves the host and
# the stores as they were; a failure part way takes every member back; a SIGKILL part way leaves what check reports
# with a fix that works; a member a guest holds is never taken; the pool survives a reboot of the host.
set -u
. "$(dirname "$0")/tap.sh"
am() { "$APMATRIX" --root "$ROOT" "$@"; }
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
state() { ctl dump; for d in "$ROOT/etc/mdevctl.d/matrix" "$ROOT/etc/apmatrix/pools"; do
            find "$d" -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; 2>/dev/null; done; }
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
members() { am --json pool show "$1" | json "' '.join(m['uuid'] for m in d['members'])"; }

start_sim tiny
T=$ROOT
u9=9f1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b

# --- the grammar: a command of two words
refused "'pool' alone names its commands" 2 "pool needs a command: define, list, show, grow, shrink or undefine" \
  am pool
refused "an unknown second word" 2 "Unknown command 'pool frob': pool takes define, list, show, grow, shrink or undefine" \
  am pool frob
check "pool define --help is the command's" "yes" \
  "$(am pool define --help | grep -q '^Usage: apmatrix \[OPTIONS\] pool define NAME --adapter LIST --domain LIST' && echo yes)"
check "the completion offers pool once, then its commands, then pool names" "pool|define grow list show shrink undefine|" \
  "$(am complete -- po | tr '\n' ' ' | sed 's/ $//')|$(am complete -- pool "" | sort | tr '\n' ' ' | sed 's/ $//')|$(am complete -- pool show "")"
check "export nova is there too" "nova" "$(am complete -- export "")"

# --- refusals: the host and the stores exactly as before
refused "a name that cannot be a file or a Nova name" 3 "'a/b' is not a pool name" \
  am pool define a/b --adapter 0 --domain 0
refused "a shape that does not split the set" 3 "2 adapters and 3 domains do not split into members of 1 adapters x 2 domains" \
  am pool define p --adapter 0-1 --domain 0-2 --shape 1x2
refused "a bad --shape" 2 "--shape takes ADAPTERSxDOMAINS" am pool define p --adapter 0 --domain 0 --shape 3
refused "APQNs the host's default drivers hold are refused in the planner's words" 4 \
  "is kept for the host's default crypto drivers by apmask and aqmask" am pool define p --adapter 0-1 --domain 2-3
am mask --apmask -0,-1 --aqmask -1,-2,-3 >/dev/null
mdev_xml "$T/other.xml" $u9 1 1
am nodedev-define "$T/other.xml" >/dev/null
refused "an APQN in another mdev's definition" 4 "APQN 01.0001 is in the definition of mdev $u9" \
  am pool define p --adapter 0-1 --domain 1-2
refused "more members than fit" 4 "Pool p has room for 4 more members of 1x1, not 5" \
  am pool define p --adapter 0-1 --domain 2-3 --count 5
ctl inject ap_config 3 EIO >/dev/null
refused "an error at the third member's start: every member taken back, no pool left" 4 \
  "Pool p, member" am pool define p --adapter 0-1 --domain 2-3
ctl inject clear >/dev/null

# --- a pool of four
out=$(am pool define crypto --adapter 0-1 --domain 2-3 --control-domains); rc=$?
check "pool define: four 1x1 members, defined, autostarted and started" \
  "0 Pool crypto defined, size 4: members of 1x1 from adapters 0,1 and domains 2,3, each defined, autostarted and started" \
  "$rc $out"
set -- $(members crypto); m1=$1; m2=$2; m3=$3; m4=$4
check "the members, domain by domain across the adapters, with control domains that follow" \
  "00.0002 0002|01.0002 0002|00.0003 0003|01.0003 0003" \
  "$(for u in $m1 $m2 $m3 $m4; do printf '%s %s|' "$(cat "$SYS/devices/vfio_ap/matrix/$u/matrix")" "$(cat "$SYS/devices/vfio_ap/matrix/$u/control_domains")"; done | sed 's/|$//')"
if command -v mdevctl >/dev/null; then
  check "Debian's mdevctl lists them as defined, autostarted" "4" \
    "$("$APSIM" exec "$ROOT" -- mdevctl list --defined | grep -c 'matrix vfio_ap-passthrough auto')"
else
  ok "mdevctl lists them # SKIP mdevctl is not installed"
fi
refused "a second pool cannot have the first one's APQNs" 4 "APQN 00.0002 belongs to pool crypto" \
  am pool define crypto2 --adapter 0 --domain 2
refused "nor its name" 4 "Pool 'crypto' exists already" am pool define crypto --adapter 0 --domain 0
refused "nor a name that is the same for Nova" 4 "has the same name for Nova as pool 'crypto'" \
  am pool define CRYPTO --adapter 0 --domain 0
check "pool list" " crypto               4        4      1x1    0,1          2,3" "$(am pool list | sed -n 3p)"
check "pool list --json" "crypto 4 4 1x1" "$(am --json pool list | json "' '.join(str(p[k]) for p in d for k in ('name','size','free','shape'))")"

# --- a guest holds one
ctl guest-start vm1 >/dev/null
printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" $m2 > "$T/h2.xml"
am attach-device vm1 "$T/h2.xml" >/dev/null
check "pool show: the member vm1 holds, and three free" "held vm1 3" \
  "$(am --json pool show crypto | json "' '.join([m['state']+' '+m['guest'] for m in d['members'] if m['guest']] + [str(d['free'])])")"
check "pool show in words" " $m2 held       vm1       01.0002" "$(am pool show crypto | grep "$m2")"
refused "shrink refuses the member a guest holds" 4 "Pool crypto cannot give up member $m2: a guest uses it; detach it first" \
  am pool shrink crypto --member $m2
refused "undefine refuses while a guest holds a member" 4 "Pool crypto cannot be undefined: its member $m2 is used by a guest" \
  am pool undefine crypto
refused "shrink --count more than are free" 4 "Pool crypto has 3 members that no guest uses, not 4" \
  am pool shrink crypto --count 4
out=$(am pool shrink crypto --count 1); rc=$?
check "shrink --count 1 takes the last free member: stopped and undefined" "0 Pool crypto shrank: 1 stopped and undefined, size 3 no no" \
  "$rc $out $([ -e "$SYS/devices/vfio_ap/matrix/$m4" ] && echo yes || echo no) $([ -e "$ROOT/etc/mdevctl.d/matrix/$m4" ] && echo yes || echo no)"
out=$(am pool grow crypto); rc=$?
check "grow carves the free block again" "0 Pool crypto grew: 1 new, size 4 01.0003" \
  "$rc $out $(am --json pool show crypto | json "d['members'][3]['apqns'][0]")"
refused "grow with no room left" 4 "Pool crypto has no room for another member of 1x1" am pool grow crypto
refused "grow onto adapters the host does not have" 4 "not in the host's AP configuration" \
  am pool grow crypto --adapter 2 --count 1

# --- check: drift
set -- $(members crypto); m4=$4
am nodedev-destroy $m3 >/dev/null
out=$(am check 2>&1); rc=$?
check "check: a member that is not active" "8 yes" \
  "$rc $(echo "$out" | grep -q "pool-drift: Member $m3 (APQNs 00.0003) of pool crypto is defined but not active" && echo yes || echo "$out")"
am nodedev-start $m3 >/dev/null
am nodedev-destroy $m4 >/dev/null; am nodedev-undefine $m4 >/dev/null
out=$(am check 2>&1)
check "check: a member undefined outside the pool, with the fix" "yes yes" \
  "$(echo "$out" | grep -q "Member $m4 (APQNs 01.0003) of pool crypto has no definition" && echo yes) $(echo "$out" | grep -q "fix: apmatrix pool shrink crypto --member $m4, then apmatrix pool grow crypto to carve it again" && echo yes)"
am pool shrink crypto --member $m4 >/dev/null && am pool grow crypto >/dev/null
check "the fix works: check finds nothing of the pool" "" "$(am check 2>&1 | grep pool-drift)"

# --- a SIGKILL part way through a define
am mask --aqmask -0 >/dev/null
ctl latency 150000 >/dev/null
"$APMATRIX" --root "$ROOT" pool define late --adapter 0 --domain 0-1 >/dev/null 2>&1 &
pid=$!
# the kill lands once the first member is started (create and ap_config, 150 ms each), before the second is
for i in $(seq 400); do [ "$(ls "$SYS/devices/vfio_ap/matrix" | grep -c -- -)" -ge 5 ] && break; sleep 0.01; done
sleep 0.2
kill -9 $pid; wait $pid 2>/dev/null
ctl latency 0 >/dev/null
out=$(am check 2>&1)
check "killed part way: the pool record was written first, so check sees the member it did not finish" "yes" \
  "$(echo "$out" | grep -q "pool-drift: Member .* of pool late" && echo yes || echo "$out")"
for u in $(am check --json 2>/dev/null | json "' '.join(f['subject'] for f in d['findings'] if f['kind']=='pool-drift')"); do
  am pool shrink late --member $u >/dev/null
done
am pool grow late >/dev/null
check "and its fixes finish it: two members, nothing reported" "2 " \
  "$(am --json pool show late | json "d['free']") $(am check 2>&1 | grep pool-drift)"
am pool undefine late >/dev/null

# --- a reboot of the host: definitions and the pool file stay, mdevctl starts the autostart members
"$APSIM" stop "$ROOT" >/dev/null
"$APSIM" start "$ROOT" --topology tiny >/dev/null
am mask --apmask -0,-1 --aqmask -1,-2,-3 >/dev/null
check "after a reboot the pool is there, its members inactive until autostart" "4 0" \
  "$(am --json pool show crypto | json "str(d['size'])+' '+str(d['free'])")"
if command -v mdevctl >/dev/null; then
  "$APSIM" exec "$ROOT" -- mdevctl start-parent-mdevs matrix >/dev/null 2>&1
  check "mdevctl's autostart (start-parent-mdevs, as its udev rule runs it) brings every member back" "4" \
    "$(am --json pool show crypto | json "d['free']")"
else
  for u in $(members crypto); do am nodedev-start $u >/dev/null; done
  ok "mdevctl's autostart # SKIP mdevctl is not installed (started with nodedev-start)"
fi

# --- export nova
check "export nova to standard output and with --output are the same file" "same" \
  "$(am export nova > "$T/a.yaml"; am export nova --output "$T/b.yaml" >/dev/null; cmp -s "$T/a.yaml" "$T/b.yaml" && echo same)"
check "export nova --inventories adds one inventory a pool" "1 0" \
  "$(am export nova --inventories | grep -c '        - CUSTOM_APMATRIX_POOL_CRYPTO:') $(grep -c 'inventories' "$T/a.yaml")"

# --- undefine: everything gone
am pool undefine crypto >/dev/null
check "pool undefine: no member left, no definition of one, no record" "0 no no" \
  "$(ls "$SYS/devices/vfio_ap/matrix" | grep -c -- -) $(ls "$ROOT/etc/mdevctl.d/matrix" | grep -qv $u9 && echo yes || echo no) $([ -e "$ROOT/etc/apmatrix/pools/crypto.json" ] && echo yes || echo no)"
refused "export nova with no pool" 5 "No pool is defined on this host" am export nova
refused "show of a pool that does not exist" 5 "Pool 'crypto' not found" am pool show crypto
stop_sim
finish
