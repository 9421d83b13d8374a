#!/bin/sh
# Crash safety: apmatrix killed with SIGKILL at random points of a loop of defines and updates. Every definition
# file left behind parses (for apmatrix and for Debian's mdevctl), none is half-written, and the lock a killed
# apmatrix left behind does not stop the next one.
set -u
. "$(dirname "$0")/tap.sh"
start_sim tiny
am() { "$APMATRIX" --root "$ROOT" --lock-timeout 20 "$@"; }
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
rounds=150; killed=0; completed=0
r=0
while [ $r -lt $rounds ]; do
  r=$((r + 1))
  rnd=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
  set -- $uuids; shift $((rnd % 3)); u=$1
  case $((rnd / 3 % 4)) in
    0) am nodedev-define "$ROOT/$u.a.xml" ;;
    1) am nodedev-define "$ROOT/$u.b.xml" ;;
    2) am nodedev-update "$u" "$ROOT/$u.a.xml" --config ;;
    3) am nodedev-autostart "$u" ;;
  esac >/dev/null 2>&1 &
  pid=$!
  # a random point: from at once to after the command would be done (up to about 25 ms)
  usleep=$((rnd % 25000))
  sleep "0.$(printf '%06d' $usleep)"
  if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
  wait $pid 2>/dev/null && completed=$((completed + 1))
done
echo "# $rounds rounds: $killed killed by SIGKILL, $completed ran to the end"
check "some runs were killed part way and some completed" "yes" \
  "$([ $killed -gt 0 ] && [ $((rounds - killed)) -ge 0 ] && echo yes || echo no)"

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
finish
