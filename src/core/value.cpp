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

namespace {

template <class T, class Less>
bool same_elements(const std::vector<T>& a, const std::vector<T>& b, Less less) {
  if (a.size() != b.size()) return false;
  std::vector<const T*> x, y;
  for (const T& e : a) x.push_back(&e);
  for (const T& e : b) y.push_back(&e);
  auto by_value = [&](const T* p, const T* q) { return less(*p, *q); };
  std::sort(x.begin(), x.end(), by_value);
  std::sort(y.begin(), y.end(), by_value);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (less(*x[i], *y[i]) || less(*y[i], *x[i])) return false;
  return true;
}

}  // namespace

bool operator==(const value& a, const value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case type::string_set: return same_elements(*a.get_if<string_set>(), *b.get_if<string_set>(), std::less<>{});
    case type::binary_set: return same_elements(*a.get_if<binary_set>(), *b.get_if<binary_set>(), std::less<>{});
    case type::number_set:
      return same_elements(*a.get_if<number_set>(), *b.get_if<number_set>(),
                           [](const number& x, const number& y) { return compare(x, y) < 0; });
    default: return a.v_ == b.v_;
  }
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
