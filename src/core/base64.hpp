#pragma once
// Base64 (RFC 4648, original alphabet, padded) on libsodium, for B values.
#include <cstdint>
#include <string>
#include <string_view>

#include "ddb/core/value.hpp"

namespace ddb::base64 {

void append_encoded(std::string& out, const std::uint8_t* data, std::size_t n);
// Appends the decoded bytes to out; false when the input is not valid padded base64.
bool decode(std::string_view in, bytes& out);

}  // namespace ddb::base64
