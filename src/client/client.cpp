#include "ddb/client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>
#include <fstream>

#include "credentials/cache.hpp"
#include "credentials/parse.hpp"
#include "core/endpoint.hpp"
#include "core/lifecycle.hpp"
#include "ddb/core/sigv4.hpp"
#include "request/capacity_tracker.hpp"
#include "credentials/providers.hpp"
#include "client/operation.hpp"
#include "transport/transport.hpp"

namespace ddb {
namespace detail {

// A list of operations threaded through the operations themselves (O(1)
// link and unlink, no allocation). Each list holds operations in the order of
// one kind of deadline: the timeouts are constant per client, so appending in
// start order keeps every list sorted, and the client needs one timer, armed
// for the earliest front, instead of one per request.
class op_list {
 public:
  void push_back(op_state* op);
  void unlink(op_state* op);
  op_state* front() const noexcept { return head_; }
  explicit op_list(list_kind k) : kind_(k) {}

 private:
  list_kind kind_;
  op_state* head_ = nullptr;
  op_state* tail_ = nullptr;
};

void op_list::push_back(op_state* op) {
  if (op->linked[kind_]) return;
  op->linked[kind_] = true;
  op->prev[kind_] = tail_;
  op->next[kind_] = nullptr;
  (tail_ ? tail_->next[kind_] : head_) = op;
  tail_ = op;
}

void op_list::unlink(op_state* op) {
  if (!op->linked[kind_]) return;
  op->linked[kind_] = false;
  (op->prev[kind_] ? op->prev[kind_]->next[kind_] : head_) = op->next[kind_];
  (op->next[kind_] ? op->next[kind_]->prev[kind_] : tail_) = op->prev[kind_];
  op->prev[kind_] = op->next[kind_] = nullptr;
}

class client_impl : public std::enable_shared_from_this<client_impl> {
 public:
  client_impl(asio::any_io_executor ex, client_config cfg, resolved_settings settings, endpoint ep)
      : ex_(ex),
        cfg_(std::move(cfg)),
        settings_(std::move(settings)),
        ep_(std::move(ep)),
        pool_(ex, transport_options{ep_, cfg_.pool_size, cfg_.pipeline_depth, cfg_.pipeline_refill, cfg_.connect_timeout,
                                    cfg_.idle_timeout, cfg_.max_response_bytes, cfg_.verify_tls, settings_.ca_file,
                                    cfg_.ca_pem, settings_.ca_source}),
        quota_(cfg_.retry.quota_capacity),
        creds_(cfg_.credential_settings.refresh_before, cfg_.credential_settings.refresh_retry_min,
               cfg_.credential_settings.refresh_retry_max),
        sweep_timer_(ex) {
    spare_exchanges_.reserve(max_spare_exchanges);
    // Keys that never change sign from the first request on (and bad ones fail here, not later).
    if (const credentials* fixed = fixed_credentials_of(settings_.provider.get())) {
      make_signer(*fixed);
      creds_.on_refreshed(*fixed, signing_time());
    }
  }

  // Both APIs sign as "dynamodb"; Streams has its own target prefix.
  void make_signer(const credentials& c) {
    signer_.emplace(c, settings_.region, "dynamodb");
    if (cfg_.service == service_api::streams) signer_->set_target_prefix("DynamoDBStreams_20120810.");
  }

  void start(const std::shared_ptr<op_state>& op) {
    if (op->slot.is_connected()) {
      // Posted: completing clears the slot, which must not destroy this handler while it runs.
      op->slot.assign([w = std::weak_ptr<op_state>(op)](asio::cancellation_type) {
        if (auto o = w.lock()) asio::post(o->client->ex_, [o] { o->client->cancel(*o); });
      });
    }
    lists_[all_ops].push_back(op.get());
    if (cfg_.operation_timeout.count() > 0) {
      op->deadlines.op = steady_clock::now() + cfg_.operation_timeout;
      add_deadline(op_deadlines, op.get(), op->deadlines.op);
    }
    // Never completes inside this call: the transport reports by posting.
    start_attempt(op);
  }

  void close() {
    closed_ = true;
    refresh_cancel_.emit(asio::cancellation_type::terminal);
    pool_.close();
    // Operations between attempts would otherwise wait out their backoff.
    while (op_state* op = lists_[all_ops].front()) {
      const auto keep = op->shared_from_this();
      op->diag.message = "the client was closed";
      complete(*op, make_error_code(errc::client_closed));
    }
    creds_waiters_.clear();  // completed above; they hold the client
    sweep_timer_.cancel();
  }

  void on_exchange_done(op_state& op, exchange_ptr e) {
    if (op.done || op.ex != e) return;
    lists_[attempt_deadlines].unlink(&op);
    lists_[pool_deadlines].unlink(&op);
    op.ex.reset();
    attempt_outcome outcome = classify_attempt(*e, op.diag, cfg_.verify_crc32);
    if (!outcome.ec) {
      op.answer = std::move(e);  // the body is decoded where it was read
      return after_attempt(op, outcome);
    }
    const bool skewed = !op.skew_corrected && correct_clock(op.diag, e->response);
    recycle(e);
    if (skewed) {
      op.skew_corrected = true;  // once per operation, outside the retry budget
      return start_attempt(op.shared_from_this());
    }
    after_attempt(op, outcome);
  }

  // Exchanges are reused, with their buffers: a request costs no allocation
  // for its bytes, its response or the exchange itself. Only one nothing else
  // holds comes back (a written exchange that was abandoned stays with its
  // connection until the reply is read).
  exchange_ptr new_exchange() {
    if (spare_exchanges_.empty()) return std::make_shared<exchange>();
    exchange_ptr e = std::move(spare_exchanges_.back());
    spare_exchanges_.pop_back();
    return e;
  }
  // The operation gives up its attempt in flight, if any (see pool::abandon).
  void abandon_attempt(op_state& op, bool close_connection) {
    if (!op.ex) return;
    pool_.abandon(op.ex, close_connection);
    recycle(op.ex);
  }
  void recycle(exchange_ptr& e) noexcept {
    if (e && e.use_count() == 1 && spare_exchanges_.size() < max_spare_exchanges) {
      e->reset();
      spare_exchanges_.push_back(std::move(e));  // reserved: cannot throw
    }
    e.reset();
  }

  void cancel(op_state& op) {
    if (op.done) return;
    op.diag.message = "cancelled";
    complete(op, asio::error::operation_aborted);
  }

  asio::any_io_executor ex_;
  client_config cfg_;
  resolved_settings settings_;
  endpoint ep_;
  std::optional<sigv4::signer> signer_;  // made when the first credentials arrive
  pool pool_;
  retry_quota quota_;
  capacity_tracker capacity_;
  auth::credentials_cache creds_;
  std::vector<std::shared_ptr<op_state>> creds_waiters_;  // operations waiting for credentials
  asio::cancellation_signal refresh_cancel_;
  std::chrono::system_clock::duration clock_offset_{};  // server time minus ours, after a skew error
  bool closed_ = false;
  static constexpr std::size_t max_spare_exchanges = 256;
  std::vector<exchange_ptr> spare_exchanges_;

 private:
  std::chrono::system_clock::time_point local_time() const {
    return cfg_.clock ? cfg_.clock() : coarse_system_now();  // signatures carry whole seconds
  }
  std::chrono::system_clock::time_point signing_time() const { return local_time() + clock_offset_; }

 public:
  std::chrono::system_clock::time_point server_time() const {
    return (cfg_.clock ? cfg_.clock() : std::chrono::system_clock::now()) + clock_offset_;
  }

 private:

  // DynamoDB refused the signature's time: take the server's clock from its
  // Date header. True when there is a correction to retry with.
  bool correct_clock(const diagnostics& diag, const http_response& r) {
    if (!clock_skew_error(diag) || r.date[0] == '\0') return false;
    auto server = auth::parse_http_date(r.date);
    if (!server) return false;
    clock_offset_ = *server - local_time();
    return true;
  }

  // Asks the provider for credentials; the cache has marked the refresh as running.
  void refresh_credentials() {
    settings_.provider->async_fetch(
        ex_, asio::bind_cancellation_slot(refresh_cancel_.slot(), [w = weak_from_this()](error_code ec, credentials c,
                                                                                        std::string msg) mutable {
          if (auto self = w.lock()) self->on_credentials(ec, std::move(c), std::move(msg));
        }));
  }

  void on_credentials(error_code ec, credentials c, std::string msg) {
    if (closed_) return;
    const auto now = signing_time();
    if (!ec && c.empty()) {
      ec = make_error_code(errc::credentials_unavailable);
      msg = settings_.provider->name() + ": the provider returned empty credentials";
    }
    if (!ec && c.expiration && *c.expiration <= now) {
      ec = make_error_code(errc::credentials_expired);
      msg = settings_.provider->name() + ": the provider returned credentials that expired at " +
            auth::format_iso8601(*c.expiration) + " (is this machine's clock right?)";
    }
    if (!ec) {
      try {
        make_signer(c);
      } catch (const ddb::error& e) {  // e.g. a token with a line break
        ec = e.code();
        msg = settings_.provider->name() + ": " + e.details().message;
      }
    }
    bool usable = true;  // the credentials the waiters will sign with
    if (!ec) {
      creds_.on_refreshed(std::move(c), now);
    } else {
      usable = creds_.on_failed(now);
      if (!usable && ec == errc::credentials_unavailable && creds_.current().expiration)
        ec = make_error_code(errc::credentials_expired);
    }
    auto waiters = std::move(creds_waiters_);
    creds_waiters_.clear();
    for (auto& op : waiters) {
      if (op->done) continue;
      if (usable) {
        start_attempt(op);
      } else {
        op->diag.message = msg;
        complete(*op, ec);
      }
    }
  }

  void start_attempt(const std::shared_ptr<op_state>& op) {
    if (op->phase != op_phase::credentials) op->enter(op_phase::credentials);
    const auto signed_at = signing_time();
    switch (creds_.on_request(signed_at)) {
      case auth::credentials_cache::action::use: break;
      case auth::credentials_cache::action::use_and_refresh: refresh_credentials(); break;
      case auth::credentials_cache::action::wait_and_refresh:
        creds_waiters_.push_back(op);
        return refresh_credentials();
      case auth::credentials_cache::action::wait: creds_waiters_.push_back(op); return;
    }
    diagnostics& diag = op->diag;
    diag = diagnostics{};
    diag.attempts = ++op->attempt;
    exchange_ptr ex = new_exchange();
    ex->request.reserve(op->body.size() + 700);
    try {
      signer_->write_dynamodb_request(ex->request, ep_.host_header, op->target, op->body, signed_at);
    } catch (const ddb::error& e) {  // e.g. an operation name that is not a name
      recycle(ex);
      diag.message = e.details().message;
      asio::post(ex_, [op, ec = error_code(e.code())] { op->client->complete(*op, ec); });
      return;
    }
    ex->owner = op;
    op->ex = ex;
    const auto now = steady_clock::now();
    op->deadlines.attempt = now + cfg_.attempt_timeout;
    op->deadlines.pool = now + cfg_.pool_wait_timeout;
    add_deadline(attempt_deadlines, op.get(), op->deadlines.attempt);
    if (cfg_.pool_wait_timeout < cfg_.attempt_timeout) add_deadline(pool_deadlines, op.get(), op->deadlines.pool);
    op->enter(op_phase::in_flight);
    pool_.submit(std::move(ex));
  }

  // Completes the operation or waits out the backoff before the next attempt.
  void after_attempt(op_state& op, const attempt_outcome& outcome) {
    const next_attempt n = detail::after_attempt(cfg_.retry, quota_, outcome, op.attempt, op.safety, closed_, op.diag);
    if (n.k == next_attempt::kind::complete) return complete(op, n.ec);
    op.enter(op_phase::backoff);
    if (!op.backoff) op.backoff.emplace(ex_);
    op.backoff->expires_at(std::min(op.deadlines.op, steady_clock::now() + n.delay));
    op.backoff->async_wait([o = op.shared_from_this()](error_code ec) {
      if (ec || o->done) return;
      o->client->start_attempt(o);
    });
  }

  void add_deadline(list_kind k, op_state* op, time_point at) {
    lists_[k].push_back(op);
    if (at < sweep_at_) arm_sweep(at);
  }

  void arm_sweep(time_point at) {
    sweep_at_ = at;
    sweep_timer_.expires_at(at);
    sweep_timer_.async_wait([w = weak_from_this()](error_code ec) {
      if (ec) return;  // re-armed or closed
      if (auto self = w.lock()) self->sweep();
    });
  }

  static time_point deadline_of(const op_state& op, list_kind k) noexcept {
    return k == attempt_deadlines ? op.deadlines.attempt : k == pool_deadlines ? op.deadlines.pool : op.deadlines.op;
  }

  // Handles every deadline that has passed (what it means: core/lifecycle),
  // then re-arms for the next one.
  void sweep() {
    sweep_at_ = no_deadline;
    const auto now = steady_clock::now();
    for (list_kind k : {pool_deadlines, op_deadlines, attempt_deadlines}) {
      while (op_state* op = lists_[k].front()) {
        if (deadline_of(*op, k) > now) break;
        const auto keep = op->shared_from_this();
        lists_[k].unlink(op);
        expire(*op, expired(op->deadlines, now, op->ex && op->ex->st == exchange::state::waiting));
      }
    }
    time_point next = no_deadline;
    for (list_kind k : {attempt_deadlines, pool_deadlines, op_deadlines})
      if (op_state* op = lists_[k].front()) next = std::min(next, deadline_of(*op, k));
    if (next != no_deadline) arm_sweep(next);
  }

  void expire(op_state& op, expiry e) {
    switch (e) {
      case expiry::none: return;  // a pool wait passed after the request was written
      case expiry::pool_wait:
        abandon_attempt(op, false);
        op.diag.message = expiry_message(e, cfg_.pool_wait_timeout);
        return complete(op, expiry_error(e));
      case expiry::operation:
        op.diag.message = expiry_message(e, cfg_.operation_timeout);
        if (op.ex) abandon_attempt(op, op.ex->st == exchange::state::written);
        return complete(op, expiry_error(e));
      case expiry::attempt: {
        lists_[attempt_deadlines].unlink(&op);
        lists_[pool_deadlines].unlink(&op);
        attempt_outcome outcome;
        outcome.ec = expiry_error(e);
        outcome.maybe_applied = op.ex && op.ex->st == exchange::state::written;
        abandon_attempt(op, true);  // a silent connection is closed
        op.diag.message = expiry_message(e, cfg_.attempt_timeout);
        return after_attempt(op, outcome);
      }
    }
  }

  void complete(op_state& op, error_code ec) {
    if (op.done) return;
    const auto keep = op.shared_from_this();  // abandoning the exchange may drop the last other owner
    op.done = true;
    op.enter(op_phase::done);
    for (op_list& l : lists_) l.unlink(&op);
    abandon_attempt(op, false);
    if (op.backoff) op.backoff->cancel();
    if (op.slot.is_connected()) op.slot.clear();
    op.finish(ec);  // releases the answer's exchange
  }

  op_list lists_[list_kinds] = {op_list(all_ops), op_list(attempt_deadlines), op_list(pool_deadlines),
                                op_list(op_deadlines)};
  asio::steady_timer sweep_timer_;
  time_point sweep_at_ = no_deadline;
};

void op_state::exchange_done(exchange_ptr e) { client->on_exchange_done(*this, std::move(e)); }
void op_state::release_answer() noexcept { client->recycle(answer); }

void start_operation(const std::shared_ptr<client_impl>& impl, const std::shared_ptr<op_state>& op) { impl->start(op); }
const asio::any_io_executor& executor_of(const client_impl& impl) noexcept { return impl.ex_; }

namespace {
// An operation called by name: the caller gets the raw JSON body.
struct raw_op final : op_state {
  raw_op(std::shared_ptr<client_impl> c, std::string op, std::string b, request_safety s, bool on_client_ex,
         handler_t<raw_response> h)
      : op_state(std::move(c), {}, std::move(b), s, on_client_ex), handler(std::move(h)) {
    owned_target = std::move(op);
    target = owned_target;
    slot = asio::get_associated_cancellation_slot(handler);
  }
  void finish(error_code ec) override {
    raw_response r{answer ? std::move(answer->response.body) : std::string(), std::move(diag)};
    release_answer();
    invoke_handler(std::move(handler), client->ex_, handler_on_client_executor, ec, std::move(r));
  }
  handler_t<raw_response> handler;
};
}  // namespace

void start_raw(const std::shared_ptr<client_impl>& impl, std::string operation, std::string body, request_safety safety,
               bool on_client_executor, handler_t<raw_response> handler) {
  impl->start(std::make_shared<raw_op>(impl, std::move(operation), std::move(body), safety, on_client_executor,
                                       std::move(handler)));
}


capacity_tracker* capacity_tracker_of(client_impl& impl) noexcept {
  return impl.cfg_.track_capacity ? &impl.capacity_ : nullptr;
}

void throw_operation_error(const boost::system::error_code& ec, diagnostics&& diag) { throw make_error(ec, std::move(diag)); }

}  // namespace detail

ddb::error make_error(const boost::system::error_code& ec, diagnostics diag) {
  std::string what = diag.summary(ec);
  return ddb::error(failure{ec, std::move(what)}, std::make_shared<const diagnostics>(std::move(diag)));
}

std::string diagnostics::summary(const std::error_code& ec) const {
  std::string s = service_type.empty() ? ec.message() : service_type;
  if (!message.empty()) s += ": " + message;
  std::string extra;
  if (http_status) extra += "HTTP " + std::to_string(http_status);
  if (!request_id.empty()) extra += (extra.empty() ? "" : ", ") + std::string("request ") + request_id;
  if (attempts) extra += (extra.empty() ? "" : ", ") + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  if (!extra.empty()) s += " (" + extra + ")";
  return s;
}

client::client(executor_type ex) : client(std::move(ex), client_config{}) {}

client::client(executor_type ex, client_config cfg) {
  if (cfg.pool_size == 0) throw ddb::error(fail(errc::invalid_config, "client_config::pool_size must be at least 1"));
  if (cfg.pipeline_depth == 0) cfg.pipeline_depth = 1;
  resolved_settings settings = resolve_settings(cfg);
  if (!settings.ca_file.empty() && !std::ifstream(settings.ca_file))
    throw ddb::error(fail(errc::invalid_config, "the CA bundle " + settings.ca_file + " (from " + settings.ca_source +
                                                    ") cannot be read: point it at a PEM file of trusted certificates"));
  auto ep = detail::parse_endpoint(settings.endpoint_url);
  if (!ep) {
    failure f = std::move(ep).error();
    f.message += " [from " + settings.endpoint_source + "]";
    throw ddb::error(std::move(f));
  }
  impl_ = std::make_shared<detail::client_impl>(std::move(ex), std::move(cfg), std::move(settings), std::move(*ep));
}

client::~client() {
  if (impl_) impl_->close();
}
client::client(client&&) noexcept = default;
client& client::operator=(client&& o) noexcept {
  if (this != &o) {
    if (impl_) impl_->close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}

client::executor_type client::get_executor() const noexcept { return impl_->ex_; }
const boost::asio::any_io_executor& client::impl_executor() const noexcept { return impl_->ex_; }
const ddb::endpoint& client::endpoint() const noexcept { return impl_->ep_; }
const std::string& client::region() const noexcept { return impl_->settings_.region; }
const resolved_settings& client::settings() const noexcept { return impl_->settings_; }
std::size_t client::open_connections() const noexcept { return impl_->pool_.open_connections(); }
std::size_t client::connections_opened() const noexcept { return impl_->pool_.connections_opened(); }
int client::retry_quota_available() const noexcept { return impl_->quota_.available(); }
capacity_report client::capacity() const { return impl_->capacity_.snapshot(impl_->cfg_.pricing); }
void client::reset_capacity() { impl_->capacity_.reset(); }
std::chrono::system_clock::time_point client::server_time() const { return impl_->server_time(); }
void client::close() {
  if (impl_) impl_->close();
}

}  // namespace ddb
