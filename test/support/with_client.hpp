#pragma once
// Runs a test coroutine f(client&) on a fresh io_context to completion (or
// fails after `limit`, so a hang fails the test instead of blocking it), then
// closes the client and rethrows what the coroutine threw.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>

#include "ddb/client.hpp"

namespace ddb::test {

template <class F>
void with_client(client_config cfg, F f, std::chrono::seconds limit = std::chrono::seconds(30)) {
  boost::asio::io_context io;
  std::exception_ptr failure;
  bool finished = false;
  {
    client c(io.get_executor(), std::move(cfg));
    boost::asio::co_spawn(io, f(c), [&](std::exception_ptr e) {
      failure = e;
      finished = true;
      c.close();  // idle keep-alive connections would keep the io_context busy
    });
    io.run_for(limit);
  }
  REQUIRE(finished);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace ddb::test
