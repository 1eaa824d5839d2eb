#pragma once
// The at-most-once engine behind idempotency keys and ledger steps
// (src/agent/idempotency.cpp): claim, run, complete or release, replay, wait,
// for a record at any location of the agent table.
#include <optional>
#include <string>

#include "agent/protocol.hpp"
#include "ddb/agent/idempotency.hpp"

namespace ddb::agent {

// `label` names the record in errors ("idempotency key 'k'", "step 3 of run
// 'r'"); `args` are stored with the claim (ledger steps). The table must have
// been checked.
boost::asio::awaitable<once_result> run_once(client& c, const table_options& t, detail::record_location at,
                                             std::string label, idempotency::function fn, run_options opt,
                                             std::optional<std::string> args);

}  // namespace ddb::agent
