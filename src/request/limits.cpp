#include "ddb/limits.hpp"

#include <algorithm>
#include <string>

#include "ddb/core/json.hpp"

namespace ddb::limits {

namespace {
std::size_t number_size(const number& n) noexcept {
  // Significant digits, ignoring sign, point, exponent and leading zeros.
  std::size_t digits = 0;
  bool leading = true;
  for (char c : n.text()) {
    if (c == 'e' || c == 'E') break;
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
  }
  return (digits + 1) / 2 + 1;
}
}  // namespace

std::size_t value_size(const value& v) noexcept {
  switch (v.kind()) {
    case type::null:
    case type::boolean: return 1;
    case type::string: return v.as_string().size();
    case type::number: return number_size(v.as_number());
    case type::binary: return v.as_binary().size();
    case type::map: {
      std::size_t s = 3;
      for (const auto& [k, e] : v.as_map()) s += k.size() + value_size(e) + 1;
      return s;
    }
    case type::list: {
      std::size_t s = 3;
      for (const auto& e : v.as_list()) s += value_size(e) + 1;
      return s;
    }
    case type::string_set: {
      std::size_t s = 0;
      for (const auto& e : v.get<string_set>()) s += e.size();
      return s;
    }
    case type::number_set: {
      std::size_t s = 0;
      for (const auto& e : v.get<number_set>()) s += number_size(e);
      return s;
    }
    case type::binary_set: {
      std::size_t s = 0;
      for (const auto& e : v.get<binary_set>()) s += e.size();
      return s;
    }
  }
  return 0;
}

std::size_t item_size(const item& it) noexcept {
  std::size_t s = 0;
  for (const auto& [k, v] : it) s += k.size() + value_size(v);
  return s;
}

std::string key_text(const item& it, std::vector<std::string> names) {
  if (names.empty())
    for (const auto& [n, v] : it) names.push_back(n);
  std::sort(names.begin(), names.end());
  std::string out;
  json::writer w(out);
  w.begin_object();
  for (const auto& n : names) {
    w.key(n);
    if (const value* v = it.find(n)) {
      if (auto r = json::write_value(w, *v); !r) throw ddb::error(std::move(r).error());
    } else {
      w.raw("null");
    }
  }
  w.end_object();
  return out;
}

namespace {
result<void> check_name(std::string_view name, const char* what) {
  auto bad = [&](const std::string& why) {
    return fail(errc::invalid_name, std::string(what) + " name \"" + std::string(name.substr(0, 300)) + "\" " + why +
                                        ": DynamoDB allows 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
  };
  if (name.size() < 3 || name.size() > 255) return bad("has " + std::to_string(name.size()) + " characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return bad("contains a character outside the allowed set");
  }
  return {};
}
}  // namespace

result<void> check_table_name(std::string_view name) { return check_name(name, "table"); }
result<void> check_index_name(std::string_view name) { return check_name(name, "index"); }

result<void> check_item(const item& it, std::string_view what) {
  const std::size_t size = item_size(it);
  if (size > max_item_bytes)
    return fail(errc::item_too_large, std::string(what) + " is " + std::to_string(size) +
                                          " bytes, over DynamoDB's 400 KB item limit; store large values in S3 "
                                          "and keep a reference, or split the item");
  return {};
}

}  // namespace ddb::limits
