// ddb::agent against DynamoDB Local: idempotency keys (one run among 16
// concurrent callers, replays, waits, failures, payload checks, a late
// completion refused after a takeover, results in chunks and over the limit)
// and leases (fences, takeover of a holder that stopped renewing, a lost
// lease cancelling the work bound to it), plus bad input: clear errors and
// nothing written. A second client whose clock runs ahead stands for a
// caller that arrives after a window has passed: no sleeping on timing.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "ddb/agent/idempotency.hpp"
#include "ddb/agent/lease.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/model.hpp"
#include "ddb/client.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
using namespace ddb::agent;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

namespace {

std::string fresh_table(const char* what) { return ddb::test::fresh_table(std::string("agent_") + what); }

// A client whose clock runs `ahead` of this machine's.
client_config clock_ahead(std::chrono::system_clock::duration ahead) {
  client_config cfg;
  cfg.clock = [ahead] { return std::chrono::system_clock::now() + ahead; };
  return cfg;
}

// A gate a coroutine waits at until another opens it.
struct gate {
  explicit gate(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
  asio::awaitable<void> wait() {
    while (!open) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  void release() {
    open = true;
    timer.cancel();
  }
  asio::steady_timer timer;
  bool open = false;
};

}  // namespace

TEST_CASE("idempotency: one run, then replays; the table is checked or created", "[agent-local]") {
  const std::string table = fresh_table("idem");
  with_local([&](client& c) -> asio::awaitable<void> {
    {
      idempotency missing(c, {.table_name = table});
      auto [ec, r] = co_await missing.run("k", []() -> asio::awaitable<std::string> { co_return "x"; },
                                          asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(r.diag.message, Catch::Contains("create_table"));
    }
    idempotency idem(c, {.table_name = table, .create_table = true});
    int runs = 0;
    auto fn = [&]() -> asio::awaitable<std::string> {
      ++runs;
      co_return "charged #" + std::to_string(runs);
    };
    once_result first = co_await idem.run("order-1", fn);
    CHECK(first.value == "charged #1");
    CHECK_FALSE(first.replayed);
    once_result again = co_await idem.run("order-1", fn);
    CHECK(again.value == "charged #1");
    CHECK(again.replayed);
    CHECK(runs == 1);
    // Without the read first, the refused claim brings the record back.
    run_options claim_only;
    claim_only.read_first = false;
    const std::string key1 = "order-1";
    once_result refused = co_await idem.run(key1, fn, claim_only);
    CHECK(refused.value == "charged #1");
    CHECK(refused.replayed);
    CHECK(runs == 1);
    // Another key runs; a binary result comes back byte for byte.
    std::string binary("\0\xff\x01 result", 10);
    once_result other = co_await idem.run("order-2", [&]() -> asio::awaitable<std::string> { co_return binary; });
    CHECK(other.value == binary);
    once_result other_again = co_await idem.run("order-2", fn);
    CHECK(other_again.value == binary);
    CHECK(runs == 1);
    // Payload validation.
    run_options with_payload;
    with_payload.payload = R"({"amount":5})";
    once_result paid = co_await idem.run("order-3", fn, with_payload);
    CHECK(paid.value == "charged #2");
    once_result paid_again = co_await idem.run("order-3", fn, with_payload);
    CHECK(paid_again.replayed);
    with_payload.payload = R"({"amount":6})";
    const std::string key3 = "order-3";
    idempotency::function f3 = fn;
    auto [mec, mr] = co_await idem.run(key3, f3, with_payload, asio::as_tuple(asio::use_awaitable));
    CHECK(mec == errc::payload_mismatch);
    CHECK_THAT(mr.diag.message, Catch::Contains("order-3"));
    CHECK(runs == 2);
  });
}

TEST_CASE("idempotency: 16 concurrent callers of one key, exactly one runs; others fail fast or get its result",
          "[agent-local]") {
  const std::string table = fresh_table("idem16");
  with_local([&](client& c) -> asio::awaitable<void> {
    idempotency idem(c, {.table_name = table, .create_table = true});
    auto ex = co_await asio::this_coro::executor;
    for (bool wait : {false, true}) {
      INFO((wait ? "waiting" : "failing fast"));
      const std::string key = wait ? "wait-key" : "fast-key";
      int runs = 0;
      gate running(ex);  // opened once every other caller has answered (fast) or is polling (wait)
      auto fn = [&]() -> asio::awaitable<std::string> {
        ++runs;
        co_await running.wait();
        co_return "the one result";
      };
      run_options opt;
      if (wait) opt.wait = 60s;
      int done = 0, ran = 0, busy = 0, got_result = 0;
      for (int i = 0; i < 16; ++i) {
        idem.run(key, fn, opt, [&](boost::system::error_code ec, once_result r) {
          ++done;
          if (!ec && !r.replayed) ++ran;
          if (!ec && r.replayed && r.value == "the one result") ++got_result;
          if (ec == errc::already_in_progress) ++busy;
        });
      }
      if (!wait) {
        while (done < 15) co_await sleep_for(5ms);  // the 15 duplicates answer while the first runs
        CHECK(busy == 15);
      } else {
        co_await sleep_for(100ms);  // let the duplicates start polling (any order works)
      }
      running.release();
      while (done < 16) co_await sleep_for(5ms);
      CHECK(runs == 1);
      CHECK(ran == 1);
      CHECK(got_result == (wait ? 15 : 0));
    }
  });
}

TEST_CASE("idempotency: a failing function releases the key, or records the failure when asked", "[agent-local]") {
  const std::string table = fresh_table("idemfail");
  with_local([&](client& c) -> asio::awaitable<void> {
    idempotency idem(c, {.table_name = table, .create_table = true});
    int runs = 0;
    auto failing = [&]() -> asio::awaitable<std::string> {
      ++runs;
      throw std::runtime_error("card declined");
      co_return "";
    };
    const std::string t1 = co_await thrown_by(idem.run("f1", failing));
    CHECK(t1 == "card declined");  // the caller's own exception
    const std::string t2 = co_await thrown_by(idem.run("f1", failing));
    CHECK(t2 == "card declined");  // released: runs again
    CHECK(runs == 2);
    // With as_tuple the failure is a code and the message.
    auto [ec, r] = co_await idem.run("f1", failing, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::function_failed);
    CHECK_THAT(r.diag.message, Catch::Contains("card declined"));
    run_options record;
    record.record_failures = true;
    const std::string t3 = co_await thrown_by(idem.run("f2", failing, record));
    CHECK(t3 == "card declined");
    auto [ec2, r2] = co_await idem.run("f2", failing, record, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == errc::recorded_failure);
    CHECK_THAT(r2.diag.message, Catch::Contains("card declined"));
    CHECK(runs == 4);
  });
}

TEST_CASE("idempotency: after the in-progress window another caller runs it, and the late completion is refused",
          "[agent-local]") {
  const std::string table = fresh_table("idemlate");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    client later(ex, clock_ahead(10min));  // arrives after the first claim's window (its clock says so)
    idempotency first(c, {.table_name = table, .create_table = true});
    idempotency second(later, {.table_name = table});
    run_options opt;
    opt.in_progress = 60s;  // the duplicate below must meet the claim, however slow the machine
    gate first_may_finish(ex);
    std::optional<boost::system::error_code> first_ec;
    bool first_running = false;  // the function runs only once its claim is written
    first.run("slow", [&]() -> asio::awaitable<std::string> {
      first_running = true;
      co_await first_may_finish.wait();
      co_return "first";
    }, opt, [&](boost::system::error_code ec, once_result) { first_ec = ec; });
    while (!first_running && !first_ec) co_await sleep_for(5ms);  // no time bound: the claim, not a clock
    REQUIRE_FALSE(first_ec);
    // The first claim is there: a duplicate now is refused...
    auto [busy, br] = co_await first.run("slow", []() -> asio::awaitable<std::string> { co_return "dup"; }, opt,
                                         asio::as_tuple(asio::use_awaitable));
    CHECK(busy == errc::already_in_progress);
    // ...but to a caller whose clock is past the window, the key is free.
    once_result took = co_await second.run("slow", []() -> asio::awaitable<std::string> { co_return "second"; }, opt);
    CHECK(took.value == "second");
    CHECK_FALSE(took.replayed);
    first_may_finish.release();
    while (!first_ec) co_await sleep_for(5ms);
    CHECK(*first_ec == errc::ownership_lost);  // nothing overwritten
    once_result replay = co_await second.run("slow", []() -> asio::awaitable<std::string> { co_return "third"; }, opt);
    CHECK(replay.value == "second");
    CHECK(replay.replayed);
    later.close();
  });
}

TEST_CASE("idempotency: large results in chunks, results over 4 MB refused and recorded", "[agent-local]") {
  const std::string table = fresh_table("idembig");
  with_local([&](client& c) -> asio::awaitable<void> {
    idempotency idem(c, {.table_name = table, .create_table = true});
    std::string big(1'000'000, 'x');
    for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
    once_result stored = co_await idem.run("big", [&]() -> asio::awaitable<std::string> { co_return big; });
    CHECK(stored.value == big);
    once_result replay = co_await idem.run("big", []() -> asio::awaitable<std::string> { co_return "no"; });
    CHECK(replay.replayed);
    CHECK(replay.value == big);
    const std::size_t stored_items = co_await items_in(c, table);
    CHECK(stored_items == 1 + 3);  // the record and three chunks
    // A smaller result for the same key after expiry reads only its own chunks.
    int runs = 0;
    auto huge = [&]() -> asio::awaitable<std::string> {
      ++runs;
      co_return std::string(4'000'001, 'h');
    };
    auto [ec, r] = co_await idem.run("huge", huge, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::result_too_large);
    CHECK_THAT(r.diag.message, Catch::Contains("4000000"));
    auto [ec2, r2] = co_await idem.run("huge", huge, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == errc::recorded_failure);  // it ran once: not again
    CHECK(runs == 1);
  });
}

TEST_CASE("idempotency: bad input is refused before anything is written", "[agent-local]") {
  const std::string table = fresh_table("idembad");
  with_local([&](client& c) -> asio::awaitable<void> {
    idempotency idem(c, {.table_name = table, .create_table = true});
    (void)co_await idem.run("warm-up", []() -> asio::awaitable<std::string> { co_return "ok"; });
    const std::size_t before = co_await items_in(c, table);
    auto fn = []() -> asio::awaitable<std::string> { co_return "never"; };
    auto expect = [&](std::string key, run_options opt, const char* says) -> asio::awaitable<void> {
      auto [ec, r] = co_await idem.run(std::move(key), fn, opt, asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(r.diag.message, Catch::Contains(says));
    };
    co_await expect("", {}, "empty");
    co_await expect(std::string(3000, 'k'), {}, "2,048-byte partition key");
    run_options o;
    o.in_progress = 0ms;
    co_await expect("k", o, "in_progress must be positive");
    o = {};
    o.expire = -1s;
    co_await expect("k", o, "expire must be positive");
    o = {};
    o.wait = -1ms;
    co_await expect("k", o, "wait must not be negative");
    const std::size_t after = co_await items_in(c, table);
    CHECK(after == before);
    // A table of another shape.
    create_table_request other;
    other.table_name = table + "_other";
    other.attribute_definitions = {{"id", ddb::scalar_attribute_type::s}};
    other.key_schema = {{"id", ddb::key_type::hash}};
    other.billing_mode = ddb::billing_mode::pay_per_request;
    co_await c.create_table(other);
    idempotency wrong(c, {.table_name = other.table_name});
    auto [ec, r] = co_await wrong.run("k", fn, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::invalid_config);
    CHECK_THAT(r.diag.message, Catch::Contains("partition key 'pk' (S) and sort key 'sk' (S)"));
  });
}

TEST_CASE("leases: one holder at a time, fences grow, release frees it", "[agent-local]") {
  const std::string table = fresh_table("lease");
  with_local([&](client& c) -> asio::awaitable<void> {
    leases ls(c, {.table_name = table, .create_table = true});
    held_lease a = co_await ls.acquire("job", 10s);
    REQUIRE(a);
    const std::int64_t f1 = a.fence();
    auto [busy, br] = co_await ls.acquire("job", 10s, asio::as_tuple(asio::use_awaitable));
    CHECK(busy == errc::lease_busy);
    CHECK_THAT(br.diag.message, Catch::Contains("'job' is held by another holder"));
    held_lease other = co_await ls.acquire("other-job", 10s);  // names are independent
    auto released = co_await a.release();
    CHECK(released.was_held);
    auto released_twice = co_await a.release();
    CHECK_FALSE(released_twice.was_held);
    held_lease b = co_await ls.acquire("job", 10s);
    CHECK(b.fence() > f1);
    // A waiting acquirer gets the lease once it is released.
    std::optional<std::int64_t> waited;
    acquire_options w;
    w.wait = 30s;
    ls.acquire("job", 10s, w, [&](boost::system::error_code ec, held_lease l) {
      CHECK_FALSE(ec);
      if (!ec) waited = l.fence();
    });
    co_await sleep_for(100ms);
    CHECK_FALSE(waited);
    (void)co_await b.release();
    while (!waited) co_await sleep_for(5ms);
    CHECK(*waited > b.fence());
    // Bad input, nothing written.
    auto bad = [&](std::string name, std::chrono::milliseconds d, const char* says) -> asio::awaitable<void> {
      auto [ec, r] = co_await ls.acquire(std::move(name), d, asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(r.diag.message, Catch::Contains(says));
    };
    const std::size_t before = co_await items_in(c, table);
    co_await bad("", 10s, "empty");
    co_await bad("x", -1s, "from 1 s to 1 day");
    co_await bad("x", 500ms, "from 1 s to 1 day");
    co_await bad(std::string(2100, 'n'), 10s, "partition key");
    const std::size_t after = co_await items_in(c, table);
    CHECK(after == before);
  });
}

TEST_CASE("leases: a holder that stopped renewing is taken over at its expiry; its lost slot cancels its work",
          "[agent-local]") {
  const std::string table = fresh_table("leaselost");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    leases ls(c, {.table_name = table, .create_table = true});
    acquire_options fast;
    fast.heartbeat = 200ms;
    held_lease a = co_await ls.acquire("job", 30s, fast);  // long: no renewal can miss it on a busy machine
    // The holder's work, bound to its lost slot: a wait that would last a minute.
    asio::steady_timer work(ex, 60s);
    std::optional<boost::system::error_code> work_ended;
    work.async_wait(asio::bind_cancellation_slot(a.lost_slot(), [&](boost::system::error_code ec) { work_ended = ec; }));
    co_await sleep_for(500ms);  // a couple of renewals go through
    CHECK_FALSE(a.lost());
    CHECK_FALSE(work_ended);
    // A client whose clock is past the lease's expiry takes it over: the
    // holder's next renewal is refused and its work is cancelled.
    client later(ex, clock_ahead(10min));
    leases ls2(later, {.table_name = table});
    held_lease b = co_await ls2.acquire("job", 30s);
    CHECK(b.fence() > a.fence());
    while (!work_ended) co_await sleep_for(10ms);
    CHECK(*work_ended == asio::error::operation_aborted);
    CHECK(a.lost());
    auto a_released = co_await a.release();
    CHECK_FALSE(a_released.was_held);  // the lost holder cannot release the new one's lease
    auto b_released = co_await b.release();
    CHECK(b_released.was_held);
    later.close();
  });
}

TEST_CASE("leases: fences strictly increase across 8 clients taking turns", "[agent-local]") {
  const std::string table = fresh_table("fence");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    { leases create(c, {.table_name = table, .create_table = true}); (void)co_await create.acquire("warm", 2s); }
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<client>(ex));
    std::vector<std::int64_t> fences;  // in the order the leases were held
    int holders = 0, max_holders = 0, finished = 0;
    const int per_client = 25;
    for (auto& cl : clients) {
      asio::co_spawn(ex, [&, cl = cl.get()]() -> asio::awaitable<void> {
        leases ls(*cl, {.table_name = table});
        acquire_options w;
        w.wait = 60s;
        for (int i = 0; i < per_client; ++i) {
          held_lease l = co_await ls.acquire("shared", 5s, w);
          max_holders = std::max(max_holders, ++holders);
          fences.push_back(l.fence());
          --holders;
          (void)co_await l.release();
        }
        ++finished;
      }, asio::detached);
    }
    while (finished < 8) co_await sleep_for(20ms);
    CHECK(max_holders == 1);
    REQUIRE(fences.size() == 8 * per_client);
    for (std::size_t i = 1; i < fences.size(); ++i) CHECK(fences[i] > fences[i - 1]);
    for (auto& cl : clients) cl->close();
  });
}

TEST_CASE("ledger: steps run once and replay in order after a crash; pages; a versioned status", "[agent-local]") {
  const std::string table = fresh_table("ledger");
  with_local([&](client& c) -> asio::awaitable<void> {
    const std::string run = "run-1";
    int calls = 0;
    std::vector<std::string> seen;
    // The agent loop: five tool calls, the third with a 500 KB result.
    auto agent_loop = [&](ledger& book) -> asio::awaitable<void> {
      seen.clear();
      for (std::int64_t step = 0; step < 5; ++step) {
        std::string args = R"({"tool":"search","q":)" + std::to_string(step) + "}";
        idempotency::function tool = [&, step]() -> asio::awaitable<std::string> {
          ++calls;
          co_return step == 2 ? std::string(500'000, 'r') : "result " + std::to_string(step);
        };
        once_result r = co_await book.call(run, step, args, tool);
        seen.push_back(r.value.size() > 100 ? "big:" + std::to_string(r.value.size()) : r.value);
      }
    };
    {
      ledger book(c, {.table_name = table, .create_table = true});
      run_info started = co_await book.start(run);
      CHECK(started.created);
      CHECK(started.status == run_status::running);
      CHECK(started.version == 1);
      co_await agent_loop(book);
    }
    CHECK(calls == 5);
    const std::vector<std::string> first = seen;
    CHECK(first == std::vector<std::string>{"result 0", "result 1", "big:500000", "result 3", "result 4"});
    // "A crash": a new ledger replays the same loop; no tool runs again.
    ledger book(c, {.table_name = table});
    run_info again = co_await book.start(run);
    CHECK_FALSE(again.created);
    co_await agent_loop(book);
    CHECK(calls == 5);
    CHECK(seen == first);
    // A replay that makes another call is refused, not answered wrongly.
    idempotency::function other = []() -> asio::awaitable<std::string> { co_return "other"; };
    const std::string other_args = R"({"tool":"delete_everything"})";
    auto [mec, mr] = co_await book.call(run, 1, other_args, other, asio::as_tuple(asio::use_awaitable));
    CHECK(mec == errc::payload_mismatch);
    CHECK_THAT(mr.diag.message, Catch::Contains("step 1 of run 'run-1'"));
    // Pages of two, in order, without the result's chunk items.
    std::vector<std::int64_t> listed;
    std::optional<std::int64_t> from = 0;
    int pages = 0;
    while (from) {
      step_page page = co_await book.list(run, *from, 2);
      ++pages;
      for (const auto& st : page.steps) {
        listed.push_back(st.step);
        CHECK(st.status == "COMPLETED");
        CHECK(st.started_ms > 0);
        CHECK(st.completed_ms >= st.started_ms);
        CHECK_THAT(st.args, Catch::Contains("\"q\":" + std::to_string(st.step)));
        if (st.step == 2) {
          CHECK_FALSE(st.result);  // in chunks: call() reads it
        } else {
          CHECK(st.result == "result " + std::to_string(st.step));
        }
      }
      from = page.next;
    }
    CHECK(listed == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(pages == 3);
    // Status: one finisher wins; the other lost the race.
    std::optional<boost::system::error_code> a, b;
    book.finish(run, run_status::succeeded, 1, [&](boost::system::error_code ec, run_info) { a = ec; });
    book.finish(run, run_status::cancelled, 1, [&](boost::system::error_code ec, run_info) { b = ec; });
    while (!a || !b) co_await sleep_for(5ms);
    CHECK(((!*a && *b == errc::version_conflict) || (!*b && *a == errc::version_conflict)));
    run_info done = co_await book.get(run);
    CHECK(done.version == 2);
    CHECK((done.status == run_status::succeeded || done.status == run_status::cancelled));
    auto [tec, tr] = co_await book.finish(run, run_status::failed, 2, asio::as_tuple(asio::use_awaitable));
    CHECK(tec == errc::invalid_transition);
    auto [rec, rr] = co_await book.finish(run, run_status::running, 2, asio::as_tuple(asio::use_awaitable));
    CHECK(rec == errc::invalid_transition);
    const std::string missing_run = "no-such-run";
    auto [nec, nr] = co_await book.get(missing_run, asio::as_tuple(asio::use_awaitable));
    CHECK(nec == errc::invalid_config);
    auto [sec, sr] = co_await book.call(run, -1, other_args, other, asio::as_tuple(asio::use_awaitable));
    CHECK(sec == errc::invalid_config);
  });
}
