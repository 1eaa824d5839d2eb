#include "ddb/core/number.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ddb {
namespace {

// A number taken apart without copying: sign, where its significant digits
// lie in the text (no leading or trailing zeros; the '.' is skipped), and the
// decimal exponent of the first of them (d.ddd × 10^adj).
struct parts {
  std::string_view text;
  bool negative = false;
  bool zero = true;
  std::size_t int_begin = 0, int_len = 0, frac_begin = 0;
  std::size_t first = 0, count = 0;  // significant digits: positions first .. first+count-1
  int adj = 0;

  char digit(std::size_t k) const {  // k-th significant digit
    const std::size_t pos = first + k;
    return pos < int_len ? text[int_begin + pos] : text[frac_begin + (pos - int_len)];
  }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

result<parts> decompose(std::string_view t) {
  auto bad = [&](const char* why) {
    return fail(errc::invalid_number, "'" + std::string(t.substr(0, 64)) + (t.size() > 64 ? "...'" : "'") +
                                          " is not a number: " + why);
  };
  parts p;
  p.text = t;
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) p.negative = t[i++] == '-';
  const std::size_t int_begin = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  const std::size_t int_end = i;
  std::size_t frac_begin = i, frac_end = i;
  if (i < t.size() && t[i] == '.') {
    frac_begin = ++i;
    while (i < t.size() && is_digit(t[i])) ++i;
    frac_end = i;
  }
  if (int_end == int_begin && frac_end == frac_begin) return bad("expected digits, e.g. 42, -1.5 or 6.02E23");
  long long exp = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) exp_negative = t[i++] == '-';
    if (i == t.size() || !is_digit(t[i])) return bad("the exponent has no digits");
    while (i < t.size() && is_digit(t[i])) {
      if (exp < 1'000'000) exp = exp * 10 + (t[i] - '0');  // clamped: far beyond the range anyway
      ++i;
    }
    if (exp_negative) exp = -exp;
  }
  if (i != t.size()) return bad("unexpected character after the number (no spaces, no thousands separators)");

  const std::size_t int_len = int_end - int_begin;
  const std::size_t total = int_len + (frac_end - frac_begin);
  p.int_begin = int_begin;
  p.int_len = int_len;
  p.frac_begin = frac_begin;
  auto digit_at = [&](std::size_t k) { return k < int_len ? t[int_begin + k] : t[frac_begin + (k - int_len)]; };
  std::size_t first = 0;
  while (first < total && digit_at(first) == '0') ++first;
  if (first == total) return p;  // zero
  std::size_t last = total - 1;
  while (digit_at(last) == '0') --last;
  p.zero = false;
  p.first = first;
  p.count = last - first + 1;
  if (p.count > static_cast<std::size_t>(max_number_digits))
    return fail(errc::number_too_precise, "number '" + std::string(t.substr(0, 64)) + "' has " +
                                              std::to_string(p.count) +
                                              " significant digits; DynamoDB keeps at most 38");
  const long long adj = static_cast<long long>(int_len) - 1 - static_cast<long long>(first) + exp;
  if (adj < min_number_exponent || adj > max_number_exponent)
    return fail(errc::number_out_of_range,
                "number '" + std::string(t.substr(0, 64)) +
                    "' is outside DynamoDB's range (magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125)");
  p.adj = static_cast<int>(adj);
  return p;
}

}  // namespace

number::number(std::string_view text) : text_(text) {
  if (auto p = decompose(text_); !p) throw ddb::error(std::move(p).error());
}

number::number(double v) {
  if (!std::isfinite(v))
    throw ddb::error(fail(errc::invalid_number, "NaN and infinity cannot be stored as DynamoDB numbers"));
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  text_.assign(buf, r.ptr);
  if (auto p = decompose(text_); !p) throw ddb::error(std::move(p).error());
}

void number::from_signed(std::int64_t v) {
  char buf[24];
  text_.assign(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void number::from_unsigned(std::uint64_t v) {
  char buf[24];
  text_.assign(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

namespace {
// [-]digits with at most 38 of them: always within DynamoDB's rules (below
// 1E+38 in magnitude, at most 38 significant digits). Most numbers on the
// wire are such integers; the rest take decompose's full check.
bool plain_integer(std::string_view t) noexcept {
  std::size_t i = !t.empty() && t[0] == '-';
  const std::size_t digits = t.size() - i;
  if (digits == 0 || digits > static_cast<std::size_t>(max_number_digits)) return false;
  for (; i < t.size(); ++i)
    if (!is_digit(t[i])) return false;
  return true;
}
}  // namespace

result<number> number::parse(std::string_view text) {
  if (!plain_integer(text))
    if (auto p = decompose(text); !p) return std::move(p).error();
  return number(unchecked{}, std::string(text));
}

result<std::uint64_t> number::to_uint64() const {
  auto p = decompose(text_);
  if (!p) return std::move(p).error();
  if (p->zero) return std::uint64_t{0};
  if (p->negative) return fail(errc::number_out_of_range, "number " + text_ + " is negative; the target type is unsigned");
  if (static_cast<int>(p->count) - 1 > p->adj)
    return fail(errc::number_out_of_range, "number " + text_ + " has a fractional part; the target type is an integer");
  const auto too_big = fail(errc::number_out_of_range, "number " + text_ + " does not fit the target integer type");
  if (p->adj >= 20) return too_big;
  std::uint64_t v = 0;
  for (int k = 0; k <= p->adj; ++k) {
    const unsigned d = k < static_cast<int>(p->count) ? static_cast<unsigned>(p->digit(k) - '0') : 0u;
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, d, &v)) return too_big;
  }
  return v;
}

result<std::int64_t> number::to_int64() const {
  auto p = decompose(text_);
  if (!p) return std::move(p).error();
  if (!p->negative || p->zero) {
    auto u = to_uint64();
    if (!u) return std::move(u).error();
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return fail(errc::number_out_of_range, "number " + text_ + " does not fit the target integer type");
    return static_cast<std::int64_t>(*u);
  }
  // Negative: convert the magnitude, which may be 2^63.
  std::string magnitude = text_.substr(1);
  auto u = number(unchecked{}, magnitude).to_uint64();
  if (!u) return std::move(u).error();
  if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1)
    return fail(errc::number_out_of_range, "number " + text_ + " does not fit the target integer type");
  return static_cast<std::int64_t>(0 - *u);
}

result<double> number::to_double() const {
  std::string_view t = text_;
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  double d = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  // DynamoDB's range lies within double's; a denormal-range value underflows to a tiny double, which is fine.
  if (r.ec == std::errc::invalid_argument || r.ptr != t.data() + t.size())
    return fail(errc::invalid_number, "number " + text_ + " cannot be read as a double");
  return d;
}

int compare(const number& a, const number& b) noexcept {
  auto pa = decompose(a.text_);
  auto pb = decompose(b.text_);
  if (!pa || !pb) return a.text_.compare(b.text_) < 0 ? -1 : (a.text_ == b.text_ ? 0 : 1);  // unreachable for valid numbers
  const int sa = pa->zero ? 0 : (pa->negative ? -1 : 1);
  const int sb = pb->zero ? 0 : (pb->negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int mag = 0;
  if (pa->adj != pb->adj)
    mag = pa->adj < pb->adj ? -1 : 1;
  else {
    const std::size_t n = std::min(pa->count, pb->count);
    for (std::size_t k = 0; k < n && mag == 0; ++k)
      if (pa->digit(k) != pb->digit(k)) mag = pa->digit(k) < pb->digit(k) ? -1 : 1;
    if (mag == 0 && pa->count != pb->count) mag = pa->count < pb->count ? -1 : 1;
  }
  return sa < 0 ? -mag : mag;
}

bool operator==(const number& a, const number& b) noexcept { return a.text_ == b.text_ || compare(a, b) == 0; }

}  // namespace ddb
