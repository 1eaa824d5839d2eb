#pragma once
// Runs n coroutines at once on the current executor and waits for all.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>

namespace ddb::detail {

// make(i) for i in [0, n), concurrently; completes when every one has ended
// and then rethrows the first exception, if any.
boost::asio::awaitable<void> run_all(std::size_t n, std::function<boost::asio::awaitable<void>(std::size_t)> make);

}  // namespace ddb::detail
