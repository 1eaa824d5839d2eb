// Tables declared in a spec (src/tables): parsing and its errors, the table
// as described read back into the spec's shape, differences, the requests a
// plan sends (their JSON, including the settings DynamoDB Local ignores) and
// the Terraform rendering.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "agent/memory_layout.hpp"
#include "ddb/detail/operations.hpp"
#include "model/codec.hpp"
#include "tables/spec.hpp"

using namespace ddb;
using namespace ddb::tables;

namespace {

std::string file(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

table_spec parsed(const std::string& json) {
  auto s = parse_spec(json);
  if (!s) FAIL(s.error().message);
  return *s;
}

template <class Request>
std::string json_of(const Request& r) {
  auto j = ddb::detail::encode(r);
  REQUIRE(j);
  return *j;
}

}  // namespace

TEST_CASE("table spec: the shipped specs parse; bad specs name the field and the fix", "[tables]") {
  const table_spec agent = parsed(file(DDB_EXAMPLES "/tables/agent-state.json"));
  CHECK(agent.table_name == "agent-state");
  CHECK(agent.partition == key_attribute{"pk", "S"});
  CHECK(agent.sort == key_attribute{"sk", "S"});
  CHECK(agent.billing_mode == "PAY_PER_REQUEST");
  CHECK(agent.ttl_attribute == "expires_at");
  CHECK(agent.point_in_time_recovery);
  CHECK(agent.sse_kms);
  CHECK(agent.stream_view_type == "NEW_AND_OLD_IMAGES");
  // The index ddb::agent::memory needs (else it adds it, which takes UpdateTable rights).
  REQUIRE(agent.indexes.size() == 1);
  CHECK(agent.indexes[0].name == ddb::agent::detail::run_index);
  CHECK(agent.indexes[0].partition == key_attribute{"run_id", "S"});
  CHECK_FALSE(agent.indexes[0].sort);
  CHECK(agent.indexes[0].projection == "KEYS_ONLY");
  const table_spec lean = parsed(file(DDB_EXAMPLES "/tables/cache-lean.json"));
  REQUIRE(lean.indexes.size() == 1);
  CHECK(lean.indexes[0].projection == "INCLUDE");
  CHECK(lean.indexes[0].non_key == std::vector<std::string>{"t", "a"});
  CHECK(parsed(file(DDB_EXAMPLES "/tables/cache-mneme.json")).indexes.size() == 2);

  const auto error_of = [](const std::string& json) {
    auto s = parse_spec(json);
    REQUIRE_FALSE(s);
    return s.error().message;
  };
  const std::string keys = R"("partition_key":{"name":"pk","type":"S"})";
  CHECK_THAT(error_of("{" + keys + R"(,"ttl":"x"})"), Catch::Contains("\"ttl\" is not a field here (known: table_name,"));
  CHECK_THAT(error_of("{}"), Catch::Contains("partition_key must be an object"));
  CHECK_THAT(error_of(R"({"partition_key":{"name":"pk","type":"X"}})"), Catch::Contains("partition_key.type must be S, N or B"));
  CHECK_THAT(error_of("{" + keys + R"(,"billing_mode":"PROVISIONED"})"), Catch::Contains("needs read_capacity and write_capacity"));
  CHECK_THAT(error_of("{" + keys + R"(,"read_capacity":5})"), Catch::Contains("go with billing_mode PROVISIONED"));
  CHECK_THAT(error_of("{" + keys + R"(,"billing_mode":"FREE"})"), Catch::Contains("billing_mode 'FREE' is not a valid value"));
  CHECK_THAT(error_of("{" + keys + R"(,"global_secondary_indexes":[{"name":"g","partition_key":{"name":"a","type":"S"}},{"name":"g","partition_key":{"name":"a","type":"S"}}]})"),
             Catch::Contains("'g' is used twice"));
  CHECK_THAT(error_of("{" + keys + R"(,"global_secondary_indexes":[{"name":"g","partition_key":{"name":"a","type":"S"},"projection":[]}]})"),
             Catch::Contains("at least one attribute"));
  CHECK_THAT(error_of("{" + keys + R"(,"server_side_encryption":{"kms_key_id":"alias/x"}})"), Catch::Contains("needs \"enabled\": true"));
  CHECK_THAT(error_of("{" + keys + R"(,"stream_view_type":"ALL"})"), Catch::Contains("stream_view_type 'ALL' is not a valid value"));
  CHECK_THAT(error_of("{" + keys + R"(,"tags":{"a":1}})"), Catch::Contains("tags.a must be a string"));
  CHECK_THAT(error_of("[1]"), Catch::Contains("not a JSON object"));
}

TEST_CASE("table spec: a missing table is created with everything CreateTable takes, then TTL and PITR", "[tables]") {
  table_spec want = parsed(file(DDB_EXAMPLES "/tables/agent-state.json"));
  want.table_class = "STANDARD_INFREQUENT_ACCESS";
  want.kms_key_id = "alias/agents";
  want.deletion_protection = true;
  auto steps = plan(want, std::nullopt, "");
  REQUIRE(steps);
  REQUIRE(steps->size() == 3);
  REQUIRE((*steps)[0].create);
  const std::string create = json_of(*(*steps)[0].create);
  CHECK_THAT(create, Catch::Contains(R"("TableName":"agent-state")"));
  CHECK_THAT(create, Catch::Contains(R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}])"));
  CHECK_THAT(create, Catch::Contains(R"("BillingMode":"PAY_PER_REQUEST")"));
  CHECK_THAT(create, Catch::Contains(R"("StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"})"));
  CHECK_THAT(create, Catch::Contains(R"("SSESpecification":{"Enabled":true,"SSEType":"KMS","KMSMasterKeyId":"alias/agents"})"));
  CHECK_THAT(create, Catch::Contains(R"("TableClass":"STANDARD_INFREQUENT_ACCESS")"));
  CHECK_THAT(create, Catch::Contains(R"("DeletionProtectionEnabled":true)"));
  CHECK_THAT(create, Catch::Contains(R"("Tags":[{"Key":"app","Value":"ddb-agent"}])"));
  REQUIRE((*steps)[1].ttl);
  CHECK(json_of(*(*steps)[1].ttl) ==
        R"({"TableName":"agent-state","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expires_at"}})");
  REQUIRE((*steps)[2].backups);
  CHECK_THAT(json_of(*(*steps)[2].backups), Catch::Contains(R"({"PointInTimeRecoveryEnabled":true})"));
  CHECK(differences(want, std::nullopt).size() == 1);
  want.table_name.clear();
  CHECK_THAT(plan(want, std::nullopt, "").error().message, Catch::Contains("names no table"));
}

TEST_CASE("table spec: an existing table is changed one step at a time; keys cannot change", "[tables]") {
  const table_spec have = parsed(R"({"table_name":"t","partition_key":{"name":"pk","type":"S"},
    "billing_mode":"PROVISIONED","read_capacity":5,"write_capacity":5,"ttl_attribute":"old_ttl",
    "global_secondary_indexes":[{"name":"gone","partition_key":{"name":"g","type":"S"},"read_capacity":1,"write_capacity":1}],
    "tags":{"keep":"1","drop":"2","change":"a"}})");
  const table_spec want = parsed(R"({"table_name":"t","partition_key":{"name":"pk","type":"S"},
    "global_secondary_indexes":[{"name":"by_owner","partition_key":{"name":"owner","type":"S"},"sort_key":{"name":"at","type":"N"},"projection":"KEYS_ONLY"}],
    "ttl_attribute":"expires_at","stream_view_type":"KEYS_ONLY","deletion_protection":true,
    "tags":{"keep":"1","change":"b","new":"c"}})");
  auto steps = plan(want, have, "arn:aws:dynamodb:us-east-1:1:table/t");
  REQUIRE(steps);
  std::vector<std::string> what;
  for (const step& s : *steps) what.push_back(s.what);
  CHECK(what == std::vector<std::string>{"delete index gone", "billing PAY_PER_REQUEST", "add index by_owner", "stream KEYS_ONLY",
                                         "deletion protection on", "time to live off (old_ttl)", "time to live on expires_at",
                                         "remove tags", "tags"});
  CHECK_THAT(json_of(*(*steps)[0].update), Catch::Contains(R"("GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"gone"}}])"));
  const std::string add = json_of(*(*steps)[2].update);
  CHECK_THAT(add, Catch::Contains(R"({"AttributeName":"owner","AttributeType":"S"},{"AttributeName":"at","AttributeType":"N"})"));
  CHECK_THAT(add, Catch::Contains(R"("Create":{"IndexName":"by_owner")"));
  CHECK_THAT(add, Catch::Contains(R"("Projection":{"ProjectionType":"KEYS_ONLY"})"));
  CHECK(json_of(*steps->back().tag) ==
        R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:1:table/t","Tags":[{"Key":"change","Value":"b"},{"Key":"new","Value":"c"}]})");
  CHECK(json_of(*(*steps)[7].untag) == R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:1:table/t","TagKeys":["drop"]})");
  const auto diffs = differences(want, have);
  std::vector<std::string> texts;
  for (const difference& d : diffs) texts.push_back(d.text());
  CHECK(std::find(texts.begin(), texts.end(), "billing_mode: PROVISIONED -> PAY_PER_REQUEST") != texts.end());
  CHECK(std::find(texts.begin(), texts.end(), "ttl_attribute: old_ttl -> expires_at") != texts.end());
  CHECK(std::find(texts.begin(), texts.end(), "tags.drop: 2 -> (absent)") != texts.end());
  CHECK(differences(want, want).empty());
  CHECK(plan(want, want, "arn")->empty());  // applied twice: nothing the second time

  // A stream's view type changes by turning the stream off first.
  table_spec other_view = want;
  other_view.stream_view_type = "NEW_IMAGE";
  auto views = plan(other_view, want, "arn");
  REQUIRE(views);
  REQUIRE(views->size() == 2);
  CHECK(views->at(0).what == "stream off");
  CHECK(views->at(1).what == "stream NEW_IMAGE");

  table_spec rekeyed = want;
  rekeyed.sort = key_attribute{"sk", "S"};
  CHECK_THAT(plan(rekeyed, want, "arn").error().message, Catch::Contains("DynamoDB cannot change a table's keys"));
  table_spec reindexed = want;
  reindexed.indexes[0].projection = "ALL";
  CHECK_THAT(plan(reindexed, want, "arn").error().message, Catch::Contains("an index's keys and projection cannot change"));
}

TEST_CASE("table spec: a table as DynamoDB describes it reads back into the spec it was made from", "[tables]") {
  const table_spec want = parsed(file(DDB_EXAMPLES "/tables/cache-lean.json"));
  auto d = ddb::detail::decode<describe_table_response>(R"({"Table":{"TableName":"semantic-cache","TableStatus":"ACTIVE",
    "TableArn":"arn:aws:dynamodb:us-east-1:1:table/semantic-cache",
    "AttributeDefinitions":[{"AttributeName":"k","AttributeType":"N"},{"AttributeName":"p","AttributeType":"N"},{"AttributeName":"u","AttributeType":"N"}],
    "KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],
    "BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"},
    "ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":0},
    "GlobalSecondaryIndexes":[{"IndexName":"feed","KeySchema":[{"AttributeName":"p","KeyType":"HASH"},{"AttributeName":"u","KeyType":"RANGE"}],
      "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["t","a"]},"IndexStatus":"ACTIVE"}]}})");
  REQUIRE(d);
  observed o;
  o.table = *d->table;
  o.ttl = time_to_live_description{time_to_live_status::enabled, "x"};
  o.tags = {{"app", "ddb-cache"}, {"layout", "lean"}};
  const table_spec have = spec_of(o);
  for (const difference& x : differences(want, have)) FAIL(x.text());
  CHECK(plan(want, have, "arn")->empty());
  o.ttl = time_to_live_description{time_to_live_status::disabled, "x"};
  CHECK(differences(want, spec_of(o)).size() == 1);
}

TEST_CASE("table spec: Terraform in terraform fmt's layout, strings escaped", "[tables]") {
  table_spec s = parsed(R"({"table_name":"orders","partition_key":{"name":"pk","type":"S"},"sort_key":{"name":"sk","type":"N"},
    "billing_mode":"PROVISIONED","read_capacity":5,"write_capacity":10,
    "global_secondary_indexes":[{"name":"by_user","partition_key":{"name":"user","type":"S"},"projection":["total"],
      "read_capacity":2,"write_capacity":3}],
    "ttl_attribute":"expires_at","point_in_time_recovery":true,"server_side_encryption":{"enabled":true,"kms_key_id":"arn:k"},
    "tags":{"team":"shop","cost-center":"42","a:b":"${x}"}})");
  CHECK(terraform(s, "orders") == R"(resource "aws_dynamodb_table" "orders" {
  name                        = "orders"
  billing_mode                = "PROVISIONED"
  read_capacity               = 5
  write_capacity              = 10
  hash_key                    = "pk"
  range_key                   = "sk"
  table_class                 = "STANDARD"
  deletion_protection_enabled = false

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "N"
  }

  attribute {
    name = "user"
    type = "S"
  }

  global_secondary_index {
    name               = "by_user"
    hash_key           = "user"
    projection_type    = "INCLUDE"
    non_key_attributes = ["total"]
    read_capacity      = 2
    write_capacity     = 3
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = "arn:k"
  }

  tags = {
    "a:b"       = "$${x}"
    cost-center = "42"
    team        = "shop"
  }
}
)");
  const table_spec agent = parsed(file(DDB_EXAMPLES "/tables/agent-state.json"));
  const module_inputs inputs;
  // The module in examples/terraform is this rendering of the spec, checked in.
  CHECK(terraform(agent, "this", &inputs) == file(DDB_EXAMPLES "/terraform/agent-state/main.tf"));
}
