#include "load/schedule.hpp"

#include <charconv>
#include <cmath>

namespace ddb::load {

namespace {

result<double> parse_number(std::string_view s, const char* what) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    return fail(errc::invalid_config, std::string(what) + " '" + std::string(s) + "' is not a number");
  return v;
}

}  // namespace

result<nanos> parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    double seconds;
  };
  constexpr unit units[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double scale = 1;
  std::string_view number = text;
  for (const unit& u : units)
    if (text.size() > u.suffix.size() && text.substr(text.size() - u.suffix.size()) == u.suffix &&
        (u.suffix != "s" || text.substr(text.size() - 2) != "ms")) {
      scale = u.seconds;
      number = text.substr(0, text.size() - u.suffix.size());
      break;
    }
  auto v = parse_number(number, "the duration");
  if (!v) return fail(errc::invalid_config, "duration '" + std::string(text) + "': expected e.g. 10s, 2m, 250ms or 1.5 (seconds)");
  const double seconds = *v * scale;
  if (seconds <= 0 || seconds > 31 * 24 * 3600.0)
    return fail(errc::invalid_config, "duration '" + std::string(text) + "' must be positive and at most 31 days");
  return nanos(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

schedule::schedule(std::vector<rate_segment> s) : segments_(std::move(s)) {
  double c = 0;
  for (const rate_segment& seg : segments_) {
    cumulative_.push_back(c);
    c += (seg.from + seg.to) / 2 * std::chrono::duration<double>(seg.length).count();
    length_ += seg.length;
  }
  cumulative_.push_back(c);
  total_ = c > 0 ? static_cast<std::int64_t>(std::ceil(c - 1e-9)) : 0;
}

result<schedule> schedule::constant(double rate, nanos duration) {
  if (!(rate > 0) || !std::isfinite(rate))
    return fail(errc::invalid_config, "the rate must be a positive number of requests per second (fractions allowed)");
  if (rate > max_rate) return fail(errc::invalid_config, "the rate must be at most 10,000,000 requests per second");
  if (duration.count() <= 0) return fail(errc::invalid_config, "the duration must be positive");
  return schedule({{rate, rate, duration}});
}

result<schedule> schedule::parse(std::string_view text) {
  std::vector<rate_segment> out;
  nanos total{0};
  bool any_positive = false;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t slash = part.find('/');
    if (slash == std::string_view::npos)
      return fail(errc::invalid_config, "rate schedule segment '" + std::string(part) +
                                            "': expected RATE/LENGTH or FROM-TO/LENGTH, e.g. 100/10s or 100-1000/30s");
    const std::string_view rates = part.substr(0, slash);
    const std::size_t dash = rates.find('-', 1);
    auto from = parse_number(rates.substr(0, dash), "the rate");
    auto to = dash == std::string_view::npos ? from : parse_number(rates.substr(dash + 1), "the rate");
    if (!from) return std::move(from).error();
    if (!to) return std::move(to).error();
    if (*from < 0 || *to < 0)
      return fail(errc::invalid_config, "rate schedule segment '" + std::string(part) + "': rates must not be negative");
    if (*from > max_rate || *to > max_rate)
      return fail(errc::invalid_config, "rate schedule segment '" + std::string(part) +
                                            "': rates must be at most 10,000,000 requests per second");
    auto length = parse_duration(part.substr(slash + 1));
    if (!length) return std::move(length).error();
    any_positive = any_positive || *from > 0 || *to > 0;
    out.push_back({*from, *to, *length});
    total += *length;
    if (total > max_plan_length) return fail(errc::invalid_config, "the rate schedule is longer than 31 days");
  }
  if (out.empty() || !any_positive)
    return fail(errc::invalid_config, "the rate schedule asks for no requests: give at least one positive rate");
  return schedule(std::move(out));
}

std::optional<nanos> schedule::at(std::int64_t n) const {
  if (n < 0 || n >= total_) return std::nullopt;
  const double target = static_cast<double>(n);
  nanos start{0};
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const rate_segment& s = segments_[i];
    if (target < cumulative_[i + 1] || i + 1 == segments_.size()) {
      const double k = target - cumulative_[i];
      const double len = std::chrono::duration<double>(s.length).count();
      const double a = s.from, b = s.to;
      // Solve a x + (b - a) x^2 / (2 len) = k for x in [0, len] (stable form).
      const double disc = a * a + 2 * (b - a) * k / len;
      const double x = k <= 0 ? 0.0 : 2 * k / (a + std::sqrt(std::max(disc, 0.0)));
      return start + nanos(static_cast<std::int64_t>(std::llround(std::min(x, len) * 1e9)));
    }
    start += s.length;
  }
  return std::nullopt;
}

double schedule::rate_at(nanos t) const noexcept {
  nanos start{0};
  for (const rate_segment& s : segments_) {
    if (t < start + s.length) {
      const double f = std::chrono::duration<double>(t - start) / std::chrono::duration<double>(s.length);
      return s.from + (s.to - s.from) * f;
    }
    start += s.length;
  }
  return 0;
}

}  // namespace ddb::load
