# tap.sh: small TAP helpers for the shell tests. Source it; call `finish` at the end.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
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
