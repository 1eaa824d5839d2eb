#!/usr/bin/env bash
# The service example stopped by a signal (test example.service_signal): it
# runs until stopped, gets SIGTERM once it says it is ready, and must drain
# what is in flight, find the tables holding exactly what it reported done,
# and exit 0.
#   examples/service_demo.sh SERVICE_BINARY
set -euo pipefail
bin="${1:?usage: service_demo.sh SERVICE_BINARY}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bin" --orders 0 --workers 8 >"$out" 2>&1 &
pid=$!
# Waits for "ready" (a hang guard of 60 s, not a measurement).
for _ in $(seq 1200); do
  grep -q '^ready' "$out" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if ! grep -q '^ready' "$out"; then
  cat "$out"
  kill "$pid" 2>/dev/null || true
  echo "service_demo: the service never said it was ready" >&2
  exit 1
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
cat "$out"
[[ $rc -eq 0 ]] || { echo "service_demo: exit status $rc after SIGTERM" >&2; exit 1; }
grep -q '^signal 15: stopping' "$out" || { echo "service_demo: no word of the signal" >&2; exit 1; }
grep -q '^stopped: ' "$out" || { echo "service_demo: it did not report what it did" >&2; exit 1; }
