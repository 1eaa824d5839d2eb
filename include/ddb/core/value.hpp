#pragma once
// DynamoDB attribute values and items.
//
//   ddb::item it{{"pk", "user#1"}, {"n", 42}, {"tags", ddb::string_set{"a", "b"}}};
//   it["profile"] = ddb::item{{"name", "Ada"}};
//   int64_t n = it.at("n").as_number().to<int64_t>().value();
//
// A value is one of S, N, B, BOOL, NULL, M, L, SS, NS, BS. N keeps its exact
// decimal text (see number.hpp); B holds raw bytes (base64 only on the wire).
// An item (and an M value) is a list of (name, value) members in insertion
// order with unique names: small items, DynamoDB's common case, are faster to
// search linearly than to hash, and the order makes output deterministic.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ddb/core/number.hpp"
#include "ddb/error.hpp"

namespace ddb {

/// Deepest nesting of M and L values that ddb reads or writes; the same limit
/// as DynamoDB's (32 levels, a top-level attribute being level 1).
inline constexpr int max_nesting_depth = 32;

enum class type : std::uint8_t { null, boolean, string, number, binary, map, list, string_set, number_set, binary_set };

/// DynamoDB's name of the type: "NULL", "BOOL", "S", "N", "B", "M", "L", "SS", "NS", "BS".
std::string_view type_name(type t) noexcept;

using bytes = std::vector<std::uint8_t>;
struct null_t {
  friend bool operator==(null_t, null_t) noexcept { return true; }
};
inline constexpr null_t null{};

class value;
using list = std::vector<value>;
using string_set = std::vector<std::string>;
using number_set = std::vector<number>;
using binary_set = std::vector<bytes>;

class item {
 public:
  using member = std::pair<std::string, value>;
  using iterator = std::vector<member>::iterator;
  using const_iterator = std::vector<member>::const_iterator;

  item() = default;
  item(std::initializer_list<member> members);

  /// Defined below, where value is complete (clang and libstdc++ need it).
  std::size_t size() const noexcept;
  bool empty() const noexcept;
  void reserve(std::size_t n);
  void clear() noexcept;

  const value* find(std::string_view name) const noexcept;
  value* find(std::string_view name) noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// Throws ddb::error when the attribute is absent.
  const value& at(std::string_view name) const;
  value& at(std::string_view name);
  /// Inserts NULL when absent.
  value& operator[](std::string_view name);
  value& insert_or_assign(std::string name, value v);
  /// Appends without checking for a duplicate name: for decoders that already know.
  value& push_back_unchecked(std::string name, value v);
  /// Appends a member named `name` whose value is built in place from args,
  /// without the check.
  template <class T, class... Args>
  value& push_back_unchecked(std::string_view name, std::in_place_type_t<T> type, Args&&... args);
  bool erase(std::string_view name) noexcept;

  iterator begin() noexcept;
  iterator end() noexcept;
  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;

  /// Same names with equal values, in any order.
  friend bool operator==(const item& a, const item& b);

 private:
  std::vector<member> members_;
};

class value {
 public:
  value() noexcept = default;  ///< NULL
  value(null_t) noexcept {}
  value(std::nullptr_t) noexcept {}  // NULL too (not a null const char*)
  value(bool b) noexcept : v_(b) {}
  value(std::string s) noexcept : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(const char* s) : v_(std::string(s)) {}
  value(number n) noexcept : v_(std::move(n)) {}
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  value(I i) : v_(number(i)) {}
  value(double d) : v_(number(d)) {}
  value(bytes b) noexcept : v_(std::move(b)) {}
  value(item m) noexcept : v_(std::move(m)) {}
  value(list l) noexcept : v_(std::move(l)) {}
  value(string_set s) noexcept : v_(std::move(s)) {}
  value(number_set s) noexcept : v_(std::move(s)) {}
  value(binary_set s) noexcept : v_(std::move(s)) {}
  /// A T built in place: value(std::in_place_type<std::string>, 3, 'x').
  template <class T, class... Args>
  explicit value(std::in_place_type_t<T> type, Args&&... args) : v_(type, std::forward<Args>(args)...) {}

  type kind() const noexcept { return static_cast<type>(v_.index()); }
  bool is_null() const noexcept { return kind() == type::null; }

  /// Typed access. get<T> throws ddb::error (errc::wrong_value_type) naming
  /// both types; get_if<T> returns nullptr instead.
  template <class T> const T& get() const { check(index_of<T>()); return std::get<T>(v_); }
  template <class T> T& get() { check(index_of<T>()); return std::get<T>(v_); }
  template <class T> const T* get_if() const noexcept { return std::get_if<T>(&v_); }
  template <class T> T* get_if() noexcept { return std::get_if<T>(&v_); }

  /// Replaces the value with a T built in place (no temporary value).
  template <class T, class... Args>
  T& emplace(Args&&... args) {
    return v_.template emplace<T>(std::forward<Args>(args)...);
  }

  bool as_bool() const { return get<bool>(); }
  const std::string& as_string() const { return get<std::string>(); }
  const number& as_number() const { return get<number>(); }
  const bytes& as_binary() const { return get<bytes>(); }
  const item& as_map() const { return get<item>(); }
  const list& as_list() const { return get<list>(); }

  /// Sets compare as sets (order does not matter; DynamoDB does not keep it),
  /// numbers by value, maps by name.
  friend bool operator==(const value& a, const value& b);

 private:
  using storage = std::variant<null_t, bool, std::string, number, bytes, item, list, string_set, number_set, binary_set>;
  template <class T, class... Ts>
  static constexpr std::size_t index_in(std::variant<Ts...>*) {
    std::size_t i = 0;
    (void)((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
    return i;
  }
  template <class T>
  static constexpr std::size_t index_of() {
    constexpr std::size_t i = index_in<T>(static_cast<storage*>(nullptr));
    static_assert(i < std::variant_size_v<storage>, "not a DynamoDB value type");
    return i;
  }
  void check(std::size_t want) const;
  storage v_;
};

/// Builds a binary value from text bytes.
inline bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

// ---- item, inline parts that need value complete ----
inline std::size_t item::size() const noexcept { return members_.size(); }
inline bool item::empty() const noexcept { return members_.empty(); }
inline void item::reserve(std::size_t n) { members_.reserve(n); }
inline void item::clear() noexcept { members_.clear(); }
inline item::iterator item::begin() noexcept { return members_.begin(); }
inline item::iterator item::end() noexcept { return members_.end(); }
inline item::const_iterator item::begin() const noexcept { return members_.begin(); }
inline item::const_iterator item::end() const noexcept { return members_.end(); }
inline item::item(std::initializer_list<member> members) {
  members_.reserve(members.size());
  for (const member& m : members) insert_or_assign(m.first, m.second);
}
template <class T, class... Args>
value& item::push_back_unchecked(std::string_view name, std::in_place_type_t<T> type, Args&&... args) {
  return members_
      .emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                    std::forward_as_tuple(type, std::forward<Args>(args)...))
      .second;
}
inline const value* item::find(std::string_view name) const noexcept {
  for (const member& m : members_)
    if (m.first == name) return &m.second;
  return nullptr;
}
inline value* item::find(std::string_view name) noexcept {
  for (member& m : members_)
    if (m.first == name) return &m.second;
  return nullptr;
}

}  // namespace ddb
