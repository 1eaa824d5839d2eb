#pragma once
// What every part of ddb::agent's I/O shares (private): the non-throwing
// token, errors as ddb::error, and the agent table checked once per
// component.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>

#include <exception>
#include <string>

#include "ddb/agent/table.hpp"
#include "ddb/model/data.hpp"

namespace ddb::agent::detail {

inline constexpr auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);

[[noreturn]] inline void fail_with(errc code, std::string message) { throw ddb::error(fail(code, std::move(message))); }

// Appends the `data` (binary) of every item of pk_value whose sort key
// begins with `prefix`, in key order, to `out`; returns how many there were.
// The parts of a large checkpoint or message. An item without data is an
// error naming `what`.
boost::asio::awaitable<std::int64_t> append_parts(client& c, const std::string& table, const std::string& pk_value,
                                                  const std::string& prefix, bool consistent, const std::string& what,
                                                  std::string& out);

// Appends to tx a put of `head` on condition that its item does not exist
// yet, and an unconditional put of each of `parts`: the head item and its
// parts (a large message or checkpoint) written all or nothing.
void put_with_parts(transact_write_items_request& tx, const std::string& table, item head, std::vector<item> parts);

// What a caught exception says (what() of a std::exception).
std::string what_of(const std::exception_ptr& e);

// The client and table of one component (idempotency, ledger, leases): the
// table is checked (or created) on first use only.
struct checked_table {
  client& c;
  table_options t;
  bool checked = false;

  boost::asio::awaitable<void> ensure() {
    if (checked) co_return;
    co_await ensure_table(c, t);
    checked = true;
  }
};

}  // namespace ddb::agent::detail
