#pragma once
// The decisions of an open-loop load run (pure code; time passed in): which
// requests are due, what holds them back, and what each one measured.
//
// Request n is due at its intended time from the schedule, whether or not
// earlier requests have answered (an open loop: a stalled server does not
// slow the sender, so the stall shows in the latencies). Its latency is
// measured from that intended time, not from when it actually left:
// a request held back (the in-flight cap was reached, or the event loop woke
// late) is charged the wait, which is what a user arriving at that moment
// would have seen (coordinated omission corrected). The service time (from
// the actual send) is kept apart, and the send lag (actual minus intended)
// says how late the tool itself was, with the cause counted.
#include <cstdint>
#include <optional>
#include <vector>

#include "load/histogram.hpp"
#include "load/schedule.hpp"

namespace ddb::load {

struct due_request {
  std::int64_t n = 0;
  nanos intended{0};
  bool held_by_cap = false;  // it waited for a free in-flight slot
};

struct loop_options {
  std::size_t max_in_flight = 1000;
  nanos warmup{0};                    // requests meant to leave earlier are not measured
  nanos late_after{1'000'000};        // a send later than this after its intended time counts as late
  std::int64_t highest_us = 3'600'000'000;  // histogram range: one hour in microseconds
  int digits = 3;
  // A distributed run: this loop sends requests share_index, share_index +
  // share_of, ... of the schedule, so that the workers together send it
  // exactly, interleaved.
  std::int64_t share_of = 1;
  std::int64_t share_index = 0;
};

struct loop_counts {
  std::int64_t sent = 0, completed = 0, errors = 0;
  std::int64_t late = 0;               // sent more than late_after after their intended time
  std::int64_t late_by_cap = 0;        // ... because the in-flight cap was reached
  std::int64_t late_by_loop = 0;       // ... because the loop woke late (CPU saturated, timer)
  std::int64_t cap_reached = 0;        // times a due request found every slot taken
  std::size_t peak_in_flight = 0;
};

// A closed loop instead (`ddb load run --concurrency C`): `concurrency`
// requests in flight, each completion starting the next, until `requests`
// have been sent (negative: no bound) or `duration` has passed (zero: no
// bound). Nothing is planned, so latency equals service time and a stalled
// server slows the sender: the stall hides (coordinated omission); the
// report says so.
struct closed_options {
  std::size_t concurrency = 64;
  std::int64_t requests = -1;
  nanos duration{0};
};

class open_loop {
 public:
  open_loop(schedule s, loop_options o);
  open_loop(closed_options c, loop_options o);
  bool closed() const noexcept { return closed_.has_value(); }

  // The requests to send at `now` (time since the start): every one due and
  // not sent yet, while the cap allows; appended to `out` (cleared first).
  void due(nanos now, std::vector<due_request>& out);
  // When to look again: the next intended time of a request not sent yet
  // (none: all sent). While the cap holds requests back, the next
  // completion is the moment to look: this returns nothing then either.
  std::optional<nanos> next_wake() const;
  bool cap_holding() const noexcept { return held_ || closed(); }
  // A request finished at `now`: sent at `sent`, meant for `intended`.
  void completed(const due_request& r, nanos sent, nanos now, bool ok);

  bool finished() const noexcept { return (closed() ? stopped_ : next_ >= schedule_.total()) && in_flight_ == 0; }
  // Requests this loop sends (its share of the schedule).
  std::int64_t planned() const noexcept;
  std::size_t in_flight() const noexcept { return in_flight_; }
  const loop_counts& counts() const noexcept { return counts_; }
  const schedule& plan() const noexcept { return schedule_; }
  // Microseconds. latency: from the intended time; service: from the actual
  // send; send_lag: actual send minus intended.
  const histogram& latency() const noexcept { return latency_; }
  const histogram& service() const noexcept { return service_; }
  const histogram& send_lag() const noexcept { return send_lag_; }
  // Counts since the last call (for interval logs and the status line).
  histogram take_interval_latency();

 private:
  schedule schedule_;
  loop_options opt_;
  std::int64_t next_ = 0;  // the next request not sent
  std::optional<nanos> next_at_;
  std::size_t in_flight_ = 0;
  bool held_ = false;
  std::optional<closed_options> closed_;
  bool stopped_ = false;  // a closed loop sends no more
  loop_counts counts_;
  histogram latency_, service_, send_lag_, interval_;
};

}  // namespace ddb::load
