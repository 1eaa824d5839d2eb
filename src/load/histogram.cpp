#include "load/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ddb::load {

histogram::histogram(std::int64_t highest, int digits) : highest_(highest), digits_(digits) {
  if (digits < 1 || digits > 5)
    throw ddb::error(fail(errc::invalid_config, "a histogram keeps 1 to 5 significant digits, not " + std::to_string(digits)));
  if (highest < 2) throw ddb::error(fail(errc::invalid_config, "a histogram's highest value must be at least 2"));
  // HdrHistogram's layout with the lowest discernible value 1.
  const double largest_single_unit = 2.0 * std::pow(10.0, digits);
  sub_bucket_count_magnitude_ = static_cast<int>(std::ceil(std::log2(largest_single_unit)));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude_, 1) - 1;
  sub_bucket_count_ = std::int64_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = sub_bucket_count_ - 1;
  std::int64_t smallest_untrackable = sub_bucket_count_;
  int buckets = 1;
  while (smallest_untrackable <= highest) {
    if (smallest_untrackable > INT64_MAX / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  bucket_count_ = buckets;
  counts_.assign(static_cast<std::size_t>((bucket_count_ + 1) * sub_bucket_half_count_), 0);
}

int histogram::bucket_of(std::int64_t v) const noexcept {
  const int pow2ceiling = 64 - __builtin_clzll(static_cast<unsigned long long>(v | sub_bucket_mask_));
  return pow2ceiling - (sub_bucket_half_count_magnitude_ + 1);
}

int histogram::sub_bucket_of(std::int64_t v, int bucket) const noexcept { return static_cast<int>(v >> bucket); }

std::size_t histogram::index_of(std::int64_t v) const noexcept {
  const int b = bucket_of(v);
  const int sub = sub_bucket_of(v, b);
  const std::int64_t base = static_cast<std::int64_t>(b + 1) << sub_bucket_half_count_magnitude_;
  return static_cast<std::size_t>(base + (sub - sub_bucket_half_count_));
}

std::int64_t histogram::value_at_index(std::size_t i) const noexcept {
  int bucket = static_cast<int>(i >> sub_bucket_half_count_magnitude_) - 1;
  std::int64_t sub = static_cast<std::int64_t>(i & static_cast<std::size_t>(sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket < 0) {
    sub -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub << bucket;
}

std::int64_t histogram::size_of_equivalent_range(std::int64_t v) const noexcept {
  const int b = bucket_of(v);
  const int sub = sub_bucket_of(v, b);
  return std::int64_t{1} << (sub >= sub_bucket_count_ ? b + 1 : b);
}

std::int64_t histogram::lowest_equivalent(std::int64_t v) const noexcept {
  const int b = bucket_of(v);
  return static_cast<std::int64_t>(sub_bucket_of(v, b)) << b;
}

std::int64_t histogram::highest_equivalent(std::int64_t v) const noexcept {
  return lowest_equivalent(v) + size_of_equivalent_range(v) - 1;
}

void histogram::record(std::int64_t v, std::int64_t count) noexcept {
  if (v < 0 || v > highest_) {
    clamped_ += count;
    v = std::clamp<std::int64_t>(v, 0, highest_);
  }
  counts_[index_of(v)] += count;
  total_ += count;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  sum_ += static_cast<double>(v) * static_cast<double>(count);
}

void histogram::add_at_index(std::size_t i, std::int64_t count) noexcept {
  if (i >= counts_.size() || count <= 0) return;
  const std::int64_t v = value_at_index(i);
  counts_[i] += count;
  total_ += count;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  sum_ += static_cast<double>(lowest_equivalent(v) + size_of_equivalent_range(v) / 2) * static_cast<double>(count);
}

void histogram::merge(const histogram& other) {
  if (other.highest_ != highest_ || other.digits_ != digits_)
    throw ddb::error(fail(errc::invalid_config, "histograms of different range or precision do not merge exactly"));
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  clamped_ += other.clamped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = clamped_ = max_ = 0;
  min_ = INT64_MAX;
  sum_ = 0;
}

std::int64_t histogram::min() const noexcept { return total_ ? lowest_equivalent(min_) : 0; }
std::int64_t histogram::max() const noexcept { return total_ ? highest_equivalent(max_) : 0; }
double histogram::mean() const noexcept { return total_ ? sum_ / static_cast<double>(total_) : 0.0; }

std::int64_t histogram::value_at_percentile(double percentile) const noexcept {
  if (!total_) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  const auto wanted = std::max<std::int64_t>(1, static_cast<std::int64_t>(p / 100.0 * static_cast<double>(total_) + 0.5));
  std::int64_t running = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    running += counts_[i];
    if (running >= wanted) {
      const std::int64_t v = value_at_index(i);
      return p == 0.0 ? lowest_equivalent(v) : highest_equivalent(v);
    }
  }
  return max();
}

}  // namespace ddb::load
