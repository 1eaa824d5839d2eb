// Golden JSON tests of the typed requests and responses of operations that
// DynamoDB Local does not implement (continuous backups, tagging,
// SearchVectors): each request encodes to the documented JSON, each
// documented response decodes into the typed struct, and back.
#include <catch2/catch.hpp>

#include "ddb/model.hpp"
#include "ddb/detail/operations.hpp"
#include "model/codec.hpp"

#include <optional>

using namespace ddb;
using ddb::detail::decode;
using ddb::detail::encode;

TEST_CASE("tagging requests and responses", "[model]") {
  tag_resource_request tag;
  tag.resource_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Music";
  tag.tags = {{"Owner", "blueTeam"}, {"env", "prod"}};
  CHECK(*encode(tag) ==
        R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/Music",)"
        R"("Tags":[{"Key":"Owner","Value":"blueTeam"},{"Key":"env","Value":"prod"}]})");
  const untag_resource_request untag{.resource_arn = tag.resource_arn, .tag_keys = {"Owner"}};
  CHECK(*encode(untag) == R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/Music","TagKeys":["Owner"]})");
  const list_tags_of_resource_request list{.resource_arn = tag.resource_arn, .next_token = "abc"};
  CHECK(*encode(list) == R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/Music","NextToken":"abc"})");

  auto listed = decode<list_tags_of_resource_response>(R"({"Tags":[{"Key":"Owner","Value":"blueTeam"}],"NextToken":"n2"})");
  REQUIRE(listed);
  REQUIRE(listed->tags.size() == 1);
  CHECK(listed->tags[0].key == "Owner");
  CHECK(listed->tags[0].value == "blueTeam");
  CHECK(listed->next_token == "n2");
  CHECK(decode<tag_resource_response>("{}"));  // an empty answer
  CHECK(*detail::encode_response(*listed) == R"({"Tags":[{"Key":"Owner","Value":"blueTeam"}],"NextToken":"n2"})");
}

TEST_CASE("continuous backups requests and responses", "[model]") {
  update_continuous_backups_request up;
  up.table_name = "Music";
  up.point_in_time_recovery_specification = {.point_in_time_recovery_enabled = true, .recovery_period_in_days = 7};
  CHECK(*encode(up) ==
        R"({"TableName":"Music","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true,"RecoveryPeriodInDays":7}})");
  auto d = decode<describe_continuous_backups_response>(
      R"({"ContinuousBackupsDescription":{"ContinuousBackupsStatus":"ENABLED","PointInTimeRecoveryDescription":)"
      R"({"PointInTimeRecoveryStatus":"ENABLED","RecoveryPeriodInDays":35,)"
      R"("EarliestRestorableDateTime":1.7e9,"LatestRestorableDateTime":1700000300.5}}})");
  REQUIRE(d);
  REQUIRE(d->continuous_backups_description);
  CHECK(d->continuous_backups_description->continuous_backups_status == ddb::continuous_backups_status::enabled);
  const auto& pitr = d->continuous_backups_description->point_in_time_recovery_description;
  REQUIRE(pitr);
  CHECK(pitr->point_in_time_recovery_status == ddb::point_in_time_recovery_status::enabled);
  CHECK(pitr->recovery_period_in_days == 35);
  CHECK(pitr->earliest_restorable_date_time == 1.7e9);
  CHECK(pitr->latest_restorable_date_time == 1700000300.5);
  // A required member of the wrong type is an error naming its path.
  auto bad = decode<describe_continuous_backups_response>(R"({"ContinuousBackupsDescription":{"ContinuousBackupsStatus":5}})");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("ContinuousBackupsDescription.ContinuousBackupsStatus"));
}

TEST_CASE("SearchVectors request and response", "[model]") {
  search_vectors_request s;
  s.table_name = "docs";
  s.index_name = "by_embedding";
  s.search_vector = {value(0.25), value(-1), value(3)};
  s.top_k = 3;
  s.search_condition_expression = "#k = :k";
  s.expression_attribute_names = {{"#k", "kind"}};
  s.expression_attribute_values = item{{":k", "faq"}};
  CHECK(*encode(s) == R"({"TableName":"docs","IndexName":"by_embedding","ExpressionAttributeNames":{"#k":"kind"},)"
                      R"("ExpressionAttributeValues":{":k":{"S":"faq"}},"SearchVector":[{"N":"0.25"},{"N":"-1"},{"N":"3"}],)"
                      R"("SearchConditionExpression":"#k = :k","TopK":3})");
  auto r = decode<search_vectors_response>(
      R"({"ConsumedCapacity":{"VectorSearchRequestBytes":4096},"SearchResults":[)"
      R"({"Item":{"id":{"S":"a"}},"Score":0.93},{"Item":{"id":{"S":"b"}},"Score":0.5}]})");
  REQUIRE(r);
  REQUIRE(r->search_results.size() == 2);
  CHECK(r->search_results[0].item.at("id") == value("a"));
  CHECK(r->search_results[0].score == 0.93);
  REQUIRE(r->consumed_capacity);
  CHECK(r->consumed_capacity->vector_search_request_bytes == 4096);
}

TEST_CASE("the items of a page decode whatever their sizes", "[model]") {
  // Items reserve as many members as the previous one had: shrinking and
  // growing from item to item must not matter.
  std::string page = R"({"Items":[)";
  std::vector<item> want;
  for (int n : {1, 20, 2, 40, 3, 3, 300, 1}) {
    item it;
    for (int i = 0; i < n; ++i) it.insert_or_assign("k" + std::to_string(i), i);
    if (!want.empty()) page += ',';
    page += json::to_json(it);
    want.push_back(std::move(it));
  }
  page += R"(],"Count":8,"ScannedCount":8})";
  auto r = decode<query_response>(page);
  REQUIRE(r);
  REQUIRE(r->items.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(r->items[i] == want[i]);
  CHECK(r->count == 8);
}

TEST_CASE("every typed decoder turns malformed tokens into an error naming the member", "[model]") {
  // Bodies a fuzzer found (a token that starts like null but is not one) and
  // their kin, under a known member, an unknown one and at the top: every
  // decoder (requests too: the CLI reads them) must return an error, and
  // nothing may throw (it would escape a completion handler).
  const std::vector<std::string> bad = {
      R"({"Item":n})", R"({"Count":nul})", R"({"Zzz":nulx})", R"({"TableName":nUll})",
      R"({"Zzz":n,"Count":1})", R"(n)", R"(nul)", R"([)", R"({"Count":1,)",
  };
  // Malformed only where a decoder looks (or skips): must not throw.
  const std::vector<std::string> odd = {R"({"Item":t})", R"({"Count":f})", R"({"Item":{"a":n}})",
                                        R"({"Items":[n]})", R"({"Count":-})", R"({"Count":1e999999})"};
  auto each = [&]<class Message>(Message*) {
    for (const auto& b : bad) {
      INFO(Message::kind << " " << b);
      std::optional<result<Message>> r;
      CHECK_NOTHROW(r.emplace(decode<Message>(b)));
      REQUIRE(r);
      REQUIRE_FALSE(*r);
      CHECK_FALSE(r->error().message.empty());
    }
    for (const auto& b : odd) {
      INFO(Message::kind << " " << b);
      CHECK_NOTHROW((void)decode<Message>(b));
    }
  };
#define DDB_OPERATION(name, cli, fn)         \
  each(static_cast<fn##_request*>(nullptr)); \
  each(static_cast<fn##_response*>(nullptr));
#include "model/generated/operations.inc"
#undef DDB_OPERATION
  auto r = decode<get_item_response>(R"({"Item":n})");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("DynamoDB's response could not be read: response.Item"));
}

// Enumerations are typed (issue 23): a misspelt value does not compile, and
// a value newer than the model is neither refused nor lost.
static_assert(!std::is_assignable_v<std::optional<ddb::open_enum<ddb::billing_mode>>&, const char*>);
static_assert(!std::is_assignable_v<std::optional<ddb::open_enum<ddb::billing_mode>>&, std::string>);
static_assert(!std::is_constructible_v<ddb::open_enum<ddb::key_type>, const char*>);
static_assert(std::is_assignable_v<std::optional<ddb::open_enum<ddb::billing_mode>>&, ddb::billing_mode>);

namespace {
template <class E>
void check_every_value(int count) {
  for (int i = 0; i < count; ++i) {
    const auto e = static_cast<E>(i);
    const std::string_view name = to_string(e);
    INFO(name);
    REQUIRE_FALSE(name.empty());
    E back{};
    REQUIRE(parse_enum(name, back));
    CHECK(back == e);
    const auto open = open_enum<E>::from_string(name);
    CHECK(open == e);
    CHECK(open.known() == e);
    CHECK(open.str() == name);
  }
  CHECK(to_string(static_cast<E>(count)).empty());  // no more values than the model lists
  E untouched = static_cast<E>(count);
  CHECK_FALSE(parse_enum("NOT_A_VALUE", untouched));
  CHECK(untouched == static_cast<E>(count));
}
}  // namespace

TEST_CASE("every enumeration value of the model round-trips through its name", "[model]") {
#define DDB_ENUM(name, count) check_every_value<ddb::name>(count);
#include "model/generated/enums.inc"
#undef DDB_ENUM
  CHECK(to_string(conditional_operator::and_) == "AND");
  CHECK(to_string(attribute_action::delete_) == "DELETE");
  CHECK(to_string(batch_statement_error_code::conditional_check_failed) == "ConditionalCheckFailed");
}

TEST_CASE("typed enumerations encode as DynamoDB spells them and keep values the model does not list", "[model]") {
  create_table_request ct{.attribute_definitions = {{"pk", scalar_attribute_type::s}},
                          .table_name = "tbl",
                          .key_schema = {{"pk", key_type::hash}},
                          .billing_mode = billing_mode::pay_per_request};
  CHECK(*encode(ct) == R"({"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"TableName":"tbl",)"
                       R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})");

  // A response with a status newer than the model: kept, compared false,
  // written back unchanged.
  auto d = decode<describe_table_response>(
      R"({"Table":{"TableName":"t","TableStatus":"HIBERNATING","BillingModeSummary":{"BillingMode":"PROVISIONED"}}})");
  REQUIRE(d);
  REQUIRE(d->table);
  REQUIRE(d->table->table_status);
  CHECK_FALSE(d->table->table_status->known());
  CHECK(d->table->table_status->str() == "HIBERNATING");
  CHECK_FALSE(d->table->table_status == table_status::active);
  CHECK(d->table->billing_mode_summary->billing_mode == billing_mode::provisioned);
  CHECK(*detail::encode_response(*d) ==
        R"({"Table":{"TableName":"t","TableStatus":"HIBERNATING","BillingModeSummary":{"BillingMode":"PROVISIONED"}}})");

  // The escape hatch sends a value the model does not list, as given; a
  // listed one given as a string becomes its enumerator.
  update_table_request ut{.table_name = "tbl", .billing_mode = open_enum<billing_mode>::from_string("ON_DEMAND_V2")};
  CHECK(*encode(ut) == R"({"TableName":"tbl","BillingMode":"ON_DEMAND_V2"})");
  CHECK(open_enum<billing_mode>::from_string("PROVISIONED") == billing_mode::provisioned);
  CHECK(open_enum<billing_mode>::from_string("ON_DEMAND_V2") == open_enum<billing_mode>::from_string("ON_DEMAND_V2"));
  CHECK_FALSE(open_enum<billing_mode>::from_string("provisioned").known());  // the spelling is exact

  // Invalid UTF-8 through the escape hatch is refused like any other text.
  ut.billing_mode = open_enum<billing_mode>::from_string("\xff");
  auto bad = encode(ut);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_utf8);

  // Unset: empty, written as "" only where the model requires the member.
  open_enum<key_type> unset;
  CHECK(unset.empty());
  CHECK(unset.str().empty());
  CHECK_FALSE(unset.known());
  CHECK_FALSE(unset == key_type::hash);

  // A wrong JSON type is an error naming the member.
  auto wrong = decode<describe_table_response>(R"({"Table":{"TableStatus":7}})");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("TableStatus") != std::string::npos);
}
