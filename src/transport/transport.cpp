#include "transport/transport.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <openssl/ssl.h>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "transport/tls_stream.hpp"
#include "transport/trust_store.hpp"

namespace ddb::detail {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// One HTTP/1.1 connection's socket: connects, then one writer (a batch of
// requests per write) and one reader. What to do next comes from the
// pipeline it is (core/pipeline.hpp); this class only does it.
class connection final : public pipeline {
 public:
  connection(pool& p, bool coalesce_reads) : pipeline(p.state_, coalesce_reads), pool_(&p), tcp_(p.ex_) {
    if (p.tls_) tls_ = std::make_unique<tls_stream>(tcp_, p.tls_->native_handle(), p.tls_sessions_);
  }

  void start() {
    asio::co_spawn(tcp_.get_executor(), run(std::static_pointer_cast<connection>(shared_from_this())), asio::detached);
  }

  // Carries out a step of the pipeline. p: the pool, alive when the event
  // that produced the step began (a step with anything to do comes only from
  // a pipeline that was still in its pool).
  void carry_out(const conn_step& s, pool* p) {
    if (s.close) return shut(p);
    if (s.write) write_batch();
    if (s.mark) {
      const int v = static_cast<int>(s.mark);
      const int err = ::setsockopt(tcp_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0 ? 0 : errno;
      if (on_mark_result(s.mark, err, err ? std::strerror(err) : "").close) return shut(p);
    }
    if (s.arm_stall) arm_stall_check();
    if (s.kick) p->kick();
  }

  // The pipeline is closed: the socket goes, then (when the pool is still
  // there) waiting work goes to the other connections.
  void shut(pool* p) {
    if (stall_check_) stall_check_->cancel();
    error_code ignored;
    tcp_.close(ignored);
    if (p) p->kick();
  }

 private:
  static asio::awaitable<void> run(std::shared_ptr<connection> self) {
    co_await self->connect();
    if (self->st() == state::open) co_await self->read_loop();
  }

  asio::awaitable<void> connect() {
    const transport_options& opt = pool_->opt_;
    // The connect timeout closes the socket, which ends whichever step is running.
    asio::steady_timer deadline(tcp_.get_executor());
    deadline.expires_after(opt.connect_timeout);
    bool timed_out = false;
    deadline.async_wait([this, &timed_out, self = shared_from_this()](error_code ec) {
      if (ec) return;
      timed_out = true;
      error_code ignored;
      tcp_.close(ignored);
    });
    auto failed = [&](const std::string& step, const error_code& ec, const std::string& detail = {}) {
      deadline.cancel();
      const std::string why = timed_out ? step + " timed out after " + std::to_string(opt.connect_timeout.count()) + " ms"
                                        : step + " failed: " + ec.message() + detail;
      if (!closed()) pool_->state_.on_connect_failed(*this, "connecting to " + opt.ep.url() + ": " + why);
    };

    if (!pool_->resolved_) {
      // An IP address needs no resolution (and so no resolver thread: Asio runs getaddrinfo on one of its own).
      error_code not_ip;
      const auto address = asio::ip::make_address(opt.ep.host, not_ip);
      if (!not_ip)
        pool_->resolved_ = tcp::resolver::results_type::create(
            tcp::endpoint(address, static_cast<unsigned short>(std::stoi(opt.ep.port))), opt.ep.host, opt.ep.port);
    }
    if (!pool_->resolved_) {
      tcp::resolver resolver(tcp_.get_executor());
      auto [ec, results] = co_await resolver.async_resolve(opt.ep.host, opt.ep.port, tuple_awaitable);
      if (closed()) co_return;  // the pool closed (or is gone)
      if (ec) co_return failed("name resolution", ec);
      pool_->resolved_ = std::move(results);
    }
    {
      auto [ec, ep] = co_await asio::async_connect(tcp_, *pool_->resolved_, tuple_awaitable);
      if (closed()) co_return;
      if (ec) {
        pool_->resolved_.reset();  // resolve again next time: addresses may have moved
        co_return failed("TCP connect", ec);
      }
    }
    error_code ignored;
    tcp_.set_option(tcp::no_delay(true), ignored);
    if (tls_) {
      tcp_.non_blocking(true, ignored);
      tls_->set_peer(opt.ep.host, opt.verify_tls);
      for (tls_result r = tls_->handshake(); r.what != tls_result::done; r = tls_->handshake()) {
        if (r.what == tls_result::want_read || r.what == tls_result::want_write) {
          const error_code ec = co_await await_tls(r);
          if (closed()) co_return;
          if (ec) co_return failed("TLS handshake", ec);
          continue;
        }
        co_return failed("TLS handshake", r.what == tls_result::eof ? asio::error::eof : r.ec,
                         tls_->handshake_failure(r));
      }
    }
    deadline.cancel();
    if (timed_out) co_return failed("connect", asio::error::timed_out);
    pool_->state_.on_connected(*this);
    pool_->kick();
  }

  void write_batch() {
    if (tls_) return write_batch_tls();
    buffers_.clear();
    for (const auto& e : batch()) buffers_.push_back(asio::buffer(e->request));
    asio::async_write(tcp_, buffers_, [self = std::static_pointer_cast<connection>(shared_from_this())](error_code ec, std::size_t) {
      self->write_done(ec);
    });
  }

  void write_done(error_code ec) {
    pool* p = closed() ? nullptr : pool_;
    carry_out(on_write_done(ec), p);
  }

  // Over TLS the batch goes to OpenSSL as one piece (one record per 16 KB,
  // not one per request): a lone request as it is, several copied together.
  void write_batch_tls() {
    const auto& b = batch();
    if (b.size() == 1) {
      tls_out_ = b.front()->request;
    } else {
      joined_.clear();
      for (const auto& e : b) joined_ += e->request;
      tls_out_ = joined_;
    }
    write_tls();
  }

  // Writes the rest of tls_out_; completes through a posted call when it
  // finishes at once (never inside the step that asked for the write).
  void write_tls() {
    auto self = std::static_pointer_cast<connection>(shared_from_this());
    const tls_result r = tls_->write(tls_out_.data(), tls_out_.size());
    if (r.what == tls_result::want_read || r.what == tls_result::want_write) {
      tcp_.async_wait(wait_for(r), [self](error_code ec) {
        if (!ec && self->closed()) ec = asio::error::operation_aborted;
        if (ec) return self->write_done(ec);
        self->write_tls();
      });
      return;
    }
    const error_code ec = r.what == tls_result::done  ? error_code()
                          : r.what == tls_result::eof ? error_code(asio::error::eof)
                                                      : r.ec;
    asio::post(tcp_.get_executor(), [self, ec] { self->write_done(ec); });
  }

  static asio::socket_base::wait_type wait_for(const tls_result& r) {
    return r.what == tls_result::want_read ? asio::socket_base::wait_read : asio::socket_base::wait_write;
  }

  // What TLS asked for before it can go on: ciphertext read from the socket
  // (a read, not a wait: Asio re-arms epoll for every wait) or room to write.
  asio::awaitable<error_code> await_tls(const tls_result& r) {
    if (r.what == tls_result::want_write) {
      auto [ec] = co_await tcp_.async_wait(asio::socket_base::wait_write, tuple_awaitable);
      co_return ec;
    }
    auto [ec, n] = co_await tcp_.async_read_some(tls_->read_space(), tuple_awaitable);
    if (ec == asio::error::eof) {
      tls_->received_eof();
      co_return error_code();
    }
    if (!ec) tls_->received(n);
    co_return ec;
  }

  // Reads what TLS holds into space: as much as is there, waiting only
  // when nothing is. n > 0 with an error: the error comes with the next call.
  asio::awaitable<std::tuple<error_code, std::size_t, bool>> read_tls(asio::mutable_buffer space) {
    std::size_t n = 0;
    for (;;) {
      const tls_result r = tls_->read(static_cast<char*>(space.data()) + n, space.size() - n);
      if (r.what == tls_result::done) {
        n += r.n;
        if (n == space.size()) co_return std::tuple(error_code(), n, false);
        continue;
      }
      if (n > 0) co_return std::tuple(error_code(), n, false);
      if (r.what == tls_result::eof) co_return std::tuple(error_code(asio::error::eof), 0, true);
      if (r.what == tls_result::failed) co_return std::tuple(r.ec, 0, false);
      const error_code ec = co_await await_tls(r);
      if (ec || closed()) co_return std::tuple(ec ? ec : error_code(asio::error::operation_aborted), 0, false);
    }
  }

  asio::awaitable<void> read_loop() {
    for (;;) {
      auto space = buffer_.prepare(read_chunk(buffer_.size()));
      error_code ec;
      std::size_t n = 0;
      bool eof = false;
      if (tls_) {
        std::tie(ec, n, eof) = co_await read_tls(space);
      } else {
        std::tie(ec, n) = co_await tcp_.async_read_some(space, tuple_awaitable);
        eof = ec == asio::error::eof;
      }
      if (closed()) co_return;  // closed by the pool (or the pool is gone)
      pool* p = pool_;
      if (ec) co_return carry_out(on_read_error(eof, ec.message()), p);
      buffer_.commit(n);
      const auto bytes = buffer_.data();
      std::size_t used = 0;
      const conn_step s = on_bytes(n, std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), used);
      buffer_.consume(used);
      carry_out(s, p);
      if (s.close) co_return;
    }
  }

  void arm_stall_check() {
    if (!stall_check_) stall_check_.emplace(tcp_.get_executor());
    stall_check_->expires_after(stall_period());
    stall_check_->async_wait([w = weak_from_this()](error_code ec) {
      auto self = std::static_pointer_cast<connection>(w.lock());
      if (!self) return;
      self->stall_timer_done();
      if (ec || !self->stall_check_due()) return;
      pool* p = self->pool_;
      int queued = 0;
      if (::ioctl(self->tcp_.native_handle(), FIONREAD, &queued) != 0) queued = -1;
      self->carry_out(self->on_stall_check(queued), p);
    });
  }

  static std::size_t read_chunk(std::size_t buffered) { return std::max<std::size_t>(16 * 1024, buffered); }

  pool* pool_;  // valid while the pipeline is not closed
  tcp::socket tcp_;
  std::unique_ptr<tls_stream> tls_;
  boost::beast::flat_buffer buffer_;
  std::vector<asio::const_buffer> buffers_;
  std::string joined_;          // a TLS batch of several requests, copied together
  std::string_view tls_out_;    // the TLS batch being written
  std::optional<asio::steady_timer> stall_check_;
};

namespace {
template <class Clock>
typename Clock::time_point read_clock(clockid_t id) noexcept {
  timespec ts{};
  clock_gettime(id, &ts);
  return typename Clock::time_point(std::chrono::duration_cast<typename Clock::duration>(
      std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}
}  // namespace

steady_clock::time_point coarse_steady_now() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
  return read_clock<steady_clock>(CLOCK_MONOTONIC_COARSE);  // steady_clock is CLOCK_MONOTONIC
#else
  return steady_clock::now();
#endif
}

std::chrono::system_clock::time_point coarse_system_now() noexcept {
#ifdef CLOCK_REALTIME_COARSE
  return read_clock<std::chrono::system_clock>(CLOCK_REALTIME_COARSE);
#else
  return std::chrono::system_clock::now();
#endif
}

namespace {
steady_clock::time_point coarse_clock() noexcept { return coarse_steady_now(); }

pool_settings settings_of(const transport_options& o) {
  pool_settings s;
  s.pool_size = o.pool_size;
  s.depth = o.pipeline_depth;
  s.refill = o.pipeline_refill;
  s.max_response_bytes = o.max_response_bytes;
  s.idle_timeout = o.idle_timeout;
  s.clock = &coarse_clock;
  return s;
}
}  // namespace

pool::pool(asio::any_io_executor ex, transport_options opt)
    : ex_(std::move(ex)), opt_(std::move(opt)), state_(settings_of(opt_), *this) {
  // Batch reads need the read mark (Linux) on plain TCP (a TLS layer holds
  // records the mark cannot see), for connections refilled only when empty.
#ifdef __linux__
  coalesce_reads_ = !opt_.ep.tls && opt_.pipeline_depth > 1 && state_.refill_slots() == opt_.pipeline_depth;
#else
  coalesce_reads_ = false;
#endif
  if (opt_.ep.tls) {
    tls_.emplace(ssl::context::tls_client);
    SSL_CTX* ctx = tls_->native_handle();
    // OpenSSL's record buffers go back to the heap while empty; read ahead:
    // every record the socket holds in one read.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    enable_session_reuse(ctx);
    tls_sessions_ = std::make_shared<tls_sessions>(opt_.pool_size);
    trust_authorities(ctx, opt_.verify_tls, opt_.ca_file, opt_.ca_source, opt_.ca_pem);
    tls_->set_verify_mode(opt_.verify_tls ? ssl::verify_peer : ssl::verify_none);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  }
}

pool::~pool() { close(); }

template <class F>
void pool::post_while_alive(F f) {
  asio::post(ex_, [alive = std::weak_ptr<void>(alive_), f = std::move(f)]() mutable {
    if (!alive.expired()) f();
  });
}

void pool::post_tell() {
  post_while_alive([this] { state_.tell(); });
}

void pool::submit(exchange_ptr e) {
  switch (state_.submit(std::move(e))) {
    case pool_state::submitted::kick: return kick();
    case pool_state::submitted::flush:
      return post_while_alive([this] {
        state_.flush();
        kick();
      });
    case pool_state::submitted::none: return;
  }
}

void pool::abandon(const exchange_ptr& e, bool close_connection) {
  if (auto c = state_.abandon(e, close_connection)) static_cast<connection&>(*c).shut(this);
}

void pool::close() {
  for (auto& c : state_.close()) static_cast<connection&>(*c).shut(nullptr);
}

void pool::kick() {
  if (kicking_) {
    kick_again_ = true;
    return;
  }
  kicking_ = true;
  do {
    kick_again_ = false;
    for (const pool_action& a : state_.kick()) {
      switch (a.k) {
        case pool_action::kind::write: static_cast<connection&>(*a.conn).carry_out(a.step, this); break;
        case pool_action::kind::close: static_cast<connection&>(*a.conn).shut(nullptr); break;
        case pool_action::kind::open: {
          auto c = std::make_shared<connection>(*this, coalesce_reads_);
          state_.adopt(c);
          c->start();
          break;
        }
      }
    }
    state_.actions_done();
  } while (kick_again_);
  kicking_ = false;
}

}  // namespace ddb::detail
