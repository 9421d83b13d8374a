# tap.sh: small TAP helpers for the shell tests. Source it; call `finish` at the end.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }
# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected: $(printf '%s' "$2" | tr '\n' '|')" "got:      $(printf '%s' "$3" | tr '\n' '|')"; fi
}
# check_fails NAME EXPECTED-ERRNO-TEXT COMMAND...: the command must fail and say the text on stderr
check_fails() {
  name=$1; want=$2; shift 2
  if err=$("$@" 2>&1 >/dev/null); then notok "$name" "succeeded, expected: $want"
  else case "$err" in *"$want"*) ok "$name" ;; *) notok "$name" "expected: $want" "got: $err" ;; esac; fi
}
# refused NAME EXIT TEXT COMMAND...: the command exits with EXIT and says TEXT, and the state (the sourcing
# script's `state` function: apsim's dump and the stores) is as before
refused() {
  name=$1; want_rc=$2; want=$3; shift 3
  before=$(state)
  err=$("$@" 2>&1 >/dev/null); rc=$?
  after=$(state)
  case "$err" in
    *"$want"*) if [ "$rc" = "$want_rc" ] && [ "$before" = "$after" ]; then ok "$name"
               else notok "$name" "exit $rc (want $want_rc); state unchanged: $([ "$before" = "$after" ] && echo yes || echo no)" "$err"; fi ;;
    *) notok "$name" "exit $rc, expected: $want" "got: $err" ;;
  esac
}
# attrs NAME LIST: one <attr> per ID of a comma list, as the kernel takes them (one ID a write)
attrs() {
  for _id in $(echo "$2" | tr ',' ' '); do echo "<attr name='$1' value='$_id'/>"; done
}
# mdev_xml FILE UUID ADAPTERS DOMAINS [CONTROL]: a node-device document of an mdev, as virsh takes it; the IDs
# are comma lists
mdev_xml() {
  {
    echo "<device><parent>ap_matrix</parent><capability type='mdev'><type id='vfio_ap-passthrough'/>"
    echo "<uuid>$2</uuid>"
    attrs assign_adapter "$3"; attrs assign_domain "$4"
    [ -n "${5:-}" ] && attrs assign_control_domain "$5"
    echo "</capability></device>"
  } > "$1"
}
# apmatrix_commands: every command of apmatrix's table, a line each, sorted; a command of two words ("pool define")
# as pool:define, which words turns back into its words
apmatrix_commands() {
  for _w in $("$APMATRIX" complete -- ""); do
    if "$APMATRIX" "$_w" 2>&1 | grep -q "^apmatrix: $_w needs a command"; then
      for _s in $("$APMATRIX" complete -- "$_w" ""); do echo "$_w:$_s"; done
    else
      echo "$_w"
    fi
  done | sort
}
words() { echo "$1" | tr ':' ' '; }
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; }
# start_sim TOPOLOGY: a private root in $ROOT, stopped on exit whatever happens
start_sim() {
  ROOT=$(mktemp -d /tmp/apsim-test.XXXXXX)
  trap 'stop_sim' EXIT
  "$APSIM" start "$ROOT" --topology "$1" >/dev/null || { echo "Bail out! apsim start failed"; exit 1; }
  SYS=$ROOT/sys
}
stop_sim() {
  [ -n "${ROOT:-}" ] || return 0
  "$APSIM" stop "$ROOT" >/dev/null 2>&1
  if grep -qE "Sanitizer|lock-order violation|runtime error" "$ROOT/var/log/apsim.log" 2>/dev/null; then
    echo "not ok $((n + 1)) - apsim log is clean"; sed 's/^/# /' "$ROOT/var/log/apsim.log"; failed=1
  fi
  mountpoint -q "$SYS" 2>/dev/null && echo "# warning: $SYS still mounted"
  rm -rf "$ROOT"
  ROOT=
}
