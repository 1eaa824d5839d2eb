#pragma once
// One HTTP/1.1 connection as a state machine without sockets: its pipeline of
// written exchanges, the response parser, and the decisions around them
// (when to take more requests, when a batch read is due, when a stalled batch
// stops waiting, when the connection is done). transport/transport.cpp owns the
// socket and carries out the conn_step each event returns; the tests drive it
// with scripted events (test/unit/test_pipeline.cpp).
//
//   connecting --(pool_state::on_connected)--> open --(close)--> closed
//        \--(pool_state::on_connect_failed)---------------------/
//
// A connection takes exchanges from the pool's queue only when it writes
// them, so a connection that dies holds no unwritten work. Replies are matched
// to the exchanges in the order they were written; an abandoned exchange's
// reply is still read and dropped, so the connection stays in step.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/exchange.hpp"

namespace ddb::detail {

class pool_state;

// What the socket layer does after an event, in this order.
struct conn_step {
  bool close = false;      // the pipeline closed (its exchanges are failed): close the socket, stop, kick the pool
  bool write = false;      // write the requests of batch() in one write, then call on_write_done
  std::size_t mark = 0;    // nonzero: set the socket's read mark (SO_RCVLOWAT) to this, then call on_mark_result
  bool arm_stall = false;  // arm the stall timer for stall_period(), then call stall_timer_done (and maybe on_stall_check)
  bool kick = false;       // exchanges wait for a connection: let the pool hand them out
  bool operator==(const conn_step&) const = default;
};

class pipeline : public std::enable_shared_from_this<pipeline> {
 public:
  enum class state : std::uint8_t { connecting, open, closed };

  // coalesce_reads: batch reads with a read mark (plain TCP on Linux, with
  // refill equal to the depth; see mark_step in pipeline.cpp).
  pipeline(pool_state& pool, bool coalesce_reads) noexcept;
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  state st() const noexcept { return st_; }
  bool closed() const noexcept { return st_ == state::closed; }
  std::uint64_t id() const noexcept { return id_; }
  std::size_t load() const noexcept { return in_flight_.size(); }
  // Open, not writing, and pipeline_refill slots free.
  bool can_take() const noexcept;
  bool stale(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle_timeout) const noexcept;
  // The exchanges whose requests are being written (held until the write ends).
  const std::vector<exchange_ptr>& batch() const noexcept { return batch_; }
  std::size_t read_mark() const noexcept { return read_mark_; }
  std::chrono::milliseconds stall_period() const noexcept { return stall_period_; }
  bool coalescing_reads() const noexcept { return coalesce_reads_; }

  // Takes waiting exchanges (dropping abandoned ones) up to the depth.
  conn_step take();
  conn_step on_write_done(const boost::system::error_code& ec);
  // `fresh` bytes were read; `buffered` is everything read and not yet
  // consumed. Parses every complete response in it and delivers it; `used`
  // says how many bytes to consume.
  conn_step on_bytes(std::size_t fresh, std::string_view buffered, std::size_t& used);
  // The read failed; eof: the server closed (or a TLS stream was truncated).
  conn_step on_read_error(bool eof, const std::string& message);
  // The read mark asked for was set (err 0) or could not be (err, why).
  conn_step on_mark_result(std::size_t bytes, int err, std::string_view why);
  void stall_timer_done() noexcept { stall_armed_ = false; }
  // A high mark with replies due: ask the socket how many bytes it holds.
  bool stall_check_due() const noexcept { return st_ != state::closed && read_mark_ > 1 && !in_flight_.empty(); }
  // queued: the socket's unread bytes (FIONREAD), -1 when unknown.
  conn_step on_stall_check(int queued);

  // Fails what is in flight (the first exchange with `why`, the ones behind
  // it with connection_closed) and leaves the pool.
  void close(boost::system::error_code why, const std::string& detail);

 private:
  friend class pool_state;
  bool parse(std::string_view buffered, std::size_t& used);
  void deliver();
  void mark_step(conn_step& s);
  void offer_if_idle();

  pool_state* pool_;  // null once closed
  std::uint64_t id_ = 0;
  state st_ = state::connecting;
  bool writing_ = false;
  bool on_idle_stack_ = false;
  std::deque<exchange_ptr> in_flight_;
  std::vector<exchange_ptr> batch_;
  std::optional<response_parser> parser_;  // into in_flight_.front()->response
  std::chrono::steady_clock::time_point last_active_{};
  // Batch reads.
  bool coalesce_reads_;
  bool stall_armed_ = false;
  std::size_t smallest_reply_ = 0;  // bytes of the smallest whole reply so far; 0: none yet
  std::size_t reply_bytes_ = 0;     // of the reply being parsed, consumed so far
  std::size_t unparsed_ = 0;        // read and not consumed (an incomplete head, say)
  std::size_t read_mark_ = 1;       // as set on the socket
  std::uint64_t bytes_read_ = 0;
  std::uint64_t read_at_last_check_ = 0;
  int queued_at_last_check_ = -1;
  std::chrono::milliseconds stall_period_{1};
};

}  // namespace ddb::detail
