#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "ddb/core/secret.hpp"

namespace ddb {

/// AWS credentials. The secret key and the session token are secret_strings:
/// wiped when released, never printed.
struct credentials {
  std::string access_key_id;  ///< e.g. "AKIA..." or "ASIA..." (not secret)
  secret_string secret_access_key;  ///< the key that signs requests
  secret_string session_token;  ///< empty for long-term keys
  /// When temporary credentials stop working; empty for keys that do not expire.
  std::optional<std::chrono::system_clock::time_point> expiration;

  /// True when the access key id or the secret key is missing (the session
  /// token and the expiration are not looked at).
  bool empty() const noexcept { return access_key_id.empty() || secret_access_key.empty(); }
};

}  // namespace ddb
