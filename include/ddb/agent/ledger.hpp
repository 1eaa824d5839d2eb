#pragma once
// The tool-call ledger: an agent run's tool calls, each executed at most once
// and recorded (arguments, result, times, status), so that after a crash the
// runtime re-runs its agent loop and gets the recorded results back, in
// order, without calling the tools again (deterministic replay).
//
//   ddb::agent::ledger book(client, {.table_name = "agent"});
//   ddb::agent::run_info run = co_await book.start(run_id);
//   for (std::int64_t step = 0; ...; ++step) {
//     auto r = co_await book.call(run_id, step, args_json, call_tool);   // recorded, or replayed
//   }
//   co_await book.finish(run_id, ddb::agent::run_status::succeeded, run.version);
//
// Items (the agent table): the run at pk = "run#" + id, sk = "#" (status,
// version, created_ms, updated_ms); its steps at sk = "step#" + the step
// number, 19 digits (so steps sort by number), each an idempotency record
// (ddb/agent/idempotency.hpp) with its arguments. A replayed step whose
// arguments differ from the recorded ones is errc::payload_mismatch: the
// agent loop did not replay the same call, and the caller must decide.
// Run status moves running -> succeeded | failed | cancelled, once, by a
// conditional update on the version read: a lost race is
// errc::version_conflict, a move out of a final state errc::invalid_transition.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/agent/idempotency.hpp"
#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// A run's status: running until finish() moves it, once, to one of the three final ones.
enum class run_status { running, succeeded, failed, cancelled };
/// "running", "succeeded", "failed" or "cancelled" (as stored in the run's item).
const char* to_string(run_status s) noexcept;

/// A run as stored (start(), get(), finish()).
struct run_info {
  std::string run;  ///< the run's id
  run_status status = run_status::running;  ///< running, or the final status finish() set
  std::int64_t version = 0;  ///< pass it to finish(): the update is conditioned on it
  /// Server time, epoch ms, when start() created the run.
  std::int64_t created_ms = 0, updated_ms = 0;  ///< server time, epoch ms, of the last change (start() or finish())
  bool created = false;  ///< start(): true when this call created the run
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// One recorded step of a run (list()).
struct step_record {
  std::int64_t step = 0;  ///< the step's number (0 and up)
  std::string status;  ///< INPROGRESS, COMPLETED, FAILED
  std::string args;  ///< the arguments recorded by call()
  std::optional<std::string> result;  ///< COMPLETED (results split over chunks are read by call(), not listed)
  std::string error;                  ///< FAILED (with run_options::record_failures)
  /// Server time, epoch ms, when the step was (last) claimed.
  std::int64_t started_ms = 0, completed_ms = 0;  ///< server time, epoch ms, when it completed; 0: not completed
};

/// One page of list().
struct step_page {
  std::vector<step_record> steps;  ///< in step order
  std::optional<std::int64_t> next;  ///< list(run, *next) continues; empty when this was the last page
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// The tool-call ledger in the agent table (README "Agent state"): runs with a
/// versioned status, steps recorded at most once. The client must outlive it.
/// Move-only.
class ledger {
 public:
  /// No I/O: the table is checked on first use.
  ledger(client& c, table_options t);
  ~ledger();
  ledger(ledger&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  ledger& operator=(ledger&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Creates the run (running, version 1), or returns it as it is.
  /// One conditional PutItem (the existing run comes back with the refusal).
  /// Errors: errc::invalid_config (empty or over-long run id), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto start(std::string run, Token&& token = {}) {
    return detail::run_op<run_info>(executor(), std::forward<Token>(token),
                                    [this, run = std::move(run)]() mutable { return start_impl(std::move(run)); });
  }
  /// The run as stored (consistent read); errc::invalid_config if it does not exist.
  /// One GetItem.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto get(std::string run, Token&& token = {}) {
    return detail::run_op<run_info>(executor(), std::forward<Token>(token),
                                    [this, run = std::move(run)]() mutable { return get_impl(std::move(run)); });
  }
  /// Step `step` (0 and up) of the run, at most once: fn runs the first time;
  /// later calls return the recorded result (replayed = true). args are
  /// recorded and must match on replay. The idempotency options apply
  /// (wait, record_failures, in_progress...); run_options::payload is ignored
  /// (the arguments are the payload). Requests and errors as
  /// idempotency::run(); also errc::invalid_config for a negative step, and
  /// errc::payload_mismatch when a replay's args differ from the recorded ones.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto call(std::string run, std::int64_t step, std::string args, idempotency::function fn, run_options opt,
            Token&& token = {}) {
    return detail::run_op<once_result>(
        executor(), std::forward<Token>(token),
        [this, run = std::move(run), step, args = std::move(args), fn = std::move(fn), opt = std::move(opt)]() mutable {
          return call_impl(std::move(run), step, std::move(args), std::move(fn), std::move(opt));
        });
  }
  /// With the default run_options.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto call(std::string run, std::int64_t step, std::string args, idempotency::function fn, Token&& token = {}) {
    return call(std::move(run), step, std::move(args), std::move(fn), run_options(), std::forward<Token>(token));
  }
  /// Up to `limit` (1 to 1,000) steps from step `from` on, in order (consistent
  /// Query pages of limit + 1 items). Errors: errc::invalid_config (limit out
  /// of range, a negative `from`, a bad run id), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto list(std::string run, std::int64_t from, std::size_t limit, Token&& token = {}) {
    return detail::run_op<step_page>(executor(), std::forward<Token>(token),
                                     [this, run = std::move(run), from, limit]() mutable {
                                       return list_impl(std::move(run), from, limit);
                                     });
  }
  /// Moves the run to a final status, on condition that its version is still
  /// `expected_version`; returns the run as written (version + 1). One
  /// conditional UpdateItem. Errors: errc::version_conflict (another writer
  /// changed it), errc::invalid_transition (already final, or `to` is running),
  /// errc::invalid_config (no such run), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto finish(std::string run, run_status to, std::int64_t expected_version, Token&& token = {}) {
    return detail::run_op<run_info>(executor(), std::forward<Token>(token),
                                    [this, run = std::move(run), to, expected_version]() mutable {
                                      return finish_impl(std::move(run), to, expected_version);
                                    });
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<run_info> start_impl(std::string run);
  boost::asio::awaitable<run_info> get_impl(std::string run);
  boost::asio::awaitable<once_result> call_impl(std::string run, std::int64_t step, std::string args,
                                                idempotency::function fn, run_options opt);
  boost::asio::awaitable<step_page> list_impl(std::string run, std::int64_t from, std::size_t limit);
  boost::asio::awaitable<run_info> finish_impl(std::string run, run_status to, std::int64_t expected_version);
  boost::asio::awaitable<void> check_table();
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
