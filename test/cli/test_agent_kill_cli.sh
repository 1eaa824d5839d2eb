#!/usr/bin/env bash
# Session memory and run checkpoints written by separate processes against
# DynamoDB Local (the CTest fixture's), some killed with SIGKILL mid-write.
# memory: two processes appending to one conversation at once keep every
# message once in one stable order; a writer killed mid-stream (large
# messages split over items, written in one transaction) leaves every message
# it reported whole, at most the one in flight besides, and nothing partial.
# checkpoints: two writers continuing one thread at once make one unforked
# chain; a writer killed mid-save (large payloads in parts) leaves a chain
# whose every checkpoint loads whole.
#   test/cli/test_agent_kill_cli.sh PATH_TO_DDB [ROUNDS]
set -uo pipefail
ddb="$1"
rounds="${2:-30}"
table="ddb_kill_cli_$RANDOM$RANDOM"
work="$(mktemp -d)"
trap '[[ $killed_group != 0 ]] && kill -9 -- -$killed_group 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
killed_group=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ddb" memory append --table-name "$table" --user setup --conversation c --role user --content x --create-table >/dev/null
check_rc create 0 $?

# --- memory: two appenders at once --------------------------------------------------
for p in a b; do
  ( for i in $(seq 1 "$rounds"); do
      "$ddb" memory append --table-name "$table" --user u1 --conversation chat --role user --content "$p-$i" >/dev/null ||
        echo "append $p-$i failed" >>"$work/errors"
    done ) &
done
wait
[[ ! -s "$work/errors" ]]
check_rc appends-all-succeeded 0 $?
contents() { sed -n 's/.*"content":"\([^"]*\)".*/\1/p'; }
first=$("$ddb" memory last --table-name "$table" --user u1 --conversation chat --limit 1000 --consistent)
second=$("$ddb" memory last --table-name "$table" --user u1 --conversation chat --limit 1000 --consistent)
check two-appenders-count "$((2 * rounds))" "$(contents <<<"$first" | sort -u | wc -l)"
check two-appenders-none-twice "$((2 * rounds))" "$(wc -l <<<"$first")"
[[ "$first" == "$second" ]]
check_rc two-appenders-stable-order 0 $?
# Each process's own messages in the order it appended them (newest first here).
for p in a b; do
  expected=$(seq "$rounds" -1 1 | sed "s/^/$p-/")
  [[ "$(contents <<<"$first" | grep "^$p-")" == "$expected" ]]
  check_rc "appender-$p-in-order" 0 $?
done

# --- memory: an appender killed mid-stream -----------------------------------------------
big_len=300000  # over one item: split into parts written in one transaction
setsid bash -c '
  for i in $(seq 1 1000); do
    if (( i % 2 )); then printf "big-%d-" "$i" >"'"$work"'/m$i"; head -c '"$big_len"' /dev/zero | tr "\0" x >>"'"$work"'/m$i"
    else printf "small-%d" "$i" >"'"$work"'/m$i"; fi
    "'"$ddb"'" memory append --table-name "'"$table"'" --user u2 --conversation chat --role user \
      --content-file "'"$work"'/m$i" >/dev/null && echo "$i" >>"'"$work"'/appended"
  done' &
killed_group=$!
for _ in $(seq 1 600); do
  [[ -s "$work/appended" && $(wc -l <"$work/appended") -ge 6 ]] && break
  sleep 0.05
done
kill -9 -- -$killed_group
wait $killed_group 2>/dev/null
killed_group=0
out=$("$ddb" memory last --table-name "$table" --user u2 --conversation chat --limit 1000 --consistent)
check_rc memory-after-kill-reads 0 $?
reported=$(wc -l <"$work/appended")
stored=$(contents <<<"$out" | wc -l)
echo "memory: $reported appends reported before the kill, $stored stored"
(( stored == reported || stored == reported + 1 ))
check_rc memory-kill-at-most-one-unreported 0 $?
missing=0
for i in $(cat "$work/appended"); do
  if (( i % 2 )); then want=$(( big_len + ${#i} + 5 )); else want=$(( ${#i} + 6 )); fi
  got=$(contents <<<"$out" | awk -v p="$( (( i % 2 )) && echo big || echo small)-$i" \
        'index($0, p) == 1 && (length($0) == length(p) || substr($0, length(p) + 1, 1) == "-") { print length($0) }')
  [[ "$got" == "$want" ]] || { missing=$((missing + 1)); echo "message $i: length [$got], expected $want"; }
done
check_rc memory-kill-every-reported-message-whole 0 "$missing"

# --- checkpoints: two writers continuing one thread at once ---------------------------
for p in a b; do
  ( for i in $(seq 1 10); do
      "$ddb" checkpoint save --table-name "$table" --thread t1 --continue --payload "$p-$i" >/dev/null 2>>"$work/cp-errors" ||
        echo "save $p-$i failed" >>"$work/cp-errors"
    done ) &
done
wait
list=$("$ddb" checkpoint list --table-name "$table" --thread t1 --limit 1000)
ids=$(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' <<<"$list" | sort -n | tr '\n' ' ')
saved=$(( 20 - $(grep -c failed "$work/cp-errors" 2>/dev/null || true) ))
check checkpoints-chain "$(seq 1 $saved | tr '\n' ' ')" "$ids"
echo "checkpoints: $saved of 20 saves made it (a writer refused 5 times in a row gives up)"
(( saved >= 15 ))
check_rc checkpoints-most-saved 0 $?
bad=$(awk -F'[:,]' '{ id=$2; parent=$4; if (parent != id - 1) print }' <<<"$list" | wc -l)
check_rc checkpoints-unforked 0 "$bad"

# --- checkpoints: a writer killed mid-save ----------------------------------------------
setsid bash -c '
  for i in $(seq 1 1000); do
    n=$(( i % 2 ? 700000 : 10 ))
    head -c $n /dev/zero | tr "\0" y >"'"$work"'/p$i"
    "'"$ddb"'" checkpoint save --table-name "'"$table"'" --thread t2 --continue --payload-file "'"$work"'/p$i" \
      --metadata "$n" >/dev/null && echo "$i" >>"'"$work"'/saved"
  done' &
killed_group=$!
for _ in $(seq 1 600); do
  [[ -s "$work/saved" && $(wc -l <"$work/saved") -ge 4 ]] && break
  sleep 0.05
done
kill -9 -- -$killed_group
wait $killed_group 2>/dev/null
killed_group=0
list=$("$ddb" checkpoint list --table-name "$table" --thread t2 --limit 1000)
check_rc checkpoints-after-kill-list 0 $?
reported=$(wc -l <"$work/saved")
count=$(wc -l <<<"$list")
echo "checkpoints: $reported saves reported before the kill, $count stored"
(( count == reported || count == reported + 1 ))
check_rc checkpoints-kill-at-most-one-unreported 0 $?
broken=0
for id in $(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' <<<"$list"); do
  got=$("$ddb" checkpoint get --table-name "$table" --thread t2 --id "$id") || { broken=$((broken + 1)); continue; }
  size=$(sed -n 's/.*"payload_size":\([0-9]*\).*/\1/p' <<<"$got")
  meta=$(sed -n 's/.*"metadata":"\([0-9]*\)".*/\1/p' <<<"$got")
  [[ "$size" == "$meta" ]] || { broken=$((broken + 1)); echo "checkpoint $id: payload $size, metadata says $meta"; }
done
check_rc checkpoints-kill-every-checkpoint-whole 0 "$broken"
"$ddb" checkpoint get --table-name "$table" --thread t2 >/dev/null
check_rc checkpoints-after-kill-latest 0 $?

echo "test_agent_kill_cli: $passed passed, $failures failed"
[[ $failures == 0 ]]
