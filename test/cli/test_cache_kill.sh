#!/usr/bin/env bash
# The cache's tables survive writers killed mid-write: for each layout, three
# loops of `ddb cache put` processes (distinct prompts and shared ones) while
# a fourth loop sends SIGKILL to whichever of them is running; then
# `ddb cache check` must find every item complete, every prompt once, keys
# and counters in step, and every put that reported success must be there.
# No timing is asserted: the kills land wherever they land.
#   test/cli/test_cache_kill.sh PATH_TO_DDB [PUTS_PER_WRITER]
set -uo pipefail
ddb="$1"
puts="${2:-12}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for layout in lean mneme; do
  table="ddb_cache_kill_${layout}_$RANDOM$RANDOM"
  out=$("$ddb" cache put --table-name "$table" --create-table --layout "$layout" --embedder hash:64 "seed" "seed" 2>&1)
  check_rc "kill-$layout-create" 0 $?
  : > "$work/ok-$layout"
  writer() {  # writer number: distinct prompts, and every third one shared by all writers
    for i in $(seq 1 "$puts"); do
      local prompt="writer $1 prompt $i"
      (( i % 3 == 0 )) && prompt="shared prompt $i"
      if "$ddb" cache put --table-name "$table" --embedder hash:64 "$prompt" "answer $i" >/dev/null 2>&1; then
        echo "$prompt" >> "$work/ok-$layout"
      fi
    done
  }
  writer 1 & w1=$!
  writer 2 & w2=$!
  writer 3 & w3=$!
  kills=0
  while kill -0 "$w1" 2>/dev/null || kill -0 "$w2" 2>/dev/null || kill -0 "$w3" 2>/dev/null; do
    victim=$(pgrep -f "ddb-cache .*put --table-name $table" | shuf -n 1 2>/dev/null)
    if [[ -n "$victim" ]] && kill -9 "$victim" 2>/dev/null; then kills=$((kills + 1)); fi
    sleep 0.0$((RANDOM % 10))
  done
  wait "$w1" "$w2" "$w3"
  echo "$layout: $kills writers killed, $(wc -l < "$work/ok-$layout") puts reported success"
  out=$("$ddb" cache check --table-name "$table")
  check_rc "kill-$layout-check" 0 $?
  check "kill-$layout-check" '"problems":[]' "$out"
  check "kill-$layout-layout" "\"layout\":\"$layout\"" "$out"
  # Every put that said it stored its answer did.
  missing=0
  while read -r prompt; do
    got=$("$ddb" cache get --table-name "$table" --embedder hash:64 "$prompt")
    [[ "$got" == *'"hit":true'*'"layer":"exact"'* ]] || { missing=$((missing + 1)); echo "missing: $prompt -> $got"; }
  done < <(sort -u "$work/ok-$layout")
  check_rc "kill-$layout-stored" 0 "$missing"
  "$ddb" delete-table --cli-input-json "{\"TableName\":\"$table\"}" >/dev/null
done

# check itself: a table that is not a cache table, and usage.
out=$("$ddb" cache check 2>&1)
check_rc check-usage 2 $?
check check-usage "cache check needs --table-name T" "$out"
echo "$passed passed, $failures failed"
[[ $failures == 0 ]]
