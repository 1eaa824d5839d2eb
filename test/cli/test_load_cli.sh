#!/usr/bin/env bash
# `ddb load run` against DynamoDB Local (the CTest fixture's). Only counts are
# checked, never times: an open loop sends exactly the planned requests
# (rate x duration, fractional rates too) and each completes once; the JSON
# report carries them, the capacity consumed and the latency spectrum; bad
# specs are refused (exit 2, the problem named) before any request is sent.
# Built with the sanitizers (second argument "sanitized") the external
# readers of the output (HdrHistogram's Java reader, librsvg, Chromium) are
# left out: they check the format, which the plain build's run has checked.
#   test/cli/test_load_cli.sh PATH_TO_DDB [plain|sanitized]
set -uo pipefail
ddb="$1"
external=1
[[ "${2:-plain}" == sanitized ]] && external=0
table="ddb_load_cli_$RANDOM$RANDOM"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
field() { grep -o "\"$1\":[^,}]*" <<<"$2" | head -1 | cut -d: -f2; }  # the first one (hot keys repeat names)

"$ddb" create-table --cli-input-json '{"TableName":"'"$table"'","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
  "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}' >/dev/null
check_rc create 0 $?

# --- puts, then reads of what they wrote --------------------------------------------
out=$("$ddb" load run --table-name "$table" --op put-item --item '{"pk":{"S":"user#{key}"},"v":{"N":"1"}}' \
  --keys 50 --distribution sequential --rate 200 --duration 2s --item-bytes 100 --json)
check put-planned '"planned":400' "$out"
check put-sent '"sent":400' "$out"
check put-completed '"completed":400' "$out"
check put-no-errors '"errors":0' "$out"
wu=$(field write_units "$out")
awk -v w="$wu" 'BEGIN { exit !(w >= 400) }'
check_rc put-write-units 0 $?
check put-latency-spectrum '"latency_us":{"p50":' "$out"
check put-service-spectrum '"service_us":{"p50":' "$out"
items=$("$ddb" scan --cli-input-json '{"TableName":"'"$table"'","Select":"COUNT"}')
check put-wrote-each-key '"Count":50' "$items"

out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#{key}"}}' --keys 50 \
  --distribution zipf:0.9 --rate 150 --duration 2 --warmup 500ms --json)
check get-sent '"sent":300' "$out"
check get-completed '"completed":300' "$out"
check get-no-errors '"errors":0' "$out"
# The warm-up's requests (the first 75) are not measured.
check get-measured '"count":225}' "$out"
ru=$(field read_units "$out")
awk -v r="$ru" 'BEGIN { exit !(r >= 150) }'  # eventually consistent reads of small items: half a unit each
check_rc get-read-units 0 $?

# Fractional rates and schedules: exactly what was planned.
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#1"}}' --rate 2.5 --duration 2s --json)
check fractional-planned '"planned":5' "$out"
check fractional-sent '"sent":5' "$out"
out=$("$ddb" load run --table-name "$table" --op delete-item --key '{"pk":{"S":"user#{key}"}}' --keys 50 \
  --distribution sequential --rate-schedule '0-100/1s,100/0.5s' --json)
check schedule-planned '"planned":100' "$out"
check schedule-completed '"completed":100' "$out"
items=$("$ddb" scan --cli-input-json '{"TableName":"'"$table"'","Select":"COUNT"}')
check schedule-deleted-all '"Count":0' "$items"

# A mix of operations by weight, from a spec file (command-line options win).
spec="$(mktemp)"
cat >"$spec" <<JSON
{"table-name":"$table","mix":"get-item=60,put-item=30,delete-item=10","rate":150,"duration":"2s",
 "key":{"pk":{"S":"m{key}"}},"item":{"pk":{"S":"m{key}"},"v":{"N":"7"}},"keys":20,"json":true}
JSON
out=$("$ddb" load run --spec "$spec" --rate 100)
check mix-planned '"planned":200' "$out"
check mix-completed '"completed":200' "$out"
check mix-no-errors '"errors":0' "$out"
check mix-operation '"operation":"mix get-item=60,put-item=30,delete-item=10"' "$out"
ru=$(field read_units "$out") wu=$(field write_units "$out")
awk -v r="$ru" -v w="$wu" 'BEGIN { exit !(r > 0 && w > 0) }'  # both kinds of units were consumed
check_rc mix-reads-and-writes 0 $?
rm -f "$spec"

# The text report.
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#1"}}' --rate 20 --duration 1s)
check text-head "ddb load: get-item on $table, 20/s for 1s (open loop" "$out"
check text-latency "latency (from intended):" "$out"
check text-service "service time (from sent):" "$out"
check text-cost "per hour at on-demand prices" "$out"

# --- the hot-partition report ---------------------------------------------------------------
# 300 puts a second of 8 KB items on one key: 2,400 write units a second on one
# partition, over DynamoDB's 1,000 (DynamoDB Local does not throttle: the report says it would).
out=$("$ddb" load run --table-name "$table" --op put-item --item '{"pk":{"S":"hot{key}"}}' --keys 1 --item-bytes 8000 \
  --rate 300 --duration 2s --json)
check hot-key-listed '"hot_keys":[{"key":0,"requests":600,' "$out"
check hot-key-over-limit '"over_partition_limit":true' "$out"
check hot-key-attribute '"hot_key_attribute":"pk"' "$out"
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"fixed"}}' --rate 20 --duration 1s)
check one-partition "every request went to one partition key" "$out"

# --- the interval log, read by HdrHistogram's own reader ---------------------------------
log="$(mktemp)"
trap 'rm -f "$log" "$log.out" "$log.out.hgrm"' EXIT
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#1"}}' --rate 100 --duration 2500ms \
  --hdr-log "$log" --json)
check_rc hdr-log-run-written 0 $(( $(grep -c '^[0-9.]*,[0-9.]*,[0-9.]*,HISTF' "$log") >= 3 ? 0 : 1 ))
check hdr-log-header "#[Histogram log format version 1.3]" "$(head -1 "$log")"
jar=/usr/share/java/hdrhistogram.jar
(( external )) || jar=/nonexistent  # sanitized build: the format was checked by the plain one
if [[ -r "$jar" ]] && command -v java >/dev/null; then
  # The reference reader (Debian's libhdrhistogram-java) totals the intervals:
  # the same number of requests, and the same maximum, as the JSON report.
  java -cp "$jar" org.HdrHistogram.HistogramLogProcessor -i "$log" -o "$log.out" -outputValueUnitRatio 1 >/dev/null 2>&1
  check_rc hdr-reference-reader 0 $?
  total=$(sed -n 's/.*Total count *= *\([0-9]*\).*/\1/p' "$log.out.hgrm")
  check hdr-reference-count "250" "$total"
  max=$(sed -n 's/.*Max *= *\([0-9.]*\).*/\1/p' "$log.out.hgrm")
  ours=$(sed -n 's/.*"latency_us":{[^}]*"max":\([0-9]*\).*/\1/p' <<<"$out")
  awk -v a="$max" -v b="$ours" 'BEGIN { exit !(a + 0 == b + 0) }'
  check_rc hdr-reference-max 0 $?
else
  echo "SKIPPED: HdrHistogram's reader (libhdrhistogram-java) is not installed, or the build is sanitized"
fi

# --- the HTML report: six inline SVG plots carrying the run's numbers ---------------------
html="$(mktemp --suffix=.html)"
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#1"}}' --rate 100 --duration 2500ms \
  --html "$html" --json)
page=$(cat "$html")
for id in latency spectrum rate trouble units cost; do check "html-plot-$id" "<svg id=\"$id\"" "$page"; done
check html-series 13 "$(grep -o 'class="series"' "$html" | wc -l)"
check html-summary "250 of 250 requests completed, p99 $(sed -n 's/.*"latency_us":{[^}]*"p99":\([0-9]*\),.*/\1/p' <<<"$out") us" "$page"
check html-text-report '<pre id="report">ddb load: get-item on' "$page"
if (( external )) && command -v rsvg-convert >/dev/null; then  # each plot renders (librsvg, Debian's librsvg2-bin)
  for id in latency spectrum rate trouble units cost; do
    sed -n "s/.*\(<svg id=\"$id\".*<\/svg>\).*/\1/p" "$html" >"$html.$id.svg"
    rsvg-convert "$html.$id.svg" -o "$html.$id.png" && [[ $(stat -c %s "$html.$id.png") -gt 2000 ]]
    check_rc "html-renders-$id" 0 $?
  done
else
  echo "SKIPPED: rendering the plots (librsvg2-bin is not installed, or the build is sanitized)"
fi
if (( external )) && command -v chromium >/dev/null; then  # the page in headless Chromium (Debian's chromium): no network, a fresh profile
  profile="$(mktemp -d)"
  flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update
         --disable-sync --user-data-dir="$profile")
  dom=$(timeout 120 chromium "${flags[@]}" --dump-dom "file://$html" 2>/dev/null)
  for id in latency spectrum rate trouble units cost; do check "chromium-plot-$id" "<svg id=\"$id\"" "$dom"; done
  check chromium-numbers "250 of 250 requests completed" "$dom"
  timeout 120 chromium "${flags[@]}" --window-size=800,1300 --screenshot="$html.png" "file://$html" >/dev/null 2>&1
  [[ -s "$html.png" && $(stat -c %s "$html.png") -gt 20000 ]]
  check_rc chromium-screenshot 0 $?
  rm -rf "$profile"
else
  echo "SKIPPED: headless Chromium (chromium is not installed, or the build is sanitized)"
fi
rm -f "$html" "$html".*

# --- every operation: updates, batches, transactions; item sizes from a distribution ------
out=$("$ddb" load run --table-name "$table" --op batch-write-item --item '{"pk":{"S":"b{key}"},"v":{"N":"0"}}' \
  --keys 200 --batch-size 25 --item-bytes 100-300 --rate 40 --duration 1s --json)
check batch-write-completed '"completed":40,"errors":0' "$out"
check batch-write-all-processed '"unprocessed":0' "$out"
sizes=$("$ddb" scan --cli-input-json '{"TableName":"'"$table"'","FilterExpression":"begins_with(pk, :b)",
  "ExpressionAttributeValues":{":b":{"S":"b"}}}' --page-all | grep -o '"pad":{"S":"x*"' | awk '{ print length($0) - 13 }' | sort -n | uniq)
check_rc batch-write-sizes-in-range 0 $(( $(head -1 <<<"$sizes") >= 100 && $(tail -1 <<<"$sizes") <= 300 ? 0 : 1 ))
check_rc batch-write-sizes-vary 0 $(( $(wc -l <<<"$sizes") > 20 ? 0 : 1 ))
out=$("$ddb" load run --table-name "$table" --mix batch-get-item=1,transact-get-items=1 --key '{"pk":{"S":"b{key}"}}' \
  --keys 200 --batch-size 20 --distribution zipf --rate 40 --duration 1s --json)
check batch-get-completed '"completed":40,"errors":0' "$out"
ru=$(field read_units "$out")
awk -v r="$ru" 'BEGIN { exit !(r >= 400) }'  # 40 requests of 20 keys: at least half a unit each
check_rc batch-get-read-units 0 $?
# Sequential keys, 5 distinct a transaction: 20 transactions write keys 0..99 once each.
out=$("$ddb" load run --table-name "$table" --op transact-write-items --item '{"pk":{"S":"t{key}"}}' --keys 100 \
  --batch-size 5 --distribution sequential --rate 20 --duration 1s --json)
check transact-write-completed '"completed":20,"errors":0' "$out"
items=$("$ddb" scan --cli-input-json '{"TableName":"'"$table"'","Select":"COUNT","FilterExpression":"begins_with(pk, :t)",
  "ExpressionAttributeValues":{":t":{"S":"t"}}}')
check transact-write-each-key '"Count":100' "$items"
# A closed loop of updates: 100 increments with 4 in flight, each exactly once.
out=$("$ddb" load run --table-name "$table" --op update-item --key '{"pk":{"S":"counter"}}' \
  --update-expression 'ADD n :one' --update-values '{":one":{"N":"1"}}' --concurrency 4 --requests 100 --json)
check update-closed-completed '"completed":100,"errors":0' "$out"
check update-closed-loop '"closed_concurrency":4' "$out"
items=$("$ddb" get-item --cli-input-json '{"TableName":"'"$table"'","Key":{"pk":{"S":"counter"}},"ConsistentRead":true}')
check update-counted-once-each '"n":{"N":"100"}' "$items"
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"counter"}}' --concurrency 2 --duration 1s)
check_rc closed-by-time 0 $?
check closed-text "(closed loop, 2 in flight: latency is service time" "$out"

# --- two sending threads: the plan split exactly, their intervals merged into one log ------
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"b{key}"}}' --keys 200 --rate 150 \
  --duration 2s --threads 2 --hdr-log "$log" --json)
check threads-sent '"planned":300' "$out"
check threads-completed '"sent":300,"completed":300,"errors":0' "$out"
check threads-reported '"threads":2' "$out"
if [[ -r "$jar" ]] && command -v java >/dev/null; then
  java -cp "$jar" org.HdrHistogram.HistogramLogProcessor -i "$log" -o "$log.out" -outputValueUnitRatio 1 >/dev/null 2>&1
  check threads-log-count "300" "$(sed -n 's/.*Total count *= *\([0-9]*\).*/\1/p' "$log.out.hgrm")"
fi
check_rc threads-log-intervals 0 $(( $(grep -c '^[0-9.]*,[0-9.]*,[0-9.]*,HISTF' "$log") >= 2 ? 0 : 1 ))

# --- bad specs: refused before any request ---------------------------------------------
bad() {  # name, expected message, args...
  local name="$1" msg="$2"
  shift 2
  out=$("$ddb" load run "$@" 2>&1)
  check_rc "$name" 2 $?
  check "$name-message" "$msg" "$out"
}
bad unknown-op "unknown operation 'scan-all'" --table-name "$table" --op scan-all --rate 1 --duration 1s
bad zero-weights "weights sum to zero" --table-name "$table" --mix get-item=0,put-item=0 --key '{"pk":{"S":"a"}}' --item '{"pk":{"S":"a"}}' --rate 1 --duration 1s
bad op-and-mix "one of them" --table-name "$table" --op get-item --mix get-item=1 --key '{"pk":{"S":"a"}}' --rate 1 --duration 1s
bad mix-needs-item "missing --item" --table-name "$table" --mix get-item=1,put-item=1 --key '{"pk":{"S":"a"}}' --rate 1 --duration 1s
bad missing-spec "cannot read the spec" --spec /nonexistent/spec.json
bad zero-rate "rate must be a positive number" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 0 --duration 1s
bad negative-rate "rate must be a positive number" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate -3 --duration 1s
bad empty-schedule "asks for no requests" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate-schedule 0/5s
bad both-rates "one of them" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 5 --rate-schedule 5/1s
bad bad-duration "expected e.g. 10s" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 5 --duration soon
bad bad-key "--key:" --table-name "$table" --op get-item --key '{"pk":' --rate 5 --duration 1s
bad bad-distribution "unknown key distribution" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 5 --duration 1s --distribution normal
bad batch-too-big "batch-write-item takes 1 to 25 items" --table-name "$table" --op batch-write-item --item '{"pk":{"S":"{key}"}}' --batch-size 26 --rate 1 --duration 1s
bad batch-over-keys "needs at least as many --keys" --table-name "$table" --op batch-get-item --key '{"pk":{"S":"{key}"}}' --keys 10 --batch-size 20 --rate 1 --duration 1s
bad closed-and-open "is a closed loop" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --concurrency 2 --rate 5 --duration 1s
bad closed-unbounded "stops after --requests N or --duration D" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --concurrency 2
bad requests-open "--requests goes with --concurrency" --table-name "$table" --op get-item --key '{"pk":{"S":"a"}}' --rate 5 --duration 1s --requests 5
bad bad-sizes "--item-bytes 'huge'" --table-name "$table" --op put-item --item '{"pk":{"S":"a"}}' --item-bytes huge --rate 5 --duration 1s
bad update-needs-expression "missing --update-expression" --table-name "$table" --op update-item --key '{"pk":{"S":"a"}}' --rate 5 --duration 1s
bad missing-table "does not exist: create and fill it first, e.g. \`ddb load prepare" --table-name "${table}_missing" --op get-item --key '{"pk":{"S":"a"}}' --rate 5 --duration 1s

# --- a rate the server cannot carry with one request in flight: reported, with the cause --
# 5,000 a second with one in flight needs answers within 200 us; DynamoDB Local takes longer, so the
# requests queue behind the cap: every one is still sent and measured from its planned time.
out=$("$ddb" load run --table-name "$table" --op get-item --key '{"pk":{"S":"user#1"}}' --rate 5000 --duration 1s \
  --max-in-flight 1)
check_rc cap-shortfall-exit 1 $?
check cap-shortfall-all-sent "requests: 5000 sent, 5000 completed" "$out"
check cap-shortfall-warning "WARNING: the run did not keep to its schedule" "$out"
check cap-shortfall-cause "waited for the in-flight cap of 1" "$out"

# --- prepare and cleanup ------------------------------------------------------------------
prepared="${table}_prepared"
out=$("$ddb" load prepare --table-name "$prepared" --item '{"id":{"S":"p{key}"},"v":{"N":"1"}}' --keys 1234 \
  --item-bytes 100 --create-table 2>&1)
check_rc prepare 0 $?
check prepare-message "prepared 1234 items in $prepared" "$out"
items=$("$ddb" scan --cli-input-json '{"TableName":"'"$prepared"'","Select":"COUNT"}')
check prepare-count '"Count":1234' "$items"
out=$("$ddb" load run --table-name "$prepared" --op get-item --key '{"id":{"S":"p{key}"}}' --keys 1234 --rate 50 \
  --duration 1s --json)
check prepared-reads '"errors":0' "$out"
check prepared-hot-key-attribute '"hot_key_attribute":"id"' "$out"
out=$("$ddb" load run --table-name "$prepared" --mix get-item=1,query=1 --key '{"id":{"S":"p{key}"}}' \
  --key-condition 'id = :id' --values '{":id":{"S":"p{key}"}}' --keys 1234 --rate 50 --duration 1s --json)
check query-mix-completed '"completed":50,"errors":0' "$out"
out=$("$ddb" load run --table-name "$prepared" --op query --values '{":id":{"S":"p{key}"}}' --rate 1 --duration 1s 2>&1)
check_rc query-needs-condition 2 $?
check query-needs-condition-message "missing --key-condition" "$out"
out=$("$ddb" load cleanup --table-name "$prepared" 2>&1)
check_rc cleanup-needs-yes 2 $?
check cleanup-needs-yes-message "add --yes" "$out"
out=$("$ddb" load cleanup --table-name "$prepared" --yes)
check_rc cleanup 0 $?
check cleanup-message "deleted table $prepared" "$out"
out=$("$ddb" load prepare --table-name "$prepared" --item '{"id":{"S":"p{key}"}}' --keys 5 2>&1)
check_rc prepare-without-create 2 $?
check prepare-without-create-message "add --create-table" "$out"
out=$("$ddb" load prepare --table-name "$prepared" --item '{"id":{"S":"fixed"}}' --keys 5 --create-table 2>&1)
check_rc prepare-without-key 2 $?
check prepare-without-key-message "must hold {key}" "$out"

echo "test_load_cli: $passed passed, $failures failed"
[[ $failures == 0 ]]
