#pragma once
// The connection pool's decisions without sockets or an executor: the queue
// of waiting exchanges, which connection takes them (idle ones first, then
// the least loaded pipelined one), how many connections to open, when an idle
// one is too old, when waiting work fails because no connection can be made,
// and the batch of finished exchanges told to their owners. Time comes from
// the clock in pool_settings. transport/transport.cpp carries out the pool_actions;
// test/unit/test_pipeline.cpp drives it with scripted events.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/pipeline.hpp"

namespace ddb::detail {

struct pool_settings {
  std::size_t pool_size = 64;
  std::size_t depth = 1;   // requests in flight per connection (at least 1)
  std::size_t refill = 0;  // free slots before a busy connection writes again; 0: half the depth (rounded up)
  std::size_t max_response_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{50000};
  std::chrono::steady_clock::time_point (*clock)() noexcept = nullptr;  // required
};

// Asked for by the pool's state; the socket layer posts the call (so owners
// never run inside the transport's loops) and runs pool_state::tell from it.
struct pool_hooks {
  virtual void post_tell() = 0;

 protected:
  ~pool_hooks() = default;
};

struct pool_action {
  enum class kind : std::uint8_t {
    write,  // carry out `step` (from pipeline::take) on `conn`
    close,  // `conn` is closed and out of the pool: close its socket
    open,   // make a connection, adopt() it, start connecting
  };
  kind k;
  std::shared_ptr<pipeline> conn;
  conn_step step;
};

class pool_state {
 public:
  pool_state(pool_settings s, pool_hooks& hooks);
  ~pool_state();
  pool_state(const pool_state&) = delete;
  pool_state& operator=(const pool_state&) = delete;

  enum class submitted : std::uint8_t {
    kick,   // hand it out now: run kick()
    flush,  // pipelining: post one call that runs flush() this turn (sent together with the others)
    none,   // a flush is already posted, or the pool is closed (the exchange failed)
  };
  submitted submit(exchange_ptr e);
  void flush() noexcept { flush_posted_ = false; }

  // Gives waiting exchanges to connections that can take them, closing idle
  // ones past idle_timeout on the way; opens connections while more
  // exchanges wait than are being connected for. The span lives until the
  // next kick (or actions_done).
  std::span<const pool_action> kick();
  void actions_done() noexcept { actions_.clear(); }

  // A connection made for an `open` action joins the pool (connecting).
  void adopt(const std::shared_ptr<pipeline>& c);
  void on_connected(pipeline& c);
  // The connection could not be made. With none left open or connecting,
  // nothing would take the waiting exchanges: they fail (nothing was sent).
  void on_connect_failed(pipeline& c, const std::string& detail);

  // The operation gave up on e. Waiting: it leaves the queue. Written: its
  // reply will be dropped; with close_connection (the server is not
  // answering in time) its connection is closed and returned (close its
  // socket, then kick).
  std::shared_ptr<pipeline> abandon(const exchange_ptr& e, bool close_connection);
  // Fails everything and opens no more; returns the connections (all closed)
  // whose sockets are to be closed.
  std::vector<std::shared_ptr<pipeline>> close();

  // Marks e done and queues it to be told (unless abandoned or ownerless).
  void finish(const exchange_ptr& e, boost::system::error_code ec, bool applied, std::string detail = {});
  // Tells the owners of the finished exchanges. An owner may destroy the
  // pool: nothing touches *this after that.
  void tell();

  bool closed() const noexcept { return closed_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }
  std::size_t connections() const noexcept { return conns_.size(); }
  std::size_t connecting() const noexcept { return connecting_; }
  std::size_t open_connections() const noexcept;
  std::size_t connections_opened() const noexcept { return opened_total_; }
  const pool_settings& settings() const noexcept { return s_; }
  std::size_t refill_slots() const noexcept { return refill_; }

 private:
  friend class pipeline;
  void push_write(pipeline& c);
  void remove(pipeline& c);
  std::chrono::steady_clock::time_point now() const noexcept { return s_.clock(); }

  pool_settings s_;
  pool_hooks* hooks_;
  std::size_t refill_;  // refill resolved: 1..depth
  std::deque<exchange_ptr> waiting_;
  std::vector<std::shared_ptr<pipeline>> conns_;
  std::vector<pipeline*> idle_;  // open, nothing in flight (entries re-checked when taken)
  std::vector<pool_action> actions_;
  std::size_t connecting_ = 0;
  std::uint64_t opened_total_ = 0;  // connections adopted; also their ids: 1, 2, ...
  bool closed_ = false;
  bool flush_posted_ = false;
  bool tell_posted_ = false;
  std::vector<exchange_ptr> finished_;  // to be told to their owners
  std::vector<exchange_ptr> spare_;     // empty, with the capacity of the last batch told
  std::shared_ptr<void> alive_ = std::make_shared<char>();  // lets tell() see that the pool is gone
};

}  // namespace ddb::detail
