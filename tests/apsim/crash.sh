#!/bin/sh
# Crash safety: apmatrix killed with SIGKILL at random points of a loop of defines and updates. Every definition
# file left behind parses (for apmatrix and for Debian's mdevctl), none is half-written, and the lock a killed
# apmatrix left behind does not stop the next one.
set -u
. "$(dirname "$0")/tap.sh"
start_sim tiny
am() { "$APMATRIX" --root "$ROOT" --lock-timeout 20 "$@"; }
# in the background, apmatrix itself must be the process killed: exec, so that $! is apmatrix and not a subshell that
# would run it as its child (killing that subshell leaves apmatrix running on, unkilled)
am_exec() { exec "$APMATRIX" --root "$ROOT" --lock-timeout 20 "$@"; }
store=$ROOT/etc/mdevctl.d/matrix
xml() { # xml FILE UUID DOMAINS: a big attribute value, so a torn write would show
  {
    printf "<device>\n  <parent>ap_matrix</parent>\n  <capability type='mdev'>\n    <type id='vfio_ap-passthrough'/>\n"
    printf "    <uuid>%s</uuid>\n    <attr name='assign_adapter' value='0'/>\n    <attr name='assign_adapter' value='1'/>\n" "$2"
    for d in $(echo "$3" | tr ',' ' '); do printf "    <attr name='assign_domain' value='%s'/>\n" "$d"; done
    printf "  </capability>\n</device>\n"
  } > "$1"
}
uuids="0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b 1b1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b 2c1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b"
i=0
for u in $uuids; do
  i=$((i + 1))
  xml "$ROOT/$u.a.xml" "$u" "$(seq -s, $i 3)"
  xml "$ROOT/$u.b.xml" "$u" "$(seq -s, 0 $((i - 1)))"
done
# how long one command takes here (a sanitizer build, or qemu-user, is many times slower than a plain one): the
# kills land from at once to half as long again after that, so that most are killed part way and some complete
t0=$(date +%s%N); am nodedev-define "$ROOT/0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b.a.xml" >/dev/null 2>&1
span=$(( ($(date +%s%N) - t0) / 1000 * 3 / 2 ))
[ $span -ge 1000 ] || span=1000
[ $span -lt 1000000 ] || span=999999
echo "# one command takes about $((span * 2 / 3 / 1000)) ms: kills from 0 to $((span / 1000)) ms after the start"
rounds=${APM_CRASH_ROUNDS:-150}; killed=0; completed=0
r=0
while [ $r -lt $rounds ]; do
  r=$((r + 1))
  rnd=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
  set -- $uuids; shift $((rnd % 3)); u=$1
  case $((rnd / 3 % 4)) in
    0) am_exec nodedev-define "$ROOT/$u.a.xml" ;;
    1) am_exec nodedev-define "$ROOT/$u.b.xml" ;;
    2) am_exec nodedev-update "$u" "$ROOT/$u.a.xml" --config ;;
    3) am_exec nodedev-autostart "$u" ;;
  esac >/dev/null 2>&1 &
  pid=$!
  # a random point: from at once to after the command would be done
  usleep=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % span ))
  sleep "0.$(printf '%06d' $usleep)"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null; st=$?
  # 137: apmatrix died of the SIGKILL (128 + 9); anything else, it had ended by itself
  if [ $st -eq 137 ]; then killed=$((killed + 1)); else completed=$((completed + 1)); fi
done
echo "# $rounds rounds: $killed killed by SIGKILL, $completed ran to the end"
check "some runs were killed part way and some completed" "yes" \
  "$([ $killed -gt 0 ] && [ $completed -gt 0 ] && echo yes || echo no)"
check "no apmatrix of the loop is left running" "" "$(pgrep -f -- "--root $ROOT --lock-timeout 20" || true)"

bad=""; files=0
for f in "$store"/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  files=$((files + 1))
  case "$name" in
    ????????-????-????-????-????????????) ;;
    *) bad="$bad $name(not-a-uuid)"; continue ;;
  esac
  am nodedev-dumpxml "$name" --inactive > /dev/null 2>&1 || bad="$bad $name"
  grep -q "assign_domain" "$f" && tail -c 2 "$f" | grep -q '}' || bad="$bad $name(torn)"
done
check "every definition left behind parses and is whole" "" "$bad"
check "definitions were written" "yes" "$([ $files -gt 0 ] && echo yes || echo no)"
leftover=$(ls -A "$store" | grep -c '\.tmp$')
echo "# $leftover temporary files of killed writers left (hidden, not UUIDs: mdevctl and apmatrix ignore them)"
if command -v mdevctl >/dev/null; then
  out=$("$APSIM" exec "$ROOT" -- mdevctl list --defined --dumpjson 2>&1); rc=$?
  check "Debian's mdevctl reads every definition" "0 $files" "$rc $(echo "$out" | grep -c '"mdev_type"')"
else
  ok "mdevctl reads every definition # SKIP mdevctl is not installed"
fi
check "after all the killing, the next apmatrix takes the lock and works" "0" \
  "$(am nodedev-define "$ROOT/0a1c4f0e-2b3d-4e6f-8a9b-0c1d2e3f4a5b.a.xml" >/dev/null 2>&1; echo $?)"
stop_sim

# ---- an on-demand start killed between its writes: seen, taken back, and done right by the next command ------------
# a kernel without ap_config: create, then one write an ID, 200 ms each, so that the kill lands between two of them
printf '[host]\nap-config=false\nusage-domains=0-3\ncontrol-domains=0-3\napmask=none\n[card 00]\nhwtype=14\n[card 01]\nhwtype=14\n' > "/tmp/apm-crash-$$.topo"
start_sim "/tmp/apm-crash-$$.topo"
rm -f "/tmp/apm-crash-$$.topo"
am() { "$APMATRIX" --root "$ROOT" --lock-timeout 20 "$@"; }
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
u=d0000000-0000-4000-8000-000000000001
mdev_xml "$ROOT/od.xml" $u 0,1 2,3
am nodedev-define "$ROOT/od.xml" >/dev/null
printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" $u > "$ROOT/od-hostdev.xml"
ctl guest-start vm1 >/dev/null
ctl latency 200000 >/dev/null
"$APMATRIX" --root "$ROOT" attach-device vm1 "$ROOT/od-hostdev.xml" >/dev/null 2>&1 &
pid=$!
# the kill lands once the adapters are in and before the domains are: a matrix of adapters alone
for i in $(seq 400); do grep -qx '01\.' "$SYS/devices/vfio_ap/matrix/$u/matrix" 2>/dev/null && break; sleep 0.005; done
kill -9 $pid; wait $pid 2>/dev/null
ctl latency 0 >/dev/null
sleep 0.3
# (the write in flight when the kill came may still be done: the kernel finishes a write it has begun)
check "a SIGKILL between the writes of an on-demand start leaves a half-built mdev (both adapters, not domain 3)" \
  "yes 0" "$(grep -qx '01\.\(0002\)\{0,1\}' "$SYS/devices/vfio_ap/matrix/$u/matrix" && echo yes) $(grep -c '0003' "$SYS/devices/vfio_ap/matrix/$u/matrix")"
check "and its record says the start was under way, written before the first write" "vm1 starting" \
  "$(tr '\n' ' ' < "$ROOT/run/apmatrix/on-demand/$u" | sed 's/ $//')"
out=$(am check 2>&1)
check "apmatrix check reports the start cut short, with its fix" "yes" \
  "$(echo "$out" | grep -q "mdev $u was being started on demand for guest vm1 when its apmatrix was killed" && echo yes || echo "$out")"
out=$(am attach-device vm1 "$ROOT/od-hostdev.xml" 2>&1); rc=$?
check "the next attach-device takes the half-built mdev back first, says so, and starts it whole" "0 yes" \
  "$rc $(echo "$out" | grep -q "mdev $u, which a killed apmatrix had left half started for guest vm1, was taken back" && echo yes || echo "$out")"
check "the guest has every queue of the definition" "adapters=0,1 domains=2,3 control_domains=" \
  "$(ctl guest-apcb vm1 | head -3 | tr '\n' ' ' | sed 's/ $//')"
check "and the record says started, for the detach to stop it" "vm1" "$(cat "$ROOT/run/apmatrix/on-demand/$u")"
am detach-device vm1 >/dev/null
check "detach stops it again" "no" "$([ -e "$SYS/devices/vfio_ap/matrix/$u" ] && echo yes || echo no)"

# the same for the libvirt hook, repaired by a command of another kind (here nodedev-list does not repair: it takes no
# lock; nodedev-start of another mdev does)
dom() { printf "<domain type='kvm'><name>%s</name><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev></devices></domain>\n" "$1" "$2"; }
HOOK=$(dirname "$APMATRIX")/apmatrix-hook
ctl latency 200000 >/dev/null
dom vm7 $u > "$ROOT/vm7.xml"
APMATRIX_ROOT=$ROOT "$HOOK" vm7 prepare begin - < "$ROOT/vm7.xml" >/dev/null 2>&1 &
pid=$!
for i in $(seq 400); do grep -qx '01\.' "$SYS/devices/vfio_ap/matrix/$u/matrix" 2>/dev/null && break; sleep 0.005; done
kill -9 $pid; wait $pid 2>/dev/null
ctl latency 0 >/dev/null
sleep 0.3
check "a hook killed half way through its start leaves the same" "vm7 starting" \
  "$(tr '\n' ' ' < "$ROOT/run/apmatrix/on-demand/$u" | sed 's/ $//')"
u2=d0000000-0000-4000-8000-000000000002
mdev_xml "$ROOT/other.xml" $u2 0 0
out=$(am nodedev-create "$ROOT/other.xml" 2>&1); rc=$?
check "any change under the host config lock repairs it first (nodedev-create of another mdev)" "0 no no" \
  "$rc $([ -e "$SYS/devices/vfio_ap/matrix/$u" ] && echo yes || echo no) $([ -e "$ROOT/run/apmatrix/on-demand/$u" ] && echo yes || echo no)"
check "saying so" "yes" "$(echo "$out" | grep -q "warning: mdev $u, which a killed apmatrix had left half started for guest vm7, was taken back" && echo yes || echo "$out")"
check "a new prepare of the guest then starts it whole" "0 00.0002 00.0003 01.0002 01.0003" \
  "$(dom vm7 $u | APMATRIX_ROOT=$ROOT "$HOOK" vm7 prepare begin - >/dev/null 2>&1; echo $?) $(tr '\n' ' ' < "$SYS/devices/vfio_ap/matrix/$u/matrix" | sed 's/ $//')"
dom vm7 $u | APMATRIX_ROOT=$ROOT "$HOOK" vm7 release end - >/dev/null 2>&1
stop_sim
finish
