#pragma once
// When each request of an open-loop run is meant to leave (pure code): a
// rate schedule of constant steps and linear ramps, fractional rates
// allowed, and the intended send time of the n-th request.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"

namespace ddb::load {

using nanos = std::chrono::nanoseconds;

// Bounds that keep every count and time exact: ten million requests a
// second (far past any one client), and a plan of at most 31 days.
inline constexpr double max_rate = 10'000'000;
inline constexpr nanos max_plan_length{std::int64_t{31} * 24 * 3600 * 1'000'000'000};

// "10s", "2m", "1.5" (seconds), "250ms", "1h": a positive duration.
result<nanos> parse_duration(std::string_view text);

struct rate_segment {
  double from = 0;  // requests per second at the segment's start
  double to = 0;    // ... at its end (== from: constant)
  nanos length{0};
};

class schedule {
 public:
  // A constant rate for `duration`.
  static result<schedule> constant(double rate, nanos duration);
  // "RATE/LENGTH" segments separated by commas; RATE is a number or FROM-TO
  // (a linear ramp): "100/10s,100-1000/30s,1000/1m". Rates >= 0, at least
  // one positive; lengths positive.
  static result<schedule> parse(std::string_view text);
  // No planned times at all (a closed loop's): total 0, rate 0.
  static schedule none() { return schedule({}); }

  // The intended send time of request n (0, 1, ...) from the start, or none
  // when the schedule ends first. Request n leaves when the cumulative
  // count of the rate curve reaches n.
  std::optional<nanos> at(std::int64_t n) const;
  nanos length() const noexcept { return length_; }
  // Requests in the whole schedule.
  std::int64_t total() const noexcept { return total_; }
  // The rate (requests/s) the schedule asks for at time t.
  double rate_at(nanos t) const noexcept;
  const std::vector<rate_segment>& segments() const noexcept { return segments_; }

 private:
  explicit schedule(std::vector<rate_segment> s);
  std::vector<rate_segment> segments_;
  std::vector<double> cumulative_;  // requests before each segment
  nanos length_{0};
  std::int64_t total_ = 0;
};

}  // namespace ddb::load
