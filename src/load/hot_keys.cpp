#include "load/hot_keys.hpp"

#include <map>

#include <algorithm>
#include <cstdio>

namespace ddb::load {

hot_keys::hot_keys(std::int64_t keys) : slots_(static_cast<std::size_t>(std::clamp<std::int64_t>(keys, 1, max_tracked))) {}

void hot_keys::close_second(slot& s) {
  s.peak_requests = std::max(s.peak_requests, s.second_requests);
  s.peak_read = std::max(s.peak_read, s.second_read);
  s.peak_write = std::max(s.peak_write, s.second_write);
  s.second_requests = 0;
  s.second_read = s.second_write = 0;
}

void hot_keys::record(std::int64_t key, double read_units, double write_units, std::chrono::nanoseconds at) {
  if (key < 0 || key >= static_cast<std::int64_t>(slots_.size())) {
    ++untracked_;
    return;
  }
  slot& s = slots_[static_cast<std::size_t>(key)];
  const std::int64_t second = std::chrono::duration_cast<std::chrono::seconds>(at).count();
  if (second != s.second) {
    close_second(s);
    s.second = second;
  }
  ++s.requests;
  ++s.second_requests;
  s.read += read_units;
  s.write += write_units;
  s.second_read += read_units;
  s.second_write += write_units;
}

namespace {

std::vector<hot_keys::row> hottest(std::vector<hot_keys::row> rows, std::size_t n) {
  auto heat = [](const hot_keys::row& r) {
    return std::max(r.peak_read_per_s / partition_read_units_per_s, r.peak_write_per_s / partition_write_units_per_s);
  };
  const std::size_t keep = std::min(n, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                    [&](const hot_keys::row& a, const hot_keys::row& b) {
                      if (heat(a) != heat(b)) return heat(a) > heat(b);
                      if (a.requests != b.requests) return a.requests > b.requests;
                      return a.key < b.key;
                    });
  rows.resize(keep);
  return rows;
}

}  // namespace

std::vector<hot_keys::row> hot_keys::top(std::size_t n) const {
  std::vector<row> rows;
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    slot s = slots_[k];
    if (!s.requests) continue;
    close_second(s);
    rows.push_back({static_cast<std::int64_t>(k), s.requests, s.read, s.write, s.peak_requests, s.peak_read, s.peak_write});
  }
  return hottest(std::move(rows), n);
}

std::vector<hot_keys::row> merge_hot_rows(const std::vector<std::vector<hot_keys::row>>& workers, std::size_t n) {
  std::map<std::int64_t, hot_keys::row> by_key;
  for (const auto& rows : workers)
    for (const hot_keys::row& r : rows) {
      hot_keys::row& into = by_key.try_emplace(r.key, hot_keys::row{.key = r.key}).first->second;
      into.requests += r.requests;
      into.read_units += r.read_units;
      into.write_units += r.write_units;
      into.peak_requests_per_s += r.peak_requests_per_s;
      into.peak_read_per_s += r.peak_read_per_s;
      into.peak_write_per_s += r.peak_write_per_s;
    }
  std::vector<hot_keys::row> rows;
  for (auto& [k, r] : by_key) rows.push_back(r);
  return hottest(std::move(rows), n);
}

std::string hot_keys_text(const std::vector<hot_keys::row>& rows, const std::string& key_name) {
  std::string out = "hot partitions (busiest second per key; DynamoDB's limit: 3,000 read / 1,000 write units a "
                    "second per partition):\n";
  char buf[256];
  for (const hot_keys::row& r : rows) {
    std::snprintf(buf, sizeof buf, "  %-24s %8lld requests, peak %6lld/s: %8.1f read units/s, %8.1f write units/s%s\n",
                  (key_name + " " + std::to_string(r.key)).c_str(), static_cast<long long>(r.requests),
                  static_cast<long long>(r.peak_requests_per_s), r.peak_read_per_s, r.peak_write_per_s,
                  r.over_limit() ? "  <- over one partition's limit: would be throttled on DynamoDB" : "");
    out += buf;
  }
  return out;
}

std::string hot_keys_json(const std::vector<hot_keys::row>& rows) {
  std::string out = "[";
  char buf[256];
  for (const hot_keys::row& r : rows) {
    std::snprintf(buf, sizeof buf,
                  "%s{\"key\":%lld,\"requests\":%lld,\"read_units\":%.1f,\"write_units\":%.1f,\"peak_requests_per_s\":%lld,"
                  "\"peak_read_units_per_s\":%.1f,\"peak_write_units_per_s\":%.1f,\"over_partition_limit\":%s}",
                  out.size() > 1 ? "," : "", static_cast<long long>(r.key), static_cast<long long>(r.requests),
                  r.read_units, r.write_units, static_cast<long long>(r.peak_requests_per_s), r.peak_read_per_s,
                  r.peak_write_per_s, r.over_limit() ? "true" : "false");
    out += buf;
  }
  return out + "]";
}

}  // namespace ddb::load
