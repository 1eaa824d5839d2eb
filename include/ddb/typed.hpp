#pragma once
// Typed items: a struct described once with Boost.Describe maps to and from
// a DynamoDB item.
//
//   struct address { std::string city; int zip = 0; };
//   BOOST_DESCRIBE_STRUCT(address, (), (city, zip))
//   struct user {
//     std::string id; std::int64_t visits = 0; double score = 0; bool admin = false;
//     std::optional<std::string> email; std::vector<std::string> history;
//     std::map<std::string, int> counters; std::set<std::string> roles;
//     ddb::bytes avatar; address home;
//   };
//   BOOST_DESCRIBE_STRUCT(user, (), (id, visits, score, admin, email, history, counters, roles, avatar, home))
//
//   ddb::item it = ddb::to_item(u);
//   ddb::result<user> back = ddb::from_item<user>(it);
//
// Mapping: std::string -> S; integers, float, double -> N; bool -> BOOL;
// ddb::bytes -> B; std::optional<T> -> T, or no attribute; std::vector<T>
// -> L; std::map<std::string, T> -> M; std::set of strings / numbers /
// bytes -> SS / NS / BS (an empty set is no attribute: DynamoDB refuses empty
// sets); a described struct -> M; ddb::value and ddb::item as they are.
// Reading, a number that does not fit the member's type is an error
// (errc::number_out_of_range), never a truncation; a missing attribute is an
// error unless the member is optional or a container (then empty). Errors
// name the attribute path ("home.zip").
//
// Attribute names and keys: a function ddb_item_schema, found by
// argument-dependent lookup beside the struct, renames members and names the
// key; member pointers, so a misspelt member does not compile:
//
//   struct message { std::string user_id; std::string at; std::string text; };
//   BOOST_DESCRIBE_STRUCT(message, (), (user_id, at, text))
//   constexpr auto ddb_item_schema(const message*) {
//     return ddb::item_schema(ddb::partition_key(&message::user_id, "PK"), ddb::sort_key(&message::at, "SK"),
//                             ddb::attribute(&message::text, "body"));
//   }
//
//   ddb::to_item(m)   -> {"PK": ..., "SK": ..., "body": ...}
//   ddb::key_of(m)    -> {"PK": ..., "SK": ...}  (for GetItem, DeleteItem, UpdateItem)
//
// partition_key / sort_key without a name keep the member's. Checked at
// compile time: each named member is a described public member, no two
// members share an attribute name, one partition key at most, a sort key
// only beside a partition key, key members are strings, integers or bytes.
// Plain JSON (no type tags) of an item: ddb::json::to_plain_json(to_item(v)).
#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb {

/// A member's part in the table's key: none, the partition key or the sort key.
enum class key_role : unsigned char { none, partition, sort };
/// One member's attribute name and key role (see the top of this header);
/// made by attribute(), partition_key() and sort_key().
template <class C, class M>
struct attribute_spec {
  M C::*member;  ///< the member described
  std::string_view name;  ///< empty: the member's own name
  key_role role;  ///< its part in the key, if any
};
/// Stores `member` under the attribute name `name`; not part of the key.
template <class C, class M>
constexpr attribute_spec<C, M> attribute(M C::*member, std::string_view name) {
  return {member, name, key_role::none};
}
/// `member` is the partition key, stored as `name` (empty: the member's own name).
template <class C, class M>
constexpr attribute_spec<C, M> partition_key(M C::*member, std::string_view name = {}) {
  return {member, name, key_role::partition};
}
/// `member` is the sort key, stored as `name` (empty: the member's own name).
template <class C, class M>
constexpr attribute_spec<C, M> sort_key(M C::*member, std::string_view name = {}) {
  return {member, name, key_role::sort};
}
/// What a struct's ddb_item_schema returns: the attribute_specs of its renamed
/// and key members (members not listed keep their names and no key role).
template <class... Specs>
struct item_schema {
  /// Holds the specs; the checks run where the schema is used, at compile time.
  constexpr explicit item_schema(Specs... s) : specs(s...) {}
  std::tuple<Specs...> specs;  ///< the attribute_specs, in the order given
};

namespace detail::typed {

template <class T>
concept described = boost::describe::has_describe_members<T>::value;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};
template <class T>
struct is_set : std::false_type {};
template <class T, class C, class A>
struct is_set<std::set<T, C, A>> : std::true_type {};

template <class T>
concept arithmetic = (std::integral<T> || std::floating_point<T>) && !std::same_as<T, bool>;

inline failure wrong_type(const std::string& path, const char* want, const value& got) {
  static constexpr const char* names[] = {"NULL", "BOOL", "S", "N", "B", "M", "L", "SS", "NS", "BS"};
  return fail(errc::wrong_value_type, path + ": expected " + want + ", found " +
                                          names[static_cast<int>(got.kind())] + "; the item does not match the type");
}

/// The struct's schema, when ddb_item_schema(const T*) is declared beside it.
template <class T>
concept has_schema = requires { ddb_item_schema(static_cast<const T*>(nullptr)); };

template <class A, class B>
constexpr bool same_member(A a, B b) {
  if constexpr (std::is_same_v<A, B>)
    return a == b;
  else
    return false;
}

/// The attribute name of described member d of T and its key role, from one
/// walk of the schema (the member's own name and no role without one).
struct member_spec {
  std::string_view name;
  key_role role = key_role::none;
};
template <class T, class D>
constexpr member_spec spec_of(D d) {
  member_spec out{d.name};
  if constexpr (has_schema<T>) {
    constexpr auto schema = ddb_item_schema(static_cast<const T*>(nullptr));
    std::apply(
        [&](const auto&... spec) {
          ((same_member(spec.member, d.pointer) ? (void)(out = {spec.name.empty() ? out.name : spec.name, spec.role}) : (void)0), ...);
        },
        schema.specs);
  }
  return out;
}
template <class T, class D>
constexpr std::string_view attribute_name(D d) {
  return spec_of<T>(d).name;
}
template <class T, class D>
constexpr key_role role_of(D d) {
  return spec_of<T>(d).role;
}

/// Compile-time checks of a schema.
template <class T>
constexpr bool schema_members_described() {
  if constexpr (!has_schema<T>) {
    return true;
  } else {
    constexpr auto schema = ddb_item_schema(static_cast<const T*>(nullptr));
    bool all = true;
    std::apply(
        [&](const auto&... spec) {
          ((all = all && [&] {
              bool found = false;
              boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
                  [&](auto d) { found = found || same_member(spec.member, d.pointer); });
              return found;
            }()),
           ...);
        },
        schema.specs);
    return all;
  }
}
template <class T>
constexpr bool attribute_names_unique() {
  using L = boost::describe::describe_members<T, boost::describe::mod_public>;
  std::string_view names[boost::mp11::mp_size<L>::value + 1] = {};
  std::size_t n = 0;
  bool unique = true;
  boost::mp11::mp_for_each<L>([&](auto d) {
    const std::string_view a = attribute_name<T>(d);
    for (std::size_t i = 0; i < n; ++i) unique = unique && names[i] != a;
    names[n++] = a;
  });
  return unique;
}
template <class T>
constexpr int count_role(key_role r) {
  int c = 0;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) { c += role_of<T>(d) == r; });
  return c;
}
template <class M>
constexpr bool key_type_ok = std::same_as<M, std::string> || std::same_as<M, bytes> || (std::integral<M> && !std::same_as<M, bool>);
template <class T>
constexpr bool key_members_typed() {
  bool ok = true;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
    if (role_of<T>(d) != key_role::none) ok = ok && key_type_ok<M>;
  });
  return ok;
}
template <class T>
constexpr bool check_schema() {
  static_assert(schema_members_described<T>(),
                "ddb_item_schema names a member that BOOST_DESCRIBE_STRUCT does not list as public");
  static_assert(attribute_names_unique<T>(), "two members of the struct map to the same attribute name");
  static_assert(count_role<T>(key_role::partition) <= 1, "ddb_item_schema names more than one partition key");
  static_assert(count_role<T>(key_role::sort) <= 1, "ddb_item_schema names more than one sort key");
  static_assert(count_role<T>(key_role::sort) == 0 || count_role<T>(key_role::partition) == 1,
                "ddb_item_schema names a sort key without a partition key");
  static_assert(key_members_typed<T>(), "key members must be std::string, ddb::bytes or an integer (S, B or N)");
  return true;
}

/// Members that may be absent in the item (no attribute written, none needed).
template <class T>
constexpr bool may_be_absent = is_optional<T>::value || is_vector<T>::value || is_string_map<T>::value ||
                               is_set<T>::value;

template <class T>
std::optional<value> encode(const T& v);

template <class T>
std::optional<value> encode(const T& v) {
  if constexpr (std::same_as<T, value>) {
    return v;
  } else if constexpr (std::same_as<T, item>) {
    return value(v);
  } else if constexpr (std::same_as<T, bool>) {
    return value(v);
  } else if constexpr (std::same_as<T, std::string>) {
    return value(v);
  } else if constexpr (std::same_as<T, bytes>) {
    return value(v);
  } else if constexpr (std::integral<T>) {
    return value(number(v));
  } else if constexpr (std::floating_point<T>) {
    return value(number(static_cast<double>(v)));  // NaN and infinities throw: DynamoDB has no such numbers
  } else if constexpr (is_optional<T>::value) {
    if (!v) return std::nullopt;
    return encode(*v);
  } else if constexpr (is_vector<T>::value) {
    list l;
    l.reserve(v.size());
    for (const auto& e : v)
      if (auto x = encode(e)) l.push_back(std::move(*x));
    return value(std::move(l));
  } else if constexpr (is_string_map<T>::value) {
    item m;
    for (const auto& [k, e] : v)
      if (auto x = encode(e)) m.insert_or_assign(k, std::move(*x));
    return value(std::move(m));
  } else if constexpr (is_set<T>::value) {
    using E = typename T::value_type;
    if (v.empty()) return std::nullopt;
    if constexpr (std::same_as<E, std::string>) {
      return value(string_set(v.begin(), v.end()));
    } else if constexpr (std::same_as<E, bytes>) {
      return value(binary_set(v.begin(), v.end()));
    } else {
      static_assert(arithmetic<E>, "ddb::to_item: sets hold strings, numbers or ddb::bytes");
      number_set s;
      for (const auto& e : v) {
        if constexpr (std::integral<E>)
          s.emplace_back(e);
        else
          s.emplace_back(static_cast<double>(e));
      }
      return value(std::move(s));
    }
  } else if constexpr (described<T>) {
    item m;
    static_assert(check_schema<T>());
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
      if (auto x = encode(v.*d.pointer)) m.insert_or_assign(std::string(attribute_name<T>(d)), std::move(*x));
    });
    return value(std::move(m));
  } else {
    static_assert(sizeof(T) == 0, "ddb::to_item: no DynamoDB mapping for this member type (describe the struct?)");
  }
}

template <class T>
result<void> decode(const value& v, T& out, const std::string& path);

template <class T>
result<void> decode_struct(const item& m, T& out, const std::string& path) {
  static_assert(check_schema<T>());
  result<void> status;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    if (!status) return;
    using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
    const std::string_view name = attribute_name<T>(d);
    const std::string at = path.empty() ? std::string(name) : path + "." + std::string(name);
    const value* e = m.find(name);
    if (!e) {
      if constexpr (may_be_absent<M>)
        out.*d.pointer = M{};
      else
        status = fail(errc::unexpected_json,
                      at + ": the attribute is missing; make the member std::optional if it may be absent");
      return;
    }
    status = decode(*e, out.*d.pointer, at);
  });
  return status;
}

template <class N>
result<void> decode_number(const number& n, N& out, const std::string& path) {
  if constexpr (std::same_as<N, float>) {
    auto d = n.to<double>();
    if (!d) return failure{d.error().code, path + ": " + d.error().message};
    if (std::fabs(*d) > std::numeric_limits<float>::max())
      return fail(errc::number_out_of_range, path + ": " + std::string(n.text()) + " does not fit a float");
    out = static_cast<float>(*d);
  } else {
    auto r = n.to<N>();
    if (!r) return failure{r.error().code, path + ": " + r.error().message};
    out = *r;
  }
  return {};
}

template <class T>
result<void> decode(const value& v, T& out, const std::string& path) {
  if constexpr (std::same_as<T, value>) {
    out = v;
  } else if constexpr (std::same_as<T, item>) {
    if (v.kind() != type::map) return wrong_type(path, "M", v);
    out = v.as_map();
  } else if constexpr (std::same_as<T, bool>) {
    if (v.kind() != type::boolean) return wrong_type(path, "BOOL", v);
    out = v.as_bool();
  } else if constexpr (std::same_as<T, std::string>) {
    if (v.kind() != type::string) return wrong_type(path, "S", v);
    out = v.as_string();
  } else if constexpr (std::same_as<T, bytes>) {
    if (v.kind() != type::binary) return wrong_type(path, "B", v);
    out = v.as_binary();
  } else if constexpr (arithmetic<T>) {
    if (v.kind() != type::number) return wrong_type(path, "N", v);
    return decode_number(v.as_number(), out, path);
  } else if constexpr (is_optional<T>::value) {
    if (v.is_null()) {
      out.reset();
      return {};
    }
    return decode(v, out.emplace(), path);
  } else if constexpr (is_vector<T>::value) {
    if (v.kind() != type::list) return wrong_type(path, "L", v);
    out.clear();
    out.reserve(v.as_list().size());
    for (std::size_t i = 0; i < v.as_list().size(); ++i)
      if (auto r = decode(v.as_list()[i], out.emplace_back(), path + "[" + std::to_string(i) + "]"); !r) return r;
  } else if constexpr (is_string_map<T>::value) {
    if (v.kind() != type::map) return wrong_type(path, "M", v);
    out.clear();
    for (const auto& [k, e] : v.as_map())
      if (auto r = decode(e, out[k], path + "." + k); !r) return r;
  } else if constexpr (is_set<T>::value) {
    using E = typename T::value_type;
    out.clear();
    if constexpr (std::same_as<E, std::string>) {
      if (v.kind() != type::string_set) return wrong_type(path, "SS", v);
      out.insert(v.get<string_set>().begin(), v.get<string_set>().end());
    } else if constexpr (std::same_as<E, bytes>) {
      if (v.kind() != type::binary_set) return wrong_type(path, "BS", v);
      out.insert(v.get<binary_set>().begin(), v.get<binary_set>().end());
    } else {
      if (v.kind() != type::number_set) return wrong_type(path, "NS", v);
      for (const auto& n : v.get<number_set>()) {
        E e{};
        if (auto r = decode_number(n, e, path); !r) return r;
        out.insert(e);
      }
    }
  } else if constexpr (described<T>) {
    if (v.kind() != type::map) return wrong_type(path, "M", v);
    return decode_struct(v.as_map(), out, path);
  } else {
    static_assert(sizeof(T) == 0, "ddb::from_item: no DynamoDB mapping for this member type (describe the struct?)");
  }
  return {};
}

}  // namespace detail::typed

/// The item for a described struct (its public members, optional ones
/// absent when empty). Throws ddb::error for a NaN or infinite number.
template <class T>
  requires detail::typed::described<T>
item to_item(const T& v) {
  return std::move(detail::typed::encode(v)->template get<item>());
}

/// The key attributes of a described struct whose ddb_item_schema names its
/// key: the item for GetItem, DeleteItem and UpdateItem.
template <class T>
  requires detail::typed::described<T>
item key_of(const T& v) {
  static_assert(detail::typed::has_schema<T>,
                "ddb::key_of: declare the key with ddb_item_schema beside the struct (see ddb/typed.hpp)");
  static_assert(detail::typed::check_schema<T>());
  static_assert(detail::typed::count_role<T>(key_role::partition) == 1,
                "ddb::key_of: ddb_item_schema names no partition key");
  item key;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    if (detail::typed::role_of<T>(d) != key_role::none)
      key.insert_or_assign(std::string(detail::typed::attribute_name<T>(d)), *detail::typed::encode(v.*d.pointer));
  });
  return key;
}

/// The described struct read from an item (attributes it has no member for
/// are ignored). Fails, naming the attribute path, with errc::wrong_value_type
/// for an attribute of another type, errc::unexpected_json for a missing one
/// whose member is neither optional nor a container, errc::number_out_of_range
/// for a number that does not fit its member. A NULL empties an optional.
template <class T>
  requires detail::typed::described<T>
result<T> from_item(const item& it) {
  T out{};
  if (auto r = detail::typed::decode_struct(it, out, std::string()); !r) return std::move(r).error();
  return out;
}

}  // namespace ddb
