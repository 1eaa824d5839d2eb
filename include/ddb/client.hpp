#pragma once
// ddb::client: DynamoDB from Asio coroutines.
//
//   ddb::client c(co_await asio::this_coro::executor);   // or (executor, client_config{...})
//   const ddb::get_item_request req{.table_name = "users", .key = ddb::item{{"pk", "user#1"}}};
//   ddb::get_item_response r = co_await c.get_item(req);   // a named request: see GCC 12 in the README
//   auto [ec, r2] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
//   ddb::raw_response raw = co_await c.call("DescribeLimits", "{}");   // any operation, raw JSON
//
// (Compiled in the suite: test/compile/header_examples.cpp.)
//
// Every operation is an Asio asynchronous operation with the completion
// signature void(boost::system::error_code, Response): callbacks,
// asio::deferred, as_tuple and cancellation slots all work. With the default
// token (asio::use_awaitable) a failure throws ddb::error whose diag() holds
// the operation's diagnostics. The request is encoded when the operation is
// called, so the caller's request object may die right after the call;
// signing happens per attempt.
//
// The client runs on the executor it is given and starts no threads. It is
// not thread-safe: call it from its executor (or a strand). Destroying or
// closing it completes pending operations with errc::client_closed.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "ddb/config.hpp"
#include "ddb/detail/operations.hpp"
#include "ddb/diagnostics.hpp"
#include "ddb/model/data.hpp"
#include "ddb/retry.hpp"

namespace ddb {

/// A successful response, undecoded: the JSON body and the diagnostics.
struct raw_response {
  /// The response's JSON body as DynamoDB sent it; empty on a failure.
  std::string body;
  /// Status, request id and attempts; on a failure (with a token that does not throw), its details.
  diagnostics diag;
};

/// A completion token that cancels the operation when it has not completed
/// within `timeout` (what asio::cancel_after does from Boost 1.86 on; Boost
/// 1.81 has none): co_await c.get_item(req, ddb::cancel_after(200ms)).
template <class Token = boost::asio::use_awaitable_t<>>
struct cancel_after_t {
  /// Time allowed from the operation's start; then terminal cancellation, and the
  /// operation completes with asio::error::operation_aborted.
  std::chrono::steady_clock::duration timeout;
  /// The token the operation completes through (use_awaitable: failures throw ddb::error).
  Token token;
};
/// Makes a cancel_after_t from a timeout and a token (default use_awaitable).
/// Costs a timer and an allocation per operation.
template <class Token = boost::asio::use_awaitable_t<>>
cancel_after_t<std::decay_t<Token>> cancel_after(std::chrono::steady_clock::duration timeout, Token&& token = {}) {
  return {timeout, std::forward<Token>(token)};
}

namespace detail {
class client_impl;

template <class T>
struct is_cancel_after : std::false_type {};
template <class T>
struct is_cancel_after<cancel_after_t<T>> : std::true_type {};

/// A timer that emits terminal cancellation on its slot when `timeout`
/// passes, unless stopped first: the machinery of cancel_after, compiled in
/// the library (src/client/cancel_timer.cpp) so that this header needs no timer.
class cancel_timer;
std::shared_ptr<cancel_timer> start_cancel_timer(const boost::asio::any_io_executor& ex,
                                                 std::chrono::steady_clock::duration timeout);
boost::asio::cancellation_slot cancel_timer_slot(cancel_timer& t) noexcept;
void stop_cancel_timer(cancel_timer& t) noexcept;

template <class Response>
using handler_t = boost::asio::any_completion_handler<void(boost::system::error_code, Response)>;

/// Whether the handler's associated executor is the client's own: then the
/// client may call it inline when it completes on that executor. Found here,
/// from the handler's own type, because asking the type-erased handler
/// allocates.
template <class Handler>
bool on_executor(const Handler& handler, const boost::asio::any_io_executor& ex) {
  const auto handler_ex = boost::asio::get_associated_executor(handler, ex);
  if constexpr (std::is_same_v<std::decay_t<decltype(handler_ex)>, boost::asio::any_io_executor>)
    return handler_ex == ex;
  else
    return false;  // another kind of executor (a strand, say): dispatched
}

void start_raw(const std::shared_ptr<client_impl>& impl, std::string operation, std::string body, request_safety safety,
               bool on_client_executor, handler_t<raw_response> handler);
/// Compiled for each typed response (src/client/operations.cpp).
template <class Response>
void start_typed(const std::shared_ptr<client_impl>& impl, const char* operation, result<std::string> body,
                 request_safety safety, capacity_hint capacity, bool on_client_executor, handler_t<Response> handler);
class capacity_tracker;
/// Null unless client_config::track_capacity.
capacity_tracker* capacity_tracker_of(client_impl& impl) noexcept;

[[noreturn]] void throw_operation_error(const boost::system::error_code& ec, diagnostics&& diag);

/// What an operation answering Response completes with as a tuple: the code,
/// then the response unless Response is void.
template <class Response>
using completion_tuple = std::conditional_t<std::is_void_v<Response>, std::tuple<boost::system::error_code>,
                                            std::tuple<boost::system::error_code, Response>>;

template <class Response>
boost::asio::awaitable<Response> throw_on_error(boost::asio::awaitable<completion_tuple<Response>> op) {
  if constexpr (std::is_void_v<Response>) {
    auto [ec] = co_await std::move(op);
    if (ec) throw_operation_error(ec, diagnostics{});
  } else {
    auto [ec, res] = co_await std::move(op);
    if (ec) throw_operation_error(ec, std::move(res.diag));
    co_return std::move(res);
  }
}

/// The completion signature of an operation answering Response (void: none).
template <class Response>
struct signature_for {
  using type = void(boost::system::error_code, Response);
};
template <>
struct signature_for<void> {
  using type = void(boost::system::error_code);
};
template <class Response>
using signature_of = typename signature_for<Response>::type;

/// Starts `init(handler)` for any token; the plain use_awaitable token gets an
/// awaitable that throws ddb::error instead of boost::system::system_error.
template <class Response, class Token, class Init>
auto async_op(const boost::asio::any_io_executor& ex, Token&& token, Init&& init) {
  using signature = signature_of<Response>;
  if constexpr (is_cancel_after<std::decay_t<Token>>::value) {
    // Arm a timer whose expiry emits cancellation into the operation's slot;
    // completion stops the timer.
    return async_op<Response>(
        ex, std::move(token.token),
        [ex, timeout = token.timeout, init = std::forward<Init>(init)](auto handler) mutable {
          auto timer = start_cancel_timer(ex, timeout);
          auto handler_ex = boost::asio::get_associated_executor(handler, ex);
          auto slot = cancel_timer_slot(*timer);
          init(boost::asio::bind_cancellation_slot(
              slot, boost::asio::bind_executor(handler_ex, [timer = std::move(timer), h = std::move(handler)](
                                                               boost::system::error_code ec, auto&&... r) mutable {
                stop_cancel_timer(*timer);
                std::move(h)(ec, std::forward<decltype(r)>(r)...);
              })));
        });
  } else if constexpr (std::is_same_v<std::decay_t<Token>, boost::asio::use_awaitable_t<>>) {
    auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);
    return throw_on_error<Response>(
        boost::asio::async_initiate<decltype(tuple_token), signature>(std::forward<Init>(init), tuple_token));
  } else {
    return boost::asio::async_initiate<Token, signature>(std::forward<Init>(init), token);
  }
}
}  // namespace detail

/// The ddb::error the default token throws for (ec, diag) from any other
/// token (as_tuple, callbacks): its what() is diag.summary(ec), diag() the
/// diagnostics. For code that takes results by tuple and throws later.
ddb::error make_error(const boost::system::error_code& ec, diagnostics diag);

/// A DynamoDB client on an Asio executor: connections to one endpoint (see
/// client_config), request signing, retries (retry_policy) and timeouts.
///
/// The typed operations are members inherited from a base the reference leaves
/// out. Each takes its request struct and an optional completion token:
/// `c.get_item(req)` or `c.get_item(req, token)`, and completes with
/// `void(boost::system::error_code, get_item_response)`. From ddb/model/data.hpp:
/// get_item, put_item, update_item, delete_item, query, scan, batch_get_item,
/// batch_write_item, transact_get_items, transact_write_items, execute_statement,
/// batch_execute_statement, execute_transaction, search_vectors. From
/// ddb/model/control.hpp (include it, or ddb/model.hpp): create_table,
/// update_table, describe_table, delete_table, list_tables, update_time_to_live,
/// describe_time_to_live, update_continuous_backups, describe_continuous_backups,
/// tag_resource, untag_resource, list_tags_of_resource, describe_limits.
///
/// The default token, asio::use_awaitable, gives an `awaitable<Response>` that
/// throws ddb::error on failure (diag() holds the diagnostics). Any other token
/// (as_tuple, deferred, callbacks, cancel_after()) gets the code and the
/// response, whose `diag` explains a failure: a service_errc for DynamoDB's
/// errors, an errc for the client's (timeouts, transport, client_closed),
/// asio::error::operation_aborted after cancellation. A request that fails its
/// checks or encoding (e.g. errc::item_too_large, errc::invalid_utf8) completes
/// with that error without being sent. The request is encoded in the call, so it
/// may die right after; each attempt is signed anew.
/// \code
/// ddb::client c(co_await asio::this_coro::executor);
/// const ddb::get_item_request req{.table_name = "users", .key = ddb::item{{"pk", "user#1"}}};
/// ddb::get_item_response r = co_await c.get_item(req);
/// auto [ec, r2] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
/// \endcode
/// The client runs on its executor and starts no threads. It is not thread-safe:
/// call it from its executor (or a strand). Destroying or closing it completes
/// pending operations with errc::client_closed.
class client : public detail::operations<client, boost::asio::use_awaitable_t<>> {
 public:
  /// The executor the client runs on.
  using executor_type = boost::asio::any_io_executor;
  /// The token used when none is given: asio::use_awaitable (failures throw ddb::error).
  using default_token = boost::asio::use_awaitable_t<>;

  /// Resolves region, endpoint and credentials (see config.hpp); throws
  /// ddb::error naming the setting to fix when they cannot be resolved:
  /// errc::invalid_config (no or bad region, pool_size 0, an unreadable CA bundle
  /// or shared file), errc::invalid_credentials (a credential source set up wrong
  /// or none found, keys that cannot sign), errc::invalid_endpoint. Reads the
  /// environment and, unless region and credentials are given, the ~/.aws files
  /// (blocking); connects nowhere until the first request.
  /// Two constructors, no default argument: GCC 12 destroyed the temporary a
  /// default argument makes inside `ddb::client db(co_await this_coro::executor)`
  /// twice; with these that form is safe (fault.client runs it, under ASan too).
  client(executor_type ex);
  /// The same, with a configuration of your own; throws as above.
  client(executor_type ex, client_config cfg);
  /// Closes the client (see close()).
  ~client();
  /// Takes over the other client; the moved-from one may only be destroyed or assigned to.
  client(client&&) noexcept;
  /// Closes this client (see close()), then takes over the other one.
  client& operator=(client&&) noexcept;

  /// The executor the client runs on (handlers without an executor of their own complete there).
  executor_type get_executor() const noexcept;
  /// The endpoint requests go to (settings().endpoint_source says where it came from).
  const ddb::endpoint& endpoint() const noexcept;
  /// The region requests are signed for (settings().region_source says where it came from).
  const std::string& region() const noexcept;
  /// Profile, region, endpoint and credentials provider, with where each came from.
  const resolved_settings& settings() const noexcept;
  /// Connections open now.
  std::size_t open_connections() const noexcept;
  /// Connections opened since the client started, reconnections included.
  std::size_t connections_opened() const noexcept;
  /// Tokens left in the retry quota.
  int retry_quota_available() const noexcept;
  /// Consumed capacity totalled since the start or the last reset (with
  /// client_config::track_capacity; see ddb/capacity.hpp). A copy: allocates.
  capacity_report capacity() const;
  /// Zeroes the capacity totals.
  void reset_capacity();
  /// The time by DynamoDB's clock as far as this client knows: the local clock
  /// (client_config::clock when set) plus the offset learned from the Date
  /// header of a clock-skew error. Expiry times of ddb::agent use it.
  std::chrono::system_clock::time_point server_time() const;
  /// Closes the connections and completes every pending operation (in flight,
  /// in backoff or waiting for credentials) with errc::client_closed; operations
  /// started later complete with it too. Repeating it does nothing more.
  void close();

  /// Any DynamoDB operation by name ("GetItem"), JSON in, JSON out. `safety`
  /// says whether repeating the request after an ambiguous failure is harmless.
  /// The body is sent as is; completes with a raw_response (an operation name
  /// that is not alphanumeric: errc::invalid_header).
  template <class Token = default_token>
  auto call(std::string operation, std::string body, request_safety safety = request_safety::idempotent,
            Token&& token = {}) {
    return detail::async_op<raw_response>(
        impl_executor(), std::forward<Token>(token),
        [impl = impl_, ex = impl_executor(), op = std::move(operation), b = std::move(body), safety](auto handler) mutable {
          const bool on_ex = detail::on_executor(handler, ex);
          detail::start_raw(impl, std::move(op), std::move(b), safety, on_ex, std::move(handler));
        });
  }
  /// call() with request_safety::idempotent and a token.
  template <class Token>
    requires(!std::is_same_v<std::decay_t<Token>, request_safety>)
  auto call(std::string operation, std::string body, Token&& token) {
    return call(std::move(operation), std::move(body), request_safety::idempotent, std::forward<Token>(token));
  }

 private:
  friend class detail::operations<client, boost::asio::use_awaitable_t<>>;
  template <class Response, class Token>
  auto typed_call(const char* operation, result<std::string> body, request_safety safety, detail::capacity_hint cap,
                  Token&& token) {
    return detail::async_op<Response>(
        impl_executor(), std::forward<Token>(token),
        [impl = impl_, ex = impl_executor(), operation, b = std::move(body), safety, cap](auto handler) mutable {
          const bool on_ex = detail::on_executor(handler, ex);
          detail::start_typed<Response>(impl, operation, std::move(b), safety, cap, on_ex, std::move(handler));
        });
  }

  const boost::asio::any_io_executor& impl_executor() const noexcept;

  std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace ddb
