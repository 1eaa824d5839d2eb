// ddb::agent::checkpoints against DynamoDB Local: a chain saved and read
// back, a fork refused (two writers on one parent, one wins; 8 clients at
// once, exactly one), large payloads in parts all or nothing, pages newest
// first, bad input: clear errors and nothing written.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "ddb/agent/checkpoint.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
using namespace ddb::agent;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

namespace {

}  // namespace

TEST_CASE("checkpoints: a chain saved and read back; a fork refused with its own error", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("ckpt_chain");
  with_local([&](client& c) -> asio::awaitable<void> {
    checkpoints cps(c, {.table_name = table, .create_table = true});
    const std::string thread = "thread-1";
    std::optional<checkpoint> none = co_await cps.latest(thread);
    CHECK_FALSE(none);
    for (int i = 1; i <= 5; ++i) {
      const std::string state = "state " + std::to_string(i), meta = "{\"step\":" + std::to_string(i) + "}";
      saved s = co_await cps.save(thread, i - 1, state, meta);
      CHECK(s.id == i);
    }
    std::optional<checkpoint> last = co_await cps.latest(thread);
    REQUIRE(last);
    CHECK(last->id == 5);
    CHECK(last->parent == 4);
    CHECK(last->payload == "state 5");
    CHECK(last->metadata == "{\"step\":5}");
    CHECK(last->created_ms > 0);
    std::optional<checkpoint> third = co_await cps.load(thread, 3);
    REQUIRE(third);
    CHECK(third->payload == "state 3");
    std::optional<checkpoint> missing = co_await cps.load(thread, 9);
    CHECK_FALSE(missing);

    // A second writer continuing from 4 (or any older one) would fork: refused.
    const std::string other = "other state";
    auto [ec, r] = co_await cps.save(thread, 4, other, other, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::checkpoint_conflict);
    CHECK_THAT(r.diag.message, Catch::Contains("would fork"));
    auto [ec0, r0] = co_await cps.save(thread, 0, other, other, asio::as_tuple(asio::use_awaitable));
    CHECK(ec0 == errc::checkpoint_conflict);  // its first checkpoint exists already
    // A parent that was never saved is named, not taken as a fork.
    CHECK_THAT(co_await thrown_by(cps.save(thread, 7, other, other)), Catch::Contains("has no checkpoint 7"));
    std::optional<checkpoint> still = co_await cps.latest(thread);
    CHECK(still->payload == "state 5");
    CHECK(co_await items_in(c, table) == 5);
  });
}

TEST_CASE("checkpoints: 8 clients continue from one parent at once; exactly one wins", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("ckpt_race");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    checkpoints first(c, {.table_name = table, .create_table = true});
    const std::string thread = "raced", state = "s1", meta = "{}";
    (void)co_await first.save(thread, 0, state, meta);
    std::vector<std::unique_ptr<client>> clients;
    int won = 0, forked = 0, other = 0, finished = 0;
    for (int round = 1; round <= 5; ++round) {  // each round, 8 writers race on the latest
      finished = 0;
      const int before = won;
      for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<client>(ex));
        asio::co_spawn(ex, [&, cl = clients.back().get(), i, round]() -> asio::awaitable<void> {
          checkpoints cps(*cl, {.table_name = table});
          const std::string mine = "round " + std::to_string(round) + " writer " + std::to_string(i);
          auto [ec, r] = co_await cps.save(thread, round, mine, mine, asio::as_tuple(asio::use_awaitable));
          if (!ec) ++won;
          else if (ec == errc::checkpoint_conflict) ++forked;
          else ++other;
          ++finished;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
      }
      while (finished < 8) co_await sleep_for(10ms);
      CHECK(won == before + 1);
    }
    CHECK(won == 5);
    CHECK(forked == 35);
    CHECK(other == 0);
    std::optional<checkpoint> last = co_await first.latest(thread);
    REQUIRE(last);
    CHECK(last->id == 6);
    CHECK(co_await items_in(c, table) == 6);
    for (auto& cl : clients) cl->close();
  });
}

TEST_CASE("checkpoints: large payloads in parts, all or nothing; pages newest first", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("ckpt_large");
  with_local([&](client& c) -> asio::awaitable<void> {
    checkpoint_options opt;
    opt.expire = std::chrono::hours(24 * 7);
    checkpoints cps(c, {.table_name = table, .create_table = true}, opt);
    const std::string thread = "big";
    std::string large(1'000'000, '\0');
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 % 251);
    const std::string meta = "{\"tokens\":12000}";
    saved s = co_await cps.save(thread, 0, large, meta);  // 3 parts and the item: one transaction
    CHECK(s.id == 1);
    CHECK(co_await items_in(c, table) == 4);
    std::optional<checkpoint> back = co_await cps.latest(thread);
    REQUIRE(back);
    CHECK(back->payload == large);
    CHECK(back->payload_size == large.size());
    // A fork of a large checkpoint writes none of its parts.
    auto [ec, r] = co_await cps.save(thread, 0, large, meta, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::checkpoint_conflict);
    CHECK(co_await items_in(c, table) == 4);
    // Too large for one transaction: refused before writing.
    const std::string too_large(3'800'001, 'x');
    auto [ec2, r2] = co_await cps.save(thread, 1, too_large, meta, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == errc::result_too_large);
    CHECK(co_await items_in(c, table) == 4);
    // The TTL attribute is on every item.
    scan_request sc;
    sc.table_name = table;
    sc.consistent_read = true;
    auto all = co_await c.scan(sc);
    for (const item& it : all.items) CHECK(it.find("expires_at"));

    // Pages of 3, newest first, without payloads.
    for (int i = 2; i <= 8; ++i) {
      const std::string small = "s" + std::to_string(i);
      (void)co_await cps.save(thread, i - 1, small, small);
    }
    std::vector<std::int64_t> ids;
    std::int64_t before = 0;
    for (int pages = 0; pages < 10; ++pages) {
      checkpoint_page page = co_await cps.list(thread, before, 3);
      for (const checkpoint& cp : page.checkpoints) {
        ids.push_back(cp.id);
        CHECK(cp.payload.empty());
      }
      if (!page.next) break;
      before = *page.next;
    }
    CHECK(ids == std::vector<std::int64_t>{8, 7, 6, 5, 4, 3, 2, 1});
    checkpoint_page first_page = co_await cps.list(thread, 0, 3);
    CHECK(first_page.checkpoints.front().metadata == "s8");
    CHECK(first_page.checkpoints.back().payload_size == 2);
  });
}

TEST_CASE("checkpoints: bad input is a clear error and writes nothing", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("ckpt_bad");
  with_local([&](client& c) -> asio::awaitable<void> {
    checkpoints cps(c, {.table_name = table, .create_table = true});
    const std::string empty, state = "s", long_thread(2044, 't'), big_meta(20'000, 'm');
    CHECK_THAT(co_await thrown_by(cps.save(empty, 0, state, state)), Catch::Contains("thread id is empty"));
    CHECK_THAT(co_await thrown_by(cps.save(long_thread, 0, state, state)), Catch::Contains("at most"));
    CHECK_THAT(co_await thrown_by(cps.save(state, -2, state, state)), Catch::Contains("parent must be 0"));
    CHECK_THAT(co_await thrown_by(cps.save(state, 0, state, big_meta)), Catch::Contains("metadata"));
    CHECK_THAT(co_await thrown_by(cps.list(state, 0, 0)), Catch::Contains("1 to 1,000"));
    CHECK_THAT(co_await thrown_by(cps.load(state, -1)), Catch::Contains("1 or more"));
    // Refused before the table was even checked: one good save, one item.
    (void)co_await cps.save(state, 0, state, state);
    CHECK(co_await items_in(c, table) == 1);
  });
}
