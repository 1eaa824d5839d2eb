#include "load/sizes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace ddb::load {

namespace {

bool number(std::string_view t, double& out) {
  if (t.empty()) return false;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size() && std::isfinite(out);
}

result<size_spec> bad(std::string_view text, const std::string& why) {
  return fail(errc::invalid_config, "--item-bytes '" + std::string(text) + "': " + why +
                                          " (say 512, 100-4000, normal:1000,200 or exp:800; bytes, at most " +
                                          std::to_string(max_item_pad) + ")");
}

}  // namespace

double size_spec::mean() const noexcept {
  switch (shape) {
    case kind::fixed: return a;
    case kind::uniform: return (a + b) / 2;
    case kind::normal:
    case kind::exponential: return a;
  }
  return a;
}

result<size_spec> parse_size_spec(std::string_view text) {
  size_spec s;
  const auto within = [](double v) { return v >= 0 && v <= static_cast<double>(max_item_pad); };
  if (text.starts_with("normal:")) {
    const std::string_view rest = text.substr(7);
    const auto comma = rest.find(',');
    if (comma == std::string_view::npos || !number(rest.substr(0, comma), s.a) || !number(rest.substr(comma + 1), s.b))
      return bad(text, "normal needs MEAN,SD");
    if (!within(s.a) || s.b < 0) return bad(text, "the mean must be within the item limit and the deviation >= 0");
    s.shape = size_spec::kind::normal;
    return s;
  }
  if (text.starts_with("exp:")) {
    if (!number(text.substr(4), s.a) || !(s.a > 0) || !within(s.a)) return bad(text, "exp needs a positive mean");
    s.shape = size_spec::kind::exponential;
    return s;
  }
  if (const auto dash = text.find('-'); dash != std::string_view::npos && dash > 0) {
    if (!number(text.substr(0, dash), s.a) || !number(text.substr(dash + 1), s.b)) return bad(text, "a range is MIN-MAX");
    if (!within(s.a) || !within(s.b) || s.a > s.b) return bad(text, "a range needs 0 <= MIN <= MAX");
    s.shape = size_spec::kind::uniform;
    return s;
  }
  if (!number(text, s.a) || !within(s.a)) return bad(text, "not a size");
  return s;
}

std::int64_t size_generator::next() {
  double v = spec_.a;
  switch (spec_.shape) {
    case size_spec::kind::fixed: break;
    case size_spec::kind::uniform:
      v = static_cast<double>(std::uniform_int_distribution<std::int64_t>(static_cast<std::int64_t>(spec_.a),
                                                                          static_cast<std::int64_t>(spec_.b))(rng_));
      break;
    case size_spec::kind::normal: v = std::normal_distribution<double>(spec_.a, spec_.b)(rng_); break;
    case size_spec::kind::exponential: v = std::exponential_distribution<double>(1.0 / spec_.a)(rng_); break;
  }
  return std::clamp<std::int64_t>(std::llround(v), 0, max_item_pad);
}

}  // namespace ddb::load
