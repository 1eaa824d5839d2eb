#pragma once
// The one table every part of ddb::agent shares, and how its operations take
// completion tokens.
//
// Layout (README "Agent state"): partition key `pk` (S), sort key `sk` (S),
// on-demand, TTL on `expires_at` (epoch seconds). Each thing lives under its
// own partition key, so keys spread over partitions (no static partition key):
//   idempotency record   pk = "idem#" + key    sk = "#"          (+ "chunk#0000"... for large results)
//   lease                pk = "lease#" + name  sk = "#"
//
// Every asynchronous call takes a completion token like the client's
// operations, with the signature void(boost::system::error_code, Result):
// the default (asio::use_awaitable) throws ddb::error (or rethrows what the
// caller's own function threw), as_tuple and callbacks get the code with the
// message in Result::diag.message, and a cancellation slot bound to the token
// cancels the DynamoDB calls in flight.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ddb/client.hpp"

namespace ddb::agent {

struct table_options {
  std::string table_name;
  // When the table does not exist: create it (on-demand, TTL enabled) and
  // wait until it is active. Without it a missing table is an error naming
  // this option.
  bool create_table = false;
};

namespace detail {

// Checks the table once per component: it exists (or is created when asked)
// and has the agent key schema; the error names the remedy otherwise.
boost::asio::awaitable<void> ensure_table(client& c, const table_options& t);

// The failure a caught exception stands for: a ddb::error or any
// system_error keeps its code, anything else is errc::function_failed.
boost::system::error_code code_of(const std::exception_ptr& e, std::string& message);

template <class T, class Body>
boost::asio::awaitable<std::tuple<boost::system::error_code, T>> capture(Body body) {
  std::exception_ptr failure;
  try {
    T value = co_await body();
    co_return std::tuple<boost::system::error_code, T>(boost::system::error_code(), std::move(value));
  } catch (...) {
    failure = std::current_exception();
  }
  T out{};
  const boost::system::error_code ec = code_of(failure, out.diag.message);
  co_return std::tuple<boost::system::error_code, T>{ec, std::move(out)};
}

// Runs body() (returning boost::asio::awaitable<T>) as an asynchronous
// operation for any token. T has a `diagnostics diag` member.
template <class T, class Token, class Body>
auto run_op(const boost::asio::any_io_executor& ex, Token&& token, Body&& body) {
  if constexpr (std::is_same_v<std::decay_t<Token>, boost::asio::use_awaitable_t<>>) {
    return std::forward<Body>(body)();  // the awaitable itself: exceptions pass through as thrown
  } else {
    return ddb::detail::async_op<T>(
        ex, std::forward<Token>(token), [ex, body = std::forward<Body>(body)](auto handler) mutable {
          // The caller's cancellation slot reaches the coroutine (and the
          // DynamoDB calls it awaits). The handler is posted, not called
          // inside co_spawn's completion: the caller may then reuse its slot
          // at once, which would destroy the cancellation handler co_spawn
          // installed there while the coroutine is still being torn down.
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          boost::asio::co_spawn(
              ex, capture<T>(std::move(body)),
              boost::asio::bind_cancellation_slot(
                  slot, [ex, h = std::move(handler)](std::exception_ptr,
                                                     std::tuple<boost::system::error_code, T> r) mutable {
                    auto handler_ex = boost::asio::get_associated_executor(h, ex);
                    boost::asio::post(handler_ex, [h = std::move(h), r = std::move(r)]() mutable {
                      std::move(h)(std::get<0>(r), std::move(std::get<1>(r)));
                    });
                  }));
        });
  }
}

}  // namespace detail
}  // namespace ddb::agent
