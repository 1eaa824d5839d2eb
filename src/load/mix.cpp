#include "load/mix.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ddb::load {

result<std::vector<weighted_op>> parse_mix(std::string_view text, const std::vector<std::string>& known) {
  std::vector<weighted_op> out;
  double sum = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return fail(errc::invalid_config, "mix entry '" + std::string(part) + "': expected OPERATION=WEIGHT, e.g. get-item=80");
    weighted_op w{std::string(part.substr(0, eq)), 0};
    if (std::find(known.begin(), known.end(), w.op) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return fail(errc::invalid_config, "unknown operation '" + w.op + "' in the mix: " + list);
    }
    const std::string_view number = part.substr(eq + 1);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), w.weight);
    if (ec != std::errc() || end != number.data() + number.size() || !(w.weight >= 0) || !std::isfinite(w.weight))
      return fail(errc::invalid_config, "mix entry '" + std::string(part) + "': the weight must be a number >= 0");
    for (const weighted_op& o : out)
      if (o.op == w.op) return fail(errc::invalid_config, "operation '" + w.op + "' is in the mix twice");
    sum += w.weight;
    out.push_back(std::move(w));
  }
  if (out.empty() || !(sum > 0)) return fail(errc::invalid_config, "the mix's weights sum to zero: give some operation a weight");
  return out;
}

mix_picker::mix_picker(const std::vector<weighted_op>& mix, std::uint64_t seed) : rng_(seed) {
  double c = 0;
  for (const weighted_op& w : mix) cumulative_.push_back(c += w.weight);
}

std::size_t mix_picker::next() {
  if (cumulative_.size() == 1) return 0;
  const double u = std::uniform_real_distribution<double>(0.0, cumulative_.back())(rng_);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
}

}  // namespace ddb::load
