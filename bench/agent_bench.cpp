// What ddb::agent costs per call against DynamoDB Local (or any endpoint the
// environment names): requests, capacity units (the client's cost meter),
// $ per million calls at on-demand prices, and the median latency, for
//   once, first run        idempotency::run on a new key (claim + completion)
//   once, replay           the same key again
//   once, 100 KB result    first run and replay with a larger result
//   lease acquire / heartbeat (renew) / release
//   ledger step, first run and replay
//   rate limit take (admitted, denied, 2 limits in one transaction, prefetch)
//   memory append (200 B), last 20 messages (eventually / strongly consistent)
//   flag read (consistent: pointer + generation), flag get from the cache
// then 64 coroutines on one thread taking from one bucket and appending to
// conversations: calls per second and the process's CPU per call.
// bench/README.md has the table and the command (bench/agent/run).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "ddb/agent/idempotency.hpp"
#include "ddb/agent/flags.hpp"
#include "ddb/agent/lease.hpp"
#include "ddb/agent/memory.hpp"
#include "ddb/agent/rate_limit.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct row {
  const char* what;
  int calls = 0;
  double requests = 0, read_units = 0, write_units = 0, usd = 0;
  std::vector<double> micros;
};

void print(row& r) {
  std::sort(r.micros.begin(), r.micros.end());
  const double median = r.micros.empty() ? 0 : r.micros[r.micros.size() / 2];
  std::printf("| %-26s | %5.2f | %6.2f | %6.2f | %8.3f | %7.0f |\n", r.what, r.requests / r.calls, r.read_units / r.calls,
              r.write_units / r.calls, r.usd / r.calls * 1e6, median);
}

// Runs one call n times, counting what the client saw.
template <class Call>
asio::awaitable<void> measure(ddb::client& c, row& r, int n, Call call) {
  for (int i = 0; i < n; ++i) {
    c.reset_capacity();
    const auto t0 = std::chrono::steady_clock::now();
    co_await call(i);
    const auto t1 = std::chrono::steady_clock::now();
    const ddb::capacity_report cap = c.capacity();
    r.calls++;
    r.requests += static_cast<double>(cap.responses);  // every response reports its capacity
    r.read_units += cap.total.read;
    r.write_units += cap.total.write;
    r.usd += cap.estimated_usd;
    r.micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct spent {
  double seconds = 0, cpu = 0;
};

// 64 coroutines on this thread run `one()` `total` times in all; the wall
// time and this process's CPU time they took.
template <class One>
asio::awaitable<spent> with_64(int total, One one) {
  int started = 0, finished = 0;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto ex = co_await asio::this_coro::executor;
  for (int w = 0; w < 64; ++w) {
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      while (started < total) {
        ++started;
        co_await one();
        ++finished;
      }
    }, [](std::exception_ptr e) {  // not asio::detached: that would drop a failure and leave the wait below hanging
      if (e) std::rethrow_exception(e);
    });
  }
  asio::steady_timer poll(ex);
  while (finished < total) {
    poll.expires_after(5ms);
    co_await poll.async_wait(asio::use_awaitable);
  }
  co_return spent{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), cpu_seconds() - cpu0};
}

// 64 coroutines take `total` times from one bucket: the rate DynamoDB Local
// sustains, and this process's CPU per take against a floor measured just
// before (the same coroutines sending plain `ADD n :one` UpdateItems to one item).
asio::awaitable<void> concurrent_takes(ddb::client& c, const std::string& table, int total, const char* what,
                                       ddb::agent::limit l) {
  const spent floor = co_await with_64(total, [&]() -> asio::awaitable<void> {
    ddb::update_item_request u;
    u.table_name = table;
    u.key = ddb::item{{"pk", "counter"}, {"sk", "#"}};
    u.update_expression = "ADD n :one";
    u.expression_attribute_values = ddb::item{{":one", 1}};
    (void)co_await c.update_item(u);
  });
  const double floor_us = floor.cpu / total * 1e6;
  std::printf("\n64 coroutines, one thread, plain UpdateItem on one item (the floor): %d in %.2f s = %.0f/s; "
              "CPU %.1f us per request\n", total, floor.seconds, total / floor.seconds, floor_us);
  ddb::agent::rate_limiter limits(c, {.table_name = table});
  int admitted = 0, writes = 0;
  const spent took = co_await with_64(total, [&]() -> asio::awaitable<void> {
    ddb::agent::take_result r = co_await limits.take(l);
    admitted += r.admitted;
    writes += r.writes;
  });
  std::printf("64 coroutines, one thread, %s: %d takes (%d admitted, %.3f writes each) in %.2f s = %.0f takes/s; "
              "CPU %.1f us per take = %.2fx the floor, %.2fx per write (%.0f%% of one core)\n",
              what, total, admitted, static_cast<double>(writes) / total, took.seconds, total / took.seconds,
              took.cpu / total * 1e6, took.cpu / total * 1e6 / floor_us, took.cpu / writes * 1e6 / floor_us,
              took.cpu / took.seconds * 100);
}

// 64 coroutines append `total` 200-byte messages to 64 conversations.
asio::awaitable<void> concurrent_appends(ddb::client& c, const std::string& table, int total) {
  ddb::agent::memory mem(c, {.table_name = table});
  const std::string role = "user", text(200, 'm'), no_run;
  int next = 0;
  const spent took = co_await with_64(total, [&]() -> asio::awaitable<void> {
    const std::string user = "user-" + std::to_string(next++ % 64), conv = "load";
    (void)co_await mem.append(user, conv, role, text, no_run);
  });
  std::printf("64 coroutines, one thread, memory appends (200 B) to 64 conversations: %d in %.2f s = %.0f/s; "
              "CPU %.1f us per append (%.0f%% of one core)\n",
              total, took.seconds, total / took.seconds, took.cpu / total * 1e6, took.cpu / took.seconds * 100);
}

asio::awaitable<void> run(ddb::client& c, int n) {
  const std::string table = "agent_bench_" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
  ddb::agent::idempotency idem(c, {.table_name = table, .create_table = true});
  ddb::agent::leases leases(c, {.table_name = table});
  const std::string small = R"({"charge":"ch_3PqK","amount":1299,"currency":"eur","status":"succeeded"})";
  const std::string large(100 * 1024, 'r');
  ddb::agent::idempotency::function small_fn = [&]() -> asio::awaitable<std::string> { co_return small; };
  ddb::agent::idempotency::function large_fn = [&]() -> asio::awaitable<std::string> { co_return large; };
  {
    const std::string warm = "warm-up";
    (void)co_await idem.run(warm, small_fn);  // creates the table
  }
  std::vector<row> rows = {{"once, first run (70 B)"}, {"once, replay (70 B)"}, {"once, first run (100 KB)"},
                           {"once, replay (100 KB)"},  {"lease acquire"},       {"lease heartbeat (renew)"},
                           {"lease release"},          {"ledger step, first run"}, {"ledger step, replay"}};
  ddb::agent::ledger book(c, {.table_name = table});
  co_await measure(c, rows[0], n, [&](int i) -> asio::awaitable<void> {
    const std::string key = "small-" + std::to_string(i);
    (void)co_await idem.run(key, small_fn);
  });
  co_await measure(c, rows[1], n, [&](int i) -> asio::awaitable<void> {
    const std::string key = "small-" + std::to_string(i);
    (void)co_await idem.run(key, small_fn);
  });
  co_await measure(c, rows[2], n, [&](int i) -> asio::awaitable<void> {
    const std::string key = "large-" + std::to_string(i);
    (void)co_await idem.run(key, large_fn);
  });
  co_await measure(c, rows[3], n, [&](int i) -> asio::awaitable<void> {
    const std::string key = "large-" + std::to_string(i);
    (void)co_await idem.run(key, large_fn);
  });
  std::vector<ddb::agent::held_lease> held;
  co_await measure(c, rows[4], n, [&](int i) -> asio::awaitable<void> {
    const std::string name = "lease-" + std::to_string(i);
    held.push_back(co_await leases.acquire(name, 60s));
  });
  // The heartbeat's renewal runs on a timer inside the lease: the same
  // UpdateItem (same attributes, condition on an attribute of the item) is
  // sent here directly so it can be counted alone.
  co_await measure(c, rows[5], n, [&](int i) -> asio::awaitable<void> {
    ddb::update_item_request u;
    u.table_name = table;
    u.key = ddb::item{{"pk", "lease#lease-" + std::to_string(i)}, {"sk", "#"}};
    u.update_expression = "SET #e = :e, #t = :t";
    u.condition_expression = "attribute_exists(#o)";
    u.expression_attribute_names = {{"#e", "expires_ms"}, {"#t", "expires_at"}, {"#o", "owner"}};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.server_time().time_since_epoch()).count();
    u.expression_attribute_values = ddb::item{{":e", ms + 60000}, {":t", ms / 1000 + 86460}};
    (void)co_await c.update_item(u);
  });
  co_await measure(c, rows[6], n, [&](int i) -> asio::awaitable<void> {
    (void)co_await held[static_cast<std::size_t>(i)].release();
  });
  const std::string run_id = "bench-run";
  (void)co_await book.start(run_id);
  const std::string args = R"({"tool":"search","query":"weather in Lisbon"})";
  co_await measure(c, rows[7], n, [&](int i) -> asio::awaitable<void> {
    (void)co_await book.call(run_id, i, args, small_fn);
  });
  co_await measure(c, rows[8], n, [&](int i) -> asio::awaitable<void> {
    (void)co_await book.call(run_id, i, args, small_fn);
  });
  ddb::agent::rate_limiter limits(c, {.table_name = table});
  rows.push_back({"limit take, admitted"});
  co_await measure(c, rows.back(), n, [&](int i) -> asio::awaitable<void> {
    const auto l = ddb::agent::limit::per_second("user-" + std::to_string(i), 10, 10);
    (void)co_await limits.take(l);
  });
  rows.push_back({"limit take, denied"});
  const auto spent = ddb::agent::limit::per_day("spent", 1, 1);
  (void)co_await limits.take(spent);
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await limits.take(spent); });
  rows.push_back({"limit take_all, 2 limits"});
  co_await measure(c, rows.back(), n, [&](int i) -> asio::awaitable<void> {
    const std::vector<ddb::agent::limit_take> both{
        {ddb::agent::limit::per_minute("rpm-" + std::to_string(i), 60, 10), ddb::agent::tokens(1)},
        {ddb::agent::limit::per_minute("tpm-" + std::to_string(i), 40000, 40000), ddb::agent::tokens(2000)}};
    (void)co_await limits.take_all(both);
  });
  rows.push_back({"limit take, prefetch 10"});
  ddb::agent::rate_limiter_options pre;
  pre.prefetch_milli = ddb::agent::tokens(10);
  ddb::agent::rate_limiter prefetching(c, {.table_name = table}, pre);
  const auto roomy = ddb::agent::limit::per_second("prefetched", 1000, 1000);
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await prefetching.take(roomy); });
  ddb::agent::memory mem(c, {.table_name = table});
  const std::string user = "user-1", conv = "bench", role = "user", no_run;
  const std::string text(200, 'm');
  rows.push_back({"memory append (200 B)"});
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> {
    (void)co_await mem.append(user, conv, role, text, no_run);
  });
  ddb::agent::read_options last20;
  last20.limit = 20;
  rows.push_back({"memory last 20"});
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await mem.last(user, conv, last20); });
  last20.consistent = true;
  rows.push_back({"memory last 20, consistent"});
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await mem.last(user, conv, last20); });
  ddb::agent::flags fl(c, {.table_name = table});
  const std::string flag_set = "prod";
  std::map<std::string, std::string> twelve;
  for (int i = 0; i < 12; ++i) twelve["flag-" + std::to_string(i)] = "true";
  (void)co_await fl.publish(flag_set, twelve, 0);
  rows.push_back({"flag read (12 flags)"});
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await fl.read(flag_set); });
  rows.push_back({"flag get, cached"});
  const std::string one_flag = "flag-3";
  co_await measure(c, rows.back(), n, [&](int) -> asio::awaitable<void> { (void)co_await fl.get(flag_set, one_flag); });
  std::printf("| call | responses with capacity | read units | write units | $ per million calls | median us |\n|---|---|---|---|---|---|\n");
  for (row& r : rows) print(r);
  const auto wide = ddb::agent::limit::per_second("wide", 1e6, 1e6);    // far above the demand: tat at the present
  const auto busy = ddb::agent::limit::per_second("busy", 200, 1e6);     // below the demand, a deep burst: busy
  co_await concurrent_takes(c, table, n * 40, "a bucket far above the demand", wide);
  co_await concurrent_takes(c, table, n * 40, "a busy bucket", busy);
  co_await concurrent_appends(c, table, n * 40);
  ddb::delete_table_request d;
  d.table_name = table;
  (void)co_await c.delete_table(d);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  asio::io_context io;
  ddb::client_config cfg;
  cfg.track_capacity = true;
  ddb::client c(io.get_executor(), cfg);
  int rc = 0;
  asio::co_spawn(io, run(c, n), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "agent_bench: %s\n", x.what());
        rc = 1;
      }
    }
    c.close();
  });
  io.run();
  return rc;
}
