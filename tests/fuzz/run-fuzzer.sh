#!/bin/sh
# run-fuzzer.sh FUZZER SECONDS SEED...: runs a libFuzzer target for a bounded time from seed files, as one TAP
# test; any crash, leak, failed assertion or GLib warning (fuzz-glib.h makes them abort) fails it.
set -u
fuzzer=$1; seconds=$2; shift 2
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for f in "$@"; do [ -f "$f" ] && cp "$f" "$corpus/"; done
if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$corpus" > "$corpus.log" 2>&1; then
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$corpus.log" | grep -o '[0-9]*$')
  echo "ok 1 - $(basename "$fuzzer"): ${runs:-?} inputs in ${seconds} s, no crash or leak"
  rm -f "$corpus.log"; echo "1..1"; exit 0
fi
echo "not ok 1 - $(basename "$fuzzer") found a problem"
tail -40 "$corpus.log" | sed 's/^/# /'
rm -f "$corpus.log"; echo "1..1"; exit 1
