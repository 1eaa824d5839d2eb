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
#include "ddb/detail/run_op.hpp"

namespace ddb::agent {

/// The agent table a component uses. It is checked on the component's first
/// call (one DescribeTable): a table without keys `pk` and `sk` (S) is
/// errc::invalid_config, as is a missing one without create_table.
struct table_options {
  std::string table_name;  ///< required (empty: errc::invalid_config on first use)
  /// When the table does not exist: create it (on-demand, TTL enabled) and
  /// wait until it is active. Without it a missing table is an error naming
  /// this option.
  bool create_table = false;
  /// Created with a NEW_AND_OLD_IMAGES stream (for ddb::streams::consumer,
  /// e.g. flags::invalidate_changed); an existing table is left as it is.
  bool stream = false;
};

namespace detail {

/// Checks the table once per component: it exists (or is created when asked)
/// and has the agent key schema; the error names the remedy otherwise.
boost::asio::awaitable<void> ensure_table(client& c, const table_options& t);

/// Runs body() (returning boost::asio::awaitable<T>) as an asynchronous
/// operation for any token (ddb/detail/run_op.hpp); an exception the caller's
/// own function threw that is not a system_error is errc::function_failed.
template <class T, class Token, class Body>
auto run_op(const boost::asio::any_io_executor& ex, Token&& token, Body&& body) {
  return ddb::detail::run_op<T>(ex, std::forward<Token>(token), std::forward<Body>(body), errc::function_failed);
}

}  // namespace detail
}  // namespace ddb::agent
