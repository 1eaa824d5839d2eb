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

/// The ten DynamoDB attribute types, in the order of value's alternatives.
enum class type : std::uint8_t { null, boolean, string, number, binary, map, list, string_set, number_set, binary_set };

/// DynamoDB's name of the type: "NULL", "BOOL", "S", "N", "B", "M", "L", "SS", "NS", "BS".
std::string_view type_name(type t) noexcept;

/// The raw bytes of a B value (base64 only on the wire).
using bytes = std::vector<std::uint8_t>;
/// The type of DynamoDB's NULL value; use ddb::null.
struct null_t {
  /// Always true: there is one NULL.
  friend bool operator==(null_t, null_t) noexcept { return true; }
};
/// The NULL value: `ddb::item{{"a", ddb::null}}`.
inline constexpr null_t null{};

class value;
/// An L value: values of any types, in order.
using list = std::vector<value>;
/// An SS value. Order is not kept by DynamoDB; empty sets and duplicates are
/// refused when written (errc::empty_set, errc::duplicate_in_set).
using string_set = std::vector<std::string>;
/// An NS value; refused when written if empty or holding a number twice.
using number_set = std::vector<number>;
/// A BS value; refused when written if empty or holding the same bytes twice.
using binary_set = std::vector<bytes>;

/// A DynamoDB item, and an M value: (name, value) members in insertion order
/// with unique names. Lookups are linear scans (fast for small items).
class item {
 public:
  using member = std::pair<std::string, value>;  ///< an attribute: name and value
  using iterator = std::vector<member>::iterator;  ///< over the members, in order
  using const_iterator = std::vector<member>::const_iterator;  ///< over the members, in order

  item() = default;  ///< no members
  /// The members in order; a name given twice keeps its first place and its
  /// last value. Copies every member; quadratic in their count.
  item(std::initializer_list<member> members);

  /// The number of members. (This and the next three are defined below, where
  /// value is complete: clang and libstdc++ need it.)
  std::size_t size() const noexcept;
  /// True when the item has no member.
  bool empty() const noexcept;
  /// Makes room for `n` members (may allocate).
  void reserve(std::size_t n);
  /// Removes every member (the capacity is kept).
  void clear() noexcept;

  /// The value named `name`, or nullptr; a linear scan.
  const value* find(std::string_view name) const noexcept;
  /// The value named `name`, or nullptr; a linear scan.
  value* find(std::string_view name) noexcept;
  /// True when an attribute is named `name`.
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// Throws ddb::error (errc::wrong_value_type) when the attribute is absent.
  const value& at(std::string_view name) const;
  /// Throws ddb::error (errc::wrong_value_type) when the attribute is absent.
  value& at(std::string_view name);
  /// Inserts NULL when absent.
  value& operator[](std::string_view name);
  /// Replaces the value named `name` in place, or appends the member; returns
  /// the stored value.
  value& insert_or_assign(std::string name, value v);
  /// Appends without checking for a duplicate name: for decoders that already know.
  value& push_back_unchecked(std::string name, value v);
  /// Appends a member named `name` whose value is built in place from args,
  /// without the check.
  template <class T, class... Args>
  value& push_back_unchecked(std::string_view name, std::in_place_type_t<T> type, Args&&... args);
  /// Removes the member named `name` (later members move up); false when absent.
  bool erase(std::string_view name) noexcept;

  /// The first member, in insertion order.
  iterator begin() noexcept;
  /// Past the last member.
  iterator end() noexcept;
  /// The first member, in insertion order.
  const_iterator begin() const noexcept;
  /// Past the last member.
  const_iterator end() const noexcept;

  /// Same names with equal values, in any order.
  friend bool operator==(const item& a, const item& b);

 private:
  std::vector<member> members_;
};

/// One DynamoDB attribute value: S, N, B, BOOL, NULL, M, L, SS, NS or BS
/// (see ddb::type), held in a std::variant. Converts implicitly from each.
class value {
 public:
  value() noexcept = default;  ///< NULL
  value(null_t) noexcept {}  ///< NULL
  /// NULL too (not a null const char*).
  value(std::nullptr_t) noexcept {}  // NULL too (not a null const char*)
  value(bool b) noexcept : v_(b) {}  ///< BOOL
  value(std::string s) noexcept : v_(std::move(s)) {}  ///< S, moved in
  value(std::string_view s) : v_(std::string(s)) {}  ///< S, copied
  value(const char* s) : v_(std::string(s)) {}  ///< S, copied (`s` must not be null)
  value(number n) noexcept : v_(std::move(n)) {}  ///< N
  /// N, exactly, from any integer but bool.
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  value(I i) : v_(number(i)) {}
  /// N from the shortest text that round-trips `d`; throws ddb::error for NaN,
  /// infinities and magnitudes outside DynamoDB's range (see number(double)).
  value(double d) : v_(number(d)) {}
  value(bytes b) noexcept : v_(std::move(b)) {}  ///< B
  value(item m) noexcept : v_(std::move(m)) {}  ///< M
  value(list l) noexcept : v_(std::move(l)) {}  ///< L
  value(string_set s) noexcept : v_(std::move(s)) {}  ///< SS (checked when written)
  value(number_set s) noexcept : v_(std::move(s)) {}  ///< NS (checked when written)
  value(binary_set s) noexcept : v_(std::move(s)) {}  ///< BS (checked when written)
  /// A T built in place: value(std::in_place_type<std::string>, 3, 'x').
  template <class T, class... Args>
  explicit value(std::in_place_type_t<T> type, Args&&... args) : v_(type, std::forward<Args>(args)...) {}

  /// Which of the ten types it holds.
  type kind() const noexcept { return static_cast<type>(v_.index()); }
  /// True for NULL.
  bool is_null() const noexcept { return kind() == type::null; }

  /// Typed access. get<T> throws ddb::error (errc::wrong_value_type) naming
  /// both types; get_if<T> returns nullptr instead.
  template <class T> const T& get() const { check(index_of<T>()); return std::get<T>(v_); }
  /// The held T; throws ddb::error (errc::wrong_value_type) for another type.
  template <class T> T& get() { check(index_of<T>()); return std::get<T>(v_); }
  /// The held T, or nullptr when it holds another type.
  template <class T> const T* get_if() const noexcept { return std::get_if<T>(&v_); }
  /// The held T, or nullptr when it holds another type.
  template <class T> T* get_if() noexcept { return std::get_if<T>(&v_); }

  /// Replaces the value with a T built in place (no temporary value).
  template <class T, class... Args>
  T& emplace(Args&&... args) {
    return v_.template emplace<T>(std::forward<Args>(args)...);
  }

  /// The BOOL; throws ddb::error (errc::wrong_value_type) for another type.
  bool as_bool() const { return get<bool>(); }
  /// The S; throws ddb::error (errc::wrong_value_type) for another type.
  const std::string& as_string() const { return get<std::string>(); }
  /// The N; throws ddb::error (errc::wrong_value_type) for another type.
  const number& as_number() const { return get<number>(); }
  /// The B; throws ddb::error (errc::wrong_value_type) for another type.
  const bytes& as_binary() const { return get<bytes>(); }
  /// The M; throws ddb::error (errc::wrong_value_type) for another type.
  const item& as_map() const { return get<item>(); }
  /// The L; throws ddb::error (errc::wrong_value_type) for another type.
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
