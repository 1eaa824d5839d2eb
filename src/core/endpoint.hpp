#pragma once
// Endpoint URLs (pure). The resolution rules are in src/credentials/chain.cpp.
#include <functional>
#include <string>
#include <string_view>

#include "ddb/endpoint.hpp"
#include "ddb/error.hpp"

namespace ddb::detail {

using env_lookup = std::function<const char*(const char*)>;

result<endpoint> parse_endpoint(std::string_view url);

}  // namespace ddb::detail
