#pragma once
// A value of one of the service model's enumerations, typed:
//
//   req.billing_mode = ddb::billing_mode::pay_per_request;    // not "PAY_PER_REQUEST"
//   if (d.table->table_status == ddb::table_status::active) ...
//
// The enumerations (ddb::billing_mode, ddb::key_type, ddb::return_value, ...)
// are generated from the service model into ddb/model.hpp with their
// to_string() and parse_enum(). A member of a request or response holds an
// open_enum<E>: one of E's enumerators, or a string the model does not list,
// so a value newer than this build of ddb is neither refused nor lost:
// DynamoDB's answer keeps it (str() gives it back, known() is empty), and
// open_enum<E>::from_string("NEW_VALUE") sends one (the escape hatch). It
// converts implicitly from E and never from a string, so a misspelt value is
// a compile error instead of a ValidationException at run time.
#include <optional>
#include <string>
#include <string_view>

namespace ddb {

/// One of the enumerators of E (a service-model enumeration), or a string the
/// model does not list; see the top of this header. Converts implicitly from E.
template <class E>
class open_enum {
 public:
  open_enum() = default;  ///< unset: empty() and str() == ""
  /// The enumerator `e` (implicit, so `req.billing_mode = ddb::billing_mode::provisioned` works).
  constexpr open_enum(E e) noexcept : known_(true), e_(e) {}

  /// The enumerator spelt `s` when E lists it ("PAY_PER_REQUEST"), else `s`
  /// kept as given. Never fails.
  static open_enum from_string(std::string_view s) {
    open_enum r;
    E e{};
    if (parse_enum(s, e)) {
      r.known_ = true;
      r.e_ = e;
    } else {
      r.other_ = std::string(s);
    }
    return r;
  }

  /// The enumerator, when the model lists the value.
  constexpr std::optional<E> known() const noexcept { return known_ ? std::optional<E>(e_) : std::nullopt; }
  /// The value as DynamoDB spells it ("PAY_PER_REQUEST"); "" when unset.
  std::string_view str() const noexcept { return known_ ? to_string(e_) : std::string_view(other_); }
  /// True when unset (no enumerator and no string).
  bool empty() const noexcept { return !known_ && other_.empty(); }

  /// True when `a` holds the enumerator `b` (never for a string the model does not list).
  friend constexpr bool operator==(const open_enum& a, E b) noexcept { return a.known_ && a.e_ == b; }
  /// Same spelling: an enumerator equals from_string() of its name.
  friend bool operator==(const open_enum& a, const open_enum& b) noexcept { return a.str() == b.str(); }

 private:
  bool known_ = false;
  E e_{};
  std::string other_;  ///< only for values the model does not list
};

}  // namespace ddb
