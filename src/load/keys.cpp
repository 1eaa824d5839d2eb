#include "load/keys.hpp"

#include <algorithm>

#include <cmath>
#include <charconv>

namespace ddb::load {

result<key_spec> parse_key_spec(std::string_view distribution, std::int64_t count, double hot_share) {
  key_spec s;
  s.count = count;
  s.hot_share = hot_share;
  if (count < 1) return fail(errc::invalid_config, "--keys must be at least 1");
  if (!(hot_share >= 0 && hot_share <= 1)) return fail(errc::invalid_config, "--hot-share must be between 0 and 1");
  if (distribution == "uniform") {
    s.distribution = key_spec::uniform;
  } else if (distribution == "sequential") {
    s.distribution = key_spec::sequential;
  } else if (distribution.substr(0, 4) == "zipf") {
    s.distribution = key_spec::zipf;
    if (distribution.size() > 4) {
      const std::string_view t = distribution.substr(5);
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), s.theta);
      if (distribution[4] != ':' || ec != std::errc() || end != t.data() + t.size() || !(s.theta > 0 && s.theta < 1))
        return fail(errc::invalid_config, "zipf's skew: zipf:THETA with 0 < THETA < 1, e.g. zipf:0.99");
    }
  } else {
    return fail(errc::invalid_config, "unknown key distribution '" + std::string(distribution) +
                                          "': uniform, sequential, zipf or zipf:THETA");
  }
  return s;
}

namespace {
double zeta(std::int64_t n, double theta) {
  double sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}
}  // namespace

key_generator::key_generator(const key_spec& s, std::uint64_t seed) : spec_(s), rng_(seed) {
  if (spec_.distribution == key_spec::zipf) {
    zetan_ = zeta(spec_.count, spec_.theta);
    zeta2_ = zeta(2, spec_.theta);
    alpha_ = 1.0 / (1.0 - spec_.theta);
    eta_ = (1 - std::pow(2.0 / static_cast<double>(spec_.count), 1 - spec_.theta)) / (1 - zeta2_ / zetan_);
  }
}

std::int64_t key_generator::next() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (spec_.hot_share > 0 && unit(rng_) < spec_.hot_share) return 0;
  switch (spec_.distribution) {
    case key_spec::sequential: return sequence_++ % spec_.count;
    case key_spec::uniform: return std::uniform_int_distribution<std::int64_t>(0, spec_.count - 1)(rng_);
    case key_spec::zipf: {
      const double u = unit(rng_), uz = u * zetan_;
      if (uz < 1.0) return 0;
      if (uz < 1.0 + std::pow(0.5, spec_.theta)) return std::min<std::int64_t>(1, spec_.count - 1);
      const auto k = static_cast<std::int64_t>(static_cast<double>(spec_.count) * std::pow(eta_ * u - eta_ + 1, alpha_));
      return std::min(k, spec_.count - 1);
    }
  }
  return 0;
}

void key_generator::next_distinct(std::size_t n, std::vector<std::int64_t>& out) {
  out.clear();
  if (static_cast<std::int64_t>(n) > spec_.count)
    throw ddb::error(fail(errc::invalid_config, "cannot draw " + std::to_string(n) + " distinct keys from " +
                                                    std::to_string(spec_.count) + " (raise --keys or lower --batch-size)"));
  const auto taken = [&](std::int64_t k) { return std::find(out.begin(), out.end(), k) != out.end(); };
  while (out.size() < n) {
    std::int64_t k = next();
    for (int again = 0; again < 4 && taken(k); ++again) k = next();
    while (taken(k)) k = (k + 1) % spec_.count;
    out.push_back(k);
  }
}

}  // namespace ddb::load
