// Leases with fencing tokens against DynamoDB: the protocol of
// ddb/agent/lease.hpp, its timing decided by src/agent/protocol.cpp.
#include "ddb/agent/lease.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "agent/common.hpp"
#include "agent/protocol.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

item lease_key(const std::string& pk_value) { return item{{pk, pk_value}, {sk, "#"}}; }

}  // namespace

namespace detail {

struct lease_state {
  lease_state(client& cl, std::string tbl, std::string n, std::string pkv, std::string own, lease_timing tm)
      : c(cl), table(std::move(tbl)), name(std::move(n)), pk_value(std::move(pkv)), owner(std::move(own)), timing(tm),
        timer(cl.get_executor()) {}
  client& c;
  std::string table, name, pk_value, owner;
  lease_timing timing;
  std::int64_t fence = 0;
  steady::time_point valid_until;  // trusted until then, unless renewed
  asio::steady_timer timer;
  asio::cancellation_signal lost_signal;
  bool lost = false;
  bool stopped = false;  // released, or its handle destroyed

  void mark_lost() {
    if (lost || stopped) return;
    lost = true;
    stopped = true;
    lost_signal.emit(asio::cancellation_type::terminal);
  }

  // The update that renews (or takes) the lease until now + duration.
  update_item_request expiry_update() const {
    const std::int64_t until = epoch_ms(c.server_time()) + timing.duration.count();
    update_item_request u;
    u.table_name = table;
    u.key = lease_key(pk_value);
    u.update_expression = "SET #e = :e, #t = :t";
    u.condition_expression = "#o = :me";
    u.expression_attribute_names = {{"#e", "expires_ms"}, {"#t", std::string(ttl_attribute)}, {"#o", "owner"}};
    u.expression_attribute_values = item{{":e", until}, {":t", until / 1000 + 86400}, {":me", owner}};
    return u;
  }
};

// Renews every heartbeat until stopped; marks the lease lost when a renewal
// is refused, or when none has succeeded by valid_until.
asio::awaitable<void> heartbeat(std::shared_ptr<lease_state> s) {
  steady::time_point next = steady::now() + s->timing.heartbeat;
  milliseconds backoff{50};
  while (!s->stopped) {
    s->timer.expires_at(std::min(next, s->valid_until));
    (void)co_await s->timer.async_wait(tuple_token);  // expiry or cancellation: either way, look again
    if (s->stopped) co_return;
    const steady::time_point sent = steady::now();
    if (sent >= s->valid_until) {
      s->mark_lost();
      co_return;
    }
    // A renewal that hangs must not outlast the lease: bounded by its end.
    const update_item_request renew = s->expiry_update();
    auto bounded = ddb::cancel_after(s->valid_until - sent, tuple_token);
    auto [ec, r] = co_await s->c.update_item(renew, bounded);
    if (s->stopped) co_return;
    if (!ec) {
      s->valid_until = sent + s->timing.duration - s->timing.safety;
      next = sent + s->timing.heartbeat;
      backoff = milliseconds(50);
    } else if (ec == service_errc::conditional_check_failed || ec == errc::client_closed) {
      s->mark_lost();  // taken over (someone else holds it now), or no client left to renew it with
      co_return;
    } else {
      next = steady::now() + backoff;  // try again soon, until valid_until
      backoff = std::min(backoff * 2, milliseconds(1000));
    }
  }
}

}  // namespace detail

// ---- held_lease -----------------------------------------------------------

held_lease::~held_lease() {
  if (!state_ || state_->stopped) return;
  // Given up in the background (the client must outlive the handle, as it
  // must outlive every call).
  auto s = state_;
  asio::co_spawn(s->c.get_executor(), release_impl(s), asio::detached);
}
held_lease::held_lease(held_lease&&) noexcept = default;
held_lease& held_lease::operator=(held_lease&& o) noexcept {
  if (this != &o) {
    held_lease old(std::move(*this));
    state_ = std::move(o.state_);
    diag = std::move(o.diag);
  }
  return *this;
}

const std::string& held_lease::name() const {
  if (!state_) fail_with(errc::invalid_config, "this held_lease holds nothing");
  return state_->name;
}
std::int64_t held_lease::fence() const {
  if (!state_) fail_with(errc::invalid_config, "this held_lease holds nothing");
  return state_->fence;
}
bool held_lease::lost() const { return state_ && state_->lost; }
asio::cancellation_slot held_lease::lost_slot() {
  if (!state_) fail_with(errc::invalid_config, "this held_lease holds nothing");
  return state_->lost_signal.slot();
}
asio::any_io_executor held_lease::executor() const {
  if (!state_) fail_with(errc::invalid_config, "this held_lease holds nothing");
  return state_->c.get_executor();
}

asio::awaitable<held_lease::released> held_lease::release_impl(std::shared_ptr<lease_state> s) {
  released out;
  if (!s || s->stopped) co_return out;
  s->stopped = true;
  s->timer.cancel();
  update_item_request u;
  u.table_name = s->table;
  u.key = lease_key(s->pk_value);
  u.update_expression = "REMOVE #o SET #e = :zero";
  u.condition_expression = "#o = :me";
  u.expression_attribute_names = {{"#o", "owner"}, {"#e", "expires_ms"}};
  u.expression_attribute_values = item{{":zero", 0}, {":me", s->owner}};
  auto [ec, r] = co_await s->c.update_item(u, tuple_token);
  if (ec == service_errc::conditional_check_failed) co_return out;
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  out.was_held = true;
  co_return out;
}

// ---- leases ---------------------------------------------------------------

struct leases::impl : detail::checked_table {};

leases::leases(client& c, table_options t) : impl_(std::make_unique<impl>(impl{{c, std::move(t)}})) {}
leases::~leases() = default;
leases::leases(leases&&) noexcept = default;
leases& leases::operator=(leases&&) noexcept = default;
asio::any_io_executor leases::executor() const { return impl_->c.get_executor(); }

asio::awaitable<held_lease> leases::acquire_impl(std::string name, milliseconds duration, acquire_options opt) {
  impl& s = *impl_;
  auto pk_value = lease_pk(name);
  if (!pk_value) throw ddb::error(std::move(pk_value).error());
  auto timing = timing_for(duration, opt.heartbeat);
  if (!timing) throw ddb::error(std::move(timing).error());
  if (opt.wait < milliseconds(0)) fail_with(errc::invalid_config, "acquire_options::wait must not be negative");
  co_await s.ensure();
  const auto deadline = steady::now() + opt.wait;
  int polls = 0;
  for (;;) {
    auto state = std::make_shared<lease_state>(s.c, s.t.table_name, name, *pk_value, new_owner_token(), *timing);
    const std::int64_t now = epoch_ms(s.c.server_time());
    update_item_request u = state->expiry_update();
    // Free, or its holder's expiry has passed; the fence grows in the same write.
    u.update_expression = "SET #e = :e, #t = :t, #o = :me, #f = if_not_exists(#f, :base) + :one";
    u.condition_expression = "attribute_not_exists(#o) OR #e < :now";
    u.expression_attribute_names.insert_or_assign("#f", "fence");
    u.expression_attribute_values.insert_or_assign(":now", now);
    u.expression_attribute_values.insert_or_assign(":base", fence_base(now));
    u.expression_attribute_values.insert_or_assign(":one", 1);
    u.return_values = ddb::return_value::updated_new;
    const steady::time_point sent = steady::now();
    auto [ec, r] = co_await s.c.update_item(u, tuple_token);
    if (!ec) {
      auto fence = integer_at(r.attributes, "fence");
      if (!fence) throw ddb::error(std::move(fence).error());
      state->fence = *fence;
      state->valid_until = sent + timing->duration - timing->safety;
      asio::co_spawn(s.c.get_executor(), detail::heartbeat(state), asio::detached);
      co_return held_lease(std::move(state));
    }
    if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(r.diag));
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    if (left <= milliseconds(0))
      fail_with(errc::lease_busy, "the lease '" + name + "' is held by another holder" +
                                      (opt.wait.count() > 0 ? "; waited " + std::to_string(opt.wait.count()) + " ms"
                                                            : "; retry later, or wait with acquire_options::wait"));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(poll_delay(polls++, left));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace ddb::agent
