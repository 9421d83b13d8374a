#!/bin/sh
# OpenStack Nova on apmatrix pools, with Nova as Debian ships it (python3-nova 26.2, python3-libvirt): a pool on an
# apsim host, one member held by a guest; Nova's own libvirt driver reads the node devices apmatrix prints (through
# libvirt's test:///FILE driver), unpatched (the crash on ap_matrix and the vfio-pci hazards, documented) and with
# contrib/nova's patches applied to a copy (inventory, allocation, vfio-ap hostdev, hard reboot, rescue, start-up).
# The guest XML patched Nova writes must validate against libvirt's domain.rng and pass apmatrix-hook; the provider
# configuration apmatrix export nova writes must pass Nova's own parser.
set -u
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3 # Debian's, with Debian's python3-nova and python3-libvirt
if ! $PY -c 'import nova.virt.libvirt.driver, libvirt' 2>/dev/null; then
  ok "Nova's libvirt driver # SKIP Debian's python3-nova and python3-libvirt are not installed (./run test installs them)"
  finish; exit
fi
DRIVER=$APMATRIX_SOURCE_DIR/tests/nova/nova-driver.py
PATCHES=$APMATRIX_SOURCE_DIR/contrib/nova
rng=$(pkg-config --variable=datarootdir libvirt 2>/dev/null)/libvirt/schemas/domain.rng
am() { "$APMATRIX" --root "$ROOT" "$@"; }
# run_driver MODE: Nova's checks, each counted here
run_driver() {
  out=$(PYTHONPATH=${2:-} $PY "$DRIVER" "$1" "$T/node.xml" "$T/info.json" "$T" 2>"$T/driver-$1.err"); rc=$?
  echo "$out" | while IFS='|' read -r kind name why; do
    case $kind in
      ok) echo "ok $name" ;; notok) echo "notok $name|$why" ;; skip) echo "skip $name|$why" ;;
    esac
  done > "$T/driver-$1.lines"
  while IFS= read -r line; do
    case $line in
      "ok "*) ok "${line#ok }" ;;
      "notok "*) l=${line#notok }; notok "${l%%|*}" "${l#*|}" ;;
      "skip "*) l=${line#skip }; ok "${l%%|*} # SKIP ${l#*|}" ;;
    esac
  done < "$T/driver-$1.lines"
  check "Nova's driver ($1) ran to the end" "0" "$rc"
  [ $rc = 0 ] || sed 's/^/# /' "$T/driver-$1.err" | tail -20
}

start_sim tiny
T=$ROOT
# adapters 0 and 1, domains 2 and 3 go to vfio_ap (the host keeps the rest), then a pool of 1x1 members
am mask --apmask -0,-1 --aqmask -2,-3 >/dev/null
out=$(am pool define crypto --adapter 0-1 --domain 2-3 --control-domains 2>&1); rc=$?
check "a pool of four 1x1 members is defined, each started" "0 4" "$rc $(am nodedev-list --cap mdev | wc -l)"
am --json pool show crypto > "$T/show.json"
held=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['members'][1]['uuid'])" "$T/show.json")
printf "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='%s'/></source></hostdev>\n" \
  "$held" > "$T/held.xml"
"$APSIM" ctl "$ROOT" guest-start vm1 >/dev/null
am attach-device vm1 "$T/held.xml" >/dev/null
am --json pool show crypto > "$T/show.json"
instance=6b1c0c5e-1111-4222-8333-444455556666
$PY - "$T/show.json" "$held" "$instance" > "$T/info.json" <<'PYEOF'
import json, sys
show = json.load(open(sys.argv[1]))
json.dump({"pool": show["name"], "size": show["size"], "held": sys.argv[2], "instance": sys.argv[3],
           "free": [m["uuid"] for m in show["members"] if m["state"] == "free"],
           "rc": "CUSTOM_APMATRIX_POOL_CRYPTO"}, sys.stdout)
PYEOF
check "apmatrix pool show: three free, the fourth held by vm1" "3 held vm1" \
  "$($PY -c "import json,sys; s=json.load(open(sys.argv[1])); m=[x for x in s['members'] if x['uuid']==sys.argv[2]][0]; print(s['free'], m['state'], m['guest'])" "$T/show.json" "$held")"

# libvirt's test driver, fed with every node device apmatrix prints and the Nova instance that holds the member
{
  echo "<node>"
  am nodedev-dumpxml --all | grep -v '^<?xml'
  cat <<XML
<domain type='test'>
  <name>instance-00000001</name>
  <uuid>$instance</uuid>
  <memory>524288</memory>
  <os><type>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$held'/></source></hostdev>
  </devices>
</domain>
XML
  echo "</node>"
} > "$T/node.xml"

# ---- the provider configuration
am export nova --inventories --output "$T/provider.yaml" >/dev/null
out=$($PY -c "
import sys
from nova.compute import provider_config
cfg = provider_config.get_provider_configs(sys.argv[1])['\$COMPUTE_NODE']
print(' '.join(sorted(cfg['traits']['additional'])), [(k, v['total'], v['max_unit']) for i in cfg['inventories']['additional'] for k, v in i.items()])
" "$T" 2>&1)
check "apmatrix export nova: Nova's own provider-config parser takes it (traits of the pool's cards, one inventory a pool)" \
  "CUSTOM_APMATRIX_CEX8_CCA CUSTOM_APMATRIX_CEX8_EP11 CUSTOM_APMATRIX_POOL_CRYPTO [('CUSTOM_APMATRIX_POOL_CRYPTO', 4, 1)]" "$out"
sed 's/CUSTOM_APMATRIX_CEX8_CCA/HW_CPU_X86_AVX/' "$T/provider.yaml" > "$T/bad.yaml"; mkdir -p "$T/bad"; mv "$T/bad.yaml" "$T/bad/"
check "and refuses the same file with a trait that is not CUSTOM_ (the parser is strict, so the check above means something)" \
  "refused" "$($PY -c "import sys; from nova.compute import provider_config; provider_config.get_provider_configs(sys.argv[1])" "$T/bad" >/dev/null 2>&1 && echo taken || echo refused)"

# ---- Nova as Debian ships it
run_driver unpatched

# ---- Nova with the patch series, applied to a copy of the installed package
mkdir -p "$T/nova-patched"
cp -r /usr/lib/python3/dist-packages/nova "$T/nova-patched/"
bad=""
for p in "$PATCHES"/*.patch; do
  (cd "$T/nova-patched" && patch -p1 --quiet --forward < "$p" >/dev/null 2>&1) || bad="$bad $(basename "$p")"
done
check "every patch of contrib/nova applies to Debian's Nova 26.2, in order" "" "$bad"
check "the patched files compile" "0" \
  "$($PY -m py_compile "$T/nova-patched/nova/virt/libvirt/config.py" "$T/nova-patched/nova/virt/libvirt/driver.py" >/dev/null 2>&1; echo $?)"
run_driver patched "$T/nova-patched"

# ---- the guest XML patched Nova wrote, through libvirt's schema and apmatrix-hook
chosen=$(cat "$T/chosen" 2>/dev/null)
if [ -f "$rng" ] && command -v xmllint >/dev/null; then
  check "the guest XML validates against libvirt's domain.rng" "0" \
    "$(xmllint --noout --relaxng "$rng" "$T/guest.xml" >/dev/null 2>&1; echo $?)"
else
  ok "the guest XML validates against domain.rng # SKIP libvirt's domain.rng or xmllint is not installed"
fi
out=$(APMATRIX_ROOT=$ROOT "$APMATRIX_HOOK" instance-00000001 prepare begin - < "$T/guest.xml" 2>&1); rc=$?
check "apmatrix-hook accepts it at prepare for the free member Nova chose" "0" "$rc"
sed "s/$chosen/$held/; s/instance-00000001/instance-00000002/" "$T/guest.xml" > "$T/guest-held.xml"
out=$(APMATRIX_ROOT=$ROOT "$APMATRIX_HOOK" instance-00000002 prepare begin - < "$T/guest-held.xml" 2>&1); rc=$?
check "and refuses the same XML with the member vm1 holds (the hook does check)" "1 yes" \
  "$rc $(echo "$out" | grep -q "mdev $held is in use" && echo yes || echo "$out")"
stop_sim
finish
