#pragma once
// Which key each request of a load run uses (pure code): sequential,
// uniform, or zipfian with skew theta (YCSB's generator: Gray et al., "Quickly
// generating billion-record synthetic databases"), plus an optional share of
// requests sent to one hot key. Keys are 0 .. count-1.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"

namespace ddb::load {

struct key_spec {
  enum kind { sequential, uniform, zipf } distribution = uniform;
  std::int64_t count = 1;
  double theta = 0.99;      // zipf: 0 < theta < 1 (YCSB's default 0.99)
  double hot_share = 0;     // 0..1: this share of requests go to key 0
};

// "uniform", "sequential", "zipf" or "zipf:0.8".
result<key_spec> parse_key_spec(std::string_view distribution, std::int64_t count, double hot_share);

class key_generator {
 public:
  key_generator(const key_spec& s, std::uint64_t seed);
  std::int64_t next();
  // n distinct keys (a batch or a transaction refuses a key twice): drawn as
  // usual, a repeat drawn again a few times, then the next unused key after
  // it. n must not exceed the key count. `out` is replaced.
  void next_distinct(std::size_t n, std::vector<std::int64_t>& out);
  std::int64_t count() const noexcept { return spec_.count; }

 private:
  key_spec spec_;
  std::mt19937_64 rng_;
  std::int64_t sequence_ = 0;
  double zetan_ = 0, alpha_ = 0, eta_ = 0, zeta2_ = 0;
};

}  // namespace ddb::load
