#!/bin/sh
# Concurrency: WORKERS apmatrix processes x OPS random attach-device / detach-device / plug --live --config /
# unplug --live --config on 4 apsim guests. Only documented refusals may happen (exit 4 refused, exit 5 nothing to
# detach), no lock-order report from apsim or apmatrix, no deadlock (each worker runs under a watchdog), and the
# final state equals what the operations that succeeded imply: per guest, attaches minus detaches says whether it
# has its mdev; per domain, plugs minus unplugs says whether the definition (and the live mdev) has it.
set -u
. "$(dirname "$0")/tap.sh"

WORKERS=${APM_STRESS_WORKERS:-8}
OPS=${APM_STRESS_OPS:-200}
WATCHDOG=${APM_STRESS_WATCHDOG:-900}

am() { "$APMATRIX" --root "$ROOT" "$@"; }
uuid_of() { echo "b000000$1-0000-4000-8000-00000000000$1"; }

# four CEX8 adapters with 48 domains: each guest has its own adapter, base domain and four domains to plug
printf '[host]\nusage-domains=0-47\ncontrol-domains=0-47\n[cards]\nids=0,1,2,3\nhwtype=14\nmode=cca\n' > /tmp/apm-stress-$$.topo
start_sim /tmp/apm-stress-$$.topo
rm -f /tmp/apm-stress-$$.topo
T=$ROOT
echo -0-3 > "$SYS/bus/ap/apmask"
for i in 0 1 2 3; do
  u=$(uuid_of $i)
  base=$((10 + 10 * i))
  printf "<device><parent>ap_matrix</parent><capability type='mdev'><type id='vfio_ap-passthrough'/><uuid>%s</uuid><attr name='assign_adapter' value='%d'/><attr name='assign_domain' value='%d'/></capability></device>\n" \
    "$u" $i $base > "$T/m$i.xml"
  am nodedev-define "$T/m$i.xml" >/dev/null || echo "Bail out! cannot define $u"
  printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" "$u" > "$T/h$i.xml"
  "$APSIM" ctl "$ROOT" guest-start g$i >/dev/null || echo "Bail out! cannot start guest g$i"
done

worker() { # worker N: OPS random operations, one line per operation: RC OP GUEST DOMAIN
  w=$1
  seed=$((w * 7919 + 17))
  k=0
  while [ $k -lt "$OPS" ]; do
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    i=$(( (seed / 65536) % 4 ))
    op=$(( (seed / 16) % 4 ))
    d=$(( 11 + 10 * i + (seed / 256) % 4 ))
    t0=$(date +%s%N)
    case $op in
      0) am attach-device g$i "$T/h$i.xml" >/dev/null 2>>"$T/w$w.err"; rc=$?; name=attach ;;
      1) am detach-device g$i >/dev/null 2>>"$T/w$w.err"; rc=$?; name=detach ;;
      2) am plug g$i --domain $d --live --config >/dev/null 2>>"$T/w$w.err"; rc=$?; name=plug ;;
      3) am unplug g$i --domain $d --live --config >/dev/null 2>>"$T/w$w.err"; rc=$?; name=unplug ;;
    esac
    echo "$rc $name $i $d" >> "$T/w$w.log"
    echo "$t0 $(date +%s%N)" >> "$T/w$w.times"
    k=$((k + 1))
  done
}

start=$(date +%s)
w=0
pids=""
while [ $w -lt "$WORKERS" ]; do
  : > "$T/w$w.log"; : > "$T/w$w.err"
  ( worker $w ) &
  pids="$pids $!"
  w=$((w + 1))
done
# the watchdog: a deadlock shows up as workers still running after WATCHDOG seconds
(
  t=0
  while [ $t -lt "$WATCHDOG" ] && [ ! -f "$T/done" ]; do sleep 1; t=$((t + 1)); done
  if [ ! -f "$T/done" ]; then
    echo stuck > "$T/watchdog"
    for p in $pids; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  fi
) >/dev/null 2>&1 &
dog=$!
for p in $pids; do wait "$p"; done
touch "$T/done"
wait "$dog"
secs=$(( $(date +%s) - start ))
check "no deadlock: all $WORKERS workers finished within ${WATCHDOG} s (took ${secs} s)" "no" "$([ -f "$T/watchdog" ] && echo yes || echo no)"

cat "$T"/w*.log > "$T/all.log"
check "every operation ran ($((WORKERS * OPS)))" "$((WORKERS * OPS))" "$(wc -l < "$T/all.log")"
bad=$(awk '$1 != 0 && $1 != 4 && !($1 == 5 && $2 == "detach")' "$T/all.log" | sort | uniq -c | head -5)
check "only documented refusals (exit 4; exit 5 for a detach with nothing attached)" "" "$bad"
[ -n "$bad" ] && sort "$T"/w*.err | uniq -c | sort -rn | head -10 | sed 's/^/# /'
check "no lock-order report or sanitizer finding from apmatrix" "" \
  "$(cat "$T"/w*.err | grep -E 'lock-order|Sanitizer|runtime error' | head -3)"
check "every monitor answered: no running guest was ever taken for stopped or missing, no job lock timed out" "" \
  "$(cat "$T"/w*.err | grep -E 'is not running|No guest named|is busy' | sort | uniq -c | head -3)"
echo "# $(awk '$1 == 0' "$T/all.log" | wc -l) operations succeeded, $(awk '$1 == 4' "$T/all.log" | wc -l) refused, in ${secs} s"

# --- the final state against what the successful operations imply
for i in 0 1 2 3; do
  u=$(uuid_of $i)
  att=$(awk -v g=$i '$1 == 0 && $2 == "attach" && $3 == g' "$T/all.log" | wc -l)
  det=$(awk -v g=$i '$1 == 0 && $2 == "detach" && $3 == g' "$T/all.log" | wc -l)
  want=$((att - det))
  have=$(am list | awk -v g=g$i '$1 == g {print ($2 == "-") ? 0 : 1}')
  check "g$i: attaches ($att) minus detaches ($det) is whether it has its mdev" "$want" "$have"
  if [ "$have" = 0 ]; then
    check "g$i: an mdev started on demand is gone once detached" "no" "$([ -e "$SYS/devices/vfio_ap/matrix/$u" ] && echo yes || echo no)"
  fi
  defd=$(grep -o '"assign_domain": "[^"]*"' "$ROOT/etc/mdevctl.d/matrix/$u" | cut -d'"' -f4 | tr ',\n' '  ')
  live=""
  [ -e "$SYS/devices/vfio_ap/matrix/$u" ] && live=$(cut -d. -f2 "$SYS/devices/vfio_ap/matrix/$u/matrix" | sort -u | sed 's/^0*//' | tr '\n' ' ')
  for k in 0 1 2 3; do
    d=$((11 + 10 * i + k))
    p=$(awk -v g=$i -v d=$d '$1 == 0 && $2 == "plug" && $3 == g && $4 == d' "$T/all.log" | wc -l)
    q=$(awk -v g=$i -v d=$d '$1 == 0 && $2 == "unplug" && $3 == g && $4 == d' "$T/all.log" | wc -l)
    indef=0; case " $defd " in *" $d "*) indef=1 ;; esac
    check "g$i domain $d: plugs ($p) minus unplugs ($q) is whether the definition has it" "$((p - q))" "$indef"
    if [ "$have" = 1 ]; then
      inlive=0; case " $live " in *" $(printf %x $d) "*) inlive=1 ;; esac
      check "g$i domain $d: and whether the live mdev has it" "$((p - q))" "$inlive"
    fi
  done
done
# the most operations under way at once, from every worker's start and end times
most=$(cat "$T"/w*.times | awk '{ print $1, 1; print $2, -1 }' | sort -k1,1n -k2,2n |
       awk '{ c += $2; if (c > m) m = c } END { print m + 0 }')
check "operations of different workers overlapped (the test really ran in parallel; at most $most at once)" "yes" \
  "$([ "$most" -ge 2 ] && echo yes || echo no)"
if [ -n "${APM_STRESS_CROSS:-}" ]; then
  ok "apsim's locks saw contention # SKIP the programs run under qemu-user, some 6 times slower than the native apsim they call, whose locks are then seldom contended (the overlap above shows the parallelism)"
else
  check "apsim's locks saw contention (the simulated kernel was entered in parallel)" "yes" \
    "$("$APSIM" ctl "$ROOT" locks | grep -q '"contended" *: *[1-9]' && echo yes || echo no)"
fi

stop_sim
finish
