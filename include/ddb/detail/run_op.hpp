#pragma once
// Coroutines as asynchronous operations for any completion token, the way
// the client's operations take them: the helpers (pagers, query_all,
// scan_all, batches, waiters) and ddb::agent run their coroutine bodies
// through run_op.
//
// Signature void(boost::system::error_code, T), T what the coroutine
// returns. The default token (asio::use_awaitable) gets the coroutine itself,
// so exceptions pass through as thrown (ddb::error with its diagnostics).
// Other tokens (as_tuple, callbacks, use_future, ddb::cancel_after) get the
// code; on failure T is value-initialised and, when T has a `diag` member (or
// is an optional of such a type), it carries the failure's diagnostics. A
// cancellation slot bound to the token reaches the coroutine and the
// DynamoDB calls it awaits.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ddb/client.hpp"

namespace ddb::detail {

template <class T>
concept has_diagnostics = requires(T t) { t.diag; };
template <class T>
struct optional_of_diagnosed : std::false_type {};
template <class R>
struct optional_of_diagnosed<std::optional<R>> : std::bool_constant<has_diagnostics<R>> {};

/// The code a caught exception stands for, and its diagnostics: a ddb::error
/// keeps both, any system_error its code and message; anything else is
/// `fallback` with the exception's text.
boost::system::error_code failure_of(const std::exception_ptr& e, diagnostics& diag, errc fallback);

/// The failure as T carries it (see above).
template <class T>
void put_failure(T& out, diagnostics&& diag) {
  if constexpr (has_diagnostics<T>)
    out.diag = std::move(diag);
  else if constexpr (optional_of_diagnosed<T>::value)
    out.emplace().diag = std::move(diag);
}

template <class T, class Body>
boost::asio::awaitable<completion_tuple<T>> capture(Body body, errc fallback) {
  std::exception_ptr failure;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await body();
      co_return completion_tuple<T>(boost::system::error_code());
    } else {
      T value = co_await body();
      co_return completion_tuple<T>(boost::system::error_code(), std::move(value));
    }
  } catch (...) {
    failure = std::current_exception();
  }
  diagnostics diag;
  const boost::system::error_code ec = failure_of(failure, diag, fallback);
  if constexpr (std::is_void_v<T>) {
    co_return completion_tuple<T>(ec);
  } else {
    T out{};
    put_failure(out, std::move(diag));
    co_return completion_tuple<T>(ec, std::move(out));
  }
}

/// body() under a timer that cancels it after `timeout`; what it throws is
/// rethrown as thrown (ddb::cancel_after around the default token).
template <class T, class Body>
boost::asio::awaitable<T> with_timeout(boost::asio::any_io_executor ex, std::chrono::steady_clock::duration timeout,
                                       Body body) {
  auto timer = start_cancel_timer(ex, timeout);
  auto done = boost::asio::bind_cancellation_slot(cancel_timer_slot(*timer), boost::asio::as_tuple(boost::asio::use_awaitable));
  if constexpr (std::is_void_v<T>) {
    auto [failure] = co_await boost::asio::co_spawn(ex, body(), done);
    stop_cancel_timer(*timer);
    if (failure) std::rethrow_exception(failure);
  } else {
    auto [failure, value] = co_await boost::asio::co_spawn(ex, body(), done);
    stop_cancel_timer(*timer);
    if (failure) std::rethrow_exception(failure);
    co_return std::move(value);
  }
}

/// Runs body() (returning boost::asio::awaitable<T>) as an asynchronous
/// operation for any token; `fallback` is the code of an exception that is not
/// a system_error.
template <class T, class Token, class Body>
auto run_op(const boost::asio::any_io_executor& ex, Token&& token, Body&& body, errc fallback = errc::unexpected_exception) {
  using token_type = std::decay_t<Token>;
  if constexpr (std::is_same_v<token_type, boost::asio::use_awaitable_t<>>) {
    return std::forward<Body>(body)();  // the awaitable itself: exceptions pass through as thrown
  } else if constexpr (std::is_same_v<token_type, cancel_after_t<boost::asio::use_awaitable_t<>>>) {
    return with_timeout<T>(ex, token.timeout, std::forward<Body>(body));
  } else {
    return async_op<T>(ex, std::forward<Token>(token), [ex, fallback, body = std::forward<Body>(body)](auto handler) mutable {
      // The caller's cancellation slot reaches the coroutine. The handler is
      // posted, not called inside co_spawn's completion: the caller may then
      // reuse its slot at once, which would destroy the cancellation handler
      // co_spawn installed there while the coroutine is still being torn down.
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      auto deliver = [ex, h = std::move(handler)](std::exception_ptr, auto r) mutable {
        auto handler_ex = boost::asio::get_associated_executor(h, ex);
        boost::asio::post(handler_ex, [h = std::move(h), r = std::move(r)]() mutable { std::apply(std::move(h), std::move(r)); });
      };
      boost::asio::co_spawn(ex, capture<T>(std::move(body), fallback),
                            boost::asio::bind_cancellation_slot(slot, std::move(deliver)));
    });
  }
}

}  // namespace ddb::detail
