#pragma once
// `ddb load`'s request templates: a key or item in DynamoDB JSON whose string
// values holding "{key}" get each request's key number.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/common.hpp"
#include "ddb/core/json.hpp"

namespace ddb::cli {

// The attributes of a template whose string value holds "{key}".
struct key_slot {
  std::string name, before, after;
};

inline std::vector<key_slot> key_slots(const ddb::item& it) {
  std::vector<key_slot> out;
  for (const auto& [name, v] : it)
    if (const std::string* s = v.get_if<std::string>())
      if (auto at = s->find("{key}"); at != std::string::npos) out.push_back({name, s->substr(0, at), s->substr(at + 5)});
  return out;
}

inline void fill(ddb::item& it, const std::vector<key_slot>& slots, std::int64_t key) {
  char digits[24];
  const std::string_view k(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, key).ptr - digits));
  for (const key_slot& s : slots) {
    std::string v;
    v.reserve(s.before.size() + k.size() + s.after.size());
    v.append(s.before).append(k).append(s.after);
    it.insert_or_assign(s.name, ddb::value(std::move(v)));
  }
}

// A template (--key or --item) and where its {key} goes.
struct request_template {
  ddb::item item;
  std::vector<key_slot> slots;
};

inline request_template template_of(const args& a, const std::string& option) {
  auto parsed = ddb::json::parse_item(a.require(option));
  if (!parsed) throw usage_error("--" + option + ": " + parsed.error().message);
  request_template t{std::move(*parsed), {}};
  t.slots = key_slots(t.item);
  return t;
}

}  // namespace ddb::cli
