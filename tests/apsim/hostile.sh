#!/bin/sh
# Hostile users and broken files (issue 20): what an unprivileged user (nobody, through setpriv) can plant in a
# folder root's apmatrix reads, and files that are links, FIFOs or endless. Each must be refused or bounded,
# with a message naming the file, nothing read through a link, and the simulated host unchanged.
set -u
. "$(dirname "$0")/tap.sh"
if ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
  echo "1..0 # SKIP setpriv (util-linux) or the user nobody is missing"; exit 0
fi
start_sim tiny
am() { timeout 30 "$APMATRIX" --root "$ROOT" "$@"; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
state() { "$APSIM" ctl "$ROOT" dump; ls -lR "$ROOT/etc/mdevctl.d"; }
echo -1 > "$SYS/bus/ap/apmask"
T=$ROOT/hostile
mkdir -p "$T"
secret=$ROOT/secret
printf 'TOPSECRET\n' > "$secret"; chmod 600 "$secret"
h=$T/hostdev.xml
u1=e1000000-0000-4000-8000-000000000001
u2=e2000000-0000-4000-8000-000000000002
hostdev_of() { echo "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$1'/></source></hostdev>"; }
hostdev_of $u1 > "$h"
mdev_xml "$T/u1.xml" $u1 1 1
am nodedev-define "$T/u1.xml" >/dev/null || echo "# nodedev-define failed"

# ---- 1. a guest folder that a user can write: links, FIFOs, hard links, other users' files ----------------------
# apsim's monitor folder, given to a user (as a QEMU running as that user would have it); the guests run
qdir=$ROOT/run/apsim/qmp
chmod 755 "$ROOT" "$T"; chown nobody:nogroup "$qdir"
for g in g1 g2 g3 g4 g5 g6; do "$APSIM" ctl "$ROOT" guest-start $g >/dev/null; done
as_nobody ln -s "$secret" "$qdir/g1.xml"
before=$(state)
out=$(am attach-device g1 "$h" --config 2>&1); rc=$?
check "attach-device --config of a definition planted as a link to a root-only file is refused, naming it" "yes" \
  "$([ $rc != 0 ] && echo "$out" | grep -q "$qdir/g1.xml is a symbolic link" && echo yes || echo "rc=$rc $out")"
check "the link is left as it was, and nothing of the file it points to reached the folder" "link none" \
  "$([ -L "$qdir/g1.xml" ] && echo link || echo replaced) $(grep -rl TOPSECRET "$qdir" 2>/dev/null || echo none)"
out=$(am list 2>&1); rc=$?
check "list does not read through the link either" "no yes" \
  "$(echo "$out" | grep -q TOPSECRET && echo yes || echo no) $(echo "$out" | grep -q 'is a symbolic link' && echo yes || echo "$out")"
rm -f "$qdir/g1.xml"
as_nobody mkfifo "$qdir/g2.xml"
out=$(am attach-device g2 "$h" --config 2>&1); rc=$?
check "a FIFO in place of a definition is refused at once (no wait for a writer)" "yes" \
  "$([ $rc != 124 ] && [ $rc != 0 ] && echo "$out" | grep -q "$qdir/g2.xml is not a regular file" && echo yes || echo "rc=$rc $out")"
rm -f "$qdir/g2.xml"
cp -p "$secret" "$ROOT/run/secret"   # a hard link stays on one file system
ln "$ROOT/run/secret" "$qdir/g3.xml"
out=$(am attach-device g3 "$h" --config 2>&1); rc=$?
check "a hard link to another file is refused (it has two links)" "yes no" \
  "$(echo "$out" | grep -q "g3.xml has 2 hard links" && echo yes || echo "rc=$rc $out") $(grep -q hostdev "$ROOT/run/secret" && echo yes || echo no)"
rm -f "$qdir/g3.xml"
echo "<domain><name>g4</name><devices></devices></domain>" > "$qdir/g4.xml"; chown 12345 "$qdir/g4.xml"
out=$(am attach-device g4 "$h" --config 2>&1); rc=$?
check "a definition owned by a third user is refused" "yes" \
  "$(echo "$out" | grep -q "g4.xml belongs to user 12345, neither root nor the owner of $qdir" && echo yes || echo "rc=$rc $out")"
rm -f "$qdir/g4.xml"
as_nobody sh -c "echo '<domain><name>g5</name><devices></devices></domain>' > '$qdir/g5.xml'"
(umask 000; am attach-device g5 "$h" --config >/dev/null 2>&1); rc=$?
check "the folder owner's own definition is edited, and written back with mode 0644 even under umask 000" "0 644 yes" \
  "$rc $(stat -c %a "$qdir/g5.xml") $(grep -q "$u1" "$qdir/g5.xml" && echo yes || echo no)"
huge=$qdir/g6.xml
as_nobody sh -c "head -c 5000000 /dev/zero | tr '\\0' ' ' > '$huge'"
out=$(am attach-device g6 "$h" --config 2>&1); rc=$?
check "a definition larger than a domain can be is refused before it is read" "yes" \
  "$(echo "$out" | grep -q "g6.xml is larger than 4194304 bytes" && echo yes || echo "rc=$rc $out")"
check "the host is unchanged by all of it" "yes" "$([ "$before" = "$(state)" ] && echo yes || echo no)"

# ---- 3. a hostile QEMU monitor in the guest folder: slow answers, floods of events, endless lines -------------
# apmatrix list is timed and its peak memory taken (getrusage of the child)
measure() { python3 -c 'import resource, subprocess, sys, time
t = time.monotonic(); r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
print("%d %d" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
sys.stderr.write(r.stdout.decode(errors="replace"))' "$APMATRIX" --root "$ROOT" list 2>"$T/list.out"; }
# (an AddressSanitizer build keeps freed memory in quarantine, which would count as held: off for these)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
set -- $(measure)
base=$2
for mode in drip flood long; do
  setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$(dirname "$0")/hostile-qmp.py" \
    "$qdir/evil.sock" $mode >/dev/null 2>&1 & peer=$!
  for i in $(seq 50); do [ -S "$qdir/evil.sock" ] && break; sleep 0.1; done
  set -- $(measure)
  case $mode in
    drip) what="answering each request just in time" ;;
    flood) what="flooding events" ;;
    long) what="sending a line without end" ;;
  esac
  check "a monitor $what: list ends within one monitor timeout for it (${1} s) and holds little more memory than a plain list (${2} MiB, ${base} MiB)" \
    "yes yes" "$([ "$1" -le 12 ] && echo yes || echo no) $([ "$2" -le $((base + 64)) ] && echo yes || echo no)"
  check "the other guests are listed, the hostile one is named" "yes" \
    "$(grep -q "^ *g5 " "$T/list.out" && grep -q 'evil' "$T/list.out" && echo yes || cat "$T/list.out" | head -5)"
  if [ $mode = drip ]; then
    # one guest's own conversation (attach-device reads its devices first): one budget for all of it
    t0=$(date +%s)
    out=$(am attach-device evil "$h" 2>&1); rc=$?
    secs=$(( $(date +%s) - t0 ))
    check "attach-device to that guest gives up within one monitor timeout for the whole exchange (${secs} s)" "yes yes" \
      "$([ $secs -le 7 ] && echo yes || echo no) $([ $rc = 9 ] && echo "$out" | grep -q 'before the end of the time given to the whole exchange' && echo yes || echo "rc=$rc $out")"
  fi
  if [ $mode = drip ]; then
    # an mdev in use by g3, asked for g4: refused, and the guest that has it is asked of every monitor (the slow
    # one too) with the host configuration lock let go, which a define meanwhile needs
    u8=e8000000-0000-4000-8000-000000000008
    mdev_xml "$T/u8.xml" $u8 1 3; am nodedev-define "$T/u8.xml" >/dev/null 2>&1
    hostdev_of $u8 > "$T/h8.xml"
    am attach-device g3 "$T/h8.xml" >/dev/null 2>&1 || echo "# attach-device g3 failed"
    am attach-device g4 "$T/h8.xml" > "$T/taken.out" 2>&1 & taker=$!
    sleep 1
    mdev_xml "$T/u9.xml" e9000000-0000-4000-8000-000000000009 1 0
    t0=$(date +%s%N); am nodedev-define "$T/u9.xml" >/dev/null 2>&1; rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    wait $taker; trc=$?
    check "an mdev another guest has is refused naming it, and the lock is free while the guests are asked (a define took ${ms} ms)" \
      "4 yes 0 yes" "$trc $(grep -q "mdev $u8 is in use by guest g3" "$T/taken.out" && echo yes || cat "$T/taken.out") $rc $([ $ms -lt 2500 ] && echo yes || echo no)"
    am detach-device g3 >/dev/null 2>&1
    am nodedev-undefine e9000000-0000-4000-8000-000000000009 >/dev/null 2>&1
  fi
  kill $peer; wait $peer 2>/dev/null; rm -f "$qdir/evil.sock"
done

# ---- 2. the world-writable lock folder: what a user puts there is not a lock ----------------------------------
lock=$ROOT/run/lock/s390apconfig.lock
check "apsim's lock folder is everyone's and sticky, as Debian's /run/lock" "1777" "$(stat -c %a "$ROOT/run/lock")"
mdev_xml "$T/u3.xml" e3000000-0000-4000-8000-000000000003 1 2
for plant in "echo 1 > '$lock'" "ln -s '$secret' '$lock'" "mkfifo '$lock'"; do
  as_nobody sh -c "$plant"
  t0=$(date +%s)
  out=$(am nodedev-define "$T/u3.xml" 2>&1); rc=$?
  secs=$(( $(date +%s) - t0 ))
  check "a lock planted by nobody ($(echo "$plant" | cut -d' ' -f1-2)) does not stop a change: removed at once, said" \
    "0 yes yes" "$rc $([ $secs -lt 10 ] && echo yes || echo "${secs}s") $(echo "$out" | grep -q "s390apconfig.lock.*user 65534 put there\|s390apconfig.lock belonged to user 65534" && echo yes || echo "$out")"
  am nodedev-undefine e3000000-0000-4000-8000-000000000003 >/dev/null 2>&1
done
check "and root's file the link pointed to is untouched" "TOPSECRET" "$(cat "$secret")"

# ---- 4. files that are not sysfs: 41-ap.rules and libvirt's status files as links, FIFOs, endless -------------
rules=$ROOT/etc/udev/rules.d/41-ap.rules
ln -s /dev/zero "$rules"
out=$(am check 2>&1); rc=$?
check "41-ap.rules linked to /dev/zero: check ends at once instead of reading forever" "yes" \
  "$([ $rc -lt 124 ] && echo yes || echo "rc=$rc")"
rm -f "$rules"; mkfifo "$rules"
out=$(am nodedev-list --cap ap_card 2>&1); rc=$?
check "41-ap.rules as a FIFO: commands do not wait for a writer" "0" "$rc"
rm -f "$rules"
# 6. a rules file a clumsy hand broke: said on the command, a finding of check, never "the same as the live masks"
printf 'ACTION=="add", SUBSYSTEM=="ap", KERNEL=="card*", ATTR{../../bus/ap/apmask}="0xzz", ATTR{../../bus/ap/aqmask}="0xff"\n' > "$rules"
out=$(am mask 2>&1)
check "a mask in 41-ap.rules not in the kernel's form is warned about on the command that met it" "yes" \
  "$(echo "$out" | grep -q "apmatrix: warning: /etc/udev/rules.d/41-ap.rules: a mask is not in the kernel's form" && echo yes || echo "$out")"
out=$(am check 2>&1)
check "and check has it as a finding (and no warning line)" "yes no" \
  "$(echo "$out" | grep -q "host-unreadable.*41-ap.rules: a mask is not in the kernel's form" && echo yes || echo "$out" | head -3) \
$(echo "$out" | grep -q "apmatrix: warning:" && echo yes || echo no)"
check "the finding says what to do (no empty fix)" "yes no" \
  "$(echo "$out" | grep -q "fix: make the file or attribute named readable" && echo yes || echo no) $(echo "$out" | grep -q "(null)" && echo yes || echo no)"
rm -f "$rules"
am nodedev-create /dev/stdin >/dev/null 2>&1 <<EOF
<device><parent>ap_matrix</parent><capability type='mdev'><type id='vfio_ap-passthrough'/><uuid>$u2</uuid>
<attr name='assign_adapter' value='1'/><attr name='assign_domain' value='1'/></capability></device>
EOF
mkdir -p "$ROOT/run/libvirt/qemu"
mkfifo "$ROOT/run/libvirt/qemu/vmf.xml"
ln -s "$secret" "$ROOT/run/libvirt/qemu/vml.xml"
out=$(am nodedev-list --cap mdev 2>&1); rc=$?
check "a libvirt status file that is a FIFO or a link does not stop or stall a command" "0 yes" \
  "$rc $(echo "$out" | grep -q "mdev_$(echo $u2 | tr - _)_matrix" && echo yes || echo "$out")"
rm -f "$ROOT/run/libvirt/qemu/vmf.xml" "$ROOT/run/libvirt/qemu/vml.xml"

# ---- 7. smaller: a NUL byte in the callout's input, a linked store folder ----------------------------------------
u4=e4000000-0000-4000-8000-000000000004
out=$(printf '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[]}\000{"attrs":[{"assign_adapter":"1"}]}' |
      "$APSIM" exec "$ROOT" -- "$APMATRIX_CALLOUT" -t vfio_ap-passthrough -e pre -a define -s none -u $u4 -p matrix 2>&1)
rc=$?
check "the callout refuses a configuration with a NUL byte in it instead of reading up to it" "1 yes" \
  "$rc $(echo "$out" | grep -qi 'nul' && echo yes || echo "$out")"
check "and leaves no lock behind" "no" "$([ -e "$ROOT/run/lock/s390apconfig.lock" ] && echo yes || echo no)"

mv "$ROOT/etc/mdevctl.d/matrix" "$ROOT/etc/mdevctl.d/matrix.real"
mkdir "$T/elsewhere"; ln -s "$T/elsewhere" "$ROOT/etc/mdevctl.d/matrix"
out=$(am nodedev-define "$T/u3.xml" 2>&1); rc=$?
check "a store folder that is a link is not followed: define refused, naming it, nothing written through it" "3 yes 0" \
  "$rc $(echo "$out" | grep -q "etc/mdevctl.d/matrix is not a folder" && echo yes || echo "$out") $(ls "$T/elsewhere" | wc -l)"
rm "$ROOT/etc/mdevctl.d/matrix"; mv "$ROOT/etc/mdevctl.d/matrix.real" "$ROOT/etc/mdevctl.d/matrix"

# ---- 5. modes under umask 000 ---------------------------------------------------------------------------------
am nodedev-destroy $u2 >/dev/null 2>&1
(umask 000; am attach-device g1 "$h" >/dev/null 2>&1)
check "an on-demand record made under umask 000 is root's, mode 644" "644" \
  "$(stat -c %a "$ROOT/run/apmatrix/on-demand/$u1" 2>&1)"
R2=$(mktemp -d /tmp/apsim-test.XXXXXX)
(umask 000; "$APSIM" start "$R2" --topology tiny >/dev/null) || echo "# apsim start under umask 000 failed"
"$APSIM" ctl "$R2" guest-start v1 >/dev/null
check "apsim under umask 000: its pidfile 644, its control socket and guest monitors 600" "644 600 600" \
  "$(stat -c %a "$R2/run/apsim/apsim.pid" "$R2/run/apsim/control" "$R2/run/apsim/qmp/v1.sock" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
real=$(cat "$R2/run/apsim/apsim.pid")
sleep 300 & victim=$!
echo $victim > "$R2/run/apsim/apsim.pid"
"$APSIM" stop "$R2" >/dev/null 2>&1
for i in $(seq 50); do kill -0 "$real" 2>/dev/null || break; sleep 0.1; done
check "apsim stop does not kill a process that is not apsim, whatever the pidfile names; it stops apsim itself" \
  "alive gone unmounted" "$(kill -0 $victim 2>/dev/null && echo alive || echo killed) \
$(kill -0 "$real" 2>/dev/null && echo running || echo gone) $(mountpoint -q "$R2/sys" && echo mounted || echo unmounted)"
kill $victim 2>/dev/null; wait $victim 2>/dev/null
"$APSIM" stop "$R2" >/dev/null 2>&1; rm -rf "$R2"
stop_sim
finish
