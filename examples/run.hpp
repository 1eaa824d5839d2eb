#pragma once
// The examples' main(): runs one coroutine on an io_context of its own and
// turns an exception into a message on stderr and exit status 1.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <iostream>

namespace examples {

inline int run(const char* name, boost::asio::awaitable<void> program) {
  boost::asio::io_context io;
  int rc = 0;
  boost::asio::co_spawn(io, std::move(program), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << name << ": " << x.what() << "\n";
      rc = 1;
    }
  });
  io.run();
  return rc;
}

}  // namespace examples
