#!/usr/bin/env bash
# `ddb once` and `ddb lock` against DynamoDB Local (started by the CTest
# fixture), as separate processes: replays, failures, a duplicate while the
# first runs (fail fast, then wait), a `ddb once` killed with SIGKILL
# mid-run (after its in-progress window another process runs the key), fences
# across 8 processes taking turns (strictly increasing, never two holders),
# a holder killed with SIGKILL (its lease taken at its expiry, a larger
# fence), a lease taken over under a running command (SIGTERM, exit 70),
# `ddb ledger` (steps at most once, replays, other args refused, finish
# once), bad input.
# Waits are for events (a file appearing, a process ending), each bounded.
#   test/cli/test_agent_cli.sh PATH_TO_DDB [ROUNDS_PER_LOCKER]
set -uo pipefail
ddb="$1"
rounds="${2:-12}"
table="ddb_agent_cli_$RANDOM$RANDOM"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Waits (up to 60 s) until a command succeeds.
await() {
  for _ in $(seq 1 600); do "$@" && return 0; sleep 0.1; done
  echo "FAILED: waited 60 s for: $*"; failures=$((failures + 1)); return 1
}

# --- once: one run, then replays with the same output and exit code --------
out=$("$ddb" once --table-name "$table" --key first --create-table -- \
  sh -c "echo run >> '$work/count'; echo to-stdout; echo to-stderr >&2; exit 0" 2>"$work/err")
check_rc once-first 0 $?
check once-first-out to-stdout "$out"
check once-first-err to-stderr "$(cat "$work/err")"
out=$("$ddb" once --table-name "$table" --key first -- sh -c "echo run >> '$work/count'; echo other" 2>"$work/err")
check_rc once-replay 0 $?
check once-replay-out to-stdout "$out"
check once-replay-err to-stderr "$(cat "$work/err")"
check_rc once-ran-once 1 "$(wc -l < "$work/count")"

# --- failures: not recorded (runs again) unless --record-failures ------------
"$ddb" once --table-name "$table" --key failing -- sh -c "echo f >> '$work/fails'; exit 3" 2>/dev/null
check_rc once-fail 3 $?
"$ddb" once --table-name "$table" --key failing --record-failures -- sh -c "echo f >> '$work/fails'; echo recorded; exit 4" >/dev/null 2>&1
check_rc once-fail-recorded 4 $?
out=$("$ddb" once --table-name "$table" --key failing -- sh -c "echo f >> '$work/fails'; exit 0")
check_rc once-fail-replayed 4 $?
check once-fail-replayed-out recorded "$out"
check_rc once-fail-runs 2 "$(wc -l < "$work/fails")"

# --- a duplicate while the first runs: exit 75, then --wait gets the result --
mkfifo "$work/gate"
"$ddb" once --table-name "$table" --key busy -- sh -c "touch '$work/started'; read x < '$work/gate'; echo busy-result" \
  >"$work/busy.out" 2>&1 &
first=$!
await test -e "$work/started"
out=$("$ddb" once --table-name "$table" --key busy -- echo never 2>&1)
check_rc once-busy 75 $?
check once-busy-message "idempotency key 'busy' is being run by another caller" "$out"
"$ddb" once --table-name "$table" --key busy --wait 60 -- echo never >"$work/waited.out" 2>&1 &
waiter=$!
echo go > "$work/gate"
wait $first
check_rc once-busy-first 0 $?
wait $waiter
check_rc once-waited 0 $?
check once-waited-out busy-result "$(cat "$work/waited.out")"

# --- SIGKILL mid-run: after the in-progress window another process runs it ---
setsid "$ddb" once --table-name "$table" --key killed --in-progress-seconds 10 -- \
  sh -c "touch '$work/killed-started'; sleep 60" >/dev/null 2>&1 &
victim=$!
await test -e "$work/killed-started"
kill -KILL -- -"$victim" 2>/dev/null || kill -KILL "$victim"
wait $victim 2>/dev/null
out=$("$ddb" once --table-name "$table" --key killed -- echo second 2>&1)
check_rc once-killed-claim-held 75 $?
take_over() { "$ddb" once --table-name "$table" --key killed -- echo second >"$work/second.out" 2>/dev/null; }
await take_over
check once-killed-taken-over second "$(cat "$work/second.out")"
out=$("$ddb" once --table-name "$table" --key killed -- echo third)
check once-killed-replay second "$out"

# --- lock: 8 processes take turns; fences strictly increase, no overlap ------
for p in $(seq 1 8); do
  (for _ in $(seq 1 "$rounds"); do
     "$ddb" lock --table-name "$table" --name shared --wait 120 -- \
       sh -c "mkdir '$work/held' 2>/dev/null || echo OVERLAP >> '$work/overlaps'; echo \$DDB_FENCE >> '$work/fences'; rmdir '$work/held'" \
       || echo "lock failed" >> "$work/overlaps"
   done) &
done
wait $(jobs -p) 2>/dev/null
check_rc lock-acquisitions "$((8 * rounds))" "$(wc -l < "$work/fences")"
check_rc lock-no-overlap 0 "$(cat "$work/overlaps" 2>/dev/null | wc -l)"
sort -n -c "$work/fences" 2>/dev/null && [[ "$(sort -n -u "$work/fences" | wc -l)" == "$(wc -l < "$work/fences")" ]]
check_rc lock-fences-increase 0 $?

# --- lock: busy, the fence in the environment, the exit code passed on -------
out=$("$ddb" lock --table-name "$table" --name solo -- sh -c 'echo "fence=$DDB_FENCE"; exit 6')
check_rc lock-exit-code 6 $?
[[ "$out" =~ fence=[0-9]{16,} ]]
check_rc lock-fence 0 $?

# --- lock: a holder killed with SIGKILL stops renewing; its lease is taken at its expiry
setsid "$ddb" lock --table-name "$table" --name crashed --lease-seconds 10 -- \
  sh -c "echo \$DDB_FENCE > '$work/crashed-fence'; sleep 60" >/dev/null 2>&1 &
crashed=$!
await test -s "$work/crashed-fence"
kill -KILL -- -"$crashed" 2>/dev/null || kill -KILL "$crashed"
wait $crashed 2>/dev/null
"$ddb" lock --table-name "$table" --name crashed -- true >/dev/null 2>&1
check_rc lock-crashed-still-held 75 $?
out=$("$ddb" lock --table-name "$table" --name crashed --wait 60 -- sh -c 'echo $DDB_FENCE')
check_rc lock-crashed-taken 0 $?
[[ "$out" -gt "$(cat "$work/crashed-fence")" ]]
check_rc lock-crashed-fence-grows 0 $?

# --- lock: taken over under a running command: SIGTERM, exit 70 ---------------
"$ddb" lock --table-name "$table" --name taken --lease-seconds 3 -- \
  sh -c "trap 'echo child-terminated; exit 9' TERM; touch '$work/lock-started'; sleep 60 & wait" >"$work/taken.out" 2>&1 &
holder=$!
await test -e "$work/lock-started"
"$ddb" update-item --cli-input-json "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"lease#taken\"},\"sk\":{\"S\":\"#\"}},\"UpdateExpression\":\"SET #o = :x\",\"ExpressionAttributeNames\":{\"#o\":\"owner\"},\"ExpressionAttributeValues\":{\":x\":{\"S\":\"intruder\"}}}" >/dev/null
wait $holder
check_rc lock-lost 70 $?
check lock-lost-child child-terminated "$(cat "$work/taken.out")"
check lock-lost-message "the lease 'taken' was lost" "$(cat "$work/taken.out")"

# --- ledger: a run's steps at most once, replayed with the same args, finished once
out=$("$ddb" ledger start --table-name "$table" --run r1)
check ledger-start '"status":"running","version":1' "$out"
check ledger-start-created '"created":true' "$out"
check ledger-start-again '"created":false' "$("$ddb" ledger start --table-name "$table" --run r1)"
out=$("$ddb" ledger call --table-name "$table" --run r1 --step 0 --args '{"city":"Oslo"}' -- \
  sh -c "echo ran >> '$work/ledger-runs'; echo sunny")
check_rc ledger-call 0 $?
check ledger-call-out sunny "$out"
out=$("$ddb" ledger call --table-name "$table" --run r1 --step 0 --args '{"city":"Oslo"}' -- \
  sh -c "echo ran >> '$work/ledger-runs'; echo rainy")
check ledger-replay sunny "$out"
check_rc ledger-ran-once 1 "$(wc -l < "$work/ledger-runs")"
out=$("$ddb" ledger call --table-name "$table" --run r1 --step 0 --args '{"city":"Bergen"}' -- echo x 2>&1)
check_rc ledger-other-args 255 $?
check ledger-other-args-message "the agent loop did not replay the same call" "$out"
"$ddb" ledger call --table-name "$table" --run r1 --step 1 -- sh -c 'exit 4' 2>/dev/null
check_rc ledger-failed-step 4 $?
out=$("$ddb" ledger list --table-name "$table" --run r1)
check ledger-list '{"step":0,"status":"COMPLETED","args":"{\"city\":\"Oslo\"}"' "$out"
check_rc ledger-list-one-step 1 "$(wc -l <<<"$out")"
check ledger-finish '"status":"succeeded","version":2' "$("$ddb" ledger finish --table-name "$table" --run r1 --status succeeded)"
out=$("$ddb" ledger finish --table-name "$table" --run r1 --status failed 2>&1)
check_rc ledger-finish-twice 1 $?
check ledger-finish-twice-message "is already succeeded" "$out"
out=$("$ddb" ledger get --table-name "$table" --run missing 2>&1)
check_rc ledger-get-missing 2 $?
check ledger-get-missing-message "run 'missing' does not exist" "$out"
"$ddb" ledger call --table-name "$table" --run r1 --step -1 -- true >/dev/null 2>&1
check_rc ledger-negative-step 2 $?
"$ddb" ledger finish --table-name "$table" --run r1 --status done >/dev/null 2>&1
check_rc ledger-bad-status 2 $?

# --- bad input: usage errors, nothing run --------------------------------------
"$ddb" once --table-name "$table" -- echo x >/dev/null 2>&1
check_rc once-no-key 2 $?
"$ddb" once --table-name "$table" --key k >/dev/null 2>&1
check_rc once-no-command 2 $?
"$ddb" lock --table-name "$table" --name n --lease-seconds 0 -- true >/dev/null 2>&1
check_rc lock-zero-lease 2 $?
out=$("$ddb" once --table-name "$table" --key "" -- true 2>&1)
check_rc once-empty-key 255 $?
check once-empty-key-message "the idempotency key is empty" "$out"
out=$("$ddb" once --table-name "missing_$table" --key k -- true 2>&1)
check once-missing-table "--create-table" "$out"

echo "test_agent_cli: $passed passed, $failures failed"
[[ $failures == 0 ]]
