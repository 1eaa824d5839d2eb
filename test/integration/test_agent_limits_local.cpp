// ddb::agent::rate_limiter against DynamoDB Local. The client's clock is a
// manual one (client_config::clock): time stands still unless a test moves
// it, so "a burst, then one take per 1/rate" is checked exactly and without
// sleeping, however busy the machine is.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <random>

#include "ddb/agent/rate_limit.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
using namespace ddb::agent;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

namespace {

std::string fresh_table(const char* what) { return ddb::test::fresh_table(std::string("limits_") + what); }

// A clock that moves only when told to.
struct manual_clock {
  std::shared_ptr<std::atomic<std::int64_t>> us =
      std::make_shared<std::atomic<std::int64_t>>(std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch()).count());
  void advance(std::chrono::microseconds d) { *us += d.count(); }
  client_config config() const {
    client_config cfg;
    cfg.clock = [u = us] { return std::chrono::system_clock::time_point(std::chrono::microseconds(u->load())); };
    return cfg;
  }
};

}  // namespace

TEST_CASE("rate limits: a burst, then one take per 1/rate; a denial says when, from one write", "[agent-local]") {
  const std::string table = fresh_table("basic");
  manual_clock clock;
  ddb::test::with_client(clock.config(), [&](client& c) -> asio::awaitable<void> {
    rate_limiter limits(c, {.table_name = table, .create_table = true});
    const limit l = limit::per_second("user#1/requests", 2, 3);  // 2 a second, 3 at most
    for (int i = 0; i < 3; ++i) {
      take_result r = co_await limits.take(l);
      CHECK(r.admitted);
      CHECK(r.remaining_milli == 2000 - 1000 * i);
    }
    take_result denied = co_await limits.take(l);
    CHECK_FALSE(denied.admitted);
    CHECK(denied.retry_after == 500ms);
    CHECK(denied.remaining_milli == 0);
    CHECK(denied.writes == 1);  // the refused write carried the item: no read, no second write
    clock.advance(499ms);
    take_result early = co_await limits.take(l);
    CHECK_FALSE(early.admitted);
    clock.advance(1ms);
    take_result on_time = co_await limits.take(l);
    CHECK(on_time.admitted);
    // A take of 2 tokens after 1.5 s: 3 refilled, capped at the burst.
    clock.advance(10s);
    take_result two = co_await limits.take(l, tokens(2));
    CHECK(two.admitted);
    CHECK(two.remaining_milli == 1000);
    // The same limit through another limiter (another process's view) agrees.
    rate_limiter other(c, {.table_name = table});
    take_result seen_by_other = co_await other.take(l);
    CHECK(seen_by_other.admitted);
    take_result none = co_await other.take(l);
    CHECK_FALSE(none.admitted);
    CHECK(none.retry_after == 500ms);
    // Any token: as_tuple gets the code and the result.
    auto [ec, r] = co_await limits.take(l, asio::as_tuple(asio::use_awaitable));
    CHECK_FALSE(ec);
    CHECK_FALSE(r.admitted);
    CHECK(co_await items_in(c, table) == 1);
  }, 120s);
}

TEST_CASE("rate limits: 64 concurrent takers of one bucket admit exactly its burst while time stands still",
          "[agent-local]") {
  const std::string table = fresh_table("many");
  manual_clock clock;
  ddb::test::with_client(clock.config(), [&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    {
      rate_limiter create(c, {.table_name = table, .create_table = true});
      const limit warm = limit::per_second("warm", 1, 1);
      (void)co_await create.take(warm);
    }
    const limit l = limit::per_second("hot", 1, 10);
    int admitted = 0, denied = 0, finished = 0, writes = 0, max_writes = 0;
    std::vector<std::unique_ptr<rate_limiter>> limiters;  // 8 views, as 8 processes would have
    for (int i = 0; i < 8; ++i) limiters.push_back(std::make_unique<rate_limiter>(c, table_options{.table_name = table}));
    for (int i = 0; i < 64; ++i) {
      asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
        take_result r = co_await limiters[static_cast<std::size_t>(i % 8)]->take(l);
        (r.admitted ? admitted : denied) += 1;
        writes += r.writes;
        max_writes = std::max(max_writes, r.writes);
        ++finished;
      }, asio::detached);
    }
    while (finished < 64) co_await sleep_for(10ms);
    CHECK(admitted == 10);
    CHECK(denied == 54);
    CHECK(max_writes <= 3);
    // Once the bucket is busy, takes add to it without conflicting.
    clock.advance(5s);  // 5 tokens back
    finished = admitted = 0;
    writes = 0;
    for (int i = 0; i < 5; ++i) {
      asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
        take_result r = co_await limiters[static_cast<std::size_t>(i)]->take(l);
        admitted += r.admitted;
        writes += r.writes;
        ++finished;
      }, asio::detached);
    }
    while (finished < 5) co_await sleep_for(10ms);
    CHECK(admitted == 5);
    CHECK(writes == 5);  // each view saw the bucket busy: one write each
  }, 120s);
}

TEST_CASE("rate limits: take_all takes from every limit or none; adjust charges a debt and refunds", "[agent-local]") {
  const std::string table = fresh_table("all");
  manual_clock clock;
  ddb::test::with_client(clock.config(), [&](client& c) -> asio::awaitable<void> {
    rate_limiter limits(c, {.table_name = table, .create_table = true});
    const limit rpm = limit::per_minute("u/requests", 60, 5);   // 1 a second, 5 at most
    const limit tpm = limit::per_minute("u/tokens", 6000, 1000);  // 100 a second, 1,000 at most
    std::vector<limit_take> call{{rpm, tokens(1)}, {tpm, tokens(600)}};
    take_result first = co_await limits.take_all(call);
    CHECK(first.admitted);
    // 400 tokens left of tpm: the second call (600) is denied as a whole,
    // and says when tpm will hold 600 (2 s at 100 a second).
    take_result second = co_await limits.take_all(call);
    CHECK_FALSE(second.admitted);
    CHECK(second.retry_after == 2s);
    // Nothing was taken from rpm by the denied call: 4 requests left.
    for (int i = 0; i < 4; ++i) {
      take_result left = co_await limits.take(rpm);
      CHECK(left.admitted);
    }
    take_result spent = co_await limits.take(rpm);
    CHECK_FALSE(spent.admitted);

    // The LLM call used 900 tokens, not 600: charge 300 more. tpm is now at
    // 400 - 300 = 100 tokens, and a debt beyond that goes negative.
    (void)co_await limits.adjust(tpm, tokens(300));
    take_result r = co_await limits.take(tpm, tokens(100));
    CHECK(r.admitted);
    CHECK(r.remaining_milli == 0);
    (void)co_await limits.adjust(tpm, tokens(500));
    take_result in_debt = co_await limits.take(tpm, tokens(1));
    CHECK_FALSE(in_debt.admitted);
    CHECK(in_debt.remaining_milli == -tokens(500));
    CHECK(in_debt.retry_after == 5010ms);  // 501 tokens at 100 a second
    (void)co_await limits.adjust(tpm, -tokens(501));  // a refund: 1 token back
    take_result refunded = co_await limits.take(tpm, tokens(1));
    CHECK(refunded.admitted);
    CHECK(refunded.remaining_milli == 0);
    // Bad calls: nothing written.
    std::vector<limit_take> nothing;
    CHECK_THAT(co_await thrown_by(limits.take_all(nothing)), Catch::Contains("at least one limit"));
    std::vector<limit_take> twice{{rpm, 1000}, {rpm, 1000}};
    CHECK_THAT(co_await thrown_by(limits.take_all(twice)), Catch::Contains("twice"));
    CHECK(co_await items_in(c, table) == 2);
  }, 120s);
}

TEST_CASE("rate limits: sub-buckets spread one key over N items; prefetch serves takes locally", "[agent-local]") {
  const std::string table = fresh_table("spread");
  manual_clock clock;
  ddb::test::with_client(clock.config(), [&](client& c) -> asio::awaitable<void> {
    rate_limiter limits(c, {.table_name = table, .create_table = true});
    limit hot = limit::per_second("hot", 40, 40);
    hot.sub_buckets = 4;  // 4 items of 10 a second, 10 at most
    // Time stands still: the four bursts hold 40 in all. A take tries a
    // random sub-bucket and one other, so 200 takes drain all four (short of
    // that has a chance below 10^-18) and never admit more.
    int admitted = 0;
    for (int i = 0; i < 200; ++i) {
      take_result r = co_await limits.take(hot);
      admitted += r.admitted;
    }
    CHECK(admitted == 40);
    CHECK(co_await items_in(c, table) == 4);

    rate_limiter_options opt;
    opt.prefetch_milli = tokens(5);
    rate_limiter local(c, {.table_name = table}, opt);
    const limit l = limit::per_second("prefetched", 1, 10);
    int writes = 0, served_locally = 0;
    for (int i = 0; i < 10; ++i) {
      take_result r = co_await local.take(l);
      CHECK(r.admitted);
      writes += r.writes;
      served_locally += r.from_prefetch;
    }
    CHECK(writes == 2);  // 5 reserved per write
    CHECK(served_locally == 8);
    take_result none = co_await local.take(l);
    CHECK_FALSE(none.admitted);  // the server's bucket is empty: nothing reserved beyond it
  }, 120s);
}

TEST_CASE("rate limits: bad limits are clear errors and write nothing", "[agent-local]") {
  const std::string table = fresh_table("bad");
  ddb::test::with_client(client_config{}, [&](client& c) -> asio::awaitable<void> {
    rate_limiter limits(c, {.table_name = table, .create_table = true});
    // Limits named, not built inside co_await (GCC 12 destroys such
    // temporaries twice; README "GCC 12").
    const limit ok = limit::per_second("ok", 1, 1), negative = limit::per_second("k", -5, 1),
                long_key = limit::per_second(std::string(1001, 'k'), 1, 1), small = limit::per_second("k", 1, 2),
                no_burst = limit::per_second("k", 1, 0), no_key = limit::per_second("", 1, 1);
    (void)co_await limits.take(ok);
    CHECK_THAT(co_await thrown_by(limits.take(negative)), Catch::Contains("rate must be positive"));
    CHECK_THAT(co_await thrown_by(limits.take(long_key)), Catch::Contains("at most 1000"));
    CHECK_THAT(co_await thrown_by(limits.take(small, tokens(3))), Catch::Contains("could never be admitted"));
    CHECK_THAT(co_await thrown_by(limits.adjust(no_burst, 1)), Catch::Contains("burst must be positive"));
    auto [ec, r] = co_await limits.take(no_key, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::invalid_config);
    CHECK_THAT(r.diag.message, Catch::Contains("needs a key"));
    CHECK(co_await items_in(c, table) == 1);
    // A table that does not exist, without create_table: named, with the remedy.
    rate_limiter missing(c, {.table_name = table + "_missing"});
    CHECK_THAT(co_await thrown_by(missing.take(ok)), Catch::Contains("create_table"));
  }, 120s);
}
