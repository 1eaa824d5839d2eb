// Query over a 50,000-item partition of DynamoDB Local, paginated: items/s
// and the client's CPU per page. Run by bench/local/run (which starts and
// stops DynamoDB Local on a loopback port).
//
//   local_query --endpoint-url http://127.0.0.1:PORT [--items 50000] [--rounds 3]
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "ddb/batch.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "ddb/paginate.hpp"

namespace asio = boost::asio;

namespace {
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  std::string endpoint;
  int items = 50000, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--endpoint-url")) endpoint = argv[i + 1];
    else if (!std::strcmp(argv[i], "--items")) items = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
  }
  if (endpoint.empty() || items < 1 || rounds < 1) {
    std::fprintf(stderr, "usage: local_query --endpoint-url URL [--items N] [--rounds R]\n");
    return 2;
  }
  asio::io_context io;
  ddb::client_config cfg;
  cfg.endpoint = endpoint;
  ddb::client db(io.get_executor(), cfg);
  int rc = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    std::random_device rd;
    const std::string table = "ddb_bench_query_" + std::to_string(rd() % 1000000);
    ddb::create_table_request ct;
    ct.table_name = table;
    ct.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}, {"sk", ddb::scalar_attribute_type::n}};
    ct.key_schema = {{"pk", ddb::key_type::hash}, {"sk", ddb::key_type::range}};
    ct.billing_mode = ddb::billing_mode::pay_per_request;
    co_await db.create_table(ct);
    std::map<std::string, std::vector<ddb::write_request>> writes;
    for (int i = 0; i < items; ++i)
      writes[table].push_back({.put_request = ddb::put_request{.item = ddb::item{
                                   {"pk", "partition"}, {"sk", i}, {"name", "item " + std::to_string(i)},
                                   {"payload", std::string(200, static_cast<char>('a' + i % 26))}, {"n", i * 7}}}});
    const auto t_load = std::chrono::steady_clock::now();
    ddb::batch_options bo;
    bo.key_attributes = {{table, {"pk", "sk"}}};
    bo.concurrency = 8;
    auto loaded = co_await ddb::batch_write(db, std::move(writes), bo);
    std::printf("loaded %zu items in %.1f s (%zu BatchWriteItem calls, %zu failed)\n", loaded.written,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count(), loaded.calls,
                loaded.failed.size());
    ddb::query_request q;
    q.table_name = table;
    q.key_condition_expression = "pk = :p";
    q.expression_attribute_values = ddb::item{{":p", "partition"}};
    for (int r = 0; r < rounds; ++r) {
      const double cpu0 = cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      ddb::query_pages pages(db, q);
      std::size_t n = 0, bytes_pages = 0;
      while (auto page = co_await pages.next()) {
        n += page->items.size();
        ++bytes_pages;
      }
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = cpu_seconds() - cpu0;
      std::printf("round %d: %zu items in %zu pages, %.2f s: %.0f items/s; client CPU %.1f ms per page (%.0f%% of one core)\n",
                  r, n, bytes_pages, wall, static_cast<double>(n) / wall, cpu / static_cast<double>(bytes_pages) * 1e3,
                  cpu / wall * 100);
      if (n != static_cast<std::size_t>(items)) rc = 1;
    }
    const ddb::delete_table_request drop{.table_name = table};
    co_await db.delete_table(drop);
    db.close();
  }, [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "local_query: %s\n", ex.what());
      }
      rc = 1;
    }
  });
  io.run();
  return rc;
}
