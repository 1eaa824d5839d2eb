// Rate limits against DynamoDB: the protocol of ddb/agent/rate_limit.hpp,
// its decisions made by src/agent/bucket.cpp.
#include "ddb/agent/rate_limit.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <unordered_map>

#include "agent/bucket.hpp"
#include "agent/common.hpp"
#include "agent/protocol.hpp"
#include "ddb/model/data.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;
using steady = std::chrono::steady_clock;

namespace {

// Conditional writes one take may send before giving up on a bucket that
// other takers keep changing under it (each refusal returns the item, so
// the next guess is informed: two or three is the most seen in tests).
constexpr int max_writes = 8;
// The buckets whose last state is remembered for the next guess.
constexpr std::size_t max_remembered = 10'000;

std::chrono::milliseconds ms_ceil(std::int64_t us) { return std::chrono::milliseconds((us + 999) / 1000); }

}  // namespace

struct rate_limiter::impl : detail::checked_table {
  impl(client& cl, table_options t, rate_limiter_options o)
      : checked_table{cl, std::move(t)}, opt(o), rng(std::random_device{}()) {}
  rate_limiter_options opt;
  std::mt19937_64 rng;
  std::unordered_map<std::string, std::int64_t> last_tat;  // pk -> tat last seen (a hint, never trusted)
  struct reserved {
    std::int64_t milli = 0;
    steady::time_point at;
  };
  std::unordered_map<std::string, reserved> prefetched;  // limit key -> tokens this process holds

  std::int64_t now_us() const { return epoch_us(c.server_time()); }
  std::optional<std::int64_t> hint(const std::string& pk_value) const {
    auto it = last_tat.find(pk_value);
    if (it == last_tat.end()) return std::nullopt;
    return it->second;
  }
  // tat only grows (but for refunds, which forget the hint), so the largest
  // seen is the best guess, whichever of concurrent answers arrived last.
  void remember(const std::string& pk_value, std::optional<std::int64_t> tat) {
    if (!tat) return;
    if (last_tat.size() >= max_remembered) last_tat.clear();
    auto [it, fresh] = last_tat.try_emplace(pk_value, *tat);
    if (!fresh) it->second = std::max(it->second, *tat);
  }
  int pick(int n) { return n <= 1 ? 0 : static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
};

rate_limiter::rate_limiter(client& c, table_options t) : rate_limiter(c, std::move(t), rate_limiter_options()) {}
rate_limiter::rate_limiter(client& c, table_options t, rate_limiter_options o)
    : impl_(std::make_unique<impl>(c, std::move(t), o)) {}
rate_limiter::~rate_limiter() = default;
rate_limiter::rate_limiter(rate_limiter&&) noexcept = default;
rate_limiter& rate_limiter::operator=(rate_limiter&&) noexcept = default;
asio::any_io_executor rate_limiter::executor() const { return impl_->c.get_executor(); }

asio::awaitable<take_result> rate_limiter::take_impl(limit l, std::int64_t milli) {
  impl& s = *impl_;
  if (auto ok = check_limit(l, milli); !ok) throw ddb::error(std::move(ok).error());
  if (s.opt.prefetch_milli < 0) fail_with(errc::invalid_config, "rate_limiter_options::prefetch_milli must not be negative");
  take_result out;
  const std::int64_t per_bucket = l.burst_milli / l.sub_buckets;
  const std::int64_t want = std::max(milli, std::min(s.opt.prefetch_milli, per_bucket));
  if (want > milli) {  // served from what this process reserved, while fresh
    auto it = s.prefetched.find(l.key);
    if (it != s.prefetched.end()) {
      if (steady::now() - it->second.at > s.opt.prefetch_max_age) {
        s.prefetched.erase(it);
      } else if (it->second.milli >= milli) {
        it->second.milli -= milli;
        out.admitted = true;
        out.from_prefetch = true;
        out.remaining_milli = it->second.milli;
        co_return out;
      }
    }
  }
  co_await s.ensure();
  const int first = s.pick(l.sub_buckets);
  const int tries = l.sub_buckets > 1 ? 2 : 1;
  std::int64_t retry_us = std::numeric_limits<std::int64_t>::max();
  // One `now` for the whole take. A refused guess is followed by the other
  // one with the same now: the item it returned is on the stated side of
  // that now, and busy updates only add, so the second write succeeds unless
  // the bucket is short or another taker moved tat meanwhile (which is
  // progress). A fresh now would let a bucket whose tat hovers at the
  // present (a rate far above the demand) flip sides between writes and
  // refuse every guess. An older now is safe: the admission test compares
  // with now + burst, so it can only deny earlier (README "Why it holds").
  const std::int64_t now = s.now_us();
  for (int t = 0; t < tries; ++t) {
    const bucket b = bucket_of(l, (first + t) % l.sub_buckets);
    std::int64_t amount = want;
    guess g = guess_for(s.hint(b.pk_value), now);
    bool decided = false;
    while (!decided) {
      if (out.writes >= max_writes * tries)
        fail_with(errc::write_conflict, "rate limit '" + l.key + "': " + std::to_string(out.writes) +
                                            " conditional writes in a row were refused while other takers changed the "
                                            "bucket; try again");
      const update_item_request u = take_update(s.t.table_name, b, g, now, amount);
      auto [ec, r] = co_await s.c.update_item(u, tuple_token);
      ++out.writes;
      if (!ec) {
        auto tat = integer_at(r.attributes, tat_attribute);
        if (!tat) throw ddb::error(std::move(tat).error());
        s.remember(b.pk_value, *tat);
        out.admitted = true;
        out.remaining_milli = level(b, *tat, now);
        if (amount > milli) s.prefetched.insert_or_assign(l.key, impl::reserved{amount - milli, steady::now()});
        co_return out;
      }
      if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      auto tat = tat_of(r.diag.item);
      if (!tat) throw ddb::error(std::move(tat).error());
      s.remember(b.pk_value, *tat);
      refusal next = after_refusal(b, *tat, now, amount);
      if (next.denied && amount > milli) {  // the reservation does not fit; the take alone may
        amount = milli;
        next = after_refusal(b, *tat, now, amount);
      }
      if (!next.denied) {
        g = next.next;
        continue;
      }
      retry_us = std::min(retry_us, next.retry_after_us);
      out.remaining_milli = level(b, *tat, now);
      decided = true;
    }
  }
  out.retry_after = ms_ceil(retry_us);
  co_return out;
}

asio::awaitable<take_result> rate_limiter::take_all_impl(std::vector<limit_take> takes) {
  impl& s = *impl_;
  if (takes.empty()) fail_with(errc::invalid_config, "take_all needs at least one limit");
  if (takes.size() > 100)
    fail_with(errc::too_many_actions, "take_all takes from at most 100 limits in one transaction (got " +
                                          std::to_string(takes.size()) + ")");
  std::set<std::string> keys;
  for (const limit_take& t : takes) {
    if (auto ok = check_limit(t.l, t.milli); !ok) throw ddb::error(std::move(ok).error());
    if (!keys.insert(t.l.key).second)
      fail_with(errc::duplicate_key, "take_all names the rate limit '" + t.l.key + "' twice; take the sum once");
  }
  co_await s.ensure();
  std::vector<bucket> buckets;
  std::vector<guess> guesses;
  const std::int64_t start = s.now_us();
  for (const limit_take& t : takes) {
    buckets.push_back(bucket_of(t.l, s.pick(t.l.sub_buckets)));
    guesses.push_back(guess_for(s.hint(buckets.back().pk_value), start));
  }
  take_result out;
  std::chrono::milliseconds backoff{5};
  const std::int64_t now = start;  // one now for the whole call, as in take_impl
  while (out.writes < max_writes) {
    transact_write_items_request tx;
    for (std::size_t i = 0; i < takes.size(); ++i)
      tx.transact_items.push_back(take_action(s.t.table_name, buckets[i], guesses[i], now, takes[i].milli));
    auto [ec, r] = co_await s.c.transact_write_items(tx, tuple_token);
    ++out.writes;
    if (!ec) {
      // tat is now at least now + cost: the next take of these buckets guesses busy.
      for (std::size_t i = 0; i < takes.size(); ++i) {
        s.remember(buckets[i].pk_value, now + cost_us(takes[i].milli, buckets[i]));
      }
      out.admitted = true;
      co_return out;
    }
    if (ec != service_errc::transaction_canceled) ddb::detail::throw_operation_error(ec, std::move(r.diag));
    const auto& reasons = r.diag.cancellation_reasons;
    if (reasons.size() != takes.size())
      fail_with(errc::unexpected_json, "TransactionCanceledException with " + std::to_string(reasons.size()) +
                                           " cancellation reasons for " + std::to_string(takes.size()) + " actions");
    bool denied = false, conflict = false;
    std::int64_t retry_us = 0;
    for (std::size_t i = 0; i < takes.size(); ++i) {
      if (reasons[i].code == "TransactionConflict") conflict = true;
      if (reasons[i].code != "ConditionalCheckFailed") continue;
      auto tat = tat_of(reasons[i].item);
      if (!tat) throw ddb::error(std::move(tat).error());
      s.remember(buckets[i].pk_value, *tat);
      const refusal next = after_refusal(buckets[i], *tat, now, takes[i].milli);
      if (next.denied) {
        denied = true;
        retry_us = std::max(retry_us, next.retry_after_us);
      } else {
        guesses[i] = next.next;
      }
    }
    if (denied) {
      out.retry_after = ms_ceil(retry_us);
      co_return out;
    }
    if (conflict) {  // another transaction held an item: wait a little, with jitter
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(backoff + std::chrono::milliseconds(s.pick(static_cast<int>(backoff.count()))));
      co_await timer.async_wait(asio::use_awaitable);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
    }
  }
  fail_with(errc::write_conflict, "take_all: " + std::to_string(out.writes) +
                                      " transactions in a row were cancelled while other takers changed the buckets; "
                                      "try again");
}

asio::awaitable<adjusted> rate_limiter::adjust_impl(limit l, std::int64_t delta_milli) {
  impl& s = *impl_;
  if (auto ok = check_limit(l, 0); !ok) throw ddb::error(std::move(ok).error());
  if (delta_milli < -max_milli || delta_milli > max_milli)
    fail_with(errc::invalid_config, "rate limit '" + l.key + "': an adjustment of " + std::to_string(delta_milli) +
                                        " milli-tokens is out of range (at most 10^12 either way)");
  adjusted out;
  if (delta_milli == 0) co_return out;
  co_await s.ensure();
  // Spread evenly; the remainder goes to the first sub-buckets.
  const std::int64_t n = l.sub_buckets;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t share = delta_milli / n + (i < std::abs(delta_milli % n) ? (delta_milli < 0 ? -1 : 1) : 0);
    if (share == 0) continue;
    const bucket b = bucket_of(l, static_cast<int>(i));
    const update_item_request u = adjust_update(s.t.table_name, b, s.now_us(), share);
    auto [ec, r] = co_await s.c.update_item(u, tuple_token);
    if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
    s.last_tat.erase(b.pk_value);
  }
  co_return out;
}

}  // namespace ddb::agent
