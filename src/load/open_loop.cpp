#include "load/open_loop.hpp"

#include <algorithm>

namespace ddb::load {

namespace {
std::int64_t micros(nanos d) { return std::max<std::int64_t>(0, d.count() / 1000); }
}  // namespace

open_loop::open_loop(schedule s, loop_options o)
    : schedule_(std::move(s)),
      opt_(o),
      latency_(o.highest_us, o.digits),
      service_(o.highest_us, o.digits),
      send_lag_(o.highest_us, o.digits),
      interval_(o.highest_us, o.digits) {
  if (opt_.max_in_flight == 0)
    throw ddb::error(fail(errc::invalid_config, "the in-flight cap must be at least 1"));
  if (opt_.share_of < 1 || opt_.share_index < 0 || opt_.share_index >= opt_.share_of)
    throw ddb::error(fail(errc::invalid_config, "a worker's share must be 0 <= index < workers"));
  next_ = opt_.share_index;
  next_at_ = schedule_.at(next_);
}

open_loop::open_loop(closed_options c, loop_options o) : open_loop(schedule::none(), o) {
  if (c.concurrency == 0) throw ddb::error(fail(errc::invalid_config, "a closed loop needs at least 1 request in flight"));
  if (c.requests < 0 && c.duration <= nanos(0))
    throw ddb::error(fail(errc::invalid_config, "a closed loop needs a request count or a duration to stop at"));
  closed_ = c;
  opt_.max_in_flight = c.concurrency;
  next_ = opt_.share_index;
  next_at_.reset();
  stopped_ = c.requests >= 0 && next_ >= c.requests;
}

std::int64_t open_loop::planned() const noexcept {
  if (closed_ && closed_->requests < 0) return counts_.sent;  // bounded by time: what was sent
  const std::int64_t total = closed_ ? closed_->requests : schedule_.total();
  return total > opt_.share_index ? (total - opt_.share_index + opt_.share_of - 1) / opt_.share_of : 0;
}

void open_loop::due(nanos now, std::vector<due_request>& out) {
  out.clear();
  if (closed_) {
    if (closed_->duration > nanos(0) && now >= closed_->duration) stopped_ = true;
    while (!stopped_ && in_flight_ < closed_->concurrency) {
      out.push_back({next_, now, false});
      ++counts_.sent;
      ++in_flight_;
      counts_.peak_in_flight = std::max(counts_.peak_in_flight, in_flight_);
      next_ += opt_.share_of;
      if (closed_->requests >= 0 && next_ >= closed_->requests) stopped_ = true;
    }
    return;
  }
  bool blocked = false;
  while (next_at_ && *next_at_ <= now) {
    if (in_flight_ >= opt_.max_in_flight) {
      if (!held_) ++counts_.cap_reached;
      held_ = blocked = true;
      break;
    }
    const due_request r{next_, *next_at_, held_};
    if (now - r.intended > opt_.late_after) {
      ++counts_.late;
      ++(r.held_by_cap ? counts_.late_by_cap : counts_.late_by_loop);
    }
    ++counts_.sent;
    ++in_flight_;
    counts_.peak_in_flight = std::max(counts_.peak_in_flight, in_flight_);
    out.push_back(r);
    next_ += opt_.share_of;
    next_at_ = schedule_.at(next_);
  }
  if (!blocked) held_ = false;  // everything due has left
}

std::optional<nanos> open_loop::next_wake() const {
  if (closed_) return std::nullopt;  // completions start the next requests
  if (held_) return std::nullopt;  // the next completion frees a slot
  return next_at_;
}

void open_loop::completed(const due_request& r, nanos sent, nanos now, bool ok) {
  --in_flight_;
  ++counts_.completed;
  if (!ok) ++counts_.errors;
  if (r.intended < opt_.warmup) return;
  const std::int64_t latency = micros(now - r.intended);
  latency_.record(latency);
  interval_.record(latency);
  service_.record(micros(now - sent));
  send_lag_.record(micros(sent - r.intended));
}

histogram open_loop::take_interval_latency() {
  histogram out = interval_;
  interval_.reset();
  return out;
}

}  // namespace ddb::load
