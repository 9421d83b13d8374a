#!/bin/sh
# check-nodedev-schema.sh SRCDIR: every node-device document in tests/data/nodedev validates against libvirt's
# installed schema (/usr/share/libvirt/schemas/nodedev.rng). Prints TAP.
set -u
rng=/usr/share/libvirt/schemas/nodedev.rng
if [ ! -f "$rng" ] || ! command -v xmllint >/dev/null; then
  echo "1..0 # SKIP $rng or xmllint is missing (packages libvirt0 and libxml2-utils)"
  exit 0
fi
n=0; fail=0
for f in "$1"/tests/data/nodedev/*.xml; do
  n=$((n + 1))
  if out=$(xmllint --noout --relaxng "$rng" "$f" 2>&1); then echo "ok $n - $(basename "$f") validates against nodedev.rng"
  else fail=1; echo "not ok $n - $(basename "$f")"; echo "$out" | sed 's/^/# /'; fi
done
echo "1..$n"
exit $fail
