// A consumer of an installed ddb (CMake package or pkg-config): creates a
// table on DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB), writes an item, reads
// it back with the client and finds the nearest of two vectors with ddb::vec. Prints "ok"
// and exits 0 only when the item came back as written.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include <ddb/client.hpp>
#include <ddb/model.hpp>
#include <ddb/vec/index.hpp>

namespace asio = boost::asio;

int main(int argc, char** argv) {
  const std::string table = argc > 1 ? argv[1] : "ddb_consumer";
  asio::io_context io;
  ddb::client c(io.get_executor());  // configured from the environment, as the AWS CLI
  bool ok = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    ddb::create_table_request ct;
    ct.table_name = table;
    ct.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
    ct.key_schema = {{"pk", ddb::key_type::hash}};
    ct.billing_mode = ddb::billing_mode::pay_per_request;
    co_await c.create_table(ct);
    ddb::put_item_request put;
    put.table_name = table;
    put.item = {{"pk", "consumer"}, {"n", 42}};
    co_await c.put_item(put);
    ddb::get_item_request get;
    get.table_name = table;
    get.key = {{"pk", "consumer"}};
    get.consistent_read = true;
    const ddb::get_item_response got = co_await c.get_item(get);
    ddb::delete_table_request dt;
    dt.table_name = table;
    co_await c.delete_table(dt);
    ok = got.item.contains("n");
  }, [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "consumer: %s\n", x.what());
      }
    }
    c.close();
  });
  io.run();
  ddb::vec::index idx(ddb::vec::index_options{.dim = 4});
  const float a[4] = {1, 0, 0, 0}, b[4] = {0.6f, 0.8f, 0, 0};
  idx.add(1, a);
  idx.add(2, b);
  const auto found = idx.search(a, ddb::vec::search_options{.k = 1});
  const float score = found.empty() || found[0].id != 1 ? 0.0f : found[0].score;
  std::printf("%s (score %.1f)\n", ok && score > 0.99f ? "ok" : "FAILED", static_cast<double>(score));
  return ok && score > 0.99f ? 0 : 1;
}
