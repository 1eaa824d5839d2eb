// The helpers (batches, waiters) against a loopback DynamoDB stand-in:
// batches that leave part of every request unprocessed (every item is
// written or read exactly once, and what never goes through is reported
// exactly), tables that take a while to become ACTIVE.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "ddb/batch.hpp"
#include "ddb/waiters.hpp"
#include "ddb/client.hpp"
#include "ddb/detail/operations.hpp"
#include "model/codec.hpp"
#include "support/fault_server.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using ddb::test::action;
using ddb::test::config_for;
using ddb::test::fault_server;
using ddb::test::request_info;
using ddb::test::with_client;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {


std::string target_of(const request_info& r) {
  const auto at = r.head.find("X-Amz-Target: DynamoDB_20120810.");
  if (at == std::string::npos) return {};
  const auto start = at + 32;
  return r.head.substr(start, r.head.find('\r', start) - start);
}

// Writes the first `take` requests of each batch (keys listed in `stuck`
// never), returns the rest as UnprocessedItems, counting writes per key.
struct partial_writer {
  std::mutex m;
  std::map<std::string, int> writes;  // pk -> times written
  int calls = 0;
  std::size_t take = 3;
  std::set<std::string> stuck;

  action operator()(const request_info& r) {
    if (target_of(r) != "BatchWriteItem") return action::error(400, "ValidationException", "unexpected " + target_of(r));
    auto req = detail::decode<batch_write_item_request>(r.body);
    if (!req) return action::error(400, "SerializationException", req.error().message);
    std::lock_guard lock(m);
    ++calls;
    batch_write_item_response resp;
    for (auto& [table, requests] : req->request_items) {
      std::size_t done = 0;
      for (auto& w : requests) {
        const std::string pk = w.put_request ? w.put_request->item.at("pk").as_string()
                                             : w.delete_request->key.at("pk").as_string();
        if (done < take && !stuck.count(pk)) {
          ++writes[pk];
          ++done;
        } else {
          resp.unprocessed_items[table].push_back(std::move(w));
        }
      }
    }
    return action::ok(*detail::encode_response(resp));
  }
};

}  // namespace

TEST_CASE("batch_write: partial batches are sent again until every item is written exactly once", "[fault][batch]") {
  partial_writer w;
  fault_server server([&](const request_info& r) { return w(r); });
  std::map<std::string, std::vector<write_request>> writes;
  for (int i = 0; i < 103; ++i)
    writes["events"].push_back({.put_request = put_request{.item = item{{"pk", "k" + std::to_string(i)}, {"n", i}}}});
  for (int i = 0; i < 7; ++i)
    writes["other"].push_back({.delete_request = delete_request{.key = item{{"pk", "d" + std::to_string(i)}}}});
  batch_options opt;
  opt.key_attributes = {{"events", {"pk"}}, {"other", {"pk"}}};  // no DescribeTable against the stand-in
  opt.base_delay = 1ms;
  opt.max_attempts = 40;
  opt.concurrency = 3;
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    batch_write_outcome out = co_await batch_write(c, writes, opt);
    CHECK(out.ok());
    CHECK(out.written == 110);
    CHECK(out.calls > 5);  // 110 / 25 rounded up, plus the retries of what was left
  });
  std::lock_guard lock(w.m);
  REQUIRE(w.writes.size() == 110);
  for (auto& [pk, n] : w.writes) {
    INFO(pk);
    CHECK(n == 1);
  }
}

TEST_CASE("batch_write: what never goes through is reported, exactly", "[fault][batch]") {
  partial_writer w;
  w.take = 25;
  w.stuck = {"k5", "k17", "k40"};
  fault_server server([&](const request_info& r) { return w(r); });
  std::map<std::string, std::vector<write_request>> writes;
  for (int i = 0; i < 50; ++i)
    writes["events"].push_back({.put_request = put_request{.item = item{{"pk", "k" + std::to_string(i)}}}});
  batch_options opt;
  opt.key_attributes = {{"events", {"pk"}}};
  opt.base_delay = 1ms;
  opt.max_attempts = 4;
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    batch_write_outcome out = co_await batch_write(c, writes, opt);
    CHECK(out.written == 47);
    REQUIRE(out.failed.size() == 3);
    std::set<std::string> failed;
    for (auto& f : out.failed) {
      CHECK(f.table == "events");
      CHECK(f.code == errc::unprocessed);
      CHECK_THAT(f.message, Catch::Contains("max_attempts"));
      failed.insert(f.request.put_request->item.at("pk").as_string());
    }
    CHECK(failed == w.stuck);
    CHECK(out.calls == 2 * 4);  // two chunks, each spending its four attempts
  });
}

TEST_CASE("batch_write: a chunk refused by the service fails its items with the service error", "[fault][batch]") {
  fault_server server([](const request_info&) { return action::error(400, "ValidationException", "bad item"); });
  std::map<std::string, std::vector<write_request>> writes;
  for (int i = 0; i < 30; ++i)
    writes["events"].push_back({.put_request = put_request{.item = item{{"pk", "k" + std::to_string(i)}}}});
  batch_options opt;
  opt.key_attributes = {{"events", {"pk"}}};
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    batch_write_outcome out = co_await batch_write(c, writes, opt);
    CHECK(out.written == 0);
    REQUIRE(out.failed.size() == 30);
    CHECK(out.failed[0].code == service_errc::validation);
    CHECK_THAT(out.failed[0].message, Catch::Contains("bad item"));
    CHECK(out.calls == 2);
  });
}

TEST_CASE("batch helpers refuse bad input before sending anything", "[fault][batch]") {
  int requests = 0;
  fault_server server([&](const request_info&) {
    ++requests;
    return action::ok("{}");
  });
  batch_options opt;
  opt.key_attributes = {{"events", {"pk", "sk"}}};
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto code_of = [&](std::map<std::string, std::vector<write_request>> writes) -> asio::awaitable<std::error_code> {
      try {
        co_await batch_write(c, std::move(writes), opt);
      } catch (const ddb::error& e) {
        co_return e.code();
      }
      co_return std::error_code{};
    };
    // The same key twice (other attributes differ).
    std::map<std::string, std::vector<write_request>> dup;
    dup["events"].push_back({.put_request = put_request{.item = item{{"pk", "a"}, {"sk", 1}, {"v", 1}}}});
    dup["events"].push_back({.put_request = put_request{.item = item{{"sk", 1}, {"pk", "a"}, {"v", 2}}}});
    CHECK(co_await code_of(dup) == errc::duplicate_key);
    // An item over 400 KB.
    std::map<std::string, std::vector<write_request>> big;
    big["events"].push_back(
        {.put_request = put_request{.item = item{{"pk", "a"}, {"sk", 1}, {"blob", std::string(401 * 1024, 'x')}}}});
    CHECK(co_await code_of(big) == errc::item_too_large);
    // A table name DynamoDB refuses; a request with no action.
    std::map<std::string, std::vector<write_request>> name;
    name["t!"].push_back({.put_request = put_request{.item = item{{"pk", "a"}, {"sk", 1}}}});
    CHECK(co_await code_of(name) == errc::invalid_name);
    std::map<std::string, std::vector<write_request>> empty;
    empty["events"].push_back({});
    CHECK(co_await code_of(empty) == errc::invalid_config);
    // batch_get: the same key twice.
    std::map<std::string, keys_and_attributes> reads;
    reads["events"].keys = {item{{"pk", "a"}, {"sk", 1}}, item{{"sk", 1}, {"pk", "a"}}};
    try {
      co_await batch_get(c, reads, opt);
      FAIL("expected duplicate_key");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::duplicate_key);
    }
  });
  CHECK(requests == 0);
}

TEST_CASE("batch_get: unprocessed keys are asked for again until every item is read once", "[fault][batch]") {
  std::mutex m;
  std::map<std::string, int> reads_of;
  fault_server server([&](const request_info& r) {
    auto req = detail::decode<batch_get_item_request>(r.body);
    if (!req) return action::error(400, "SerializationException", req.error().message);
    std::lock_guard lock(m);
    batch_get_item_response resp;
    for (auto& [table, kaa] : req->request_items) {
      CHECK(kaa.projection_expression == "pk, n");
      CHECK(kaa.keys.size() <= 100);
      for (std::size_t i = 0; i < kaa.keys.size(); ++i) {
        if (i % 2 == 0) {  // every other key now, the rest later
          const std::string pk = kaa.keys[i].at("pk").as_string();
          ++reads_of[pk];
          resp.responses[table].push_back(item{{"pk", pk}, {"n", 1}});
        } else {
          resp.unprocessed_keys[table].keys.push_back(kaa.keys[i]);
          resp.unprocessed_keys[table].projection_expression = kaa.projection_expression;
        }
      }
    }
    return action::ok(*detail::encode_response(resp));
  });
  std::map<std::string, keys_and_attributes> reads;
  for (int i = 0; i < 250; ++i) reads["events"].keys.push_back(item{{"pk", "k" + std::to_string(i)}});
  reads["events"].projection_expression = "pk, n";
  batch_options opt;
  opt.base_delay = 1ms;
  opt.max_attempts = 20;
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    batch_get_outcome out = co_await batch_get(c, reads, opt);
    CHECK(out.ok());
    CHECK(out.items["events"].size() == 250);
  });
  std::lock_guard lock(m);
  CHECK(reads_of.size() == 250);
  for (auto& [pk, n] : reads_of) CHECK(n == 1);
}

TEST_CASE("waiters poll DescribeTable until the state the model's acceptors name", "[fault][waiter]") {
  std::atomic<int> polls{0};
  fault_server server([&](const request_info& r) {
    CHECK(target_of(r) == "DescribeTable");
    const int n = polls++;
    if (n == 0) return action::error(400, "ResourceNotFoundException", "not yet");
    if (n < 3) return action::ok(R"({"Table":{"TableName":"t","TableStatus":"CREATING"}})");
    return action::ok(R"({"Table":{"TableName":"t","TableStatus":"ACTIVE","ItemCount":0}})");
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    table_description t = co_await wait_table_exists(c, "tbl", {.delay = 5ms, .timeout = 5s});
    CHECK(t.table_status == ddb::table_status::active);
  });
  CHECK(polls == 4);
}

TEST_CASE("waiters end at their deadline, naming the last status, or at once on an unexpected error", "[fault][waiter]") {
  std::atomic<int> polls{0};
  fault_server creating([&](const request_info&) {
    ++polls;
    return action::ok(R"({"Table":{"TableName":"t","TableStatus":"CREATING"}})");
  });
  with_client(config_for(creating), [&](client& c) -> asio::awaitable<void> {
    try {
      co_await wait_table_exists(c, "tbl", {.delay = 10ms, .timeout = 100ms});
      FAIL("expected a timeout");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::operation_timeout);
      CHECK_THAT(e.what(), Catch::Contains("last seen: CREATING"));
    }
    try {
      co_await wait_table_not_exists(c, "tbl", {.delay = 10ms, .timeout = 50ms});
      FAIL("expected a timeout");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::operation_timeout);
    }
    // The same with completion tokens: the code, no exception.
    const waiter_options quick{.delay = 10ms, .timeout = 50ms};
    auto [gone_ec] = co_await wait_table_not_exists(c, "tbl", quick, asio::as_tuple(asio::use_awaitable));
    CHECK(gone_ec == errc::operation_timeout);
    const waiter_options slow{.delay = 10ms, .timeout = 60s};
    auto [cancelled] = co_await wait_table_not_exists(c, "tbl", slow, ddb::cancel_after(20ms, asio::as_tuple(asio::use_awaitable)));
    CHECK(cancelled);  // cancelled by the timer, long before its own deadline
    CHECK(cancelled != errc::operation_timeout);
  });
  CHECK(polls >= 8);
  fault_server denied([](const request_info&) { return action::error(400, "AccessDeniedException", "no"); });
  with_client(config_for(denied), [&](client& c) -> asio::awaitable<void> {
    try {
      co_await wait_table_exists(c, "tbl", {.delay = 10ms, .timeout = 10s});
      FAIL("expected AccessDenied");
    } catch (const ddb::error& e) {
      CHECK(e.code() == service_errc::access_denied);
    }
  });
}

TEST_CASE("a cancelled transaction tells a conflict from a failed condition", "[fault][transaction]") {
  fault_server server([](const request_info&) {
    return action::status(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                               R"("message":"Transaction cancelled, please refer cancellation reasons for specific )"
                               R"(reasons [None, TransactionConflict]","CancellationReasons":[{"Code":"None"},)"
                               R"({"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]})");
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    transact_write_items_request tx;
    tx.transact_items.push_back({.put = transact_put{.item = item{{"pk", "a"}}, .table_name = "tbl"}});
    tx.transact_items.push_back({.delete_ = transact_delete{.key = item{{"pk", "b"}}, .table_name = "tbl"}});
    auto [ec, r] = co_await c.transact_write_items(tx, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == service_errc::transaction_canceled);
    CHECK(r.diag.attempts == 1);  // not retried by the client: the caller decides
    CHECK(r.diag.transaction_conflict());
    CHECK_FALSE(r.diag.condition_failed());
    CHECK(r.diag.first_failed_action() == 1u);
    REQUIRE(r.diag.cancellation_reasons.size() == 2);
    CHECK(r.diag.cancellation_reasons[1].message == "Transaction is ongoing for the item");
  });
}
