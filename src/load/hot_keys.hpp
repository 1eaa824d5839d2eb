#pragma once
// The hot-partition report of a load run (pure code): per partition key
// (the run's key numbers), requests and consumed units, and the busiest
// second of each, compared with DynamoDB's per-partition limits (about
// 3,000 read units and 1,000 write units a second): a key over them would be
// throttled on DynamoDB even where DynamoDB Local was not. Memory is fixed by
// the number of keys (at most max_tracked), never by the run's length.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ddb::load {

constexpr double partition_read_units_per_s = 3000;
constexpr double partition_write_units_per_s = 1000;

class hot_keys {
 public:
  static constexpr std::int64_t max_tracked = 1'000'000;
  explicit hot_keys(std::int64_t keys);

  // One completed request on `key` at `at` (time since the start).
  void record(std::int64_t key, double read_units, double write_units, std::chrono::nanoseconds at);

  struct row {
    std::int64_t key = 0;
    std::int64_t requests = 0;
    double read_units = 0, write_units = 0;
    std::int64_t peak_requests_per_s = 0;
    double peak_read_per_s = 0, peak_write_per_s = 0;  // in the key's busiest second
    bool over_limit() const noexcept {
      return peak_read_per_s > partition_read_units_per_s || peak_write_per_s > partition_write_units_per_s;
    }
  };
  // The n keys with the most units in their busiest second (requests break ties).
  std::vector<row> top(std::size_t n) const;
  std::int64_t untracked() const noexcept { return untracked_; }

 private:
  struct slot {
    std::int64_t requests = 0;
    double read = 0, write = 0;
    std::int64_t second = -1;  // the second the accumulators below are for
    std::int64_t second_requests = 0;
    double second_read = 0, second_write = 0;
    std::int64_t peak_requests = 0;
    double peak_read = 0, peak_write = 0;
  };
  static void close_second(slot& s);
  std::vector<slot> slots_;
  std::int64_t untracked_ = 0;
};

// The report's lines (text), and the JSON array.
// Rows of several workers (each its own top list) merged by key: requests
// and units added; a key's busiest second taken as the sum of the workers'
// busiest seconds (an upper bound: exact when the workers' busiest seconds
// coincide, as they do for workers sending one plan interleaved). The n
// hottest, ordered as top() orders them.
std::vector<hot_keys::row> merge_hot_rows(const std::vector<std::vector<hot_keys::row>>& workers, std::size_t n);

std::string hot_keys_text(const std::vector<hot_keys::row>& rows, const std::string& key_name);
std::string hot_keys_json(const std::vector<hot_keys::row>& rows);

}  // namespace ddb::load
