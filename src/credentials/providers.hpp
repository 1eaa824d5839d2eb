#pragma once
#include "ddb/credentials.hpp"

namespace ddb::detail {

// The keys of a provider that never changes (static_credentials, the
// environment, keys in a profile), so the client can sign its first request
// without a round trip through the provider; null for any other provider.
const credentials* fixed_credentials_of(const credentials_provider* p) noexcept;

}  // namespace ddb::detail
