#!/usr/bin/env bash
# `ddb streams tail` against DynamoDB Local (started by the CTest fixture).
# A tail that saves its position is killed with SIGKILL while writers write;
# a second tail of the same consumer then prints the rest: together they hold
# every change (nothing lost), and what both printed is at most the one batch
# the killed tail had printed but not yet saved (at least once, bounded); a
# third prints nothing. Plus: a whole table's changes as JSON lines with
# images, --max-records, --from latest, and bad input (exit 2, the problem named).
#   test/cli/test_streams_cli.sh PATH_TO_DDB
set -uo pipefail
ddb="$1"
table="ddb_streams_cli_$RANDOM$RANDOM"
positions="${table}_pos"
work="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ddb" create-table --cli-input-json '{"TableName":"'"$table"'","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
  "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST",
  "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}' >/dev/null
check_rc create 0 $?

write_batch() {  # first index; writes 25 items
  local items="" i
  for i in $(seq "$1" $(($1 + 24))); do
    items+="${items:+,}{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k$i\"},\"n\":{\"N\":\"$i\"}}}}"
  done
  "$ddb" batch-write-item --cli-input-json "{\"RequestItems\":{\"$table\":[$items]}}" >/dev/null
}
seqs() { grep -o '"sequenceNumber":"[0-9]*"' "$@" | sed 's/.*:"\([0-9]*\)"/\1/'; }

# --- a tail killed mid-stream, then resumed -------------------------------------
for b in 0 25 50 75; do write_batch $b; done
batch=5
"$ddb" streams tail --table-name "$table" --consumer c1 --positions-table "$positions" --create-table \
  --batch-size $batch >"$work/a" 2>"$work/a.err" &
tail_pid=$!
( for b in $(seq 100 25 275); do write_batch $b; done ) &
writer=$!
for _ in $(seq 1 600); do  # up to 60 s for 40 lines
  [[ $(wc -l <"$work/a") -ge 40 ]] && break
  sleep 0.1
done
{ kill -9 $tail_pid; wait $tail_pid; } 2>/dev/null
wait $writer
a_lines=$(wc -l <"$work/a")
[[ $a_lines -ge 40 ]]
check_rc killed-tail-printed 0 $?
"$ddb" streams tail --table-name "$table" --consumer c1 --positions-table "$positions" --batch-size $batch \
  --idle-exit 3 >"$work/b" 2>"$work/b.err"
check_rc resumed-tail 0 $?
all=$(seqs "$work/a" "$work/b" | sort -u | wc -l)
check every-change-once-or-more "300" "$all"
both=$(comm -12 <(seqs "$work/a" | sort -u) <(seqs "$work/b" | sort -u) | wc -l)
[[ $both -le $batch ]]
check_rc repeats-at-most-one-batch 0 $?
echo "killed tail printed $a_lines, resumed tail $(wc -l <"$work/b"), printed by both: $both"
dups=$(seqs "$work/b" | sort | uniq -d | wc -l)
check_rc resumed-tail-no-repeats 0 "$dups"
out=$("$ddb" streams tail --table-name "$table" --consumer c1 --positions-table "$positions" --idle-exit 1)
check_rc third-tail 0 $?
[[ -z "$out" ]]
check_rc third-tail-nothing-again 0 $?

# --- the JSON lines, --max-records, --from latest -------------------------------
"$ddb" update-item --cli-input-json '{"TableName":"'"$table"'","Key":{"pk":{"S":"k1"}},"UpdateExpression":"SET n = :n","ExpressionAttributeValues":{":n":{"N":"1001"}}}' >/dev/null
"$ddb" delete-item --cli-input-json '{"TableName":"'"$table"'","Key":{"pk":{"S":"k2"}}}' >/dev/null
out=$("$ddb" streams tail --table-name "$table" --idle-exit 2)
check_rc whole-stream 0 $?
check whole-stream-count 302 "$(wc -l <<<"$out")"
first=$(head -1 <<<"$out")
check first-insert '"eventName":"INSERT"' "$first"
check first-keys '"keys":{"pk":{"S":"k0"}}' "$first"
check first-image '"newImage":{' "$first"
modify=$(grep '"eventName":"MODIFY"' <<<"$out")
check modify-new '"newImage":{"pk":{"S":"k1"},"n":{"N":"1001"}}' "$modify"
check modify-old '"oldImage":{"pk":{"S":"k1"},"n":{"N":"1"}}' "$modify"
remove=$(grep '"eventName":"REMOVE"' <<<"$out")
check remove-old '"oldImage":{"pk":{"S":"k2"}' "$remove"
[[ "$remove" != *newImage* ]]
check_rc remove-no-new-image 0 $?
out=$("$ddb" streams tail --table-name "$table" --max-records 7)
check_rc max-records 0 $?
check max-records-count 7 "$(wc -l <<<"$out")"
out=$("$ddb" streams tail --table-name "$table" --from latest --idle-exit 1)
check_rc latest 0 $?
[[ -z "$out" ]]
check_rc latest-skips-the-past 0 $?

# --- bad input ---------------------------------------------------------------------
out=$("$ddb" streams tail --table-name "$table" --from middle 2>&1)
check_rc bad-from 2 $?
check bad-from-message "--from takes trim-horizon or latest" "$out"
out=$("$ddb" streams tail --table-name "$positions" --idle-exit 1 2>&1)
check_rc no-stream 2 $?
check no-stream-message "has no stream: enable one" "$out"
out=$("$ddb" streams tail --table-name "$table" --consumer x 2>&1)
check_rc consumer-without-table 2 $?
check consumer-without-table-message "--consumer needs --positions-table" "$out"
out=$("$ddb" streams tail --table-name "$table" --batch-size 5000 2>&1)
check_rc batch-size 2 $?
out=$("$ddb" streams tail --table-name "${table}_missing" --idle-exit 1 2>&1)
check_rc missing-table 254 $?
check missing-table-message "ResourceNotFoundException" "$out"

echo "test_streams_cli: $passed passed, $failures failed"
[[ $failures == 0 ]]
