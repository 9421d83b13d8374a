#!/bin/sh
# Conformance: the uevents apsim sends, as spec/kernel-ap.md §1.1 has the kernel send them, each read from the stream
# of apsim ctl ROOT events: CONFIG= after a card's config write (and for its queues when it changed), ONLINE= after
# zcrypt's online writes, DEV_TYPE/MODALIAS/MODE on every event of a card and MODE on every event of a queue,
# BINDINGS=complete once per incomplete -> complete transition with COMPLETECOUNT one higher each time, and no device
# type on the AP root device. Then the real peer: udevadm monitor under apsim exec prints the card's CONFIG=0.
set -u
. "$(dirname "$0")/tap.sh"
start_sim tiny
ctl() { "$APSIM" ctl "$ROOT" "$@"; }
EV=$ROOT/events.txt
"$APSIM" ctl "$ROOT" events > "$EV" 2>&1 &
reader=$!
# the reader is subscribed once an event reaches it
for i in $(seq 100); do echo 1 > "$SYS/devices/ap/card00/config"; sleep 0.05; [ -s "$EV" ] && break; done
settle() { # until the stream has been quiet for 0.2 s
  last=-1
  while :; do now=$(wc -l < "$EV"); [ "$now" = "$last" ] && break; last=$now; sleep 0.2; done
}
# during CMD...: the events it caused (without sequence numbers), a line each
during() {
  settle; before=$(wc -l < "$EV")
  "$@" >/dev/null 2>&1
  settle
  tail -n +$((before + 1)) "$EV" | cut -d' ' -f1,3-
}
card1="DEVPATH=/devices/ap/card01 SUBSYSTEM=ap DEVTYPE=ap_card"
ids1="DEV_TYPE=000E MODALIAS=ap:t0E MODE=ep11"
q() { echo "DEVPATH=/devices/ap/card0$1/0$1.000$2 SUBSYSTEM=ap DEVTYPE=ap_queue"; }

out=$(during sh -c "echo 0 > '$SYS/devices/ap/card01/config'")
check "config 0: a change event with CONFIG=0 for the card, with DEV_TYPE, MODALIAS and MODE" \
  "change $card1 CONFIG=0 $ids1" "$(echo "$out" | head -1)"
check "and one for each of its queues, with MODE only" \
  "change $(q 1 0) CONFIG=0 MODE=ep11|change $(q 1 1) CONFIG=0 MODE=ep11|change $(q 1 2) CONFIG=0 MODE=ep11|change $(q 1 3) CONFIG=0 MODE=ep11" \
  "$(echo "$out" | tail -n +2 | tr '\n' '|' | sed 's/|$//')"
out=$(during sh -c "echo 1 > '$SYS/devices/ap/card01/config'")
check "config 1: CONFIG=1 for the card and its four queues" "change $card1 CONFIG=1 $ids1 4" \
  "$(echo "$out" | head -1) $(echo "$out" | grep -c 'DEVTYPE=ap_queue CONFIG=1 MODE=ep11')"
out=$(during sh -c "echo 1 > '$SYS/devices/ap/card01/config'")
check "config 1 again: the card's event after every write that succeeds; no queue changed" "change $card1 CONFIG=1 $ids1" "$out"
out=$(during sh -c "echo 2 > '$SYS/devices/ap/card01/config'")
check "a refused config write (2): no event" "" "$out"

out=$(during sh -c "echo 0 > '$SYS/devices/ap/card00/online'")
check "card online 0 (zcrypt): ONLINE=0 for the card and each of its queues" \
  "change DEVPATH=/devices/ap/card00 SUBSYSTEM=ap DEVTYPE=ap_card ONLINE=0 DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca 4" \
  "$(echo "$out" | head -1) $(echo "$out" | grep -c 'DEVTYPE=ap_queue ONLINE=0 MODE=cca')"
out=$(during sh -c "echo 0 > '$SYS/devices/ap/card00/online'")
check "online 0 again: the card's event, none for queues whose state did not change" "1 0" \
  "$(echo "$out" | grep -c 'ap_card ONLINE=0') $(echo "$out" | grep -c ap_queue)"
during sh -c "echo 1 > '$SYS/devices/ap/card00/online'" >/dev/null
out=$(during sh -c "echo 0 > '$SYS/devices/ap/card00/00.0002/online'")
check "a queue's online 0: ONLINE=0 for that queue" "change $(q 0 2) ONLINE=0 MODE=cca" "$out"
during sh -c "echo 1 > '$SYS/devices/ap/card00/00.0002/online'" >/dev/null

count() { cat "$SYS/bus/ap/bindings_complete_count"; }
c0=$(count)
out=$(during ctl config-adapter 1 off)
check "a scan that only removed devices (adapter 1 left the configuration): remove events, no BINDINGS=complete" "5 0" \
  "$(echo "$out" | grep -c '^remove ') $(echo "$out" | grep -c BINDINGS)"
check "a removed card's event carries DEV_TYPE, MODALIAS and MODE too" "remove $card1 $ids1" "$(echo "$out" | grep "^remove $card1")"
out=$(during ctl config-adapter 1 on)
check "a card added by a scan: an add event with DEV_TYPE=000E, MODALIAS=ap:t0E and MODE" "add $card1 $ids1" \
  "$(echo "$out" | grep "^add $card1")"
check "its queues' add events carry MODE only" "add $(q 1 0) MODE=ep11" "$(echo "$out" | grep "^add $(q 1 0)")"
check "the scan that bound them: BINDINGS=complete once, COMPLETECOUNT one higher, as bindings_complete_count" \
  "1 change DEVPATH=/devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=$((c0 + 1)) $((c0 + 1))" \
  "$(echo "$out" | grep -c BINDINGS) $(echo "$out" | grep BINDINGS) $(count)"
out=$(during sh -c "echo 1 > '$SYS/bus/ap/scans'")
check "a rescan that changed nothing: no event, the count as it was" "0 $((c0 + 1))" "$(echo "$out" | grep -c .) $(count)"
out=$(during sh -c "echo -0 > '$SYS/bus/ap/apmask'")
check "a mask change that rebinds: one BINDINGS=complete with the next count" "1 COMPLETECOUNT=$((c0 + 2))" \
  "$(echo "$out" | grep -c BINDINGS) $(echo "$out" | grep -o 'COMPLETECOUNT=[0-9]*')"
check "the AP root device's events carry no device type" "0 2" \
  "$(echo "$out" | grep 'DEVPATH=/devices/ap ' | grep -c DEVTYPE) $(echo "$out" | grep -c 'DEVPATH=/devices/ap ')"

check "a queue's uevent file: DEVTYPE, DRIVER and MODE, as the kernel gives a queue" "DEVTYPE=ap_queue|DRIVER=vfio_ap|MODE=cca" \
  "$(tr '\n' '|' < "$SYS/devices/ap/card00/00.0001/uevent" | sed 's/|$//')"
check "a card's: DEV_TYPE, MODALIAS and MODE besides" "DEVTYPE=ap_card|DRIVER=cex4card|DEV_TYPE=000E|MODALIAS=ap:t0E|MODE=cca" \
  "$(tr '\n' '|' < "$SYS/devices/ap/card00/uevent" | sed 's/|$//')"
kill $reader 2>/dev/null; wait $reader 2>/dev/null

# ---- the real peer: udevadm monitor under apsim exec
if command -v udevadm >/dev/null; then
  "$APSIM" exec "$ROOT" -- sh -c 'udevadm monitor --environment --udev --subsystem-match=ap > "$1" 2>&1 & p=$!
    for i in $(seq 50); do grep -q "^UDEV - " "$1" 2>/dev/null && break; sleep 0.1; done; sleep 0.3
    echo 0 > /sys/devices/ap/card01/config; sleep 1; kill $p' _ "$ROOT/monitor.txt" >/dev/null 2>&1
  out=$(awk '/^UDEV .*change +\/devices\/ap\/card01 \(ap\)/ {on = 1; next} on && /^$/ {exit} on' "$ROOT/monitor.txt" | tr '\n' ' ')
  check "udevadm monitor --environment --udev prints the card's change with CONFIG=0" "yes yes yes" \
    "$(echo "$out" | grep -q 'ACTION=change' && echo yes) $(echo "$out" | grep -q 'CONFIG=0' && echo yes) $(echo "$out" | grep -q 'MODALIAS=ap:t0E' && echo yes)"
else
  ok "udevadm monitor prints CONFIG=0 # SKIP udevadm is not installed"
fi
stop_sim
finish
