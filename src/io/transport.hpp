#pragma once
// The transport: a keep-alive connection pool to one endpoint, HTTP/1.1 over
// TCP or TLS, with optional pipelining. Everything runs on one executor (the
// client's); nothing here is thread-safe, nothing blocks.
//
// An exchange is one attempt of one operation: its signed request bytes and,
// later, its response. Exchanges move
//     waiting (pool queue) -> written (a connection's in-flight FIFO) -> done
// A connection takes exchanges from the pool's queue only when it writes them,
// so a connection that dies holds no unwritten work: what was still waiting
// stays queued for the next connection, and what was written fails with a
// retryable transport error (the retry rules decide whether to repeat it).
// An abandoned exchange (cancelled, timed out) leaves the queue if waiting; if
// written, its reply is still read and then dropped, so the connection stays
// in step for the requests behind it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/http_response.hpp"
#include "ddb/config.hpp"

namespace ddb::detail {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using steady_clock = std::chrono::steady_clock;

class connection;
struct exchange;
using exchange_ptr = std::shared_ptr<exchange>;

// Clocks for bookkeeping that needs milliseconds, not nanoseconds (idle
// connections, the seconds of a signature): the kernel's coarse clocks, read
// from the vDSO without the timestamp counter (a few ns instead of tens in a
// VM; a request read the precise clocks six times). Same epochs as
// steady_clock and system_clock, a few milliseconds behind at most.
steady_clock::time_point coarse_steady_now() noexcept;
std::chrono::system_clock::time_point coarse_system_now() noexcept;

// Told, by a posted call (never from inside the transport's own loops), that
// its exchange is done; the transport lets go of it first, so the owner may
// reuse it.
struct exchange_owner {
  virtual void exchange_done(exchange_ptr e) = 0;

 protected:
  ~exchange_owner() = default;
};

struct exchange {
  enum class state : std::uint8_t { waiting, written, done };

  std::string request;  // signed HTTP/1.1 bytes
  state st = state::waiting;
  bool abandoned = false;
  bool maybe_applied = false;  // written, with no definitive answer
  error_code ec;
  std::string error_detail;  // e.g. the OS or TLS message behind connect_failed
  http_response response;
  std::shared_ptr<exchange_owner> owner;  // released once told, or when abandoned
  std::weak_ptr<connection> owner_connection;  // set once written

  // Ready for another attempt, keeping the capacity of the request and body
  // buffers (unless a large response made them large).
  void reset() noexcept;
};

struct transport_options {
  endpoint ep;
  std::size_t pool_size = 64;
  std::size_t pipeline_depth = 1;
  std::size_t pipeline_refill = 0;  // free slots before a busy connection writes again; 0 = half the depth
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds idle_timeout{50000};
  std::size_t max_response_bytes = 32 * 1024 * 1024;
  bool verify_tls = true;
  std::string ca_file, ca_pem;
};

class pool {
 public:
  pool(asio::any_io_executor ex, transport_options opt);
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // Queues the exchange; a connection takes it as soon as one can.
  void submit(exchange_ptr e);
  // The operation gave up on e (cancel or timeout). Waiting: it leaves the
  // queue. Written: its reply will be dropped; when close_connection is set
  // (the server is not answering in time) the connection is closed.
  void abandon(const exchange_ptr& e, bool close_connection);
  // Fails everything, closes every connection, opens no more.
  void close();

  std::size_t open_connections() const noexcept;
  // Marks e done and tells its owner (posted), unless it was abandoned.
  void finish(const std::shared_ptr<exchange>& e, error_code ec, bool applied, std::string detail = {});
  std::size_t connections_opened() const noexcept { return opened_total_; }
  const transport_options& options() const noexcept { return opt_; }

 private:
  friend class connection;
  void kick();
  // Runs f from a posted call, unless the pool is gone by then.
  template <class F>
  void post_while_alive(F f);
  void on_connected(connection* c);
  void on_connect_failed(connection* c, const std::string& detail);
  void on_closed(connection* c);
  void remove(connection* c);
  std::shared_ptr<connection> shared_of(connection* c);

  asio::any_io_executor ex_;
  transport_options opt_;
  std::size_t refill_slots_;  // pipeline_refill resolved: 1..pipeline_depth
  std::optional<asio::ssl::context> tls_;
  std::optional<asio::ip::tcp::resolver::results_type> resolved_;
  std::deque<exchange_ptr> waiting_;
  std::vector<std::shared_ptr<connection>> conns_;
  std::vector<connection*> idle_;  // open, nothing in flight (entries re-checked when taken)
  std::size_t connecting_ = 0;
  std::size_t opened_total_ = 0;
  bool closed_ = false;
  bool kicking_ = false;
  bool flush_posted_ = false;
  bool telling_posted_ = false;
  std::vector<exchange_ptr> finished_;  // to be told to their owners by the posted call
  std::vector<exchange_ptr> spare_;     // empty, with the capacity of the last batch told
  std::shared_ptr<void> alive_ = std::make_shared<char>();  // lets a posted call see that the pool is gone
};

}  // namespace ddb::detail
