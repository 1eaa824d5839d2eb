#pragma once
// The commands of ddb-agent beyond once and lock, each in its own file.
#include "cli/common.hpp"

namespace ddb::cli {

// ddb limit take ... (src/cli/agent_limit.cpp)
int limit_command(const args& a);

}  // namespace ddb::cli
