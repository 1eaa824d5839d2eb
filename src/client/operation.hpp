#pragma once
// One operation of the client: its encoded request, its attempts, and how its
// outcome reaches the caller. The client (src/client/client.cpp) drives attempts,
// deadlines and retries; a subclass owns the caller's handler and turns the
// outcome into what the handler takes (raw JSON here, a typed response in
// src/client/operations.cpp), so a typed operation is one allocation with one
// type-erased handler and its response is decoded straight into the value the
// handler receives.
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <cassert>

#include "core/lifecycle.hpp"
#include "ddb/client.hpp"
#include "transport/transport.hpp"

namespace ddb::detail {

using time_point = steady_clock::time_point;
constexpr auto no_deadline = time_point::max();

// Every operation is on the all_ops list; the others order it by one kind of
// deadline (see op_list in client.cpp).
enum list_kind : int { all_ops, attempt_deadlines, pool_deadlines, op_deadlines, list_kinds };

struct op_state : exchange_owner, std::enable_shared_from_this<op_state> {
  op_state(std::shared_ptr<client_impl> c, std::string_view op, std::string b, request_safety s, bool on_client_ex)
      : client(std::move(c)), target(op), body(std::move(b)), safety(s), handler_on_client_executor(on_client_ex) {}
  virtual ~op_state() = default;
  op_state(const op_state&) = delete;
  op_state& operator=(const op_state&) = delete;

  void exchange_done(exchange_ptr e) override;
  // Gives the outcome (answer's body and diag) to the caller's handler. Called
  // once, after the operation has left every list of the client.
  virtual void finish(error_code ec) = 0;
  // Hands the answer's exchange back to the client for the next request; a
  // subclass calls it once it has taken what it needs from the body.
  void release_answer() noexcept;

  std::shared_ptr<client_impl> client;
  std::string_view target;  // the operation's name: a literal, or owned_target
  std::string owned_target;
  std::string body;
  request_safety safety;
  asio::cancellation_slot slot;  // the handler's, set by the subclass
  bool handler_on_client_executor;  // see invoke_handler
  exchange_ptr answer;              // the successful attempt, with the response
  diagnostics diag;
  // Moves along the lifecycle (core/lifecycle.hpp); a step off its arrows is a bug.
  void enter(op_phase to) noexcept {
    assert(may_enter(phase, to));
    phase = to;
  }

  int attempt = 0;
  op_phase phase = op_phase::starting;
  bool done = false;
  bool skew_corrected = false;                // retried once after correcting the clock
  exchange_ptr ex;                            // the attempt in flight, if any
  std::optional<asio::steady_timer> backoff;  // made on the first retry only
  deadline_set deadlines;  // none set: time_point::max()
  op_state* prev[list_kinds] = {};
  op_state* next[list_kinds] = {};
  bool linked[list_kinds] = {};
};

// Starts the operation's first attempt; it never completes inside this call.
void start_operation(const std::shared_ptr<client_impl>& impl, const std::shared_ptr<op_state>& op);
const asio::any_io_executor& executor_of(const client_impl& impl) noexcept;

// Calls the handler with (ec, response) on its associated executor: inline
// when that is the client's own io_context executor (on_client_executor,
// found by the initiating call from the handler's own type: asking the
// type-erased handler would allocate) and this thread is running it, which is
// what asio::dispatch would do, without wrapping the call in a posted function
// object; through asio::dispatch otherwise.
template <class Response>
void invoke_handler(handler_t<Response> handler, const asio::any_io_executor& client_ex, bool on_client_executor,
                    error_code ec, Response&& r) {
  using io_executor = asio::io_context::executor_type;
  if (on_client_executor) {
    const io_executor* mine = client_ex.target<io_executor>();
    if (mine && mine->running_in_this_thread()) return std::move(handler)(ec, std::move(r));
  }
  const auto handler_ex = asio::get_associated_executor(handler, client_ex);
  asio::dispatch(handler_ex,
                 [h = std::move(handler), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
}

}  // namespace ddb::detail
