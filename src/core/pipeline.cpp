#include "core/pipeline.hpp"

#include <algorithm>

#include "core/pool_state.hpp"
#include "ddb/error.hpp"

namespace ddb::detail {

void exchange::reset() noexcept {
  // A buffer that a large request or response grew is given back rather than
  // kept for small ones.
  constexpr std::size_t keep_capacity = 64 * 1024;
  if (request.capacity() > keep_capacity) std::string().swap(request);
  if (response.body.capacity() > keep_capacity) std::string().swap(response.body);
  request.clear();
  response.clear();
  st = state::waiting;
  abandoned = false;
  maybe_applied = false;
  ec = {};
  error_detail.clear();
  owner.reset();
  connection = 0;
}

pipeline::pipeline(pool_state& pool, bool coalesce_reads) noexcept : pool_(&pool), coalesce_reads_(coalesce_reads) {}

// A pipelined connection takes more requests once pipeline_refill of its
// slots are free (by default half its depth), and then as many as fit:
// requests leave in batches (one write, one segment for the server) instead
// of one or two per reply. The ones held back meanwhile would queue behind
// the unanswered ones anyway, which keeps the server busy. Measured against
// nginx with depth 16: 8 requests per sendmsg instead of 2, 7.6 -> 6.4 us of
// CPU per request; 16 (refill when empty) about 15% less again.
bool pipeline::can_take() const noexcept {
  return st_ == state::open && !writing_ && pool_ && in_flight_.size() + pool_->refill_ <= pool_->s_.depth;
}

bool pipeline::stale(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle_timeout) const noexcept {
  return in_flight_.empty() && now - last_active_ > idle_timeout;
}

conn_step pipeline::take() {
  conn_step s;
  if (!can_take()) return s;
  auto& q = pool_->waiting_;
  const std::size_t depth = pool_->s_.depth;
  batch_.clear();
  while (!q.empty() && in_flight_.size() < depth) {
    exchange_ptr e = std::move(q.front());
    q.pop_front();
    if (e->abandoned) continue;
    e->st = exchange::state::written;
    e->connection = id_;
    batch_.push_back(e);  // keeps the bytes alive until the write completes
    in_flight_.push_back(std::move(e));
  }
  if (batch_.empty()) return s;
  writing_ = true;
  s.write = true;
  mark_step(s);
  return s;
}

conn_step pipeline::on_write_done(const boost::system::error_code& ec) {
  writing_ = false;
  batch_.clear();
  if (st_ == state::closed) return {};
  if (ec) {
    close(make_error_code(errc::connection_closed), "write failed: " + ec.message());
    return {.close = true};
  }
  conn_step s = take();
  offer_if_idle();
  return s;
}

conn_step pipeline::on_bytes(std::size_t fresh, std::string_view buffered, std::size_t& used) {
  used = 0;
  if (st_ == state::closed) return {};
  bytes_read_ += fresh;
  if (!parse(buffered, used)) return {.close = true};
  unparsed_ = buffered.size() - used;
  conn_step s = take();
  if (in_flight_.empty()) last_active_ = pool_->now();
  offer_if_idle();
  s.kick = !pool_->waiting_.empty();
  mark_step(s);
  return s;
}

conn_step pipeline::on_read_error(bool eof, const std::string& message) {
  if (st_ == state::closed) return {};
  if (parser_ && parser_->needs_eof() && eof && parser_->feed_eof() == response_parser::result::done) deliver();
  close(make_error_code(errc::connection_closed), eof ? "the server closed the connection" : "read failed: " + message);
  return {.close = true};
}

// Parses every complete response in the buffer. false: the connection is done.
bool pipeline::parse(std::string_view buffered, std::size_t& used) {
  while (used < buffered.size()) {
    if (in_flight_.empty()) {
      close(make_error_code(errc::invalid_response), "the server sent bytes nobody asked for");
      return false;
    }
    if (!parser_) parser_.emplace(in_flight_.front()->response, pool_->s_.max_response_bytes);
    std::size_t n = 0;
    const auto r = parser_->feed(buffered.substr(used), n);
    used += n;
    reply_bytes_ += n;
    switch (r) {
      case response_parser::result::need_more: return true;
      case response_parser::result::error:
        close(make_error_code(errc::invalid_response), "unparsable HTTP response: " + parser_->error());
        return false;
      case response_parser::result::body_too_large:
        close(make_error_code(errc::body_too_large), "the response body is over max_response_bytes (" +
                                                         std::to_string(pool_->s_.max_response_bytes) + ")");
        return false;
      case response_parser::result::done: {
        if (smallest_reply_ == 0 || reply_bytes_ < smallest_reply_) smallest_reply_ = reply_bytes_;
        reply_bytes_ = 0;
        const bool keep = parser_->get().keep_alive;
        deliver();
        if (!keep) {
          close(make_error_code(errc::connection_closed), "the server closed the connection (Connection: close)");
          return false;
        }
        break;
      }
    }
  }
  return true;
}

// The response was parsed into the first exchange in flight.
void pipeline::deliver() {
  parser_.reset();
  exchange_ptr e = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (!e->abandoned) pool_->finish(e, {}, true);
}

// Batch reads. A connection in batch mode (pipeline_refill equal to the
// depth: it writes only into an empty pipeline) gains nothing from replies
// that come early but their delivery, so its reader sleeps until the whole
// batch is probably in: the read mark (SO_RCVLOWAT: the bytes the kernel waits
// for before it reports the socket readable) is set to the bytes still due,
// counting each reply as the smallest seen on this connection. One wake-up,
// one read and one ACK per batch instead of about one per reply: against
// nginx at depth 16, 5.9 -> 3.6 us of CPU per GetItem, with more requests per
// second. A reply smaller than every earlier one leaves the socket short of
// the mark; a check every millisecond (on_stall_check) drops the mark when
// bytes are queued and nothing more arrived since the previous check, so a
// reply waits a few milliseconds at most for the rest of its batch (up to
// about 10 after a long silence of the server, while the checks run every
// 8 ms). Errors, resets and the server's FIN wake the reader whatever the
// mark. Plain TCP on Linux only: a TLS layer holds partial records the mark
// cannot see.
void pipeline::mark_step(conn_step& s) {
  if (!coalesce_reads_ || smallest_reply_ == 0 || in_flight_.empty() || st_ == state::closed) return;
  constexpr std::size_t max_mark = 64 * 1024;  // past this, a wake-up per batch costs nothing worth saving
  const std::size_t due = std::min(in_flight_.size() * smallest_reply_, max_mark);
  const std::size_t in_hand = reply_bytes_ + unparsed_;
  const std::size_t want = due > in_hand ? due - in_hand : 1;
  if (want != read_mark_) s.mark = want;
  if (want > 1 && !stall_armed_) {
    stall_armed_ = true;
    s.arm_stall = true;
  }
}

conn_step pipeline::on_mark_result(std::size_t bytes, int err, std::string_view why) {
  if (err == 0) {
    read_mark_ = bytes;
    return {};
  }
  coalesce_reads_ = false;  // not supported here: replies are read as they come
  if (read_mark_ <= 1 || st_ == state::closed) return {};
  // A mark left high would hold replies back: the requests in flight are retried elsewhere.
  close(make_error_code(errc::connection_closed), "SO_RCVLOWAT could not be changed: " + std::string(why));
  return {.close = true};
}

// Bytes queued in the socket and none read since the last check: the rest of
// the batch is not coming soon (or is smaller than counted), so the mark drops
// and the reader takes what is there. While nothing is queued the checks slow
// down (a slow server costs few wake-ups).
conn_step pipeline::on_stall_check(int queued) {
  constexpr std::chrono::milliseconds first_period{1}, last_period{8};
  const bool progress = queued != queued_at_last_check_ || bytes_read_ != read_at_last_check_;
  queued_at_last_check_ = queued;
  read_at_last_check_ = bytes_read_;
  if (queued != 0 && !progress) return {.mark = 1};  // the kernel reports the queued bytes at once
  stall_period_ = queued > 0 ? first_period : std::min(stall_period_ * 2, last_period);
  stall_armed_ = true;
  return {.arm_stall = true};
}

void pipeline::close(boost::system::error_code why, const std::string& detail) {
  if (st_ == state::closed) return;
  const bool was_connecting = st_ == state::connecting;
  st_ = state::closed;
  parser_.reset();  // it points into the first exchange in flight
  auto flight = std::move(in_flight_);
  in_flight_.clear();
  bool first = true;
  for (auto& e : flight) {
    if (e->st != exchange::state::done && pool_)
      pool_->finish(e, first ? why : boost::system::error_code(make_error_code(errc::connection_closed)), true, detail);
    first = false;
  }
  if (!pool_) return;
  if (was_connecting) --pool_->connecting_;
  pool_->remove(*this);
}

// An open connection with nothing in flight goes on the pool's idle stack
// (once), so that finding a free connection costs O(1), not a scan.
void pipeline::offer_if_idle() {
  if (pool_ && st_ == state::open && !writing_ && in_flight_.empty() && !on_idle_stack_) {
    on_idle_stack_ = true;
    pool_->idle_.push_back(this);
  }
}

}  // namespace ddb::detail
