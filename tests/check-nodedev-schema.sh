#!/bin/sh
# check-nodedev-schema.sh SRCDIR: every node-device document in tests/data/nodedev and every domain document in
# tests/data/domain validates against libvirt's installed schemas (/usr/share/libvirt/schemas/nodedev.rng,
# domain.rng). Prints TAP.
set -u
rng=/usr/share/libvirt/schemas/nodedev.rng
if [ ! -f "$rng" ] || ! command -v xmllint >/dev/null; then
  echo "1..0 # SKIP $rng or xmllint is missing (packages libvirt0 and libxml2-utils)"
  exit 0
fi
n=0; fail=0
for kind in nodedev domain; do
  schema=/usr/share/libvirt/schemas/$kind.rng
  for f in "$1"/tests/data/$kind/*.xml; do
    n=$((n + 1))
    if out=$(xmllint --noout --relaxng "$schema" "$f" 2>&1); then echo "ok $n - $kind/$(basename "$f") validates against $kind.rng"
    else fail=1; echo "not ok $n - $kind/$(basename "$f")"; echo "$out" | sed 's/^/# /'; fi
  done
done
echo "1..$n"
exit $fail
