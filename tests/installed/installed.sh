#!/bin/sh
# installed.sh DEBDIR: the Debian packages apmatrix and apsim of DEBDIR, installed on this machine with apt-get
# and tested where mdevctl, libvirt and an administrator meet them: only installed files are used (no build-tree
# path, no link placed by the test), then both packages are purged and nothing of theirs may be left. TAP.
# Run as root on a machine that does not have the packages already (./run test does, after the build-tree tests).
set -u
tests=$(cd "$(dirname "$0")/.." && pwd)
. "$tests/apsim/tap.sh"
debs=$(cd "${1:?usage: installed.sh DEBDIR}" && pwd)
# what a user's shell has: none of the build tree's settings
export APMATRIX_SOURCE_DIR="${tests%/tests}"
unset APSIM_TOPOLOGY_DIR APSIM_PRELOAD APMATRIX_LOCALEDIR APMATRIX APMATRIX_CALLOUT APMATRIX_HOOK APSIM_QEMU \
  APMATRIX_BUILD_DIR APSIM LD_PRELOAD LANGUAGE
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP only root installs packages"; exit 0
fi
for p in apmatrix apsim; do
  if dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "ok installed"; then
    echo "1..0 # SKIP $p is installed on this machine already: this test installs and purges the packages, so it"
    echo "# leaves a machine that has them alone"
    exit 0
  fi
done
set -- "$debs"/apmatrix_*.deb "$debs"/apsim_*.deb
[ -f "$1" ] && [ -f "$2" ] || { echo "Bail out! no apmatrix_*.deb and apsim_*.deb in $debs"; exit 1; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

purged=no
purge() {
  [ $purged = yes ] && return 0
  purged=yes
  apt-get purge -y -q apmatrix apsim > "$T/purge.log" 2>&1
}
T=$(mktemp -d /tmp/apmatrix-installed.XXXXXX)
cleanup() { stop_sim; purge; rm -rf "$T"; }
trap cleanup EXIT
# every file and link of both packages, for the check after the purge
for deb in "$@"; do dpkg-deb -c "$deb"; done | awk '$1 !~ /^d/ { print substr($6, 2) }' | sort > "$T/files"

# ---- lintian: no error; its warnings are listed --------------------------------------------------------------
if command -v lintian >/dev/null; then
  lintian --allow-root "$debs"/*.changes > "$T/lintian.txt" 2>&1
  check "lintian reports no error on the packages" "" "$(grep '^E: ' "$T/lintian.txt")"
  grep -E '^(W|I): ' "$T/lintian.txt" | sed 's/^/# lintian: /'
else
  n=$((n + 1)); echo "ok $n - lintian reports no error on the packages # SKIP lintian is not installed"
fi

# ---- install ----------------------------------------------------------------------------------------------------
apt-get install -y -q --no-install-recommends "$@" > "$T/install.log" 2>&1
rc=$?
check "apt-get install ./apmatrix_*.deb ./apsim_*.deb" "0 install ok installed install ok installed" \
  "$rc $(dpkg-query -W -f='${Status} ' apmatrix apsim | sed 's/ $//')"
[ $rc = 0 ] || { sed 's/^/# /' "$T/install.log"; echo "Bail out! the packages did not install"; exit 1; }

# ---- what an administrator runs first -------------------------------------------------------------------------
version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$APMATRIX_SOURCE_DIR/debian/changelog")
check "apmatrix --version from /usr/bin" "apmatrix $version" "$(apmatrix --version 2>&1 | head -1)"
check "apsim topologies lists the installed topologies" "max noapxa tiny z16" \
  "$(apsim topologies 2>&1 | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')"
where=""
for f in $(dpkg -L apmatrix apsim); do
  [ -f "$f" ] && [ ! -L "$f" ] && grep -q -F -e "$APMATRIX_SOURCE_DIR" "$f" && where="$where $f"
done
check "no installed file names the build tree ($APMATRIX_SOURCE_DIR)" "" "$where"
pages=""
for page in 1:apmatrix 8:apmatrix-callout 8:apmatrix-hook 1:apsim 1:apsim-qemu; do
  pages="$pages $(man -w "${page%%:*}" "${page#*:}" 2>&1)"
done
check "the installed man pages open (man -w)" " /usr/share/man/man1/apmatrix.1.gz /usr/share/man/man8/apmatrix-callout.8.gz\
 /usr/share/man/man8/apmatrix-hook.8.gz /usr/share/man/man1/apsim.1.gz /usr/share/man/man1/apsim-qemu.1.gz" "$pages"
if [ -d /usr/lib/python3/dist-packages/nova ]; then
  applies=""
  for p in /usr/share/doc/apmatrix/nova/*.patch; do
    [ -f "$p" ] && (cd /usr/lib/python3/dist-packages && patch -p1 --dry-run --quiet < "$p" >/dev/null 2>&1) \
      && applies="$applies $(basename "$p" | cut -c1-4)"
  done
  # each dry run is of one patch alone on the package as installed: 0006 builds on 0003, so it alone does not apply
  check "the Nova patches are installed uncompressed in /usr/share/doc/apmatrix/nova and apply to the installed Nova" \
    "6 0001 0002 0003 0004 0005" "$(ls /usr/share/doc/apmatrix/nova/*.patch | wc -l)$applies"
else
  ok "the Nova patches are installed # SKIP python3-nova is not installed"
fi
check "bash completes apmatrix through the installed completion" "complete -F _apmatrix apmatrix" \
  "$(bash -c '. /usr/share/bash-completion/completions/apmatrix && complete -p apmatrix' 2>&1)"
check "the callout is linked into mdevctl 1.2's and 1.3's folders, the hook into libvirt's" \
  "/usr/libexec/apmatrix/apmatrix-callout /usr/libexec/apmatrix/apmatrix-callout /usr/libexec/apmatrix/apmatrix-hook" \
  "$(readlink -f /etc/mdevctl.d/scripts.d/callouts/10-apmatrix /usr/lib/mdevctl/scripts.d/callouts/10-apmatrix \
     /etc/libvirt/hooks/qemu.d/apmatrix | tr '\n' ' ' | sed 's/ $//')"

# German, where the machine has (or can make) the locale: compiled into a private folder when it is not installed
de=""
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then de=installed
elif command -v localedef >/dev/null && localedef -i de_DE -f UTF-8 "$T/de_DE.UTF-8" >/dev/null 2>&1; then de=$T
fi
if [ -n "$de" ]; then
  out=$( [ "$de" = installed ] || export LOCPATH="$T"; LC_ALL= LANG=de_DE.UTF-8 apmatrix nodedev-dumpxml nosuch 2>&1)
  check "German messages with LANG=de_DE.UTF-8 (installed translations)" "apmatrix: Node-Device 'nosuch' nicht gefunden" \
    "$out"
else
  n=$((n + 1)); echo "ok $n - German messages with LANG=de_DE.UTF-8 # SKIP no de_DE.UTF-8 locale here and none can be made (localedef or the locales package's de_DE source is missing)"
fi

# ---- apsim from /usr/bin: a built-in topology, apsim exec with the installed statfs shim -------------------------
APSIM=/usr/bin/apsim
start_sim tiny
check "apsim exec preloads the installed statfs shim" "/usr/lib/$multiarch/apmatrix/libapsim-preload.so" \
  "$(apsim exec "$ROOT" -- sh -c 'echo "$LD_PRELOAD"')"
check "udevadm accepts the simulated /sys through it" "U: ap" \
  "$(apsim exec "$ROOT" -- udevadm info /sys/devices/ap/card01 2>&1 | grep '^U:')"

# ---- Debian's mdevctl runs the installed callout ----------------------------------------------------------------
echo -1 > "$SYS/bus/ap/apmask"
mdevctl() { apsim exec "$ROOT" -- mdevctl "$@"; }
u1=c1000000-0000-4000-8000-000000000001
u2=c2000000-0000-4000-8000-000000000002
out=$(mdevctl define -u $u1 -p matrix -t vfio_ap-passthrough 2>&1 &&
      mdevctl modify -u $u1 --addattr=assign_adapter --value=1 2>&1 &&
      mdevctl modify -u $u1 --addattr=assign_domain --value=2 2>&1); rc=$?
check "mdevctl define and modify (the installed callout checks each)" "0 yes" \
  "$rc $(grep -q assign_domain "$ROOT/etc/mdevctl.d/matrix/$u1" 2>/dev/null && echo yes || echo "$out")"
# each sysfs write slowed down to 0.4 s, so that the start can be watched: while mdevctl creates the mdev and
# assigns its adapter and domain, the s390-tools lock names a process, which must be mdevctl (the callout takes it
# at pre on mdevctl's behalf, as ap-check does) and no longer exists afterwards (released at post)
apsim ctl "$ROOT" latency 400000 >/dev/null
mdevctl start -u $u1 > "$T/start.out" 2>&1 &
starter=$!
holders=""
while kill -0 $starter 2>/dev/null; do
  pid=$(cat "$ROOT/run/lock/s390apconfig.lock" 2>/dev/null | tr -d ' \n')
  [ -n "$pid" ] && holders="$holders $(cat /proc/"$pid"/comm 2>/dev/null || echo gone)"
  sleep 0.1
done
wait $starter; rc=$?
apsim ctl "$ROOT" latency 0 >/dev/null
check "mdevctl start" "0 01.0002" "$rc $(cat "$SYS/devices/vfio_ap/matrix/$u1/matrix" 2>/dev/null || cat "$T/start.out")"
check "the installed callout held the lock for mdevctl during the start" "mdevctl" \
  "$(echo $holders | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "and no lock is left" "no" "$([ -e "$ROOT/run/lock/s390apconfig.lock" ] && echo yes || echo no)"
mdevctl define -u $u2 -p matrix -t vfio_ap-passthrough >/dev/null 2>&1
mdevctl modify -u $u2 --addattr=assign_adapter --value=1 >/dev/null 2>&1
mdevctl modify -u $u2 --addattr=assign_domain --value=2 >/dev/null 2>&1
out=$(mdevctl start -u $u2 2>&1); rc=$?
check "a conflicting mdevctl start is refused in apmatrix's words, through 10-apmatrix" "yes no" \
  "$(echo "$out" | grep -q "10-apmatrix: .*APQN 01.0002 is already assigned to mdev $u1" && echo yes || echo "$out") \
$([ -e "$SYS/devices/vfio_ap/matrix/$u2" ] && echo yes || echo no)"
out=$(mdevctl modify -u $u1 --addattr=assign_domain --value=3 2>&1); rc=$?
check "mdevctl modify of the started mdev's definition" "0 yes" \
  "$rc $(grep -q '"3"' "$ROOT/etc/mdevctl.d/matrix/$u1" && echo yes || echo "$out")"
mdevctl stop -u $u1; rc=$?
check "mdevctl stop" "0 no" "$rc $([ -e "$SYS/devices/vfio_ap/matrix/$u1" ] && echo yes || echo no)"
mdevctl undefine -u $u1 && mdevctl undefine -u $u2; rc=$?
check "mdevctl undefine" "0 0" "$rc $(ls "$ROOT/etc/mdevctl.d/matrix" | wc -l)"

# ---- libvirt: nodedev-create through mdevctl and the installed callout; virsh start runs the installed hook ------
d1=c3000000-0000-4000-8000-000000000003
d2=c4000000-0000-4000-8000-000000000004
m1=c5000000-0000-4000-8000-000000000005
m2=c6000000-0000-4000-8000-000000000006
mdev_xml "$T/d1.xml" $d1 1 1; mdev_xml "$T/d2.xml" $d2 1 1; mdev_xml "$T/m1.xml" $m1 1 3; mdev_xml "$T/m2.xml" $m2 1 3
apsim exec "$ROOT" -- env T="$T" ROOT="$ROOT" d1=$d1 d2=$d2 m1=$m1 m2=$m2 sh -c '
  LIBVIRT_ETC=machine APSIM_QEMU=/usr/bin/apsim-qemu LIBVIRTD_LOG="$T/libvirtd.log"
  . "$APMATRIX_SOURCE_DIR/tests/apsim/libvirt-qemu-env.sh"
  libvirt_start || { echo "libvirtd did not answer" > "$T/libvirt.out"; exit 1; }
  {
    $VIRSH nodedev-create "$T/d1.xml" >/dev/null; echo "create rc=$?"
    echo "active $(ls /sys/devices/vfio_ap/matrix | grep -c $d1)"
    $VIRSH nodedev-create "$T/d2.xml"; echo "create-overlap rc=$?"
    echo "active2 $(ls /sys/devices/vfio_ap/matrix | grep -c $d2)"
    $VIRSH nodedev-destroy mdev_$(echo $d1 | tr - _)_matrix >/dev/null; echo "destroy rc=$?"
    # the hook starts a defined mdev of the guest at virsh start, and refuses a guest whose mdev overlaps
    apmatrix nodedev-define "$T/m1.xml" >/dev/null && apmatrix nodedev-define "$T/m2.xml" >/dev/null
    domain_xml vm1 $m1 > "$T/vm1.xml"; domain_xml vm2 $m2 > "$T/vm2.xml"
    $VIRSH define "$T/vm1.xml" >/dev/null && $VIRSH define "$T/vm2.xml" >/dev/null
    $VIRSH start vm1 >/dev/null; echo "start rc=$? $($VIRSH domstate vm1) $(ls /sys/bus/mdev/devices | grep -c $m1)"
    $VIRSH start vm2; echo "start-overlap rc=$? $($VIRSH domstate vm2)"
    $VIRSH destroy vm1 >/dev/null; echo "destroy-vm rc=$? $(ls /sys/bus/mdev/devices | grep -c $m1)"
  } > "$T/libvirt.out" 2>&1
  libvirt_stop'
out=$(cat "$T/libvirt.out" 2>/dev/null)
check "virsh nodedev-create: libvirt -> mdevctl -> the installed callout -> the simulated kernel" "create rc=0|active 1" \
  "$(echo "$out" | grep -E '^(create|active) ' | tr '\n' '|' | sed 's/|$//')"
check "an overlapping nodedev-create is refused in apmatrix's words and leaves nothing" "yes|create-overlap rc=1|active2 0" \
  "$(echo "$out" | grep -q "APQN 01.0001 is already assigned to mdev $d1" && echo yes || echo "$out" | head -3)|$(echo "$out" |
     grep -E '^(create-overlap|active2) ' | tr '\n' '|' | sed 's/|$//')"
check "virsh start runs the installed hook: it starts the guest's defined mdev" "start rc=0 running 1" \
  "$(echo "$out" | grep '^start rc')"
check "a guest whose mdev overlaps is refused by the installed hook, in apmatrix's words" "yes start-overlap rc=1 shut off" \
  "$(echo "$out" | grep -q "apmatrix-hook: guest vm2: cannot start with its vfio-ap device" && echo yes || echo no) \
$(echo "$out" | grep '^start-overlap rc')"
check "virsh destroy: the hook stops the mdev again" "destroy-vm rc=0 0" "$(echo "$out" | grep '^destroy-vm rc')"
check "libvirt ran the hook from /etc/libvirt/hooks/qemu.d" "yes" \
  "$(grep -q 'qemu.d/apmatrix' "$T/libvirtd.log" 2>/dev/null && echo yes || echo no)"
stop_sim

# ---- purge: nothing of the packages is left ----------------------------------------------------------------------
purge; rc=$?
states=""
for p in apmatrix apsim; do
  st=$(dpkg-query -W -f='${db:Status-Status}' $p 2>/dev/null); states="$states ${st:-not-installed}"
done
check "apt-get purge apmatrix apsim" "0 not-installed not-installed" "$rc$states"
left=""
while read -r f; do [ -e "/$f" ] || [ -L "/$f" ] && left="$left /$f"; done < "$T/files"
for d in /usr/libexec/apmatrix /usr/share/apmatrix /usr/lib/"$multiarch"/apmatrix /usr/share/doc/apmatrix \
         /usr/share/doc/apsim /usr/lib/mdevctl/scripts.d/callouts/10-apmatrix; do
  [ -e "$d" ] && left="$left $d"
done
check "no file, link or folder of the packages is left" "" "$left"
finish
