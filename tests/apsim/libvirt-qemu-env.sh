# libvirt-qemu-env.sh: Debian's libvirtd with its QEMU driver and virtlogd under `apsim exec`, with QEMU running
# as libvirt-qemu as on a real host and apsim-qemu as the emulator of every domain. Source it inside the command
# that `apsim exec` runs, with APMATRIX_SOURCE_DIR set (the test environment sets it); everything it mounts and
# starts lives and dies with that namespace.
#   libvirt_start            start virtlogd and libvirtd and wait until libvirtd answers (up to 30 s); 1 on failure
#   libvirt_stop             destroy every running domain, stop libvirtd and virtlogd
#   libvirt_restart          stop libvirtd alone (domains go on running) and start it again
#   libvirt_hook PROGRAM     install PROGRAM as a QEMU hook in /etc/libvirt/hooks/qemu.d (before libvirt_start)
#   domain_xml NAME [UUID]   a domain apsim-qemu can run, with a vfio-ap hostdev of mdev UUID when given
#   hostdev_xml UUID         the <hostdev> element virsh attach-device takes
#   VIRSH                    virsh on qemu:///system
# LIBVIRTD_LOG names a file for libvirtd's debug log of its QEMU driver, monitor traffic and hooks.
. "$APMATRIX_SOURCE_DIR/tests/apsim/libvirt-env.sh"
APSIM_QEMU=${APSIM_QEMU:-$APMATRIX_BUILD_DIR/tools/apsim-qemu}
cat > /etc/libvirt/qemu.conf <<'EOC'
# apsim's /sys has no /sys/fs/cgroup, while /proc/mounts lists the host's cgroups: libvirt would fail with
# "Failed to create v1 controller cpu for group". The guests get no cgroup of their own.
cgroup_controllers = [ ]
EOC
# only what the tests read: the QEMU driver with its monitor traffic, security labels and hooks
cat > /etc/libvirt/libvirtd.conf <<'EOC'
log_filters = "1:qemu.qemu_monitor 1:qemu.qemu_hotplug 1:qemu.qemu_process 1:security 1:hooks 3:qemu 3:util"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
EOC
mkdir -p /etc/libvirt/hooks/qemu.d
libvirt_hook() { ln -sf "$1" /etc/libvirt/hooks/qemu.d/"$(basename "$1")"; }
_lvq_memlock=$(ulimit -Hl)
# A domain apsim-qemu can run: s390x under TCG with no disk, network, console or balloon. The memory lock limit a
# VFIO domain needs is what this sandbox allows without CAP_SYS_RESOURCE: libvirt would raise it and fail with
# "cannot limit locked memory of process N: Operation not permitted".
domain_xml() {
  echo "<domain type='qemu'><name>$1</name><memory unit='MiB'>256</memory>"
  [ "$_lvq_memlock" = unlimited ] || echo "<memtune><hard_limit unit='KiB'>$_lvq_memlock</hard_limit></memtune>"
  echo "<vcpu>1</vcpu><os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os><devices>"
  echo "<emulator>$APSIM_QEMU</emulator>"
  [ -n "${2:-}" ] && hostdev_xml "$2"
  echo "<memballoon model='none'/></devices><on_poweroff>destroy</on_poweroff></domain>"
}
hostdev_xml() {
  echo "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='$1'/></source></hostdev>"
}
_lvq_start_libvirtd() {
  libvirtd --pid-file /run/libvirt/libvirtd.pid >> "${LIBVIRTD_STDERR:-/dev/null}" 2>&1 &
  _lv_pid=$!
  for _i in $(seq 60); do
    $VIRSH list >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}
libvirt_start() {
  # the domains' logs go through virtlogd, as on a real host
  virtlogd -d -p /run/libvirt/virtlogd.pid || return 1
  [ -n "${LIBVIRTD_LOG:-}" ] && sed -i "s|file:/var/log/libvirt/libvirtd.log|file:$LIBVIRTD_LOG|" /etc/libvirt/libvirtd.conf
  _lvq_start_libvirtd
}
libvirt_restart() {
  kill "$_lv_pid" 2>/dev/null; wait "$_lv_pid" 2>/dev/null
  _lvq_start_libvirtd
}
libvirt_stop() {
  for _d in $($VIRSH list --name 2>/dev/null); do $VIRSH destroy "$_d" >/dev/null 2>&1; done
  kill "$_lv_pid" 2>/dev/null; wait "$_lv_pid" 2>/dev/null
  [ -f /run/libvirt/virtlogd.pid ] && kill "$(cat /run/libvirt/virtlogd.pid)" 2>/dev/null
  return 0
}
