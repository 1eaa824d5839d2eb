#pragma once
// A load run as one self-contained HTML page (pure code): no script, no
// network, plots as inline SVG: latency over time per percentile, the
// percentile spectrum, achieved against planned rate, errors and throttles
// over time; then the text report.
#include <cstdint>
#include <string>
#include <vector>

#include "load/report.hpp"

namespace ddb::load {

// One second of the run (what the status line shows).
struct interval_summary {
  double at_s = 0;            // the interval's end, from the start
  double rate = 0;            // completions per second
  double planned_rate = 0;
  std::int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;  // latency from the planned time, us
  std::int64_t errors = 0;    // in the interval
  std::int64_t throttled = 0;
  double read_units_per_s = 0, write_units_per_s = 0;  // consumed capacity
  double usd_per_hour = 0;    // the interval's consumption at on-demand prices, per hour
};

std::string html_report(const run_result& r, const std::vector<interval_summary>& intervals);

}  // namespace ddb::load
