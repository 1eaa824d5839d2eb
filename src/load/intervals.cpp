#include "load/intervals.hpp"

#include <algorithm>
#include <string>

#include "ddb/error.hpp"

namespace ddb::load {

interval_board::interval_board(int parties)
    : next_(static_cast<std::size_t>(std::max(parties, 0)), 0), done_(next_.size(), false) {
  if (parties < 1) throw ddb::error(fail(errc::invalid_config, "an interval board needs at least one party"));
}

void interval_board::add(int party, interval part) {
  if (party < 0 || static_cast<std::size_t>(party) >= next_.size() || done_[static_cast<std::size_t>(party)])
    throw ddb::error(fail(errc::invalid_config, "interval from an unknown or finished party " + std::to_string(party)));
  std::int64_t& next = next_[static_cast<std::size_t>(party)];
  if (part.index != next)
    throw ddb::error(fail(errc::invalid_config, "party " + std::to_string(party) + " handed in interval " +
                                                    std::to_string(part.index) + ", expected " + std::to_string(next)));
  ++next;
  auto [it, fresh] = pending_.try_emplace(part.index);
  interval& into = it->second;
  if (fresh) {
    into = std::move(part);
    return;
  }
  into.latency.merge(part.latency);
  into.completed += part.completed;
  into.errors += part.errors;
  into.throttled += part.throttled;
  into.read_units += part.read_units;
  into.write_units += part.write_units;
  into.cost_usd += part.cost_usd;
  into.begin_s = std::min(into.begin_s, part.begin_s);
  into.end_s = std::max(into.end_s, part.end_s);
}

void interval_board::finish(int party) {
  if (party < 0 || static_cast<std::size_t>(party) >= next_.size())
    throw ddb::error(fail(errc::invalid_config, "finish from an unknown party " + std::to_string(party)));
  done_[static_cast<std::size_t>(party)] = true;
}

bool interval_board::all_finished() const noexcept {
  return std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
}

std::vector<interval> interval_board::take_ready() {
  std::vector<interval> out;
  while (!pending_.empty()) {
    const std::int64_t k = pending_.begin()->first;
    for (std::size_t p = 0; p < next_.size(); ++p)
      if (!done_[p] && next_[p] <= k) return out;
    out.push_back(std::move(pending_.begin()->second));
    pending_.erase(pending_.begin());
  }
  return out;
}

}  // namespace ddb::load
