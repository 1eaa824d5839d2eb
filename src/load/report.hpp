#pragma once
// What a load run found, as text and as JSON (pure code).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "load/histogram.hpp"
#include "load/hot_keys.hpp"
#include "load/open_loop.hpp"

namespace ddb::load {

struct run_result {
  std::string operation, table;
  std::string plan;           // "1000/s for 10 s", or the schedule as given
  std::int64_t planned = 0;   // requests the schedule holds
  double target_rate = 0;     // planned / the schedule's length
  double seconds = 0;         // from the start to the last completion
  std::size_t max_in_flight = 0;
  std::size_t closed_concurrency = 0;  // a closed loop with this many in flight; 0: an open loop
  int threads = 1;
  loop_counts counts;
  histogram latency{2, 1}, service{2, 1}, send_lag{2, 1};  // microseconds
  std::map<std::string, std::int64_t> errors_by_type;  // "ProvisionedThroughputExceededException": 3
  std::int64_t throttled = 0, retries = 0;
  std::int64_t unprocessed = 0;  // batch items DynamoDB returned unprocessed (not sent again)
  double read_units = 0, write_units = 0, cost_usd = 0;  // consumed, at on-demand prices
  double cpu_seconds = 0;
  long peak_rss_kb = 0;
  std::vector<hot_keys::row> hot;  // the hottest partition keys (key numbers)
  std::string hot_key_name;        // the partition key attribute; empty: one partition key for every request
  std::size_t connections = 0;     // opened by the run's clients
  std::string first_error;         // the first failure's summary, if any

  double achieved_rate() const noexcept { return seconds > 0 ? static_cast<double>(counts.completed) / seconds : 0; }
  // Why the run did not keep to its schedule, or none: late sends over
  // 0.1% of those sent, or fewer completions than planned.
  std::optional<std::string> shortfall() const;
};

std::string text_report(const run_result& r);
std::string json_report(const run_result& r);
// The one-line status for a terminal: "12.0 s  1000/s of 1000/s  p50 812 us  p99 2.1 ms  ...".
// throttled: in the interval; units_per_s and usd_per_hour: the interval's
// consumed capacity and its cost at on-demand prices.
std::string status_line(double elapsed_s, double rate, double target, const histogram& interval, const loop_counts& c,
                        std::int64_t throttled, double units_per_s, double usd_per_hour);

}  // namespace ddb::load
