#pragma once
// The transport: a keep-alive connection pool to one endpoint, HTTP/1.1 over
// TCP or TLS, with optional pipelining. Everything runs on one executor (the
// client's); nothing here is thread-safe, nothing blocks.
//
// The decisions live in core (core/pool_state.hpp: which connection takes
// which exchange, how many to open, what fails when; core/pipeline.hpp: one
// connection's pipeline, parsing, batch reads). This file is the room with
// the sockets: it resolves, connects, writes, reads, sets read marks and arms
// timers when the state machines ask, and reports back what happened.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/pool_state.hpp"
#include "ddb/config.hpp"

namespace ddb::detail {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using steady_clock = std::chrono::steady_clock;

class connection;
class tls_sessions;

// Clocks for bookkeeping that needs milliseconds, not nanoseconds (idle
// connections, the seconds of a signature): the kernel's coarse clocks, read
// from the vDSO without the timestamp counter (a few ns instead of tens in a
// VM; a request read the precise clocks six times). Same epochs as
// steady_clock and system_clock, a few milliseconds behind at most.
steady_clock::time_point coarse_steady_now() noexcept;
std::chrono::system_clock::time_point coarse_system_now() noexcept;

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
  std::string ca_source = "ca_file";  // where ca_file came from, for its errors ("AWS_CA_BUNDLE", ...)
};

class pool final : pool_hooks {
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

  std::size_t open_connections() const noexcept { return state_.open_connections(); }
  std::size_t connections_opened() const noexcept { return state_.connections_opened(); }
  const transport_options& options() const noexcept { return opt_; }

 private:
  friend class connection;
  // Runs pool_state::kick and carries out its actions (again, if a kick was
  // asked for meanwhile).
  void kick();
  void post_tell() override;
  // Runs f from a posted call, unless the pool is gone by then.
  template <class F>
  void post_while_alive(F f);

  asio::any_io_executor ex_;
  transport_options opt_;
  pool_state state_;
  std::optional<asio::ssl::context> tls_;
  std::shared_ptr<tls_sessions> tls_sessions_;  // sessions to resume (shared with the connections' streams)
  std::optional<asio::ip::tcp::resolver::results_type> resolved_;
  bool coalesce_reads_;  // batch reads for new connections (pipeline.cpp, mark_step)
  bool kicking_ = false;
  bool kick_again_ = false;
  std::shared_ptr<void> alive_ = std::make_shared<char>();  // lets a posted call see that the pool is gone
};

}  // namespace ddb::detail
