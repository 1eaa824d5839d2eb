#include "io/transport.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "ddb/error.hpp"

namespace ddb::detail {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// One HTTP/1.1 connection: one writer (a batch of queued requests per
// write), one reader (every complete response in the buffer is parsed before
// the next read).
class connection : public std::enable_shared_from_this<connection> {
 public:
  explicit connection(pool& p) : pool_(&p), tcp_(p.ex_) {
    if (p.tls_) tls_ = std::make_unique<ssl::stream<tcp::socket&>>(tcp_, *p.tls_);
#ifdef __linux__
    coalesce_reads_ = !tls_ && p.opt_.pipeline_depth > 1 && p.refill_slots_ == p.opt_.pipeline_depth;
#endif
  }

  void start() {
    asio::co_spawn(tcp_.get_executor(), run(shared_from_this()), asio::detached);
  }

  bool open() const noexcept { return open_; }
  // A pipelined connection takes more requests once pipeline_refill of its
  // slots are free (by default half its depth), and then as many as fit:
  // requests leave in batches (one write, one segment for the server) instead
  // of one or two per reply. The ones held back meanwhile would queue behind
  // the unanswered ones anyway, which keeps the server busy. Measured against
  // nginx with depth 16: 8 requests per sendmsg instead of 2, 7.6 -> 6.4 us of
  // CPU per request; 16 (refill when empty) about 15% less again.
  bool can_take() const noexcept {
    return open_ && !writing_ && in_flight_.size() + refill_slots() <= depth();
  }
  std::size_t load() const noexcept { return in_flight_.size(); }
  bool stale(steady_clock::time_point now) const noexcept {
    return in_flight_.empty() && now - last_active_ > pool_->opt_.idle_timeout;
  }

  // Takes waiting exchanges up to the pipeline depth and writes them in one go.
  void pump() {
    if (!pool_ || !can_take()) return;
    auto& q = pool_->waiting_;
    batch_.clear();
    while (!q.empty() && in_flight_.size() < depth()) {
      exchange_ptr e = std::move(q.front());
      q.pop_front();
      if (e->abandoned) continue;
      e->st = exchange::state::written;
      e->owner_connection = weak_from_this();
      batch_.push_back(asio::buffer(e->request));
      writing_owners_.push_back(e);  // keeps the bytes alive until the write completes
      in_flight_.push_back(std::move(e));
    }
    if (batch_.empty()) return;
    update_read_mark();
    writing_ = true;
    auto done = [self = shared_from_this()](error_code ec, std::size_t) {
      self->writing_ = false;
      self->writing_owners_.clear();
      if (ec) return self->close(make_error_code(errc::connection_closed), "write failed: " + ec.message());
      self->pump();
      self->offer_if_idle();
    };
    if (tls_)
      asio::async_write(*tls_, batch_, std::move(done));
    else
      asio::async_write(tcp_, batch_, std::move(done));
  }

  // Fails what is in flight (the first exchange with `why`, the ones behind it
  // with connection_closed) and closes the socket.
  void close(error_code why, const std::string& detail) {
    if (closed_) return;
    closed_ = true;
    open_ = false;
    parser_.reset();  // it points into the first exchange in flight
    if (stall_check_) stall_check_->cancel();
    error_code ignored;
    tcp_.close(ignored);
    auto flight = std::move(in_flight_);
    in_flight_.clear();
    bool first = true;
    for (auto& e : flight) {
      if (e->st != exchange::state::done && pool_)
        pool_->finish(e, first ? why : error_code(make_error_code(errc::connection_closed)), true, detail);
      first = false;
    }
    if (pool_) pool_->on_closed(this);
  }

  void detach() noexcept { pool_ = nullptr; }

  // An open connection with nothing in flight goes on the pool's idle stack
  // (once), so that finding a free connection costs O(1), not a scan.
  void offer_if_idle() {
    if (pool_ && open_ && !writing_ && in_flight_.empty() && !on_idle_stack_) {
      on_idle_stack_ = true;
      pool_->idle_.push_back(this);
    }
  }
  bool on_idle_stack_ = false;

 private:
  std::size_t depth() const noexcept { return pool_ ? pool_->opt_.pipeline_depth : 1; }  // at least 1 (pool::pool)
  std::size_t refill_slots() const noexcept { return pool_ ? pool_->refill_slots_ : 1; }

  static asio::awaitable<void> run(std::shared_ptr<connection> self) {
    co_await self->connect();
    if (self->open_) co_await self->read_loop();
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
    auto failed = [&](const std::string& step, const error_code& ec) {
      deadline.cancel();
      const std::string why = timed_out ? step + " timed out after " + std::to_string(opt.connect_timeout.count()) + " ms"
                                        : step + " failed: " + ec.message();
      if (pool_) pool_->on_connect_failed(this, "connecting to " + opt.ep.url() + ": " + why);
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
      if (!pool_) co_return;
      if (ec) co_return failed("name resolution", ec);
      pool_->resolved_ = std::move(results);
    }
    {
      auto [ec, ep] = co_await asio::async_connect(tcp_, *pool_->resolved_, tuple_awaitable);
      if (!pool_) co_return;
      if (ec) {
        pool_->resolved_.reset();  // resolve again next time: addresses may have moved
        co_return failed("TCP connect", ec);
      }
    }
    error_code ignored;
    tcp_.set_option(tcp::no_delay(true), ignored);
    if (tls_) {
      if (opt.verify_tls) tls_->set_verify_callback(ssl::host_name_verification(opt.ep.host));
      // SNI for names (not for IP literals, which RFC 6066 forbids).
      const bool ip_literal = opt.ep.host.find_first_not_of("0123456789.") == std::string::npos ||
                              opt.ep.host.find(':') != std::string::npos;
      if (!ip_literal) SSL_set_tlsext_host_name(tls_->native_handle(), opt.ep.host.c_str());
      auto [ec] = co_await tls_->async_handshake(ssl::stream_base::client, tuple_awaitable);
      if (!pool_) co_return;
      if (ec) co_return failed("TLS handshake", ec);
    }
    deadline.cancel();
    if (timed_out) co_return failed("connect", asio::error::timed_out);
    open_ = true;
    last_active_ = coarse_steady_now();
    offer_if_idle();
    pool_->on_connected(this);
  }

  asio::awaitable<void> read_loop() {
    for (;;) {
      auto space = buffer_.prepare(read_chunk(buffer_.size()));
      auto [ec, n] = tls_ ? co_await tls_->async_read_some(space, tuple_awaitable)
                          : co_await tcp_.async_read_some(space, tuple_awaitable);
      if (closed_ || !pool_) co_return;
      if (ec) {
        if (parser_ && parser_->needs_eof() && (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) &&
            parser_->feed_eof() == response_parser::result::done)
          deliver();
        co_return close(make_error_code(errc::connection_closed),
                        ec == asio::error::eof ? "the server closed the connection" : "read failed: " + ec.message());
      }
      buffer_.commit(n);
      bytes_read_ += n;
      if (!parse_buffered()) co_return;
      pump();
      if (in_flight_.empty()) last_active_ = coarse_steady_now();
      offer_if_idle();
      if (pool_ && !pool_->waiting_.empty()) pool_->kick();
      update_read_mark();
    }
  }

  // Batch reads. A connection in batch mode (pipeline_refill equal to the
  // depth: it writes only into an empty pipeline) gains nothing from replies
  // that come early but their delivery, so its reader sleeps until the whole
  // batch is probably in: SO_RCVLOWAT (the bytes the kernel waits for before
  // it reports the socket readable) is set to the bytes still due, counting
  // each reply as the smallest seen on this connection. One wake-up, one read
  // and one ACK per batch instead of about one per reply: against nginx at
  // depth 16, 5.9 -> 3.6 us of CPU per GetItem, with more requests per second.
  // A reply smaller than every earlier one leaves the socket short of the
  // mark; a check every millisecond drops the mark when bytes are queued and
  // nothing more arrived since the previous check, so a reply waits a few
  // milliseconds at most for the rest of its batch (up to about 10 after a
  // long silence of the server, while the checks run every 8 ms). Errors,
  // resets and the server's FIN wake the reader whatever the mark. Plain TCP
  // on Linux only: a TLS layer holds partial records the mark cannot see.
  void update_read_mark() {
    if (!coalesce_reads_ || smallest_reply_ == 0 || in_flight_.empty() || closed_) return;
    constexpr std::size_t max_mark = 64 * 1024;  // past this, a wake-up per batch costs nothing worth saving
    const std::size_t due = std::min(in_flight_.size() * smallest_reply_, max_mark);
    const std::size_t in_hand = reply_bytes_ + buffer_.size();
    set_read_mark(due > in_hand ? due - in_hand : 1);
    if (read_mark_ > 1) arm_stall_check();
  }

  void set_read_mark(std::size_t bytes) {
    if (bytes == read_mark_) return;
    const int v = static_cast<int>(bytes);
    if (::setsockopt(tcp_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0) {
      read_mark_ = bytes;
      return;
    }
    const int why = errno;
    coalesce_reads_ = false;  // not supported here: replies are read as they come
    if (read_mark_ > 1)       // a mark left high would hold replies back: the requests in flight are retried elsewhere
      close(make_error_code(errc::connection_closed), std::string("SO_RCVLOWAT could not be changed: ") + std::strerror(why));
  }

  void arm_stall_check() {
    if (stall_check_armed_) return;
    if (!stall_check_) stall_check_.emplace(tcp_.get_executor());
    stall_check_armed_ = true;
    stall_check_->expires_after(stall_period_);
    stall_check_->async_wait([w = weak_from_this()](error_code ec) {
      if (auto self = w.lock()) {
        self->stall_check_armed_ = false;
        if (!ec) self->check_stall();
      }
    });
  }

  // Bytes queued in the socket and none read since the last check: the rest
  // of the batch is not coming soon (or is smaller than counted), so the mark
  // drops and the reader takes what is there. While nothing is queued the
  // checks slow down (a slow server costs few wake-ups).
  void check_stall() {
    if (closed_ || read_mark_ <= 1 || in_flight_.empty()) return;  // update_read_mark arms the next one
    int queued = 0;
    if (::ioctl(tcp_.native_handle(), FIONREAD, &queued) != 0) queued = -1;
    const bool progress = queued != queued_at_last_check_ || bytes_read_ != read_at_last_check_;
    queued_at_last_check_ = queued;
    read_at_last_check_ = bytes_read_;
    if (queued != 0 && !progress) return set_read_mark(1);  // the kernel reports the queued bytes at once
    stall_period_ = queued > 0 ? first_stall_period : std::min(stall_period_ * 2, last_stall_period);
    arm_stall_check();
  }

  static std::size_t read_chunk(std::size_t buffered) { return std::max<std::size_t>(64 * 1024, buffered); }

  // Parses every complete response in the buffer. false: the connection is done.
  bool parse_buffered() {
    while (buffer_.size() > 0) {
      if (in_flight_.empty()) {
        close(make_error_code(errc::invalid_response), "the server sent bytes nobody asked for");
        return false;
      }
      if (!parser_) parser_.emplace(in_flight_.front()->response, pool_->opt_.max_response_bytes);
      const auto bytes = buffer_.data();
      std::size_t used = 0;
      const auto r = parser_->feed(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()), used);
      buffer_.consume(used);
      reply_bytes_ += used;
      switch (r) {
        case response_parser::result::need_more: return true;
        case response_parser::result::error:
          close(make_error_code(errc::invalid_response), "unparsable HTTP response: " + parser_->error());
          return false;
        case response_parser::result::body_too_large:
          close(make_error_code(errc::body_too_large), "the response body is over max_response_bytes (" +
                                                           std::to_string(pool_->opt_.max_response_bytes) + ")");
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
  void deliver() {
    parser_.reset();
    exchange_ptr e = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (!e->abandoned) pool_->finish(e, {}, true);
  }

  pool* pool_;
  tcp::socket tcp_;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls_;
  boost::beast::flat_buffer buffer_;
  std::optional<response_parser> parser_;  // into in_flight_.front()->response
  std::deque<exchange_ptr> in_flight_;
  std::vector<asio::const_buffer> batch_;
  std::vector<exchange_ptr> writing_owners_;
  steady_clock::time_point last_active_ = coarse_steady_now();
  bool open_ = false;
  bool writing_ = false;
  bool closed_ = false;
  // Batch reads (update_read_mark).
  bool coalesce_reads_ = false;
  bool stall_check_armed_ = false;
  std::size_t smallest_reply_ = 0;  // bytes of the smallest whole reply so far; 0: none yet
  std::size_t reply_bytes_ = 0;     // of the reply being parsed, consumed so far
  std::size_t read_mark_ = 1;       // SO_RCVLOWAT as set
  std::uint64_t bytes_read_ = 0;
  std::uint64_t read_at_last_check_ = 0;
  int queued_at_last_check_ = -1;
  static constexpr std::chrono::milliseconds first_stall_period{1}, last_stall_period{8};
  std::chrono::milliseconds stall_period_ = first_stall_period;
  std::optional<asio::steady_timer> stall_check_;
};

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
  owner_connection.reset();
}

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

pool::pool(asio::any_io_executor ex, transport_options opt) : ex_(std::move(ex)), opt_(std::move(opt)) {
  opt_.pipeline_depth = std::max<std::size_t>(1, opt_.pipeline_depth);
  refill_slots_ = opt_.pipeline_refill == 0 ? opt_.pipeline_depth - opt_.pipeline_depth / 2
                                            : std::min(opt_.pipeline_refill, opt_.pipeline_depth);
  if (opt_.ep.tls) {
    tls_.emplace(ssl::context::tls_client);
    tls_->set_default_verify_paths();
    if (!opt_.ca_file.empty()) tls_->load_verify_file(opt_.ca_file);
    if (!opt_.ca_pem.empty()) tls_->add_certificate_authority(asio::buffer(opt_.ca_pem));
    tls_->set_verify_mode(opt_.verify_tls ? ssl::verify_peer : ssl::verify_none);
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
  }
}

pool::~pool() { close(); }

std::size_t pool::open_connections() const noexcept {
  return static_cast<std::size_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& c) { return c->open(); }));
}

template <class F>
void pool::post_while_alive(F f) {
  asio::post(ex_, [alive = std::weak_ptr<void>(alive_), f = std::move(f)]() mutable {
    if (!alive.expired()) f();
  });
}

void pool::submit(exchange_ptr e) {
  if (closed_) {
    finish(e, make_error_code(errc::client_closed), false, "the client is closed");
    return;
  }
  waiting_.push_back(std::move(e));
  if (opt_.pipeline_depth <= 1) return kick();
  // Pipelining: hand out what was submitted in this turn of the event loop in
  // one go, so that the requests started by a batch of completions leave in
  // one write instead of one write each (measured: 1.9 requests per sendmsg
  // when every submit wrote at once).
  if (flush_posted_) return;
  flush_posted_ = true;
  post_while_alive([this] {
    flush_posted_ = false;
    kick();
  });
}

void pool::finish(const exchange_ptr& e, error_code ec, bool applied, std::string detail) {
  e->st = exchange::state::done;
  e->ec = ec;
  e->maybe_applied = applied;
  e->error_detail = std::move(detail);
  if (e->abandoned || !e->owner) return;
  // Told from a posted call, so the owner never runs inside the transport's
  // loops; one call tells every exchange finished by the same read.
  finished_.push_back(e);
  if (telling_posted_) return;
  telling_posted_ = true;
  post_while_alive([this] {
    telling_posted_ = false;
    // Owners may finish more exchanges while these are told (into finished_,
    // which takes the spare's capacity), and may destroy the pool: a client
    // that goes out of scope in the handler of its last operation. So the batch
    // is a local, and the pool is touched again only if it still exists.
    std::vector<exchange_ptr> batch = std::exchange(finished_, std::move(spare_));
    const std::weak_ptr<void> alive = alive_;
    for (auto& x : batch)
      if (auto o = std::move(x->owner); o && !x->abandoned) o->exchange_done(std::move(x));
    if (alive.expired()) return;
    batch.clear();
    spare_ = std::move(batch);  // kept for its capacity
  });
}

void pool::abandon(const exchange_ptr& e, bool close_connection) {
  e->abandoned = true;
  e->owner.reset();
  if (e->st == exchange::state::waiting) {
    const auto it = std::find(waiting_.begin(), waiting_.end(), e);
    if (it != waiting_.end()) waiting_.erase(it);
  } else if (close_connection) {
    if (auto c = e->owner_connection.lock())
      c->close(make_error_code(errc::attempt_timeout), "no response within attempt_timeout; connection closed");
  }
}

void pool::close() {
  if (closed_) return;
  closed_ = true;
  auto conns = std::move(conns_);
  conns_.clear();
  for (auto& c : conns) {
    c->close(make_error_code(errc::client_closed), "the client was closed");
    c->detach();
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& e : waiting) finish(e, make_error_code(errc::client_closed), false, "the client was closed");
}

// Gives waiting exchanges to connections that can take them: idle ones
// first (closing any idle past idle_timeout), then, when pipelining, the least
// loaded; opens connections while more exchanges wait than are being
// connected for.
void pool::kick() {
  if (closed_ || kicking_) return;
  kicking_ = true;
  std::optional<steady_clock::time_point> now;
  while (!waiting_.empty() && !idle_.empty()) {
    connection* c = idle_.back();
    idle_.pop_back();
    c->on_idle_stack_ = false;
    if (!c->can_take() || c->load() != 0) continue;  // went busy or closed since it was offered
    if (!now) now = coarse_steady_now();
    if (c->stale(*now)) {
      auto keep = shared_of(c);  // close() removes it from conns_
      c->close(make_error_code(errc::connection_closed), "idle too long");
      continue;
    }
    c->pump();
  }
  if (opt_.pipeline_depth > 1) {
    while (!waiting_.empty()) {
      connection* best = nullptr;
      for (auto& c : conns_)
        if (c->can_take() && (!best || c->load() < best->load())) best = c.get();
      if (!best) break;
      best->pump();
    }
  }
  while (waiting_.size() > connecting_ && conns_.size() < opt_.pool_size) {
    auto c = std::make_shared<connection>(*this);
    conns_.push_back(c);
    ++connecting_;
    ++opened_total_;
    c->start();
  }
  kicking_ = false;
}

std::shared_ptr<connection> pool::shared_of(connection* c) {
  for (auto& p : conns_)
    if (p.get() == c) return p;
  return {};
}

void pool::on_connected(connection* c) {
  --connecting_;
  c->pump();
  kick();
}

void pool::on_connect_failed(connection* c, const std::string& detail) {
  --connecting_;
  remove(c);
  // With no live connection left, nothing would take the waiting exchanges:
  // fail them now (nothing was sent) and let their retry rules decide.
  if (open_connections() == 0 && connecting_ == 0) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& e : waiting)
      if (!e->abandoned) finish(e, make_error_code(errc::connect_failed), false, detail);
  }
}

void pool::on_closed(connection* c) {
  remove(c);
  kick();
}

void pool::remove(connection* c) {
  idle_.erase(std::remove(idle_.begin(), idle_.end(), c), idle_.end());
  const auto it = std::find_if(conns_.begin(), conns_.end(), [c](const auto& p) { return p.get() == c; });
  if (it != conns_.end()) {
    (*it)->detach();
    conns_.erase(it);
  }
}

}  // namespace ddb::detail
