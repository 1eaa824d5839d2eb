#pragma once
// What the DynamoDB Local tests of ddb::agent share: a fresh table name,
// counting a table's items, sleeping on a timer, and what an awaitable threw.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <random>
#include <string>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/with_client.hpp"

namespace ddb::test {

// Runs f(client&) against DynamoDB Local (the environment's endpoint).
template <class F>
void with_local(F f, std::chrono::seconds limit = std::chrono::seconds(120)) {
  with_client(client_config{}, std::move(f), limit);
}

inline std::string fresh_table(const std::string& prefix) {
  static std::mt19937 rng(std::random_device{}());
  return prefix + "_" + std::to_string(rng() % 1000000);
}

// Items in the table (a consistent COUNT scan).
inline boost::asio::awaitable<std::size_t> items_in(client& c, const std::string& table) {
  scan_request s;
  s.table_name = table;
  s.consistent_read = true;
  s.select = ddb::select::count;
  auto r = co_await c.scan(s);
  co_return static_cast<std::size_t>(r.count.value_or(0));
}

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(boost::asio::use_awaitable);
}

// What an awaitable threw ("nothing thrown" if it did not).
template <class T>
boost::asio::awaitable<std::string> thrown_by(boost::asio::awaitable<T> a) {
  try {
    (void)co_await std::move(a);
  } catch (const std::exception& e) {
    co_return std::string(e.what());
  }
  co_return std::string("nothing thrown");
}

}  // namespace ddb::test
