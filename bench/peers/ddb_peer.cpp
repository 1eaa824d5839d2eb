// ddb as a peer in bench/peers/run: the same small program as the other
// SDKs' (bench/peers/go, python, js), on the public API with its defaults
// (a pool of 64 connections, no pipelining, CRC checked, standard retries).
//
//   ddb_peer get-item URL SECONDS CONCURRENCY
//   ddb_peer query URL SECONDS          (PAGE_BYTES in the environment)
//   ddb_peer write-page FILE            (the Query page the canned server returns)
//
// Prints one JSON line: operations and CPU seconds after a warm-up, peak RSS.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "../bench_items.hpp"

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long max_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

struct run_state {
  bool measuring = false;
  bool stop = false;
  long done = 0;
  int running = 0;
  std::string error;
};

template <class Call>
asio::awaitable<void> worker(run_state& s, Call call) {
  ++s.running;
  try {
    while (!s.stop) {
      co_await call();
      if (s.measuring) ++s.done;
    }
  } catch (const std::exception& e) {
    s.error = e.what();
    s.stop = true;
  }
  --s.running;
}

// Runs `call` from `workers` coroutines: 2 s of warm-up, then `seconds`
// measured; prints the JSON line.
template <class Call>
asio::awaitable<void> run(const char* op, int workers, double seconds, long page_bytes, Call call) {
  auto ex = co_await asio::this_coro::executor;
  run_state s;
  for (int i = 0; i < workers; ++i) asio::co_spawn(ex, worker(s, call), asio::detached);
  asio::steady_timer timer(ex, std::chrono::seconds(2));
  co_await timer.async_wait(asio::use_awaitable);
  const double cpu0 = cpu_seconds();
  const auto t0 = clock_type::now();
  s.measuring = true;
  timer.expires_after(std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
  co_await timer.async_wait(asio::use_awaitable);
  s.measuring = false;
  const long n = s.done;
  const double cpu = cpu_seconds() - cpu0;
  const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
  s.stop = true;
  while (s.running > 0) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (!s.error.empty()) throw std::runtime_error(s.error);
  std::printf("{\"peer\":\"ddb\",\"op\":\"%s\",\"ops\":%ld,\"cpu_s\":%.4f,\"wall_s\":%.4f,\"page_bytes\":%ld,\"maxrss_kb\":%ld}\n",
              op, n, cpu, wall, page_bytes, max_rss_kb());
}


asio::awaitable<void> main_co(std::string op, std::string url, double seconds, int concurrency) {
  auto ex = co_await asio::this_coro::executor;
  ddb::client_config cfg;
  cfg.region = "us-east-1";
  cfg.endpoint = url;
  cfg.credentials = ddb::credentials{.access_key_id = "bench", .secret_access_key = ddb::secret_string("bench")};
  ddb::client db(ex, std::move(cfg));
  if (op == "get-item") {
    const ddb::get_item_request get{.table_name = "bench", .key = ddb::item{{"pk", "user#12345"}}};
    co_await run("get-item", concurrency, seconds, 0, [&]() -> asio::awaitable<void> {
      ddb::get_item_response r = co_await db.get_item(get);
      if (r.item.size() != 4) throw std::runtime_error("GetItem: expected 4 attributes");
    });
  } else if (op == "query") {
    const char* bytes = std::getenv("PAGE_BYTES");
    if (!bytes) throw std::runtime_error("PAGE_BYTES is not set");
    ddb::query_request q;
    q.table_name = "bench";
    q.key_condition_expression = "pk = :pk";
    q.expression_attribute_values = ddb::item{{":pk", "user#12345"}};
    co_await run("query", 1, seconds, std::stol(bytes), [&]() -> asio::awaitable<void> {
      ddb::query_response r = co_await db.query(q);
      if (r.items.size() != 1000) throw std::runtime_error("Query: expected 1000 items");
    });
  } else {
    throw std::runtime_error("unknown operation " + op);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "write-page") {
    std::ofstream(argv[2], std::ios::binary) << bench::query_page();  // bench_core's page
    return 0;
  }
  if (argc < 4) {
    std::cerr << "usage: ddb_peer get-item|query URL SECONDS [CONCURRENCY]\n";
    return 2;
  }
  asio::io_context io(1);
  int rc = 0;
  asio::co_spawn(io, main_co(argv[1], argv[2], std::stod(argv[3]), argc > 4 ? std::stoi(argv[4]) : 1),
                 [&](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     std::cerr << "ddb_peer: " << ex.what() << "\n";
                     rc = 1;
                   }
                 });
  io.run();
  return rc;
}
