#!/usr/bin/env bash
# SIGKILL rounds for the agent tables ddb writes, against DynamoDB Local (the
# CTest fixture's, or scripts/kill-rounds'). Each round starts a writer (a
# process group: ddb and what it runs), sends it SIGKILL after a random
# 0-N ms (before its request, mid-write, between the write and its reply,
# mid-command: wherever it lands), restarts the work, and reads the table
# back to check the invariant of that kind:
#   once        a completed `ddb once` is never run again; a killed one is
#               taken over after its in-progress window; replays answer alike
#   ledger      five tool calls of a run (`ddb ledger call`), the loop killed
#               and replayed: acknowledged calls never run again, at most the
#               one in flight runs twice, every step recorded once, in order
#   lock        every fence handed out is larger than every earlier one (no
#               lease held by two with one fence); two holders never overlap
#   memory      two writers at once, killed together: every acknowledged
#               message whole and once, at most the two in flight besides,
#               nothing partial, each writer's in its order; appends go on after
#   checkpoint  two writers continuing one thread, killed together: one
#               unforked chain, every checkpoint whole, at most the two in
#               flight besides the acknowledged; the chain continues after
#   limit       burst - kills <= admitted <= burst + rate x time (a kill loses
#               at most its one take in flight); the bucket drains to denied
#   flags       the set reads back as the last acknowledged value or the
#               killed writer's, never anything else; a later set wins
# No timing is asserted: the kills land wherever they land (where is counted).
#   test/cli/test_kill_rounds.sh PATH_TO_DDB ROUNDS [KIND...]
set -uo pipefail
ddb="$1"
rounds="${2:-3}"
shift 2 || shift $#
kinds=("$@")
(( ${#kinds[@]} )) || kinds=(once ledger lock memory checkpoint limit flags)
table="ddb_kill_rounds_$RANDOM$RANDOM"
work="$(mktemp -d)"
victim=0
trap '(( victim )) && kill -9 -- -$victim 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Exact comparison (check() looks for a substring).
check_eq() {  # name, expected, actual
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    failures=$((failures + 1)); echo "FAILED: $1: expected [$2], got [$3]"; fi
}
# Starts "$@" as its own process group (this shell runs without job control,
# so the background child is no group leader and setsid makes it one in place:
# $! is the group's id) in the background (victim = its pid).
start_victim() { setsid "$@" & victim=$!; }
# SIGKILL to the victim's group after 0..$1 ms; sets how: "killed" or
# "finished RC" (not in a subshell: the victim is this shell's child).
kill_victim_within() {
  local ms=$(( RANDOM % $1 ))
  sleep "$(printf '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 )))"
  if kill -0 "$victim" 2>/dev/null; then kill -KILL -- -"$victim" 2>/dev/null; fi
  wait "$victim" 2>/dev/null
  local rc=$?
  victim=0
  if (( rc == 137 )); then how=killed; else how="finished $rc"; fi
}
# Runs "$@" until it exits other than 75 (busy), up to 120 tries 0.1 s apart.
until_not_busy() {
  local rc
  for _ in $(seq 1 120); do "$@"; rc=$?; (( rc != 75 )) && return $rc; sleep 0.1; done
  return 75
}

"$ddb" memory append --table-name "$table" --user setup --conversation c --role user --content x --create-table >/dev/null
check_rc create 0 $?

round_once() {  # round number
  local r=$1 key="once-$1" rc out
  # Every other command takes 50 ms more: kills land before the claim, in the
  # command, and between its completion write and the reply.
  local cmd="echo $r >> '$work/once-started'; sleep 0.0$(( r % 2 * 5 )); echo out-$r; echo $r >> '$work/once-ended'"
  start_victim "$ddb" once --table-name "$table" --key "$key" --in-progress-seconds 1 -- sh -c "$cmd" >/dev/null 2>&1
  kill_victim_within 80
  echo "$how" >>"$work/once-how"
  out=$(until_not_busy "$ddb" once --table-name "$table" --key "$key" --in-progress-seconds 1 -- sh -c "$cmd" 2>&1)
  rc=$?
  check_rc "once-$r-restart" 0 $rc
  check "once-$r-restart-out" "out-$r" "$out"
  local ended
  ended=$(grep -cx "$r" "$work/once-ended" 2>/dev/null)
  # Ran once, or twice when the kill fell between the command's end and its record.
  (( ended == 1 || ended == 2 ))
  check_rc "once-$r-ran-once-or-twice ($ended)" 0 $?
  (( ended == 2 )) && echo "ran again (killed after the command and before its record)" >>"$work/once-how"
  # A run the victim reported (exit 0) is never run again.
  [[ "$how" == "finished 0" ]] && check_rc "once-$r-completed-not-rerun" 1 "$ended"
  out=$("$ddb" once --table-name "$table" --key "$key" -- sh -c "$cmd")
  check "once-$r-replay-out" "out-$r" "$out"
  check_rc "once-$r-replay-not-run" "$ended" "$(grep -cx "$r" "$work/once-ended")"
}

round_ledger() {  # round number: five tool calls of run-R, the writer killed, the loop replayed
  local r=$1 i rc out twice=0
  start_victim bash -c '"$0" ledger start --table-name "$1" --run "run-$2" >/dev/null 2>&1
    for i in 0 1 2 3 4; do
      "$0" ledger call --table-name "$1" --run "run-$2" --step "$i" --args "a$i" --in-progress-seconds 1 -- \
        sh -c "echo $2-$i >> \"$3/ledger-ran\"; echo result-$i" >/dev/null 2>&1 && echo "$i" >>"$3/ledger-acked-$2"
    done' "$ddb" "$table" "$r" "$work"
  kill_victim_within 250
  echo "$how" >>"$work/ledger-how"
  "$ddb" ledger start --table-name "$table" --run "run-$r" >/dev/null
  check_rc "ledger-$r-start" 0 $?
  for i in 0 1 2 3 4; do
    out=$(until_not_busy "$ddb" ledger call --table-name "$table" --run "run-$r" --step "$i" --args "a$i" \
      --in-progress-seconds 1 -- sh -c "echo $r-$i >> '$work/ledger-ran'; echo result-$i" 2>&1)
    rc=$?
    check_rc "ledger-$r-$i-replayed" 0 $rc
    check "ledger-$r-$i-result" "result-$i" "$out"
  done
  # An acknowledged call never runs again; at most the one in flight ran twice.
  for i in $(cat "$work/ledger-acked-$r" 2>/dev/null); do
    check_rc "ledger-$r-$i-acknowledged-ran-once" 1 "$(grep -cx "$r-$i" "$work/ledger-ran")"
  done
  for i in 0 1 2 3 4; do (( $(grep -cx "$r-$i" "$work/ledger-ran") > 1 )) && twice=$((twice + 1)); done
  (( twice <= 1 ))
  check_rc "ledger-$r-at-most-one-ran-twice ($twice)" 0 $?
  (( twice )) && echo "a call ran again (killed after it ran and before its record)" >>"$work/ledger-how"
  check_eq "ledger-$r-steps" "0:COMPLETED:a0 1:COMPLETED:a1 2:COMPLETED:a2 3:COMPLETED:a3 4:COMPLETED:a4 " \
    "$("$ddb" ledger list --table-name "$table" --run "run-$r" |
       sed -n 's/.*"step":\([0-9]*\),"status":"\([A-Z]*\)","args":"\([^"]*\)".*/\1:\2:\3/p' | tr '\n' ' ')"
  "$ddb" ledger finish --table-name "$table" --run "run-$r" --status succeeded >/dev/null
  check_rc "ledger-$r-finish" 0 $?
}

round_lock() {  # round number
  local r=$1
  start_victim "$ddb" lock --table-name "$table" --name kill-rounds --lease-seconds 1 -- \
    sh -c "echo \$DDB_FENCE >> '$work/fences'; sleep 0.05" >/dev/null 2>&1
  kill_victim_within 100
  echo "$how" >>"$work/lock-how"
  for p in 1 2; do
    "$ddb" lock --table-name "$table" --name kill-rounds --lease-seconds 1 --wait 60 -- \
      sh -c "mkdir '$work/held' 2>/dev/null || echo OVERLAP >> '$work/overlaps'; echo \$DDB_FENCE >> '$work/fences'; sleep 0.05; rmdir '$work/held'" \
      >/dev/null 2>>"$work/lock-errors" || echo "round $r contender $p failed" >>"$work/lock-errors" &
  done
  wait $(jobs -p) 2>/dev/null
}

# Message w.i of a round (writer w, its i-th): odd i 300,000 bytes and more
# (one item each, near the 1 MB Query page), even i a few bytes.
message_file() {  # round id
  local f="$work/m-$1-$2"
  if (( ${2#*.} % 2 )); then { printf "big-%s-" "$2"; head -c 300000 /dev/zero | tr '\0' x; } >"$f"
  else printf "small-%s" "$2" >"$f"; fi
}
round_memory() {  # round number: two writers appending to one conversation, killed together
  local r=$1 w i id
  for w in 1 2; do for i in 1 2 3 4; do message_file "$r" "$w.$i"; done; done
  start_victim bash -c 'for w in 1 2; do ( for i in 1 2 3 4; do
      "$0" memory append --table-name "$1" --user kill --conversation "c$2" --role user --content-file "$3/m-$2-$w.$i" \
        >/dev/null && echo "$w.$i" >>"$3/appended-$2"; done ) & done; wait' "$ddb" "$table" "$r" "$work"
  kill_victim_within 150
  echo "$how" >>"$work/memory-how"
  "$ddb" memory append --table-name "$table" --user kill --conversation "c$r" --role user --content "after-$r" >/dev/null
  check_rc "memory-$r-append-after" 0 $?
  local out reported stored bad=0 want got
  out=$("$ddb" memory last --table-name "$table" --user kill --conversation "c$r" --limit 1000 --consistent)
  check_rc "memory-$r-reads" 0 $?
  contents() { sed -n 's/.*"content":"\([^"]*\)".*/\1/p' <<<"$out"; }
  ids() { contents | sed -n 's/^[a-z]*-\([0-9]\.[0-9]\).*/\1/p'; }
  check "memory-$r-after-newest" "after-$r" "$(contents | head -1)"
  reported=$(cat "$work/appended-$r" 2>/dev/null | wc -l)
  stored=$(( $(contents | wc -l) - 1 ))
  (( stored > reported )) && echo "write kept and reply lost" >>"$work/memory-how"
  (( stored >= reported && stored <= reported + 2 ))
  check_rc "memory-$r-at-most-the-two-in-flight-unreported ($reported reported, $stored stored)" 0 $?
  # Every stored message is one of the eight, whole, once; every reported one
  # is stored; each writer's in the order it appended them (newest first).
  while read -r got; do
    [[ -z "$got" || "$got" == "after-$r" ]] && continue
    id=$(sed -n 's/^[a-z]*-\([0-9]\.[0-9]\).*/\1/p' <<<"$got")
    want=$(wc -c <"$work/m-$r-$id" 2>/dev/null)
    [[ -n "$id" && "${#got}" == "$want" ]] || { bad=$((bad + 1)); echo "round $r: a partial message (${#got} bytes)"; }
  done < <(contents)
  [[ "$(ids | sort | uniq -d)" == "" ]] || { bad=$((bad + 1)); echo "round $r: a message stored twice"; }
  for id in $(cat "$work/appended-$r" 2>/dev/null); do
    ids | grep -x "$id" >/dev/null || { bad=$((bad + 1)); echo "round $r: reported message $id missing"; }
  done
  for w in 1 2; do
    [[ "$(ids | grep "^$w\.")" == "$(ids | grep "^$w\." | sort -r)" ]] || { bad=$((bad + 1)); echo "round $r: writer $w out of order"; }
  done
  check_rc "memory-$r-whole-once-in-order" 0 "$bad"
  rm -f "$work"/m-"$r"-*
}

round_checkpoint() {  # round number: two writers continuing one thread, killed together
  local r=$1
  start_victim bash -c 'for w in 1 2; do ( for i in 1 2 3; do
      n=$(( (w + i) % 2 ? 700000 : 10 ))
      head -c $n /dev/zero | tr "\0" y >"$3/p-$2-$w.$i"
      "$0" checkpoint save --table-name "$1" --thread "t$2" --continue --payload-file "$3/p-$2-$w.$i" --metadata "$n" \
        >/dev/null 2>&1 && echo "$w.$i" >>"$3/saved-$2"; done ) & done; wait' "$ddb" "$table" "$r" "$work"
  kill_victim_within 500
  echo "$how" >>"$work/checkpoint-how"
  "$ddb" checkpoint save --table-name "$table" --thread "t$r" --continue --payload after --metadata 5 >/dev/null
  check_rc "checkpoint-$r-save-after" 0 $?
  local list reported count bad=0 id got size meta
  list=$("$ddb" checkpoint list --table-name "$table" --thread "t$r" --limit 1000)
  check_rc "checkpoint-$r-list" 0 $?
  reported=$(cat "$work/saved-$r" 2>/dev/null | wc -l)
  count=$(( $(wc -l <<<"$list") - 1 ))
  (( count > reported )) && echo "write kept and reply lost" >>"$work/checkpoint-how"
  (( count >= reported && count <= reported + 2 ))
  check_rc "checkpoint-$r-at-most-the-two-in-flight-unreported ($reported reported, $count stored)" 0 $?
  check_eq "checkpoint-$r-ids" "$(seq 1 $((count + 1)) | tr '\n' ' ')" \
    "$(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' <<<"$list" | sort -n | tr '\n' ' ')"
  bad=$(awk -F'[:,]' '{ if ($4 != $2 - 1) print }' <<<"$list" | wc -l)
  for id in $(sed -n 's/.*"id":\([0-9]*\),.*/\1/p' <<<"$list"); do
    got=$("$ddb" checkpoint get --table-name "$table" --thread "t$r" --id "$id") || { bad=$((bad + 1)); continue; }
    size=$(sed -n 's/.*"payload_size":\([0-9]*\).*/\1/p' <<<"$got")
    meta=$(sed -n 's/.*"metadata":"\([0-9]*\)".*/\1/p' <<<"$got")
    [[ "$size" == "$meta" ]] || { bad=$((bad + 1)); echo "round $r: checkpoint $id payload $size, metadata $meta"; }
  done
  check_rc "checkpoint-$r-unforked-and-whole" 0 "$bad"
  rm -f "$work"/p-"$r"-*
}

round_limit() {  # round number: rate 1/min, burst 5, two takers killed mid-stream
  local r=$1 start end admitted bound rc lowest=5
  start=$(date +%s)
  start_victim bash -c 'for p in 1 2; do ( for _ in 1 2 3 4 5 6; do
      "$0" limit take --table-name "$1" --key "b$2" --rate 1/m --burst 5 >/dev/null 2>&1
      rc=$?; (( rc == 0 )) && echo admitted >>"$3/takes-$2"; (( rc == 1 )) && exit 0
    done ) & done; wait' "$ddb" "$table" "$r" "$work"
  kill_victim_within 80
  echo "$how" >>"$work/limit-how"
  for _ in 1 2 3 4 5 6 7; do
    "$ddb" limit take --table-name "$table" --key "b$r" --rate 1/m --burst 5 >/dev/null 2>&1
    rc=$?
    (( rc == 0 )) && echo admitted >>"$work/takes-$r"
    (( rc == 1 )) && break
  done
  check_rc "limit-$r-drained-to-denied" 1 "$rc"
  end=$(date +%s)
  admitted=$(cat "$work/takes-$r" 2>/dev/null | wc -l)
  bound=$(( 5 + (end - start + 1) / 60 ))
  [[ "$how" == killed ]] && lowest=3  # each taker's one take in flight may be lost
  (( admitted <= bound && admitted >= lowest ))
  check_rc "limit-$r-admitted ($admitted, $how)" 0 $?
}

round_flags() {  # round number
  local r=$1 got
  start_victim "$ddb" flags set --table-name "$table" --set kill-rounds --name f --value "v$r" >/dev/null 2>&1
  kill_victim_within 30
  echo "$how" >>"$work/flags-how"
  got=$("$ddb" flags get --table-name "$table" --set kill-rounds --name f 2>/dev/null)
  if [[ "$how" == "finished 0" ]]; then check "flags-$r-acknowledged" "v$r" "$got"
  else [[ "$got" == "v$r" || "$got" == "$(cat "$work/flag" 2>/dev/null)" ]]; check_rc "flags-$r-old-or-new ($got)" 0 $?; fi
  "$ddb" flags set --table-name "$table" --set kill-rounds --name f --value "w$r" >/dev/null
  check_rc "flags-$r-set-after" 0 $?
  check "flags-$r-later-wins" "w$r" "$("$ddb" flags get --table-name "$table" --set kill-rounds --name f)"
  echo "w$r" >"$work/flag"
}

for kind in "${kinds[@]}"; do
  before=$failures
  for r in $(seq 1 "$rounds"); do "round_$kind" "$r"; done
  case $kind in
    lock)
      check_rc lock-no-overlap 0 "$(cat "$work/overlaps" 2>/dev/null | wc -l)"
      cat "$work/lock-errors" 2>/dev/null
      [[ ! -s "$work/lock-errors" ]]
      check_rc lock-contenders-no-errors 0 $?
      sort -n -c "$work/fences" 2>/dev/null && [[ "$(sort -n -u "$work/fences" | wc -l)" == "$(wc -l <"$work/fences")" ]]
      check_rc "lock-fences-strictly-increase ($(wc -l <"$work/fences") fences)" 0 $? ;;
  esac
  echo "$kind: $rounds rounds, kills landed: $(sort "$work/$kind-how" | uniq -c | awk '{ $1 = $1; print }' | paste -sd ',' | sed 's/,/, /g'); $((failures - before)) failed checks"
done

"$ddb" delete-table --cli-input-json "{\"TableName\":\"$table\"}" >/dev/null
echo "test_kill_rounds: $passed passed, $failures failed"
[[ $failures == 0 ]]
