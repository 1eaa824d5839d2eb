#pragma once
// Waiters from the service model (waiters-2.json): DescribeTable until the
// table is ACTIVE (ResourceNotFoundException means "not yet"), or until it is
// gone. The model polls every 20 s, 25 times; both are options here, and
// the wait ends with errc::operation_timeout when the deadline passes
// (the message says the last status seen). Other errors end it at once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "ddb/client.hpp"
#include "ddb/detail/run_op.hpp"
#include "ddb/model/control.hpp"

namespace ddb {

/// How often and how long a waiter polls DescribeTable; both must be positive,
/// else the wait throws ddb::error (errc::invalid_config).
struct waiter_options {
  std::chrono::milliseconds delay{20000};       ///< between polls (the model's 20 s)
  std::chrono::milliseconds timeout{25 * 20000};  ///< overall (the model's 25 attempts)
};

/// The description of the table once ACTIVE: polls DescribeTable every
/// opt.delay (ResourceNotFoundException means "not yet"). Throws ddb::error:
/// errc::operation_timeout after opt.timeout, or the error of a DescribeTable
/// call that fails otherwise.
/// (No default arguments on coroutines: GCC 12 destroys a defaulted
/// coroutine argument twice. The shorter forms are plain functions.)
boost::asio::awaitable<table_description> wait_table_exists(client& c, std::string table, waiter_options opt);
/// Returns once DescribeTable answers ResourceNotFoundException, polling every
/// opt.delay. Throws ddb::error: errc::operation_timeout after opt.timeout, or
/// the error of a DescribeTable call that fails otherwise.
boost::asio::awaitable<void> wait_table_not_exists(client& c, std::string table, waiter_options opt);
/// wait_table_exists with the default waiter_options (20 s, 25 polls).
inline boost::asio::awaitable<table_description> wait_table_exists(client& c, std::string table) {
  return wait_table_exists(c, std::move(table), waiter_options());
}
/// wait_table_not_exists with the default waiter_options (20 s, 25 polls).
inline boost::asio::awaitable<void> wait_table_not_exists(client& c, std::string table) {
  return wait_table_not_exists(c, std::move(table), waiter_options());
}
/// wait_table_exists for any completion token: void(error_code, table_description).
template <class Token>
auto wait_table_exists(client& c, std::string table, waiter_options opt, Token&& token) {
  return detail::run_op<table_description>(c.get_executor(), std::forward<Token>(token),
                                           [&c, table = std::move(table), opt]() mutable {
                                             return wait_table_exists(c, std::move(table), opt);
                                           });
}
/// wait_table_not_exists for any completion token: void(error_code).
template <class Token>
auto wait_table_not_exists(client& c, std::string table, waiter_options opt, Token&& token) {
  return detail::run_op<void>(c.get_executor(), std::forward<Token>(token), [&c, table = std::move(table), opt]() mutable {
    return wait_table_not_exists(c, std::move(table), opt);
  });
}

}  // namespace ddb
