#include "core/base64.hpp"

#include <sodium.h>

namespace ddb::base64 {

void append_encoded(std::string& out, const std::uint8_t* data, std::size_t n) {
  if (n == 0) return;  // libsodium's pointers are declared non-null; an empty vector's data() may be null
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  const std::size_t len = sodium_base64_ENCODED_LEN(n, variant);  // includes the NUL
  const std::size_t at = out.size();
  out.resize(at + len);
  sodium_bin2base64(out.data() + at, len, data, n, variant);
  out.resize(at + len - 1);
}

bool decode(std::string_view in, bytes& out) {
  if (in.empty()) return true;
  if (in.size() % 4 != 0) return false;
  const std::size_t at = out.size();
  out.resize(at + in.size() / 4 * 3);
  std::size_t written = 0;
  const char* end = nullptr;
  const int rc = sodium_base642bin(out.data() + at, out.size() - at, in.data(), in.size(), nullptr, &written, &end,
                                   sodium_base64_VARIANT_ORIGINAL);
  if (rc != 0 || end != in.data() + in.size()) {
    out.resize(at);
    return false;
  }
  out.resize(at + written);
  return true;
}

}  // namespace ddb::base64
