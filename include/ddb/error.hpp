#pragma once
// Errors of the client side of ddb: one enum, one category, and a small
// result<T> that carries a std::error_code plus a message naming the problem
// and its fix. Service errors (DynamoDB's own __type) get their own category
// in the client layer.

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace ddb {

enum class errc {
  // Values and the JSON codec.
  invalid_json = 1,      // malformed or truncated JSON
  unexpected_json,       // well-formed JSON of the wrong shape or type
  invalid_attribute,     // an attribute value with no type, two types or an unknown type
  wrong_value_type,      // value::as_xxx() on a value of another type
  invalid_number,        // not a decimal number
  number_out_of_range,   // outside DynamoDB's range or the target type's
  number_too_precise,    // more than 38 significant digits
  invalid_base64,
  invalid_utf8,
  empty_set,             // SS/NS/BS with no element (DynamoDB rejects them)
  duplicate_in_set,
  nesting_too_deep,      // more than max_nesting_depth levels
  // Signing and request building.
  invalid_credentials,
  invalid_header,        // a header name or value that would break the request
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// What went wrong, for humans: the code for programs, the message for people.
struct failure {
  std::error_code code;
  std::string message;
};

// Thrown by the throwing conveniences (value::as_string(), result::value()).
class error : public std::system_error {
 public:
  explicit error(failure f) : std::system_error(f.code, f.message), failure_(std::move(f)) {}
  const failure& details() const noexcept { return failure_; }

 private:
  failure failure_;
};

inline failure fail(errc code, std::string message) { return failure{make_error_code(code), std::move(message)}; }

// Either a T or a failure. Deliberately small: C++20 has no std::expected.
template <class T>
class [[nodiscard]] result {
 public:
  result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  result(failure f) : v_(std::in_place_index<1>, std::move(f)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !has_value().
  const failure& error() const& { return std::get<1>(v_); }
  failure&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (v_.index() != 0) throw ddb::error(std::get<1>(v_));
  }
  std::variant<T, failure> v_;
};

// result<void>: success or a failure.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(failure f) : f_(std::move(f)), ok_(false) {}
  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const {
    if (!ok_) throw ddb::error(f_);
  }
  const failure& error() const& { return f_; }
  failure&& error() && { return std::move(f_); }

 private:
  failure f_;
  bool ok_ = true;
};

}  // namespace ddb

template <>
struct std::is_error_code_enum<ddb::errc> : std::true_type {};
