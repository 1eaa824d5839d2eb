#pragma once
// Endpoint URLs and the AWS resolution rules for region and endpoint (pure:
// the environment is passed in as a function).
#include <functional>
#include <string>
#include <string_view>

#include "ddb/config.hpp"
#include "ddb/error.hpp"

namespace ddb::detail {

using env_lookup = std::function<const char*(const char*)>;

result<endpoint> parse_endpoint(std::string_view url);

struct resolved_config {
  std::string region;
  endpoint ep;
  ddb::credentials creds;
  std::string endpoint_source;     // which setting supplied the endpoint
  std::string credentials_source;  // "config" or "environment"
};

// Applies the AWS precedence rules; errors name the setting to fix.
result<resolved_config> resolve(const client_config& cfg, const env_lookup& env);

}  // namespace ddb::detail
