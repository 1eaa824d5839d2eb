#!/usr/bin/env bash
# The ddb tool against DynamoDB Local (started by the CTest fixture): every
# subcommand, their output, and their errors.
#   test/cli/test_cli.sh PATH_TO_DDB
set -uo pipefail
ddb="$1"
table="ddb_cli_$RANDOM$RANDOM"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out=$("$ddb" create-table --cli-input-json "{\"TableName\":\"$table\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}")
check_rc create-table 0 $?
check create-table "\"TableName\":\"$table\"" "$out"
out=$("$ddb" describe-table --cli-input-json "{\"TableName\":\"$table\"}")
check describe-table '"TableStatus":"ACTIVE"' "$out"
out=$("$ddb" list-tables)
check list-tables "\"$table\"" "$out"
out=$("$ddb" put-item --cli-input-json "{\"TableName\":\"$table\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},\"tags\":{\"SS\":[\"x\",\"y\"]}}}")
check_rc put-item 0 $?
req=$(mktemp)
echo "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ConsistentRead\":true}" >"$req"
out=$("$ddb" get-item --cli-input-json "file://$req")
check get-item-file '"n":{"N":"1"}' "$out"
out=$("$ddb" update-item --cli-input-json "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"UpdateExpression\":\"ADD n :d\",\"ExpressionAttributeValues\":{\":d\":{\"N\":\"41\"}},\"ReturnValues\":\"UPDATED_NEW\"}")
check update-item '{"Attributes":{"n":{"N":"42"}}}' "$out"
out=$("$ddb" query --cli-input-json "{\"TableName\":\"$table\",\"KeyConditionExpression\":\"pk = :p\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"a\"}}}")
check query '"Count":1' "$out"
out=$("$ddb" transact-write-items --cli-input-json "{\"TransactItems\":[{\"Put\":{\"TableName\":\"$table\",\"Item\":{\"pk\":{\"S\":\"b\"}}}},{\"ConditionCheck\":{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ConditionExpression\":\"n = :x\",\"ExpressionAttributeValues\":{\":x\":{\"N\":\"0\"}}}}]}" 2>&1)
check_rc transact-cancelled 254 $?
check transact-cancelled "TransactionCanceledException: " "$out"
out=$("$ddb" delete-item --cli-input-json "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ReturnValues\":\"ALL_OLD\"}")
check delete-item '"pk":{"S":"a"}' "$out"
out=$("$ddb" bench get-item --table "$table" --key '{"pk":{"S":"b"}}' --requests 200 --concurrency 8 --pipeline 4)
check_rc bench 0 $?
check bench "cpu per request:" "$(echo "$out" | tail -n 1)"
out=$("$ddb" bench query --table "$table" --key-condition "pk = :p" --values '{":p":{"S":"b"}}' --requests 100 --concurrency 4)
check_rc bench-query 0 $?
check bench-query "errors: 0" "$out"
# Each transaction gets a fresh ClientRequestToken: 50 of them, 50 increments.
"$ddb" put-item --cli-input-json "{\"TableName\":\"$table\",\"Item\":{\"pk\":{\"S\":\"counter\"},\"n\":{\"N\":\"0\"}}}" >/dev/null
out=$("$ddb" bench transact-write-items --requests 50 --concurrency 1 --cli-input-json "{\"TransactItems\":[{\"Update\":{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"counter\"}},\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}}],\"ClientRequestToken\":\"ignored-template-token\"}")
check_rc bench-transact 0 $?
out=$("$ddb" get-item --cli-input-json "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"counter\"}},\"ConsistentRead\":true}")
check bench-transact-fresh-tokens '"n":{"N":"50"}' "$out"

# The rest of the data and control plane, --page-all and the waiters.
batch="{\"RequestItems\":{\"$table\":["
for i in $(seq 1 12); do batch+="{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"s$i\"}}}},"; done
batch="${batch%,}]}}"
out=$("$ddb" batch-write-item --cli-input-json "$batch")
check_rc batch-write-item 0 $?
check batch-write-item '{}' "$out"
out=$("$ddb" batch-get-item --cli-input-json "{\"RequestItems\":{\"$table\":{\"Keys\":[{\"pk\":{\"S\":\"s1\"}},{\"pk\":{\"S\":\"s2\"}}]}}}")
check batch-get-item '"pk":{"S":"s2"}' "$out"
out=$("$ddb" scan --cli-input-json "{\"TableName\":\"$table\",\"Select\":\"COUNT\"}")
check scan '"Count":13' "$out"  # 12 batch items + the bench counter
out=$("$ddb" scan --page-all --cli-input-json "{\"TableName\":\"$table\",\"Limit\":4}")
check_rc scan-page-all 0 $?
pages=$(printf '%s\n' "$out" | grep -c '"Items"')
check scan-page-all-pages "4" "$pages"
items=0
for n in $(printf '%s\n' "$out" | grep -o '"Count":[0-9]*' | cut -d: -f2); do items=$((items + n)); done
check scan-page-all-items "13" "$items"
out=$("$ddb" execute-statement --cli-input-json "{\"Statement\":\"SELECT * FROM \\\"$table\\\" WHERE pk = 's3'\"}")
check execute-statement '"pk":{"S":"s3"}' "$out"
out=$("$ddb" describe-limits)
check describe-limits '"TableMaxReadCapacityUnits"' "$out"
out=$("$ddb" describe-time-to-live --cli-input-json "{\"TableName\":\"$table\"}")
check describe-time-to-live '"TimeToLiveStatus":"DISABLED"' "$out"
out=$("$ddb" wait table-exists --table-name "$table" --delay-ms 100 --timeout-ms 5000)
check_rc wait-table-exists 0 $?
out=$("$ddb" wait table-not-exists --table-name "$table" --delay-ms 50 --timeout-ms 200 2>&1)
check_rc wait-timeout 255 $?
check wait-timeout "did not disappear within 200 ms" "$out"
out=$("$ddb" get-item --cost --cli-input-json "{\"TableName\":\"$table\",\"Key\":{\"pk\":{\"S\":\"s1\"}}}" 2>&1 >/dev/null)
check get-item-cost "consumed capacity: 0.5 read units, 0 write units, est. \$0.00000006" "$out"
check get-item-cost-table "table $table: 0.5 read" "$out"
out=$("$ddb" get-item --page-all --cli-input-json '{}' 2>&1)
check_rc page-all-misuse 2 $?

# Errors: service (254, "Type: message (request id)"), bad input (2), unreachable endpoint (255).
out=$("$ddb" get-item --cli-input-json '{"TableName":"ddb_cli_missing","Key":{"pk":{"S":"a"}}}' 2>&1)
check_rc service-error 254 $?
check service-error "ResourceNotFoundException: " "$out"
out=$("$ddb" get-item --cli-input-json '{"TableName":5}' 2>&1)
check_rc bad-json 2 $?
check bad-json "request.TableName: expected a JSON string" "$out"
out=$("$ddb" get-item 2>&1)
check_rc missing-input 2 $?
out=$("$ddb" get-item --cli-input-json file:///nonexistent/x.json 2>&1)
check_rc missing-file 2 $?
out=$("$ddb" frobnicate 2>&1)
check_rc unknown-command 2 $?
out=$("$ddb" list-tables --endpoint-url http://127.0.0.1:1 2>&1)
check_rc unreachable 255 $?
check unreachable "could not connect" "$out"
out=$("$ddb" list-tables --endpoint-url ftp://x 2>&1)
check_rc bad-endpoint 255 $?
check bad-endpoint "http:// or https://" "$out"

# Credentials and region the way the AWS CLI finds them: a profile in
# temporary shared files, --profile over the environment's keys, and
# `configure list` showing where each setting came from (keys masked).
awsdir=$(mktemp -d)
printf '[default]\nregion = eu-west-3\n[profile cli]\nregion = us-east-1\ncredential_process = %s/proc.sh\n' "$awsdir" >"$awsdir/config"
printf '[default]\naws_access_key_id = AKIADEFAULTPROFILE\naws_secret_access_key = secretdefault\n' >"$awsdir/credentials"
printf '#!/bin/sh\necho "{\\"Version\\": 1, \\"AccessKeyId\\": \\"ASIAPROCESSCLI\\", \\"SecretAccessKey\\": \\"procsecret\\"}"\n' >"$awsdir/proc.sh"
chmod +x "$awsdir/proc.sh"
export AWS_CONFIG_FILE="$awsdir/config" AWS_SHARED_CREDENTIALS_FILE="$awsdir/credentials"
out=$("$ddb" configure list)
check_rc configure-list 0 $?
check configure-env-key "access_key     ****************ocal" "$out"
check configure-env-type "env    AWS_ACCESS_KEY_ID" "$out"
check configure-secret-masked "secret_key     ****************ocal" "$out"
out=$("$ddb" configure list --profile cli)
check configure-profile "profile                      cli           manual    --profile" "$out"
check configure-process "****************SCLI   custom-process" "$out"
check configure-region-env "us-east-1              env    AWS_REGION" "$out"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION "$ddb" configure list)
check configure-file "shared-credentials-file" "$out"
check configure-file-region "eu-west-3      config-file    profile default ($awsdir/config:2)" "$out"
out=$("$ddb" list-tables --profile cli)
check_rc profile-call 0 $?
check profile-call "\"$table\"" "$out"
out=$("$ddb" list-tables --profile nosuch 2>&1)
check_rc missing-profile 255 $?
check missing-profile "profile 'nosuch' (from client_config::profile) is in neither" "$out"
printf '[profile broken]\nregion\n' >"$awsdir/config"
out=$("$ddb" list-tables 2>&1)
check_rc broken-config 255 $?
check broken-config "$awsdir/config:2: expected 'name = value'" "$out"
printf '[default]\ncredential_process = sh -c "echo nope >&2; exit 7"\n' >"$awsdir/config"
: >"$awsdir/credentials"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$ddb" list-tables 2>&1)
check_rc failing-process 255 $?
check failing-process "exited with status 7: nope" "$out"
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
rm -rf "$awsdir"

# The semantic cache on DynamoDB Local.
ctable="${table}_cache"
out=$("$ddb" cache get --table-name "$ctable" "anything" 2>&1)
check_rc cache-missing-table 255 $?
check cache-missing-table "create_table = true" "$out"
out=$("$ddb" cache put --table-name "$ctable" --create-table --metadata '{"model":"m1"}' "What is the capital of France?" "Paris")
check_rc cache-put 0 $?
check cache-put '"stored":true' "$out"
out=$("$ddb" cache get --table-name "$ctable" "  what is the capital of FRANCE? ")
check cache-get-exact '"hit":true,"response":"Paris","similarity":1.000000' "$out"
check cache-get-layer '"layer":"exact"' "$out"
check cache-get-metadata '"metadata":{"model":"m1"}' "$out"
out=$("$ddb" cache get --table-name "$ctable" "what is the capital of france")
check cache-get-semantic '"layer":"semantic"' "$out"
out=$("$ddb" cache get --table-name "$ctable" "how do I bake bread")
check_rc cache-miss 0 $?
check cache-miss '{"hit":false,"reason":"below_threshold"}' "$out"
out=$("$ddb" cache get --table-name "$ctable" --namespace other "What is the capital of France?")
check cache-other-namespace '"reason":"no_match"' "$out"
out=$("$ddb" cache stats --table-name "$ctable")
check cache-stats '"default":{"entries":1' "$out"
out=$("$ddb" cache get --table-name "$ctable" --embedder hash:64 "x" 2>&1)
check_rc cache-embedder-mismatch 255 $?
check cache-embedder-mismatch "holds embeddings of 'hash-ngram:v1:384'" "$out"
out=$("$ddb" cache delete --table-name "$ctable" "What is the capital of France?")
check cache-delete '{"deleted":true}' "$out"
out=$("$ddb" cache get "anything" 2>&1)
check cache-in-memory "in memory and lives only for this command" "$out"
out=$("$ddb" cache put --table-name "$ctable" --embedder nope "q" "r" 2>&1)
check_rc cache-bad-embedder 2 $?
"$ddb" delete-table --cli-input-json "{\"TableName\":\"$ctable\"}" >/dev/null

# The two table layouts, and a migration from mneme's to lean.
mtable="${table}_mneme"
ltable="${table}_lean"
out=$("$ddb" cache put --table-name "$mtable" --create-table --layout mneme "What is the capital of France?" "Paris")
check_rc cache-mneme-put 0 $?
out=$("$ddb" cache stats --table-name "$mtable")
check cache-mneme-stats "\"store\":\"dynamodb:$mtable (mneme layout)\"" "$out"
out=$("$ddb" cache get --table-name "$mtable" --layout bogus "x" 2>&1)
check_rc cache-layout-bogus 2 $?
check cache-layout-bogus "--layout must be lean or mneme, not 'bogus'" "$out"
out=$("$ddb" cache migrate --table-name "$mtable" --to-table "$ltable" 2>/dev/null)
check_rc cache-migrate 0 $?
check cache-migrate '{"complete":true,"from_layout":"mneme","read":2,"copied":1,"skipped":1}' "$out"
out=$("$ddb" cache get --table-name "$ltable" "what is the capital of FRANCE?")
check cache-migrated-get '"hit":true,"response":"Paris"' "$out"
out=$("$ddb" cache stats --table-name "$ltable")
check cache-lean-stats "\"store\":\"dynamodb:$ltable (lean layout)\"" "$out"
out=$("$ddb" cache get --table-name "$ltable" --layout mneme "x" 2>&1)
check_rc cache-wrong-layout 255 $?
check cache-wrong-layout "has the lean layout, not mneme" "$out"
out=$("$ddb" cache migrate --table-name "$mtable" 2>&1)
check_rc cache-migrate-usage 2 $?
check cache-migrate-usage "needs --table-name SRC and --to-table DST" "$out"
"$ddb" delete-table --cli-input-json "{\"TableName\":\"$mtable\"}" >/dev/null
"$ddb" delete-table --cli-input-json "{\"TableName\":\"$ltable\"}" >/dev/null

"$ddb" delete-table --cli-input-json "{\"TableName\":\"$table\"}" >/dev/null
out=$("$ddb" wait table-not-exists --table-name "$table" --delay-ms 100 --timeout-ms 5000)
check_rc wait-table-not-exists 0 $?
# `ddb bench` and `ddb cache` run the tools beside ddb; without them, a clear error.
lonely=$(mktemp -d)
cp "$ddb" "$lonely/ddb"
out=$("$lonely/ddb" cache stats 2>&1)
check_rc cache-tool-missing 255 $?
check cache-tool-missing "runs the ddb-cache tool, expected at $lonely/ddb-cache" "$out"
out=$("$lonely/ddb" bench get-item --table t --key '{}' 2>&1)
check bench-tool-missing "runs the ddb-bench tool, expected at $lonely/ddb-bench" "$out"
rm -rf "$lonely"
out=$("$ddb" bench nonsense 2>&1)
check_rc bench-unknown 2 $?
check bench-unknown "bench supports get-item, query and transact-write-items" "$out"

rm -f "$req"
echo "$passed passed, $failures failed"
[[ $failures == 0 ]]
