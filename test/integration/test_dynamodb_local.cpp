// The sans-io core against a real DynamoDB (Local): requests signed by the
// signer and written by the JSON writer are accepted, responses and error
// bodies are read back exactly, and ddb's limits agree with the service's.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/crc.hpp>
#include <catch2/catch.hpp>

#include <random>

#include "ddb/core/json.hpp"
#include "support/local_dynamodb.hpp"
#include "support/values.hpp"

using namespace ddb;
using ddb::test::create_table_body;
using ddb::test::nested;
using ddb::test::local_connection;
using ddb::test::reply;
namespace asio = boost::asio;

namespace {

// Runs a coroutine to completion on a fresh io_context, rethrowing its exception.
template <class F>
void run(F f) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

sigv4::signer local_signer() {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  return sigv4::signer({key ? key : "", secret_string(secret ? secret : ""), {}}, "us-east-1", "dynamodb");
}

std::string unique_table(std::string_view stem) {
  std::random_device rd;
  return std::string(stem) + "_" + std::to_string(rd() % 1000000000u);
}

// {"TableName":T,"Item":ITEM,...extra}
std::string put_request(const std::string& table, const item& it, std::string_view extra = {}) {
  std::string out;
  json::writer w(out);
  w.begin_object();
  w.key("TableName");
  w.string(table);
  w.key("Item");
  write_item(w, it).value();
  out += extra;
  w.end_object();
  return out;
}

// The "Item" member of a GetItem response, read with the codec.
item item_of(const std::string& body) {
  const std::string prefix = R"({"Item":)";
  REQUIRE(body.rfind(prefix, 0) == 0);
  REQUIRE(body.back() == '}');
  auto it = json::parse_item(std::string_view(body).substr(prefix.size(), body.size() - prefix.size() - 1));
  REQUIRE(it);
  return std::move(*it);
}

void check_crc(const reply& r) {
  REQUIRE_FALSE(r.crc32.empty());
  boost::crc_32_type crc;
  crc.process_bytes(r.body.data(), r.body.size());
  CHECK(std::to_string(crc.checksum()) == r.crc32);
}

}  // namespace

TEST_CASE("signed requests round-trip every type through DynamoDB Local", "[integration]") {
  auto signer = local_signer();
  const std::string table = unique_table("ddb_core");
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    local_connection c(ex, ddb::test::local_endpoint::from_env(), signer);
    co_await c.connect();

    reply r = co_await c.call("CreateTable", create_table_body(table));
    INFO(r.body);
    REQUIRE(r.status == 200);
    check_crc(r);

    const item original{
        {"pk", "user#1 café ☃"},
        {"n", number("-12.500E3")},
        {"big", number("12345678901234567890123456789012345678")},
        {"tiny", number("1E-130")},
        {"flag", true},
        {"nothing", null},
        {"b", bytes{0, 1, 2, 253, 254, 255}},
        {"quote", "say \"hi\"\n\tand \\ leave"},
        {"m", item{{"inner", "x"}, {"deeper", item{{"k", 1}}}, {"empty", item{}}}},
        {"l", list{1, "two", list{}, item{{"z", null}}}},
        {"ss", string_set{"c", "a", "b"}},
        {"ns", number_set{1, number("2.5"), number("-7")}},
        {"bs", binary_set{to_bytes("a"), to_bytes("b")}},
    };
    r = co_await c.call("PutItem", put_request(table, original));
    REQUIRE(r.status == 200);

    r = co_await c.call("GetItem", R"({"TableName":")" + table +
                                       R"(","Key":{"pk":{"S":"user#1 café ☃"}},"ConsistentRead":true})");
    REQUIRE(r.status == 200);
    check_crc(r);
    const item back = item_of(r.body);
    CHECK(back == original);
    // DynamoDB normalizes number text; the values are the same.
    CHECK(back.at("n").as_number().text() == "-12500");
    CHECK(back.at("n").as_number().to<int>().value() == -12500);

    r = co_await c.call("DeleteTable", R"({"TableName":")" + table + R"("})");
    CHECK(r.status == 200);
  });
}

TEST_CASE("service errors from DynamoDB Local decode: condition failures and cancelled transactions",
          "[integration]") {
  auto signer = local_signer();
  const std::string table = unique_table("ddb_errors");
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    local_connection c(ex, ddb::test::local_endpoint::from_env(), signer);
    co_await c.connect();
    reply r = co_await c.call("CreateTable", create_table_body(table));
    REQUIRE(r.status == 200);
    // (Items are built outside co_await expressions: GCC 12 cannot keep an
    // initializer_list's backing array in a coroutine frame.)
    const item first{{"pk", "k"}, {"v", 1}};
    const item second{{"pk", "k"}, {"v", 2}};
    r = co_await c.call("PutItem", put_request(table, first));
    REQUIRE(r.status == 200);

    // A conditional put that fails, asking for the old item back.
    r = co_await c.call("PutItem", put_request(table, second,
                                               R"j(,"ConditionExpression":"attribute_not_exists(pk)",)j"
                                               R"("ReturnValuesOnConditionCheckFailure":"ALL_OLD")"));
    CHECK(r.status == 400);
    auto e = json::parse_error(r.body);
    REQUIRE(e);
    CHECK(e->type == "ConditionalCheckFailedException");
    CHECK_FALSE(e->message.empty());
    REQUIRE(e->item);
    CHECK(*e->item == first);

    // A transaction whose second action's condition fails.
    r = co_await c.call("TransactWriteItems", R"({"TransactItems":[
        {"Put":{"TableName":")" + table + R"(","Item":{"pk":{"S":"new"}}}},
        {"ConditionCheck":{"TableName":")" + table + R"(","Key":{"pk":{"S":"k"}},
          "ConditionExpression":"v = :two","ExpressionAttributeValues":{":two":{"N":"2"}},
          "ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}],
      "ClientRequestToken":"ddb-integration-token-1"})");
    CHECK(r.status == 400);
    e = json::parse_error(r.body);
    REQUIRE(e);
    CHECK(e->type == "TransactionCanceledException");
    REQUIRE(e->cancellation_reasons.size() == 2);
    CHECK(e->cancellation_reasons[0].code == "None");
    CHECK(e->cancellation_reasons[1].code == "ConditionalCheckFailed");
    REQUIRE(e->cancellation_reasons[1].item);
    CHECK(e->cancellation_reasons[1].item->at("v") == value(1));

    // A validation error.
    r = co_await c.call("GetItem", R"({"TableName":")" + table + R"(","Key":{}})");
    CHECK(r.status == 400);
    e = json::parse_error(r.body);
    REQUIRE(e);
    CHECK(e->type == "ValidationException");

    co_await c.call("DeleteTable", R"({"TableName":")" + table + R"("})");
  });
}

TEST_CASE("ddb's limits agree with DynamoDB's: nesting depth and item size", "[integration]") {
  auto signer = local_signer();
  const std::string table = unique_table("ddb_limits");
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    local_connection c(ex, ddb::test::local_endpoint::from_env(), signer);
    co_await c.connect();
    reply r = co_await c.call("CreateTable", create_table_body(table));
    REQUIRE(r.status == 200);

    // The deepest value ddb writes is accepted and read back.
    const item deepest{{"pk", "deep"}, {"d", nested(max_nesting_depth)}};
    r = co_await c.call("PutItem", put_request(table, deepest));
    INFO(r.body);
    CHECK(r.status == 200);
    r = co_await c.call("GetItem", R"({"TableName":")" + table + R"(","Key":{"pk":{"S":"deep"}}})");
    REQUIRE(r.status == 200);
    CHECK(item_of(r.body) == deepest);

    // One level more, which ddb refuses to write, DynamoDB refuses too.
    std::string deeper = R"({"TableName":")" + table + R"(","Item":{"pk":{"S":"deeper"},"d":)";
    for (int i = 0; i < max_nesting_depth; ++i) deeper += R"({"L":[)";
    deeper += R"({"S":"leaf"})";
    for (int i = 0; i < max_nesting_depth; ++i) deeper += "]}";
    deeper += "}}";
    r = co_await c.call("PutItem", deeper);
    CHECK(r.status == 400);
    auto e = json::parse_error(r.body);
    REQUIRE(e);
    CHECK(e->type == "ValidationException");

    // A 399 KB item is stored and read back whole; over 400 KB is refused.
    const item large{{"pk", "large"}, {"s", std::string(399 * 1024, 'x')}};
    r = co_await c.call("PutItem", put_request(table, large));
    CHECK(r.status == 200);
    r = co_await c.call("GetItem", R"({"TableName":")" + table + R"(","Key":{"pk":{"S":"large"}}})");
    REQUIRE(r.status == 200);
    check_crc(r);
    CHECK(item_of(r.body) == large);
    const item huge{{"pk", "huge"}, {"s", std::string(401 * 1024, 'x')}};
    r = co_await c.call("PutItem", put_request(table, huge));
    CHECK(r.status == 400);

    co_await c.call("DeleteTable", R"({"TableName":")" + table + R"("})");
  });
}
