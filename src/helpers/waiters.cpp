#include "ddb/waiters.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace ddb {
namespace asio = boost::asio;

namespace {

enum class poll_result { success, retry };

// Polls DescribeTable until `decide` says success, an error is not one the
// waiter expects, or the deadline passes.
template <class Decide>
asio::awaitable<describe_table_response> poll(client& c, const std::string& table, waiter_options opt,
                                              const char* goal, Decide decide) {
  if (opt.delay.count() <= 0 || opt.timeout.count() <= 0)
    throw ddb::error(fail(errc::invalid_config, "waiter_options: delay and timeout must be positive"));
  const auto deadline = std::chrono::steady_clock::now() + opt.timeout;
  const describe_table_request req{.table_name = table};
  std::string last = "no answer yet";
  for (;;) {
    auto [ec, r] = co_await c.describe_table(req, asio::as_tuple(asio::use_awaitable));
    const poll_result verdict = decide(ec, r);  // throws on an error the waiter does not expect
    if (verdict == poll_result::success) co_return r;
    last = ec ? "ResourceNotFoundException" : (r.table && r.table->table_status ? std::string(r.table->table_status->str()) : "no status");
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw ddb::error(fail(errc::operation_timeout, "table " + table + " did not " + goal + " within " +
                                                         std::to_string(opt.timeout.count()) + " ms (last seen: " +
                                                         last + ")"));
    asio::steady_timer t(co_await asio::this_coro::executor, std::min<std::chrono::steady_clock::duration>(opt.delay, deadline - now));
    boost::system::error_code ignored;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

[[noreturn]] void rethrow(const boost::system::error_code& ec, describe_table_response& r) {
  detail::throw_operation_error(ec, std::move(r.diag));
}

}  // namespace

asio::awaitable<table_description> wait_table_exists(client& c, std::string table, waiter_options opt) {
  auto r = co_await poll(c, table, opt, "become ACTIVE", [](const boost::system::error_code& ec, describe_table_response& r) {
    if (ec == service_errc::resource_not_found) return poll_result::retry;
    if (ec) rethrow(ec, r);
    return r.table && r.table->table_status == table_status::active ? poll_result::success : poll_result::retry;
  });
  co_return std::move(*r.table);
}

asio::awaitable<void> wait_table_not_exists(client& c, std::string table, waiter_options opt) {
  co_await poll(c, table, opt, "disappear", [](const boost::system::error_code& ec, describe_table_response& r) {
    if (ec == service_errc::resource_not_found) return poll_result::success;
    if (ec) rethrow(ec, r);
    return poll_result::retry;
  });
}

}  // namespace ddb
