#include "ddb/core/value.hpp"

#include <algorithm>

namespace ddb {

std::string_view type_name(type t) noexcept {
  switch (t) {
    case type::null: return "NULL";
    case type::boolean: return "BOOL";
    case type::string: return "S";
    case type::number: return "N";
    case type::binary: return "B";
    case type::map: return "M";
    case type::list: return "L";
    case type::string_set: return "SS";
    case type::number_set: return "NS";
    case type::binary_set: return "BS";
  }
  return "?";
}

void value::check(std::size_t want) const {
  if (v_.index() != want)
    throw ddb::error(fail(errc::wrong_value_type, "attribute value is of type " + std::string(type_name(kind())) +
                                                      ", not " + std::string(type_name(static_cast<type>(want)))));
}

const value& item::at(std::string_view name) const {
  if (const value* v = find(name)) return *v;
  throw ddb::error(fail(errc::wrong_value_type, "the item has no attribute '" + std::string(name) + "'"));
}

value& item::at(std::string_view name) {
  return const_cast<value&>(static_cast<const item&>(*this).at(name));
}

value& item::operator[](std::string_view name) {
  if (value* v = find(name)) return *v;
  return push_back_unchecked(std::string(name), value{});
}

value& item::insert_or_assign(std::string name, value v) {
  if (value* existing = find(name)) return *existing = std::move(v);
  return push_back_unchecked(std::move(name), std::move(v));
}

value& item::push_back_unchecked(std::string name, value v) {
  return members_.emplace_back(std::move(name), std::move(v)).second;
}

bool item::erase(std::string_view name) noexcept {
  const auto it = std::find_if(members_.begin(), members_.end(), [&](const member& m) { return m.first == name; });
  if (it == members_.end()) return false;
  members_.erase(it);
  return true;
}

bool operator==(const item& a, const item& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, v] : a) {
    const value* other = b.find(name);
    if (!other || !(*other == v)) return false;
  }
  return true;
}

}  // namespace ddb
