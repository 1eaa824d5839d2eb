#include "ddb/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdlib>

#include "core/crc32.hpp"
#include "core/endpoint.hpp"
#include "ddb/core/sigv4.hpp"
#include "io/transport.hpp"

namespace ddb {
namespace detail {

using time_point = steady_clock::time_point;
constexpr auto no_deadline = time_point::max();

// One operation: its encoded request, its handler, and the timer it sleeps on
// (the transport cancels the timer to wake it).
struct op_state {
  op_state(asio::any_io_executor ex, std::string op, std::string b, request_safety s, handler_t<raw_response> h)
      : target(std::move(op)), body(std::move(b)), safety(s), handler(std::move(h)), timer(std::move(ex)) {}
  std::string target;
  std::string body;
  request_safety safety;
  handler_t<raw_response> handler;
  asio::steady_timer timer;
  asio::cancellation_slot slot;
  bool cancelled = false;
  raw_response result;
};

class client_impl : public std::enable_shared_from_this<client_impl> {
 public:
  client_impl(asio::any_io_executor ex, client_config cfg, resolved_config r)
      : ex_(ex),
        cfg_(std::move(cfg)),
        resolved_(std::move(r)),
        signer_(resolved_.creds, resolved_.region, "dynamodb"),
        pool_(ex, transport_options{resolved_.ep, cfg_.pool_size, cfg_.pipeline_depth, cfg_.connect_timeout,
                                    cfg_.idle_timeout, cfg_.max_response_bytes, cfg_.verify_tls, cfg_.ca_file,
                                    cfg_.ca_pem}),
        quota_(cfg_.retry.quota_capacity) {}

  void start(std::shared_ptr<op_state> op) {
    op->slot = asio::get_associated_cancellation_slot(op->handler);
    if (op->slot.is_connected()) {
      op->slot.assign([w = std::weak_ptr<op_state>(op)](asio::cancellation_type) {
        if (auto o = w.lock()) {
          o->cancelled = true;
          o->timer.cancel();
        }
      });
    }
    asio::co_spawn(ex_, run(shared_from_this(), std::move(op)), asio::detached);
  }

  void close() {
    closed_ = true;
    pool_.close();
  }

  asio::any_io_executor ex_;
  client_config cfg_;
  resolved_config resolved_;
  sigv4::signer signer_;
  pool pool_;
  retry_quota quota_;
  bool closed_ = false;

 private:
  std::chrono::system_clock::time_point signing_time() const {
    return cfg_.clock ? cfg_.clock() : std::chrono::system_clock::now();
  }

  // After the operation's timer wakes it: why it should stop waiting for the
  // exchange (empty: keep waiting, or the exchange is done).
  static error_code check_wait(pool& p, op_state& op, const exchange_ptr& ex, time_point attempt_deadline,
                               time_point pool_deadline, time_point op_deadline) {
    if (op.cancelled) {
      p.abandon(ex, false);
      return asio::error::operation_aborted;
    }
    if (ex->st == exchange::state::done) return {};
    const auto now = steady_clock::now();
    if (ex->st == exchange::state::waiting && now >= pool_deadline && pool_deadline < attempt_deadline) {
      p.abandon(ex, false);
      return make_error_code(errc::pool_timeout);
    }
    if (now >= attempt_deadline) {
      p.abandon(ex, true);
      return make_error_code(now >= op_deadline ? errc::operation_timeout : errc::attempt_timeout);
    }
    return {};
  }

  // Turns what the exchange brought back into an attempt outcome, filling in
  // the diagnostics.
  attempt_outcome evaluate(exchange& ex, diagnostics& diag) const {
    attempt_outcome o;
    if (ex.ec) {
      o.ec = ex.ec;
      o.maybe_applied = ex.maybe_applied;
      diag.message = ex.error_detail;
      return o;
    }
    http_response& r = ex.response;
    diag.http_status = r.status;
    diag.request_id = std::move(r.request_id);
    o.http_status = r.status;
    o.retry_after = r.retry_after;
    o.maybe_applied = true;
    if (cfg_.verify_crc32 && (r.crc32_malformed || (r.crc32 && *r.crc32 != crc32::compute(r.body.data(), r.body.size())))) {
      o.ec = make_error_code(errc::crc32_mismatch);
      diag.message = "the response body does not match its x-amz-crc32 header (corrupted in transit)";
      return o;
    }
    if (r.status == 200) return o;
    auto err = json::parse_error(r.body);
    if (err) {
      const service_errc code = service_errc_from_type(err->type);
      o.ec = make_error_code(code);
      diag.service_type = err->type;
      diag.message = std::move(err->message);
      diag.cancellation_reasons = std::move(err->cancellation_reasons);
      diag.item = std::move(err->item);
      // A 4xx answer is DynamoDB refusing the request: nothing was applied.
      o.maybe_applied = r.status >= 500;
    } else {
      o.ec = make_error_code(errc::http_error);
      o.maybe_applied = r.status >= 500;
      diag.message = "HTTP " + std::to_string(r.status) + " without a DynamoDB error body: " +
                     r.body.substr(0, 200);
    }
    return o;
  }

  static asio::awaitable<void> run(std::shared_ptr<client_impl> self, std::shared_ptr<op_state> op) {
    const client_config& cfg = self->cfg_;
    const auto started = steady_clock::now();
    const time_point op_deadline = cfg.operation_timeout.count() > 0 ? started + cfg.operation_timeout : no_deadline;
    diagnostics& diag = op->result.diag;
    error_code final_ec;
    for (int attempt = 1;; ++attempt) {
      diag = diagnostics{};
      diag.attempts = attempt;
      auto ex = std::make_shared<exchange>();
      ex->request.reserve(op->body.size() + 700);
      self->signer_.write_dynamodb_request(ex->request, self->resolved_.ep.host_header, op->target, op->body,
                                           self->signing_time());
      ex->waiter = &op->timer;
      const auto now = steady_clock::now();
      const time_point attempt_deadline = std::min(op_deadline, now + cfg.attempt_timeout);
      const time_point pool_deadline = now + cfg.pool_wait_timeout;
      self->pool_.submit(ex);
      // Sleep on the timer until the transport cancels it (done) or a deadline passes.
      error_code stop;
      while (!stop && ex->st != exchange::state::done) {
        op->timer.expires_at(ex->st == exchange::state::waiting ? std::min(attempt_deadline, pool_deadline)
                                                                : attempt_deadline);
        co_await op->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        stop = check_wait(self->pool_, *op, ex, attempt_deadline, pool_deadline, op_deadline);
      }

      attempt_outcome outcome;
      if (stop) {
        outcome.ec = stop;
        outcome.maybe_applied = ex->st == exchange::state::written;
        diag.message = stop == errc::pool_timeout
                           ? "no connection took the request within pool_wait_timeout (" +
                                 std::to_string(cfg.pool_wait_timeout.count()) +
                                 " ms): raise client_config::pool_size or pipeline_depth, or send less at once"
                       : stop == errc::attempt_timeout ? "no response within attempt_timeout (" +
                                                            std::to_string(cfg.attempt_timeout.count()) + " ms)"
                       : stop == errc::operation_timeout ? "the operation took longer than operation_timeout (" +
                                                              std::to_string(cfg.operation_timeout.count()) + " ms)"
                                                        : "cancelled";
        if (stop == asio::error::operation_aborted || stop == errc::operation_timeout || stop == errc::pool_timeout) {
          final_ec = stop;
          break;
        }
      } else {
        outcome = self->evaluate(*ex, diag);
      }
      if (!outcome.ec) {
        (void)decide_retry(cfg.retry, self->quota_, outcome, attempt, op->safety);  // refunds the quota
        op->result.body = std::move(ex->response.body);
        final_ec = {};
        break;
      }
      final_ec = outcome.ec;
      if (self->closed_ || outcome.ec == errc::client_closed) {
        final_ec = make_error_code(errc::client_closed);
        break;
      }
      const retry_decision d = decide_retry(cfg.retry, self->quota_, outcome, attempt, op->safety);
      if (!d.retry) {
        if (d.stop_reason) diag.message += " (not retried: the client's retry quota is exhausted)";
        break;
      }
      // Back off, within the operation's deadline, cancellably.
      const auto wake = std::min(op_deadline, steady_clock::now() + d.delay);
      op->timer.expires_at(wake);
      co_await op->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (op->cancelled) {
        final_ec = asio::error::operation_aborted;
        diag.message = "cancelled";
        break;
      }
      if (steady_clock::now() >= op_deadline) {
        final_ec = make_error_code(errc::operation_timeout);
        diag.message += " (then the operation ran out of operation_timeout while backing off)";
        break;
      }
    }
    complete(*op, final_ec);
  }

  static void complete(op_state& op, error_code ec) {
    if (op.slot.is_connected()) op.slot.clear();
    auto handler = std::move(op.handler);
    auto ex = asio::get_associated_executor(handler, op.timer.get_executor());
    asio::dispatch(ex, [h = std::move(handler), ec, r = std::move(op.result)]() mutable { std::move(h)(ec, std::move(r)); });
  }
};

void start_raw(const std::shared_ptr<client_impl>& impl, std::string operation, std::string body, request_safety safety,
               handler_t<raw_response> handler) {
  impl->start(std::make_shared<op_state>(impl->ex_, std::move(operation), std::move(body), safety, std::move(handler)));
}

boost::asio::any_io_executor impl_executor(const client_impl& impl) noexcept { return impl.ex_; }

void throw_operation_error(const boost::system::error_code& ec, diagnostics&& diag) {
  std::string what = diag.summary(ec);
  throw ddb::error(failure{ec, std::move(what)}, std::make_shared<const diagnostics>(std::move(diag)));
}

}  // namespace detail

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

namespace {
const char* getenv_lookup(const char* name) { return std::getenv(name); }
}  // namespace

client::client(executor_type ex, client_config cfg) {
  auto r = detail::resolve(cfg, getenv_lookup);
  if (!r) throw ddb::error(std::move(r).error());
  if (cfg.pool_size == 0) throw ddb::error(fail(errc::invalid_config, "client_config::pool_size must be at least 1"));
  if (cfg.pipeline_depth == 0) cfg.pipeline_depth = 1;
  impl_ = std::make_shared<detail::client_impl>(std::move(ex), std::move(cfg), std::move(*r));
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
const ddb::endpoint& client::endpoint() const noexcept { return impl_->resolved_.ep; }
const std::string& client::region() const noexcept { return impl_->resolved_.region; }
std::size_t client::open_connections() const noexcept { return impl_->pool_.open_connections(); }
std::size_t client::connections_opened() const noexcept { return impl_->pool_.connections_opened(); }
int client::retry_quota_available() const noexcept { return impl_->quota_.available(); }
void client::close() {
  if (impl_) impl_->close();
}

}  // namespace ddb
