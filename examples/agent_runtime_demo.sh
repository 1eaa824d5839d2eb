#!/usr/bin/env bash
# A scripted conversation with examples/agent_runtime against the DynamoDB
# endpoint of the environment (DynamoDB Local: scripts/demo-agent starts one).
#   examples/agent_runtime_demo.sh PATH_TO_agent_runtime PATH_TO_ddb [PORT (0: any free one)] [TABLE]
# Starts the runtime, talks to it, crashes it after a tool call and restarts
# it, flips a feature flag; prints what happened. Exits non-zero if the
# runtime does not behave as described (the suite runs it: integration.agent_runtime).
set -uo pipefail
runtime="$1"
ddb="$2"
listen="${3:-0}"
port=""
table="${4:-agent_demo_$RANDOM$RANDOM}"
work="$(mktemp -d)"
tool_log="$work/tool-calls.log"
server=""
trap '[[ -n "$server" ]] && kill $server 2>/dev/null; rm -rf "$work"' EXIT

start() {  # extra runtime options
  "$runtime" serve --table "$table" --port "$listen" --tool-log "$tool_log" "$@" >"$work/runtime.out" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do  # up to 30 s: the first start creates three tables
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/runtime.out" 2>/dev/null)
    [[ -n "$port" ]] && return 0
    kill -0 $server 2>/dev/null || break
    sleep 0.1
  done
  echo "the runtime did not start:"; cat "$work/runtime.out"; exit 1
}
say() {  # user conversation request-id message
  "$runtime" say --port "$port" --user "$1" --conversation "$2" --request-id "$3" "$4"
}
fail() { echo "DEMO FAILED: $*"; exit 1; }

echo "== the runtime starts (agent table $table, with a stream; a cache table beside it)"
start
"$ddb" flags set --table-name "$table" --set prod --name weather-tool --value on >/dev/null || fail "flags set"
echo "== feature flag prod/weather-tool = on"
echo
echo "== memory, the model, the semantic cache"
out=$(say ada c1 r1 "My name is Ada"); echo "$out"
out=$(say ada c1 r2 "What is my name?"); echo "$out"
[[ "$out" == *"Your name is Ada."* ]] || fail "memory: the model did not see the conversation"
out=$(say bob c9 r3 "What is the capital of France?"); echo "$out"
[[ "$out" == *"cache: miss"* ]] || fail "the first question should miss the cache"
out=$(say cy c7 r4 "what is the capital of   FRANCE?"); echo "$out"
[[ "$out" == *"agent (cache)"* ]] || fail "a repeated question should come from the cache"
echo
echo "== a tool call, a crash right after it, the same request again after a restart"
kill $server; wait $server 2>/dev/null
start --crash-after-tool
out=$(say dan c2 r5 "What's the weather in Paris?"); echo "$out"
[[ "$out" == *"runtime is down"* ]] || fail "the runtime should have crashed after the tool call"
wait $server 2>/dev/null
echo "  (the runtime died after running the tool; restarting it)"
start
out=$(say dan c2 r5 "What's the weather in Paris?"); echo "$out"
[[ "$out" == *"replayed from the ledger, not run again"* ]] || fail "the tool call should be replayed"
[[ "$out" == *"The weather in Paris: sunny, 21 C."* ]] || fail "the replayed answer"
runs=$(grep -c 'weather(Paris)' "$tool_log")
echo "  the weather tool ran $runs time(s) for request r5 (its log: $(tr '\n' ' ' <"$tool_log"))"
[[ $runs == 1 ]] || fail "the tool ran $runs times"
echo
echo "== the rate limit: 3 messages a minute per user"
for i in 1 2 3; do say eve c3 "r-eve-$i" "Hello $i" >/dev/null || fail "eve's message $i"; done
out=$(say eve c3 r-eve-4 "Hello 4"); rc=$?; echo "$out"
[[ $rc == 4 && "$out" == *"rate limit: denied, retry after"* ]] || fail "the fourth message should be limited"
echo
echo "== the flag switched off; the runtime's flag cache follows the agent table's stream"
"$ddb" flags set --table-name "$table" --set prod --name weather-tool --value off >/dev/null || fail "flags set off"
# Wait (up to 2 minutes, however busy the machine) until the runtime's consumer has seen the change;
# one message then (a user may send only 3 a minute).
for _ in $(seq 1 1200); do
  grep -q "flag set prod changed: cache dropped" "$work/runtime.out" && break
  sleep 0.1
done
out=$(say fay c4 r-fay-1 "What's the weather in Rome?")
echo "$out"
[[ "$out" == *"The weather tool is switched off."* ]] || fail "the flag change did not reach the runtime"
grep -q "flag set prod changed: cache dropped" "$work/runtime.out" || fail "the stream consumer did not see the flag change"
echo "  runtime log: $(grep 'flag set prod' "$work/runtime.out" | head -1)"
echo
echo "demo finished: memory, cache hits, a limit, a replayed tool call and a flag, all kept in DynamoDB"
