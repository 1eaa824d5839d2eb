#pragma once
// Item sizes for a load run's writes (pure code): `--item-bytes` as a fixed
// size or a distribution, drawn per request from a seeded generator.
//
//   "512"             every item pads 512 bytes
//   "100-4000"        uniform between the two (inclusive)
//   "normal:1000,200" normal with that mean and standard deviation
//   "exp:800"         exponential with that mean (many small, a long tail)
// Draws are clamped to 0..max_item_pad (DynamoDB's 400 KB item limit, less
// room for the key attributes).
#include <cstdint>
#include <random>
#include <string_view>

#include "ddb/error.hpp"

namespace ddb::load {

inline constexpr std::int64_t max_item_pad = 399'000;

struct size_spec {
  enum class kind { fixed, uniform, normal, exponential } shape = kind::fixed;
  double a = 0, b = 0;  // fixed: a; uniform: a..b; normal: mean a, sd b; exp: mean a
  double mean() const noexcept;
};

result<size_spec> parse_size_spec(std::string_view text);

class size_generator {
 public:
  size_generator(size_spec s, std::uint64_t seed) : spec_(s), rng_(seed) {}
  std::int64_t next();

 private:
  size_spec spec_;
  std::mt19937_64 rng_;
};

}  // namespace ddb::load
