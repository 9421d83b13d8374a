# libvirt-env.sh: run Debian's privileged libvirtd under `apsim exec` with private runtime folders. Source it
# inside the command that `apsim exec` runs; everything it mounts lives and dies with that mount namespace.
#   libvirt_start        start libvirtd and wait until it answers (up to 30 s); 1 on failure
#   libvirt_stop
#   VIRSH                "virsh -c qemu:///system"
# /etc/libvirt starts empty; with LIBVIRT_ETC=machine it is the machine's (its installed hooks too), changed only
# in this namespace.
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt; do
  if [ "$d" = /etc/libvirt ] && [ "${LIBVIRT_ETC:-}" = machine ]; then
    # the machine's configuration, with what is installed in it (hooks), under a private writable layer
    _lv_etc=$(mktemp -d)
    # no default network (it would need dnsmasq and the machine's firewall): removed from the private layer only
    mount -t tmpfs tmpfs "$_lv_etc" && mkdir "$_lv_etc/upper" "$_lv_etc/work" &&
      mount -t overlay overlay -o "lowerdir=/etc/libvirt,upperdir=$_lv_etc/upper,workdir=$_lv_etc/work" /etc/libvirt &&
      rm -f /etc/libvirt/qemu/networks/autostart/*.xml
  else
    mkdir -p "$d" && mount -t tmpfs tmpfs "$d"
  fi
done
# libvirt 9.0 resolves its compiled-in QEMU user at start: give it one, in this namespace only
_lv_tmp=$(mktemp -d)
cp /etc/passwd /etc/group "$_lv_tmp/"
grep -q '^libvirt-qemu:' /etc/passwd || echo "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin" >> "$_lv_tmp/passwd"
grep -q '^libvirt-qemu:' /etc/group || echo "libvirt-qemu:x:64055:" >> "$_lv_tmp/group"
grep -q '^kvm:' /etc/group || echo "kvm:x:64056:" >> "$_lv_tmp/group"
mount --bind "$_lv_tmp/passwd" /etc/passwd
mount --bind "$_lv_tmp/group" /etc/group
VIRSH="virsh -q -c qemu:///system"
libvirt_start() {
  # its pid file in the private /run/libvirt: /run is the host's, and another test may run a libvirtd too
  libvirtd --pid-file /run/libvirt/libvirtd.pid > "${LIBVIRTD_LOG:-/dev/null}" 2>&1 &
  _lv_pid=$!
  for _i in $(seq 60); do
    $VIRSH nodedev-list >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}
libvirt_stop() { kill "$_lv_pid" 2>/dev/null; wait "$_lv_pid" 2>/dev/null; }
