// The rate limiter's decisions (src/agent/bucket.hpp): pure functions.
#include "agent/bucket.hpp"

#include <cmath>
#include <limits>

#include "agent/protocol.hpp"
#include "ddb/core/json.hpp"

namespace ddb::agent {

namespace {

// Milli-tokens of a count of tokens, rounded down; NaN, infinities and
// negatives become 0 (refused by check_limit, which names them).
std::int64_t milli_of(double tokens) {
  const double m = std::floor(tokens * 1000.0);
  if (!(m > 0)) return 0;
  if (m > 9.0e15) return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(m);
}
limit make(std::string key, double tokens, double burst, std::chrono::milliseconds period) {
  return limit{std::move(key), milli_of(tokens), milli_of(burst), period, 1};
}

}  // namespace

limit limit::per_second(std::string key, double tokens, double burst) {
  return make(std::move(key), tokens, burst, std::chrono::seconds(1));
}
limit limit::per_minute(std::string key, double tokens, double burst) {
  return make(std::move(key), tokens, burst, std::chrono::minutes(1));
}
limit limit::per_hour(std::string key, double tokens, double burst) {
  return make(std::move(key), tokens, burst, std::chrono::hours(1));
}
limit limit::per_day(std::string key, double tokens, double burst) {
  return make(std::move(key), tokens, burst, std::chrono::hours(24));
}

namespace detail {

namespace {

constexpr std::int64_t us_per_s = 1'000'000;
// Longest time a take or a bucket's refill may stand for: a century of
// microseconds keeps every sum of epoch times far inside 64 bits.
constexpr std::int64_t max_span_us = 100LL * 366 * 86'400 * us_per_s;
// Products of milli-tokens and microseconds overflow 64 bits at the extremes.
__extension__ using i128 = __int128;
// Keeps an item this long past the moment its bucket is full again: until
// then the item is state (TTL must not remove a debt); after it, an absent
// item means the same as the stored one (a full bucket).
constexpr std::int64_t ttl_margin_s = 3600;

item bucket_key(const bucket& b) { return item{{pk, b.pk_value}, {sk, "#"}}; }

// Seconds (rounded up) of an epoch-microseconds time, for the TTL.
std::int64_t ttl_of(std::int64_t us) { return (us + us_per_s - 1) / us_per_s + ttl_margin_s; }

struct update_parts {
  std::string update, condition;
  item values;
};
update_parts take_parts(const bucket& b, guess g, std::int64_t now_us, std::int64_t milli) {
  const std::int64_t cost = cost_us(milli, b);
  // Admitted only with tat' <= now + burst_us; the item lives until then + margin.
  const std::int64_t exp = ttl_of(now_us + b.burst_us);
  if (g == guess::idle)
    return {"SET #tat = :new, #exp = :exp", "attribute_not_exists(#tat) OR #tat <= :now",
            item{{":new", now_us + cost}, {":now", now_us}, {":exp", exp}}};
  return {"SET #tat = #tat + :cost, #exp = :exp", "#tat > :now AND #tat <= :last",
          item{{":cost", cost}, {":now", now_us}, {":last", now_us + b.burst_us - cost}, {":exp", exp}}};
}

}  // namespace

std::int64_t epoch_us(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

result<void> check_limit(const limit& l, std::int64_t milli) {
  const std::string what = "rate limit '" + l.key + "'";
  if (l.key.empty()) return fail(errc::invalid_config, "a rate limit needs a key (for example \"user#42/requests\")");
  if (!json::valid_utf8(l.key)) return fail(errc::invalid_config, "the rate limit key is not valid UTF-8");
  if (l.key.size() > max_limit_key)
    return fail(errc::invalid_config, "the rate limit key is " + std::to_string(l.key.size()) + " bytes; at most " +
                                          std::to_string(max_limit_key) + " (hash a longer one)");
  if (l.rate_milli <= 0)
    return fail(errc::invalid_config, what + ": the rate must be positive (got " + std::to_string(l.rate_milli) +
                                          " milli-tokens a period; limit::per_second, per_minute, ... make one)");
  if (l.period < std::chrono::milliseconds(1) || l.period > std::chrono::hours(24 * 31))
    return fail(errc::invalid_config, what + ": the period must be 1 ms to 31 days (got " +
                                          std::to_string(l.period.count()) + " ms)");
  if (l.burst_milli <= 0)
    return fail(errc::invalid_config, what + ": the burst must be positive (got " + std::to_string(l.burst_milli) +
                                          " milli-tokens; at least the largest single take)");
  if (l.sub_buckets < 1 || l.sub_buckets > max_sub_buckets)
    return fail(errc::invalid_config, what + ": sub_buckets must be 1 to " + std::to_string(max_sub_buckets) +
                                          " (got " + std::to_string(l.sub_buckets) + ")");
  if (l.rate_milli / l.sub_buckets <= 0 || l.burst_milli / l.sub_buckets <= 0)
    return fail(errc::invalid_config, what + ": spread over " + std::to_string(l.sub_buckets) +
                                          " sub-buckets each gets no rate or no burst; use fewer sub-buckets");
  if (milli < 0 || milli > max_milli)
    return fail(errc::invalid_config, what + ": a take of " + std::to_string(milli) +
                                          " milli-tokens is out of range (0 to 10^12)");
  if (milli > l.burst_milli / l.sub_buckets)
    return fail(errc::invalid_config,
                what + ": a take of " + std::to_string(milli) + " milli-tokens is more than the bucket ever holds (" +
                    std::to_string(l.burst_milli / l.sub_buckets) +
                    (l.sub_buckets > 1 ? " per sub-bucket" : "") + "), so it could never be admitted; raise the burst");
  return {};
}

bucket bucket_of(const limit& l, int i) {
  bucket b;
  b.pk_value = "limit#" + l.key;
  if (l.sub_buckets > 1) b.pk_value += "#" + std::to_string(i);
  b.rate = l.rate_milli / l.sub_buckets;
  b.period_us = std::chrono::duration_cast<std::chrono::microseconds>(l.period).count();
  b.burst = l.burst_milli / l.sub_buckets;
  const i128 full = static_cast<i128>(b.burst) * b.period_us / b.rate;
  b.burst_us = full > max_span_us ? max_span_us : static_cast<std::int64_t>(full);
  return b;
}

std::int64_t cost_us(std::int64_t milli, const bucket& b) {
  const i128 n = static_cast<i128>(milli) * b.period_us;
  const i128 c = (n + b.rate - 1) / b.rate;
  return c > max_span_us ? max_span_us : static_cast<std::int64_t>(c);
}

namespace {

// The take's fields, the same in an UpdateItem and a transaction's Update.
template <class Update>
Update take_request(const std::string& table, const bucket& b, guess g, std::int64_t now_us, std::int64_t milli) {
  update_parts p = take_parts(b, g, now_us, milli);
  Update u;
  u.table_name = table;
  u.key = bucket_key(b);
  u.update_expression = std::move(p.update);
  u.condition_expression = std::move(p.condition);
  u.expression_attribute_names = {{"#tat", tat_attribute}, {"#exp", ttl_attribute}};
  u.expression_attribute_values = std::move(p.values);
  u.return_values_on_condition_check_failure = return_values_on_condition_check_failure::all_old;
  return u;
}

}  // namespace

update_item_request take_update(const std::string& table, const bucket& b, guess g, std::int64_t now_us,
                                std::int64_t milli) {
  update_item_request u = take_request<update_item_request>(table, b, g, now_us, milli);
  u.return_values = return_value::updated_new;
  return u;
}

transact_write_item take_action(const std::string& table, const bucket& b, guess g, std::int64_t now_us,
                                std::int64_t milli) {
  transact_write_item w;
  w.update = take_request<transact_update>(table, b, g, now_us, milli);
  return w;
}

update_item_request adjust_update(const std::string& table, const bucket& b, std::int64_t now_us,
                                  std::int64_t delta_milli) {
  // A debt moves tat (and the TTL with it) later; a refund earlier. From an
  // absent item the base is now: the bucket was full.
  const std::int64_t shift = delta_milli >= 0 ? cost_us(delta_milli, b) : -cost_us(-delta_milli, b);
  update_item_request u;
  u.table_name = table;
  u.key = bucket_key(b);
  u.expression_attribute_names = {{"#tat", tat_attribute}, {"#exp", ttl_attribute}};
  if (shift >= 0) {
    u.update_expression = "SET #tat = if_not_exists(#tat, :now) + :shift, #exp = if_not_exists(#exp, :exp) + :shift_s";
    u.expression_attribute_values = item{{":now", now_us}, {":shift", shift}, {":exp", ttl_of(now_us)},
                                         {":shift_s", (shift + us_per_s - 1) / us_per_s}};
  } else {
    u.update_expression = "SET #tat = if_not_exists(#tat, :now) - :refund, #exp = if_not_exists(#exp, :exp)";
    u.expression_attribute_values = item{{":now", now_us}, {":refund", -shift}, {":exp", ttl_of(now_us)}};
  }
  return u;
}

result<std::optional<std::int64_t>> tat_of(const std::optional<item>& it) {
  if (!it || !it->find(tat_attribute)) return std::optional<std::int64_t>();
  auto t = integer_at(*it, tat_attribute);
  if (!t) return t.error();
  return std::optional<std::int64_t>(*t);
}

guess guess_for(std::optional<std::int64_t> tat, std::int64_t now_us) {
  return tat && *tat > now_us ? guess::busy : guess::idle;
}

refusal after_refusal(const bucket& b, std::optional<std::int64_t> tat, std::int64_t now_us, std::int64_t milli) {
  const guess fits = guess_for(tat, now_us);
  if (fits == guess::idle) return {false, guess::idle, 0};  // the bucket is full: the idle update will do
  const std::int64_t after = *tat + cost_us(milli, b);
  if (after - now_us <= b.burst_us) return {false, guess::busy, 0};
  return {true, guess::busy, after - now_us - b.burst_us};
}

std::int64_t level(const bucket& b, std::optional<std::int64_t> tat, std::int64_t now_us) {
  if (!tat || *tat <= now_us) return b.burst;
  const i128 owed = static_cast<i128>(*tat - now_us) * b.rate / b.period_us;
  const i128 l = static_cast<i128>(b.burst) - owed;
  return l < std::numeric_limits<std::int64_t>::min() / 2 ? std::numeric_limits<std::int64_t>::min() / 2
                                                          : static_cast<std::int64_t>(l);
}

}  // namespace detail
}  // namespace ddb::agent
