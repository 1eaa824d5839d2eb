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

// The exit code for a failure: 254 when DynamoDB said no, 2 for a bad
// argument (invalid_config, item_too_large), 255 otherwise.
int exit_code_for(const std::error_code& code);

// ddb limit take ... (src/cli/agent_limit.cpp)
int limit_command(const args& a);
// ddb ledger start|get|finish|list ... (src/cli/agent_ledger.cpp; `call` is in agent.cpp)
int ledger_command(const args& a);
// ddb flags get|set|list ... (src/cli/agent_flags.cpp)
int flags_command(const args& a);
// ddb memory append|last, ddb checkpoint save|get|list (src/cli/agent_memory.cpp)
int memory_command(const args& a);
int checkpoint_command(const args& a);
// ddb streams tail ... (src/cli/agent_streams.cpp)
int streams_command(const args& a);

}  // namespace ddb::cli
