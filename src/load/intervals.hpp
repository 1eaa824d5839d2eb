#pragma once
// The per-second intervals of a run sent from several threads (pure code):
// each thread ("party") hands in its interval k = 0, 1, ... (its latency
// histogram and counts); interval k is whole once every party has handed in
// k or said it sends nothing more, and then comes out merged, in order.
// The histograms merge exactly (the same layout, counts added).
#include <cstdint>
#include <map>
#include <vector>

#include "load/histogram.hpp"

namespace ddb::load {

struct interval {
  std::int64_t index = 0;
  histogram latency{2, 1};  // microseconds, from the planned send times
  std::int64_t completed = 0, errors = 0, throttled = 0;
  double read_units = 0, write_units = 0, cost_usd = 0;  // consumed in the interval
  double begin_s = 0, end_s = 0;  // since the start; end_s the latest of the parties'
};

class interval_board {
 public:
  explicit interval_board(int parties);
  // Party p's interval (p's intervals in order, none skipped); throws
  // invalid_config on a party out of range or an index out of order.
  void add(int party, interval part);
  // Party p hands in nothing more.
  void finish(int party);
  // The intervals now whole, oldest first (each once).
  std::vector<interval> take_ready();
  bool all_finished() const noexcept;

 private:
  std::vector<std::int64_t> next_;  // per party: the index it hands in next
  std::vector<bool> done_;
  std::map<std::int64_t, interval> pending_;
};

}  // namespace ddb::load
