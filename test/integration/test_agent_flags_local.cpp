// ddb::agent::flags against DynamoDB Local: publish and read back, the cache,
// a stale publisher refused, readers during 20 publishes never seeing a mix
// of two generations, an oversized flag refused, old generations removed.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "ddb/agent/flags.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
using namespace ddb::agent;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

TEST_CASE("flags: publish, read, cached get; a stale publisher refused; oversized flags refused", "[agent-local]") {
  const std::string table = fresh_table("flags_basic");
  with_local([&](client& c) -> asio::awaitable<void> {
    flags fl(c, {.table_name = table, .create_table = true});
    const std::string set = "prod", name = "new-planner";
    flag_set_view empty = co_await fl.read(set);
    CHECK(empty.generation == 0);
    CHECK(empty.flags.empty());
    const std::map<std::string, std::string> first{{"new-planner", "false"}, {"max-tools", "8"}};
    published p1 = co_await fl.publish(set, first, 0);
    CHECK(p1.generation == 1);
    flag_value v = co_await fl.get(set, name);
    CHECK(v.value == "false");
    CHECK_FALSE(v.cached);
    // Another process publishes; this one's cache still answers until refreshed.
    flags other(c, {.table_name = table});
    std::map<std::string, std::string> second = first;
    second["new-planner"] = "true";
    published p2 = co_await other.publish(set, second, 1);
    CHECK(p2.generation == 2);
    flag_value cached = co_await fl.get(set, name);
    CHECK(cached.cached);
    CHECK(cached.value == "false");
    fl.invalidate(set);
    flag_value fresh = co_await fl.get(set, name);
    CHECK(fresh.value == "true");
    CHECK(fresh.generation == 2);
    flag_value unknown = co_await fl.get(set, "no-such-flag");
    CHECK_FALSE(unknown.value);
    // A writer that read generation 1 is refused: the change of generation 2 is kept.
    auto [ec, r] = co_await fl.publish(set, first, 1, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::version_conflict);
    CHECK_THAT(r.diag.message, Catch::Contains("another writer published it"));
    flag_set_view now = co_await fl.read(set);
    CHECK(now.flags.at("new-planner") == "true");
    // Over one item: refused, never dropped.
    std::map<std::string, std::string> huge = second;
    huge["prompt"] = std::string(400'000, 'p');
    auto [ec2, r2] = co_await fl.publish(set, huge, 2, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == errc::item_too_large);
    CHECK_THAT(r2.diag.message, Catch::Contains("flag 'prompt'"));
    // Old generations are removed: after 4 publishes, items of at most 2 remain.
    std::map<std::string, std::string> next = second;
    for (std::int64_t g = 2; g < 6; ++g) {
      next["max-tools"] = std::to_string(g);
      (void)co_await fl.publish(set, next, g);
    }
    CHECK(co_await items_in(c, table) == 1 + 2 * 2);  // the pointer, two generations of two flags
  });
}

TEST_CASE("flags: readers during 20 publishes see one generation whole, never a mix", "[agent-local]") {
  const std::string table = fresh_table("flags_switch");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    flags writer(c, {.table_name = table, .create_table = true});
    const std::string set = "switch";
    auto generation_set = [](std::int64_t g) {
      std::map<std::string, std::string> m;
      for (int i = 0; i < 12; ++i) m["flag-" + std::to_string(i)] = std::to_string(g);
      return m;
    };
    const std::map<std::string, std::string> g1 = generation_set(1);
    (void)co_await writer.publish(set, g1, 0);
    bool done = false;
    int reads = 0, mixed = 0, readers_done = 0;
    client rc(ex);
    for (int k = 0; k < 3; ++k) {
      asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
        flags reader(rc, {.table_name = table});
        while (!done) {
          flag_set_view v = co_await reader.read(set);
          ++reads;
          bool whole = v.flags.size() == 12;
          for (const auto& [n, value] : v.flags) whole = whole && value == std::to_string(v.generation);
          if (!whole) ++mixed;
        }
        ++readers_done;
      }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    }
    for (std::int64_t g = 1; g <= 20; ++g) {
      const std::map<std::string, std::string> next = generation_set(g + 1);
      (void)co_await writer.publish(set, next, g);
    }
    done = true;
    while (readers_done < 3) co_await sleep_for(10ms);
    CHECK(reads > 0);
    CHECK(mixed == 0);
    flag_set_view last = co_await writer.read(set);
    CHECK(last.generation == 21);
    rc.close();
  });
}
