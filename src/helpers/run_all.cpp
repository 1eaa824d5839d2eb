#include "helpers/run_all.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>

namespace ddb::detail {
namespace asio = boost::asio;

asio::awaitable<void> run_all(std::size_t n, std::function<asio::awaitable<void>(std::size_t)> make) {
  if (n == 0) co_return;
  struct state {
    explicit state(const asio::any_io_executor& ex) : done(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;  // cancelled by the last one to end
    std::size_t running = 0;
    std::exception_ptr first_failure;
  };
  auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<state>(ex);
  st->running = n;
  for (std::size_t i = 0; i < n; ++i)
    asio::co_spawn(ex, make(i), [st](std::exception_ptr e) {
      if (e && !st->first_failure) st->first_failure = e;
      if (--st->running == 0) st->done.cancel();
    });
  boost::system::error_code ignored;
  co_await st->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  if (st->first_failure) std::rethrow_exception(st->first_failure);
}

}  // namespace ddb::detail
