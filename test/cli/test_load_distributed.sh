#!/usr/bin/env bash
# A distributed `ddb load run`: three worker processes coordinated through a
# table on DynamoDB Local (no coordinator of our own). Each registers, waits
# for the others, starts at the agreed time and sends every third request of
# the plan; `ddb load report` merges their histograms exactly: the merged
# count is the sum, the merged maximum the largest. A fourth worker for a
# full run, and a worker left waiting alone, are refused with the reason.
#   test/cli/test_load_distributed.sh PATH_TO_DDB
set -uo pipefail
ddb="$1"
table="ddb_load_dist_$RANDOM$RANDOM"
coord="${table}_coord"
run="run-$RANDOM"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

"$ddb" create-table --cli-input-json '{"TableName":"'"$table"'","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
  "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}' >/dev/null
check_rc create 0 $?

for w in 1 2 3; do
  "$ddb" load run --table-name "$table" --op put-item --item '{"pk":{"S":"k{key}"}}' --keys 30 --distribution sequential \
    --rate 150 --duration 2s \
    --coordinate-table "$coord" --run-id "$run" --workers 3 --create-table --wait 60s --json >"$work/w$w" 2>"$work/e$w" &
done
wait
sum=0 maxes=()
for w in 1 2 3; do
  out=$(cat "$work/w$w")
  check "worker-$w-share" '"planned":100' "$out"
  check "worker-$w-sent" '"sent":100' "$out"
  check "worker-$w-completed" '"completed":100' "$out"
  sum=$(( sum + $(sed -n 's/.*"latency_us":{[^}]*"count":\([0-9]*\)}.*/\1/p' <<<"$out") ))
  maxes+=("$(sed -n 's/.*"latency_us":{[^}]*"max":\([0-9]*\),.*/\1/p' <<<"$out")")
done
check workers-measured-all 300 "$sum"
! grep -q "could not be written" "$work/e1" "$work/e2" "$work/e3"
check_rc intervals-all-written 0 $?
# (exit 1 would only say that some request left late on this busy machine: the counts are what is checked)
report=$("$ddb" load report --coordinate-table "$coord" --run-id "$run" --json)
check report '"operation":"put-item"' "$report"
check report-planned '"planned":300' "$report"
check report-sent '"sent":300' "$report"
check report-completed '"completed":300' "$report"
check report-count '"count":300}' "$report"
largest=$(printf '%s\n' "${maxes[@]}" | sort -n | tail -1)
check report-max "\"max\":$largest," "$(sed -n 's/.*\("latency_us":{[^}]*}\).*/\1/p' <<<"$report")"
text=$("$ddb" load report --coordinate-table "$coord" --run-id "$run")
check report-text "3 workers," "$text"
# Hot keys merged across the workers: each wrote keys 0..29 in turn, 100 puts, so keys 0..9 four times
# each; merged, 12 (no worker alone has more than 4).
check report-hot-keys-merged '"requests":12,' "$(sed -n 's/.*"hot_keys":\(\[[^]]*\]\).*/\1/p' <<<"$report")"
check report-hot-key-attribute '"hot_key_attribute":"pk"' "$report"
check report-hot-text "hot partitions" "$text"

out=$("$ddb" load run --table-name "$table" --op put-item --item '{"pk":{"S":"k{key}"}}' --rate 10 --duration 1s \
  --coordinate-table "$coord" --run-id "$run" --workers 3 --wait 5s 2>&1)
check_rc fourth-worker-refused 255 $?
check fourth-worker-message "more than --workers 3: use a fresh --run-id" "$out"
out=$("$ddb" load run --table-name "$table" --op put-item --item '{"pk":{"S":"k{key}"}}' --rate 10 --duration 1s \
  --coordinate-table "$coord" --run-id "alone-$RANDOM" --workers 2 --wait 1s 2>&1)
check_rc lonely-worker 255 $?
check lonely-worker-message "1 of 2 workers registered" "$out"
out=$("$ddb" load report --coordinate-table "$coord" --run-id nosuchrun 2>&1)
check_rc report-unknown-run 2 $?
check report-unknown-run-message "has no finished worker" "$out"
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 1 --duration 1s --workers 2 2>&1)
check_rc workers-without-table 2 $?

echo "test_load_distributed: $passed passed, $failures failed"
[[ $failures == 0 ]]
