#pragma once
// RFC 3986 percent-encoding, as SigV4 and the AWS query protocol (STS forms)
// need it (internal).
#include <string>
#include <string_view>

namespace ddb::detail {

inline bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// Percent-encodes everything but unreserved characters (and '/' when
// keep_slash), with uppercase hex, appending to out.
inline void uri_encode(std::string& out, std::string_view in, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (unsigned char c : in) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
}

// The value of one hex digit, or -1.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace ddb::detail
