#include "core/http_response.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>

namespace ddb::detail {
namespace {

bool iequals(boost::beast::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <class T>
std::optional<T> parse_unsigned(boost::beast::string_view v) {
  T out{};
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc{} || r.ptr != v.data() + v.size()) return std::nullopt;
  return out;
}

}  // namespace

void response_parser::on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) {
  if (name.size() < 4) return;
  if (iequals(name, "x-amzn-requestid")) {
    res_.request_id.assign(value.data(), value.size());
  } else if (iequals(name, "x-amz-crc32")) {
    res_.crc32 = parse_unsigned<std::uint32_t>(value);
    res_.crc32_malformed = !res_.crc32;
  } else if (iequals(name, "x-amz-retry-after")) {
    if (auto ms = parse_unsigned<std::uint64_t>(value)) res_.retry_after = std::chrono::milliseconds(*ms);
  } else if (iequals(name, "date")) {
    res_.date.assign(value.data(), value.size());
  }
}

}  // namespace ddb::detail
