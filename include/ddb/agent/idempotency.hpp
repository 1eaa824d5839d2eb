#pragma once
// Idempotency keys: a function with a side effect (charge a card, send an
// e-mail) runs at most once per key, however often the caller retries,
// crashes or runs twice by mistake; duplicates get the first run's result.
//
//   ddb::agent::idempotency idem(client, {.table_name = "agent", .create_table = true});
//   ddb::agent::idempotency::function charge_once = [&]() -> asio::awaitable<std::string> {
//     co_return co_await charge(card, amount);   // runs once
//   };  // named: GCC 12 destroys a std::function made inside co_await twice
//   auto r = co_await idem.run("order-42/charge", charge_once);
//   // r.value: the result; r.replayed: true when a stored result came back
//
// The protocol (README "Agent state", checked by the spin model
// test/model/idempotency.pml):
//  1. claim: PutItem of an INPROGRESS record with a random owner token, an
//     in-progress expiry and the payload's hash, on condition that no record
//     exists or the one there has expired; a refused claim returns the record
//     (ReturnValuesOnConditionCheckFailure: no second read).
//  2. the claimer runs fn, then completes the record on condition that its
//     owner token is still there and the record is INPROGRESS. If the token
//     is gone (fn outran the in-progress window and another caller claimed
//     the key), the completion is refused: errc::ownership_lost, nothing
//     overwritten.
//  3. fn failing deletes the record on the same condition (or records the
//     failure with record_failures), so a retry runs it again.
//  0. (read_first, the default) a completed record is replayed from one
//     eventually consistent read, before any claim.
//  A duplicate reads the record from the refused claim: COMPLETED replays
//  the result, FAILED fails with errc::recorded_failure, INPROGRESS fails at
//  once with errc::already_in_progress or, with `wait`, polls (consistent
//  reads, backoff) until the result is there or the wait is over.
//
// Times are DynamoDB's as the client knows it (client::server_time()).
// Results up to ~380 KB live in the record; larger ones (to 4,000,000 bytes)
// are split over chunk items written with the completion in one
// transaction. A result over that limit is recorded as a failure (fn has
// run: running it again would repeat its effect) and reported as
// errc::result_too_large.
//
// Cost (bench/README.md "ddb::agent"): a first run is one read (read_first)
// and 2 writes (claim, completion; the completion's units grow with the
// result's size); a replay is one eventually consistent read; a wait adds one
// consistent read per poll.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// Options of one idempotency::run() (and ledger::call()).
struct run_options {
  /// How long a completed result is replayed (and the record kept).
  std::chrono::seconds expire{3600};
  /// How long the claimer may run fn before another caller may claim the key
  /// (fn must finish within it). Must be positive: there is no endless claim.
  std::chrono::milliseconds in_progress{60000};
  /// A duplicate arriving while the key runs elsewhere waits up to this long
  /// for the result; 0 fails at once with errc::already_in_progress.
  std::chrono::milliseconds wait{0};
  /// fn failing: record the failure (later calls get errc::recorded_failure
  /// with its message) instead of deleting the record.
  bool record_failures = false;
  /// The request the key stands for: its SHA-256 is stored, and a later call
  /// with the same key and another payload fails with errc::payload_mismatch.
  std::optional<std::string> payload;
  /// Look for a completed record with one eventually consistent read before
  /// claiming: a replay then costs one read (0.5 read units up to 4 KB)
  /// instead of a refused write (charged like a write of the stored record's
  /// size); a first run pays that read extra. Off: first runs are 2 requests.
  bool read_first = true;
};

/// What run() (or ledger::call()) returned.
struct once_result {
  std::string value;      ///< fn's result, or the one recorded by the first run
  bool replayed = false;  ///< true when fn did not run here
  diagnostics diag;       ///< the failure's message (as_tuple and callbacks)
};

/// Idempotency keys in the agent table: run() runs a function at most once per
/// key (README "Agent state"). The client must outlive it. Move-only.
class idempotency {
 public:
  /// The function run at most once: a coroutine returning its result as text
  /// (e.g. JSON), stored and replayed to duplicates.
  using function = std::function<boost::asio::awaitable<std::string>()>;

  /// No I/O: the table is checked on the first run().
  idempotency(client& c, table_options t);
  ~idempotency();
  idempotency(idempotency&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  idempotency& operator=(idempotency&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Runs fn at most once per key (protocol: README "Agent state"). Errors: errc::invalid_config
  /// for an empty key, a key over 2,043 bytes or options out of range
  /// (nothing written); already_in_progress, recorded_failure,
  /// payload_mismatch, ownership_lost, result_too_large; DynamoDB's errors;
  /// and fn's own exception (after the record was released; with as_tuple or
  /// callbacks errc::function_failed unless it is a system_error).
  /// Cost: a first run is a GetItem (read_first), a conditional PutItem and an
  /// UpdateItem (a TransactWriteItems for results over 380,000 bytes); a replay
  /// one eventually consistent GetItem (and a Query of a large result's
  /// chunks); each wait poll one consistent GetItem.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto run(std::string key, function fn, run_options opt, Token&& token = {}) {
    return detail::run_op<once_result>(
        executor(), std::forward<Token>(token),
        [this, key = std::move(key), fn = std::move(fn), opt = std::move(opt)]() mutable {
          return run_impl(std::move(key), std::move(fn), std::move(opt));
        });
  }
  /// With the default options. (Not a default argument: see the README's
  /// GCC 12 note on coroutine arguments.)
  template <class Token = boost::asio::use_awaitable_t<>>
  auto run(std::string key, function fn, Token&& token = {}) {
    return run(std::move(key), std::move(fn), run_options(), std::forward<Token>(token));
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<once_result> run_impl(std::string key, function fn, run_options opt);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
