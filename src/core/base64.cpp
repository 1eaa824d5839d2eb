#include "core/base64.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

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

// Decoding is table-driven rather than libsodium's: sodium_base642bin is
// constant-time (right for secrets), about ten times slower, and binary
// attributes in responses are data, not keys. Same strictness: padding
// required, nothing but the alphabet, the unused low bits of the last
// character zero (the unit tests hold it to libsodium's answers).
namespace {
constexpr std::array<std::int8_t, 256> alphabet_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto table = alphabet_table();

inline int sextet(char c) { return table[static_cast<unsigned char>(c)]; }
}  // namespace

bool decode(std::string_view in, bytes& out) {
  if (in.empty()) return true;
  if (in.size() % 4 != 0) return false;
  const std::size_t pad = in.back() != '=' ? 0 : in[in.size() - 2] != '=' ? 1 : 2;
  const std::size_t groups = in.size() / 4 - (pad ? 1 : 0);
  const std::size_t at = out.size();
  out.resize(at + groups * 3 + (pad ? 3 - pad : 0));
  std::uint8_t* dst = out.data() + at;
  const char* src = in.data();
  for (std::size_t g = 0; g < groups; ++g, src += 4, dst += 3) {
    const int a = sextet(src[0]), b = sextet(src[1]), c = sextet(src[2]), d = sextet(src[3]);
    if ((a | b | c | d) < 0) {
      out.resize(at);
      return false;
    }
    const std::uint32_t v = static_cast<std::uint32_t>(a) << 18 | static_cast<std::uint32_t>(b) << 12 |
                            static_cast<std::uint32_t>(c) << 6 | static_cast<std::uint32_t>(d);
    dst[0] = static_cast<std::uint8_t>(v >> 16);
    dst[1] = static_cast<std::uint8_t>(v >> 8);
    dst[2] = static_cast<std::uint8_t>(v);
  }
  if (pad) {
    const int a = sextet(src[0]), b = sextet(src[1]), c = pad == 1 ? sextet(src[2]) : 0;
    // "xy==" keeps 8 bits of 12, "xyz=" 16 of 18: the rest must be zero.
    const bool canonical = pad == 2 ? (b & 15) == 0 : (c & 3) == 0;
    if ((a | b | c) < 0 || !canonical) {
      out.resize(at);
      return false;
    }
    dst[0] = static_cast<std::uint8_t>(a << 2 | b >> 4);
    if (pad == 1) dst[1] = static_cast<std::uint8_t>((b & 15) << 4 | c >> 2);
  }
  return true;
}

}  // namespace ddb::base64
