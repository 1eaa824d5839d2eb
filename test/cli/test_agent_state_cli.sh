#!/usr/bin/env bash
# `ddb limit take` and `ddb flags` against DynamoDB Local (started by the
# CTest fixture), as separate processes. limit: admitted (exit 0) then denied
# with the retry-after printed (exit 1); 8 processes taking from one bucket at
# once never admit more than rate x time + burst, with time measured around
# all of them (a slower machine only widens the bound, so the check cannot
# fail for being slow); bad input: exit 2 with the problem named. flags: set,
# get, list, remove; 4 processes setting different flags of one set at once
# (none of the changes lost); an unknown flag (exit 1).
#   test/cli/test_agent_state_cli.sh PATH_TO_DDB [TAKES_PER_PROCESS]
set -uo pipefail
ddb="$1"
takes="${2:-15}"
table="ddb_state_cli_$RANDOM$RANDOM"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- one process: the burst, then a denial that says when -------------------
for i in 1 2; do
  out=$("$ddb" limit take --table-name "$table" --key solo --rate 1/m --burst 2 --create-table)
  check_rc "take-$i" 0 $?
done
check take-left "admitted 1.000 token(s); 0.0" "$out"  # plus what refilled meanwhile
out=$("$ddb" limit take --table-name "$table" --key solo --rate 1/m --burst 2)
check_rc take-denied 1 $?
check take-denied-says "denied: retry after" "$out"
# 1 token a minute: the wait is up to 60 s (less the time the takes took).
wait_s=$(sed -n 's/^denied: retry after \([0-9.]*\) s$/\1/p' <<<"$out")
awk -v w="$wait_s" 'BEGIN { exit !(w > 30 && w <= 60) }'
check_rc take-denied-wait 0 $?
out=$("$ddb" limit take --table-name "$table" --key big --rate 10/s --burst 5 --tokens 2.5)
check_rc take-fraction 0 $?
check take-fraction-left "admitted 2.500 token(s); 2.500 left" "$out"

# --- 8 processes at once: admissions within rate x time + burst --------------
rate=2 burst=5
start=$(date +%s.%N)
for p in $(seq 1 8); do
  (
    for _ in $(seq 1 "$takes"); do
      if "$ddb" limit take --table-name "$table" --key shared --rate "$rate/s" --burst "$burst" >/dev/null 2>>"$work/errors"; then
        echo admitted >>"$work/taker-$p"
      else
        echo "rc $?" >>"$work/taker-$p"
      fi
    done
  ) &
done
wait
end=$(date +%s.%N)
admitted=$(cat "$work"/taker-* | grep -c '^admitted$')
denied=$(cat "$work"/taker-* | grep -c '^rc 1$')
others=$(cat "$work"/taker-* | grep -vc '^admitted$\|^rc 1$')
check_rc shared-all-answered $((8 * takes)) $((admitted + denied))
check_rc shared-no-failures 0 "$others"
check shared-no-errors "" "$(cat "$work/errors" 2>/dev/null)"
[[ ! -s "$work/errors" ]]
check_rc shared-stderr-empty 0 $?
bound=$(awk -v s="$start" -v e="$end" -v r="$rate" -v b="$burst" 'BEGIN { printf "%d", r * (e - s) + b }')
echo "shared bucket: $admitted admitted, $denied denied in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s (bound $bound)"
[[ "$admitted" -le "$bound" ]]
check_rc shared-within-bound 0 $?
# The bucket starts full: at least the burst is admitted, however slow.
[[ "$admitted" -ge "$burst" ]]
check_rc shared-burst-admitted 0 $?

# --- sub-buckets: the writes land on N items ---------------------------------
for _ in $(seq 1 12); do
  "$ddb" limit take --table-name "$table" --key spread --rate 100/s --burst 100 --sub-buckets 4 >/dev/null
done
out=$("$ddb" scan --cli-input-json "{\"TableName\":\"$table\",\"FilterExpression\":\"begins_with(pk, :p)\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"limit#spread#\"}},\"Select\":\"COUNT\"}")
count=$(sed -n 's/.*"Count": *\([0-9]*\).*/\1/p' <<<"$out")
[[ "$count" -ge 2 ]]
check_rc spread-over-items 0 $?

# --- bad input: exit 2 with the problem named --------------------------------
out=$("$ddb" limit take --table-name "$table" --key k --rate -1/s --burst 5 2>&1)
check_rc bad-rate 2 $?
check bad-rate-message "--rate must be a positive number" "$out"
out=$("$ddb" limit take --table-name "$table" --key k --rate 5/fortnight --burst 5 2>&1)
check_rc bad-unit 2 $?
check bad-unit-message "TOKENS/s, TOKENS/m, TOKENS/h or TOKENS/d" "$out"
out=$("$ddb" limit take --table-name "$table" --key k --rate 5/s --burst 2 --tokens 3 2>&1)
check_rc too-many-tokens 2 $?
check too-many-tokens-message "could never be admitted" "$out"
out=$("$ddb" limit take --table-name "$table" --key "" --rate 5/s --burst 2 2>&1)
check_rc empty-key 2 $?
check empty-key-message "needs a key" "$out"
out=$("$ddb" limit take --table-name "$table" --rate 5/s --burst 2 2>&1)
check_rc no-key 2 $?
out=$("$ddb" limit take --table-name "missing_$table" --key k --rate 5/s --burst 2 2>&1)
check_rc missing-table 2 $?
check missing-table-message "--create-table" "$out"

# --- flags ----------------------------------------------------------------------
out=$("$ddb" flags set --table-name "$table" --set prod --name planner --value v1 --create-table)
check_rc flags-set 0 $?
check flags-set-out "published generation 1" "$out"
out=$("$ddb" flags get --table-name "$table" --set prod --name planner)
check flags-get v1 "$out"
out=$("$ddb" flags get --table-name "$table" --set prod --name nothing 2>&1)
check_rc flags-unknown 1 $?
check flags-unknown-message "has no flag 'nothing'" "$out"
# 4 processes change 4 different flags at once: each publish is conditioned
# on the generation it read, a refused one reads again, so none is lost.
for p in 1 2 3 4; do
  "$ddb" flags set --table-name "$table" --set prod --name "f$p" --value "p$p" >/dev/null 2>>"$work/flag-errors" &
done
wait
out=$("$ddb" flags list --table-name "$table" --set prod)
for p in 1 2 3 4; do check "flags-kept-$p" "\"f$p\":\"p$p\"" "$out"; done
check flags-generation '"generation":5' "$out"  # planner, then the 4
[[ ! -s "$work/flag-errors" ]]
check_rc flags-no-errors 0 $?
"$ddb" flags set --table-name "$table" --set prod --name planner --remove >/dev/null
out=$("$ddb" flags list --table-name "$table" --set prod)
[[ "$out" != *planner* ]]
check_rc flags-removed 0 $?
out=$("$ddb" flags set --table-name "$table" --set prod --name "" --value x 2>&1)
check_rc flags-empty-name 2 $?
check flags-empty-name-message "name must be 1 to 255 bytes" "$out"

echo "test_agent_state_cli: $passed passed, $failures failed"
[[ $failures == 0 ]]
