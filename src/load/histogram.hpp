#pragma once
// A fixed-memory latency histogram with HdrHistogram's bucket layout (pure
// code): values from 1 to `highest` kept to `digits` significant decimal
// digits (1 to 5), counts in one array whose size depends on the range and
// precision only, never on how many values were recorded. The layout is
// HdrHistogram's (sub-bucket count 2^ceil(log2(2 x 10^digits)), the same
// index arithmetic), so its interval-log encoding can be written from the
// counts as they are, and histograms of the same shape merge exactly.
#include <cstdint>
#include <string>
#include <vector>

#include "ddb/error.hpp"

namespace ddb::load {

class histogram {
 public:
  // highest >= 2, digits 1..5; throws ddb::error (invalid_config) otherwise.
  histogram(std::int64_t highest, int digits);

  // Records v (clamped to 1..highest; clamped values are counted apart).
  void record(std::int64_t v, std::int64_t count = 1) noexcept;
  // Adds `count` at counts index i (a decoded histogram's counts); the mean
  // then takes each count at its bucket's middle.
  void add_at_index(std::size_t i, std::int64_t count) noexcept;
  // Adds every count of `other`, which must have the same range and
  // precision (else invalid_config): exact, as if every value had been
  // recorded here.
  void merge(const histogram& other);
  void reset() noexcept;

  std::int64_t count() const noexcept { return total_; }
  std::int64_t clamped() const noexcept { return clamped_; }
  std::int64_t min() const noexcept;  // 0 when empty
  std::int64_t max() const noexcept;  // the highest equivalent value of the largest recorded; 0 when empty
  double mean() const noexcept;
  // The value at or below which `percentile` % of the recorded values lie
  // (as HdrHistogram reports it: the highest value equivalent to that
  // value's bucket); 0 when empty.
  std::int64_t value_at_percentile(double percentile) const noexcept;

  std::int64_t highest() const noexcept { return highest_; }
  int digits() const noexcept { return digits_; }
  std::size_t counts_length() const noexcept { return counts_.size(); }
  const std::vector<std::int64_t>& counts() const noexcept { return counts_; }
  // Bytes of the counts array: fixed by the range and precision.
  std::size_t memory_bytes() const noexcept { return counts_.size() * sizeof(std::int64_t); }

  // HdrHistogram's value arithmetic (exposed for tests and the log encoder).
  std::size_t index_of(std::int64_t v) const noexcept;
  std::int64_t value_at_index(std::size_t i) const noexcept;
  std::int64_t lowest_equivalent(std::int64_t v) const noexcept;
  std::int64_t highest_equivalent(std::int64_t v) const noexcept;
  bool equivalent(std::int64_t a, std::int64_t b) const noexcept { return lowest_equivalent(a) == lowest_equivalent(b); }

 private:
  std::int64_t size_of_equivalent_range(std::int64_t v) const noexcept;
  int bucket_of(std::int64_t v) const noexcept;
  int sub_bucket_of(std::int64_t v, int bucket) const noexcept;

  std::int64_t highest_;
  int digits_;
  int sub_bucket_count_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  std::int64_t sub_bucket_count_ = 0;
  std::int64_t sub_bucket_half_count_ = 0;
  std::int64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;
  std::vector<std::int64_t> counts_;
  std::int64_t total_ = 0;
  std::int64_t clamped_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace ddb::load
