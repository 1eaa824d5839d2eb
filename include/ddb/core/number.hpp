#pragma once
// A DynamoDB number (N): kept as the exact decimal text, validated against
// DynamoDB's rules (at most 38 significant digits, magnitude between 1E-130
// and 9.99...E+125, or zero), never round-tripped through a double.

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "ddb/error.hpp"

namespace ddb {

inline constexpr int max_number_digits = 38;
inline constexpr int min_number_exponent = -130;  ///< smallest magnitude 1E-130
inline constexpr int max_number_exponent = 125;   ///< largest magnitude < 1E+126

class number {
 public:
  number() : text_("0") {}
  /// Throws ddb::error when text is not a valid DynamoDB number.
  explicit number(std::string_view text);
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  number(I v) {
    if constexpr (std::is_signed_v<I>)
      from_signed(v);
    else
      from_unsigned(v);
  }
  /// Shortest text that round-trips the double; NaN and infinities are rejected.
  explicit number(double v);

  static result<number> parse(std::string_view text);

  std::string_view text() const noexcept { return text_; }
  const std::string& str() const noexcept { return text_; }

  /// Checked conversions: an error when the value has a fractional part (for
  /// integers) or does not fit the target type. Never a silent truncation.
  template <class T>
  result<T> to() const;

  /// Numeric equality: "1", "1.0" and "10E-1" are equal.
  friend bool operator==(const number& a, const number& b) noexcept;
  /// Numeric order.
  friend int compare(const number& a, const number& b) noexcept;

 private:
  struct unchecked {};
  number(unchecked, std::string text) : text_(std::move(text)) {}
  void from_signed(std::int64_t v);
  void from_unsigned(std::uint64_t v);
  result<std::int64_t> to_int64() const;
  result<std::uint64_t> to_uint64() const;
  result<double> to_double() const;

  std::string text_;
};

template <class T>
result<T> number::to() const {
  if constexpr (std::same_as<T, double> || std::same_as<T, float>) {
    auto d = to_double();
    if (!d) return std::move(d).error();
    return static_cast<T>(*d);
  } else if constexpr (std::integral<T> && std::is_signed_v<T> && !std::same_as<T, bool>) {
    auto v = to_int64();
    if (!v) return std::move(v).error();
    if (*v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        *v > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
      return fail(errc::number_out_of_range, "number " + text_ + " does not fit the target integer type");
    return static_cast<T>(*v);
  } else if constexpr (std::integral<T> && std::is_unsigned_v<T> && !std::same_as<T, bool>) {
    auto v = to_uint64();
    if (!v) return std::move(v).error();
    if (*v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
      return fail(errc::number_out_of_range, "number " + text_ + " does not fit the target integer type");
    return static_cast<T>(*v);
  } else {
    static_assert(sizeof(T) == 0, "number::to<T>: T must be an integer or floating-point type");
  }
}

}  // namespace ddb
