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

/// Most significant digits a DynamoDB number may have.
inline constexpr int max_number_digits = 38;
inline constexpr int min_number_exponent = -130;  ///< smallest magnitude 1E-130
inline constexpr int max_number_exponent = 125;   ///< largest magnitude < 1E+126

/// A DynamoDB number (N): its exact decimal text, checked against DynamoDB's
/// rules when made; never converted through a double unless asked (to<double>()).
class number {
 public:
  number() : text_("0") {}  ///< zero
  /// Copies `text` as it is (e.g. "+1.50" stays so). Throws ddb::error
  /// (errc::invalid_number, number_too_precise or number_out_of_range) when
  /// it is not a valid DynamoDB number.
  explicit number(std::string_view text);
  /// Any integer but bool, exactly (at most 20 digits: always valid). Never fails.
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  number(I v) {
    if constexpr (std::is_signed_v<I>)
      from_signed(v);
    else
      from_unsigned(v);
  }
  /// Shortest text that round-trips the double. Throws ddb::error:
  /// errc::invalid_number for NaN and infinities, errc::number_out_of_range
  /// for a magnitude outside DynamoDB's range (e.g. 1E300 or a denormal).
  explicit number(double v);

  /// number(text) without the exception: the same errors as a failure. The
  /// text is copied as given; plain integers of up to 38 digits skip the full check.
  static result<number> parse(std::string_view text);

  /// The decimal text, as given or as generated (no normalisation: "1.0" stays "1.0").
  std::string_view text() const noexcept { return text_; }
  /// The same text as a std::string reference, valid while the number lives unchanged.
  const std::string& str() const noexcept { return text_; }

  /// Checked conversions: an error when the value has a fractional part (for
  /// integers) or does not fit the target type. Never a silent truncation.
  template <class T>
  result<T> to() const;

  /// Numeric equality: "1", "1.0" and "10E-1" are equal.
  friend bool operator==(const number& a, const number& b) noexcept;
  /// Numeric order: -1, 0 or 1 as `a` is less than, equal to or greater than `b`.
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
