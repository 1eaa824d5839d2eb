#pragma once
// A load run's operation mix (pure code): "get-item=80,put-item=15,delete-item=5"
// parsed, checked, and drawn per request by weight.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"

namespace ddb::load {

struct weighted_op {
  std::string op;
  double weight = 0;
};

// Operations must be among `known`; weights >= 0, their sum > 0.
result<std::vector<weighted_op>> parse_mix(std::string_view text, const std::vector<std::string>& known);

class mix_picker {
 public:
  mix_picker(const std::vector<weighted_op>& mix, std::uint64_t seed);
  std::size_t next();  // an index into the mix

 private:
  std::vector<double> cumulative_;
  std::mt19937_64 rng_;
};

}  // namespace ddb::load
