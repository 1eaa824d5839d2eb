#pragma once
// The commands of ddb-agent beyond once and lock, each in its own file.
#include <boost/asio/awaitable.hpp>

#include <functional>

#include "cli/common.hpp"
#include "ddb/client.hpp"

namespace ddb::cli {

// Runs body(client) on an io_context with a client configured from the
// options, closes the client, and returns the exit code body chose.
int run_with_client(const args& a, const std::function<boost::asio::awaitable<int>(ddb::client&)>& body);

// ddb limit take ... (src/cli/agent_limit.cpp)
int limit_command(const args& a);
// ddb flags get|set|list ... (src/cli/agent_flags.cpp)
int flags_command(const args& a);

}  // namespace ddb::cli
