// `ddb load prepare` and `ddb load cleanup` (in ddb-bench): the table a load
// run needs, created and filled, and removed afterwards.
//
//   ddb load prepare --table-name T --item JSON --keys N [--item-bytes B] [--create-table]
//       writes items 0..N-1 from the template (batch writes, 4 in flight, unprocessed ones retried),
//       creating T first when asked (partition key: the template's {key} attribute, a string)
//   ddb load cleanup --table-name T --yes      deletes T and waits until it is gone
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <iostream>

#include "cli/load.hpp"
#include "cli/load_templates.hpp"
#include "ddb/batch.hpp"
#include "ddb/model.hpp"
#include "ddb/waiters.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

int run_on_client(const args& a, const std::function<asio::awaitable<void>(ddb::client&)>& body) {
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  std::exception_ptr failure;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { co_await body(c); }, [&](std::exception_ptr e) {
    failure = e;
    c.close();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return 0;
}

waiter_options quick_waits() {
  waiter_options w;
  w.delay = std::chrono::milliseconds(250);
  w.timeout = std::chrono::milliseconds(300000);
  return w;
}

}  // namespace

int load_prepare_command(const args& a) {
  const std::string table = a.require("table-name");
  request_template t = template_of(a, "item");
  if (t.slots.empty()) throw usage_error("--item must hold {key} in a string value (its partition key), e.g. '{\"pk\":{\"S\":\"user#{key}\"}}'");
  const long keys = a.number("keys", 1000);
  if (const long pad = a.number("item-bytes", 0); pad > 0)
    t.item.insert_or_assign("pad", ddb::value(std::string(static_cast<std::size_t>(pad), 'x')));
  const bool create = a.options.count("create-table") != 0;
  const bool progress = isatty(2);
  return run_on_client(a, [&](ddb::client& c) -> asio::awaitable<void> {
    describe_table_request d;
    d.table_name = table;
    auto [ec, r] = co_await c.describe_table(d, tuple_token);
    if (ec == service_errc::resource_not_found) {
      if (!create) throw usage_error("table " + table + " does not exist: add --create-table");
      create_table_request ct;
      ct.table_name = table;
      ct.attribute_definitions = {{t.slots.front().name, scalar_attribute_type::s}};
      ct.key_schema = {{t.slots.front().name, key_type::hash}};
      ct.billing_mode = billing_mode::pay_per_request;
      (void)co_await c.create_table(ct);
      const waiter_options w = quick_waits();
      (void)co_await wait_table_exists(c, table, w);
      std::fprintf(stderr, "created table %s (partition key %s, on demand)\n", table.c_str(), t.slots.front().name.c_str());
    } else if (ec) {
      throw ddb::make_error(ec, std::move(r.diag));
    }
    const std::int64_t chunk = 1000;
    std::size_t written = 0;
    for (std::int64_t from = 0; from < keys; from += chunk) {
      std::map<std::string, std::vector<write_request>> writes;
      std::vector<write_request>& list = writes[table];
      for (std::int64_t k = from; k < std::min<std::int64_t>(keys, from + chunk); ++k) {
        fill(t.item, t.slots, k);
        list.push_back(write_request{.put_request = put_request{.item = t.item}});
      }
      batch_options opt;
      opt.key_attributes[table] = {t.slots.front().name};
      const batch_write_outcome out = co_await batch_write(c, std::move(writes), opt);
      if (!out.ok())
        throw ddb::error(fail(errc::unprocessed, std::to_string(out.failed.size()) + " items could not be written (" +
                                                     out.failed.front().message + ")"));
      written += out.written;
      if (progress) std::fprintf(stderr, "\r%zu of %ld items written", written, keys);
    }
    if (progress) std::fputs("\n", stderr);
    std::printf("prepared %zu items in %s\n", written, table.c_str());
  });
}

int load_cleanup_command(const args& a) {
  const std::string table = a.require("table-name");
  if (!a.options.count("yes")) throw usage_error("cleanup deletes table " + table + " and all its items: add --yes");
  return run_on_client(a, [&](ddb::client& c) -> asio::awaitable<void> {
    delete_table_request d;
    d.table_name = table;
    auto [ec, r] = co_await c.delete_table(d, tuple_token);
    if (ec == service_errc::resource_not_found) {
      std::printf("table %s does not exist: nothing to clean up\n", table.c_str());
      co_return;
    }
    if (ec) throw ddb::make_error(ec, std::move(r.diag));
    const waiter_options w = quick_waits();
    co_await wait_table_not_exists(c, table, w);
    std::printf("deleted table %s\n", table.c_str());
  });
}

}  // namespace ddb::cli
