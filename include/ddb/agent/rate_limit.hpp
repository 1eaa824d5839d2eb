#pragma once
// Rate limits shared by every process that uses the agent table: token
// buckets (`rate` per period, `burst` at most), in integer milli-tokens, one
// conditional UpdateItem per take.
//
//   ddb::agent::rate_limiter limits(client, {.table_name = "agent"});
//   const auto rpm = ddb::agent::limit::per_minute("user#42/requests", 60, 10);
//   ddb::agent::take_result r = co_await limits.take(rpm);
//   if (!r.admitted) reply_429(r.retry_after);
//
//   // an LLM call: a request and its estimated tokens, both or neither
//   const auto tpm = ddb::agent::limit::per_minute("user#42/tokens", 40000, 40000);
//   std::vector<ddb::agent::limit_take> both{{rpm, 1000}, {tpm, 2000 * 1000}};
//   r = co_await limits.take_all(both);
//   ... the call used 2,600 tokens: charge the difference afterwards
//   co_await limits.adjust(tpm, 600 * 1000);
//
// The protocol (README "Agent state"): the item of a bucket (pk "limit#" +
// key, sk "#") holds `tat`, the server time (epoch microseconds) at which
// the bucket is full again; its level is burst - (tat - now) x rate. A take
// of n milli-tokens costs n / rate of time and is admitted when the bucket
// holds n: tat' = max(tat, now) + cost <= now + burst / rate. The update
// language has no max, so the caller guesses which side of now tat is
// (from the last take it saw) and sends one of two updates:
//   idle: SET tat = now + cost       IF attribute_not_exists(tat) OR tat <= now
//   busy: SET tat = tat + cost       IF tat > now AND tat <= now + burst/rate - cost
// A refusal returns the item (ReturnValuesOnConditionCheckFailure): either
// the guess was wrong (send the other update) or the bucket is short, and
// then retry_after says when it will hold n, with no extra read. Busy takes
// add to tat and do not conflict with each other: 64 callers taking from one
// busy bucket each succeed with one write.
//
// Guarantee: over any interval of server time the admitted milli-tokens of
// a bucket are at most rate x interval + burst (proof in the README: every
// admitted take raises tat by at least its cost, and none is admitted with
// tat beyond now + burst/rate). Times are client::server_time() of each
// process; processes whose clocks disagree by e loosen the bound by
// rate x e. adjust() moves tat without a condition (a debt makes later takes
// wait; a refund never fills past burst). With sub_buckets N the key's
// items are N buckets of rate/N and burst/N each (the sum keeps the bound),
// a take goes to one at random and on denial tries one other: writes spread
// over N partitions (one partition takes about 1,000 writes a second), at
// the price of a denial while another sub-bucket still holds tokens. With
// prefetch, one take reserves k milli-tokens and hands them out locally
// for up to prefetch_max_age: fewer writes, and the bound loosens by k per
// process (reserved tokens are spent later than they were admitted).
//
// Cost: a take is one write of one unit (a refused guess or a second
// sub-bucket one more); take_all is one transaction (2 units per limit); a
// denial costs the refused write's unit. Errors: errc::invalid_config for a
// bad limit (empty or over-long key, rate or burst not positive, a take
// larger than burst: it could never be admitted), DynamoDB's errors.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// A token bucket: its key in the agent table, rate, burst and period.
/// Checked on each call (errc::invalid_config naming the problem).
struct limit {
  std::string key;               ///< up to 1,000 bytes
  std::int64_t rate_milli = 0;   ///< milli-tokens added per period (1,000: a token), > 0
  std::int64_t burst_milli = 0;  ///< what the bucket holds at most, in milli-tokens, > 0
  std::chrono::milliseconds period{1000};  ///< 1 ms to 31 days: the rate is per this
  int sub_buckets = 1;           ///< 1 to 1,000: a hot key spread over this many items

  /// `tokens` per second, minute, hour or day (fractions allowed, rounded
  /// down to milli-tokens, never up), `burst` tokens at most.
  static limit per_second(std::string key, double tokens, double burst);
  static limit per_minute(std::string key, double tokens, double burst);  ///< `tokens` per minute, `burst` at most
  static limit per_hour(std::string key, double tokens, double burst);  ///< `tokens` per hour, `burst` at most
  static limit per_day(std::string key, double tokens, double burst);  ///< `tokens` per day, `burst` at most
};

/// n tokens as milli-tokens.
constexpr std::int64_t tokens(std::int64_t n) { return n * 1000; }

/// The answer to take() or take_all().
struct take_result {
  bool admitted = false;  ///< true: the tokens were taken; false: denied (see retry_after)
  /// When denied: how long until the bucket holds what was asked (server
  /// time, rounded up to a millisecond); 0 when admitted.
  std::chrono::milliseconds retry_after{0};
  /// A single take's bucket after it (admitted) or as it was (denied), in
  /// milli-tokens; may be negative after adjust() charged a debt. take_all
  /// leaves it 0.
  std::int64_t remaining_milli = 0;
  int writes = 0;  ///< conditional writes sent (guesses refused and sub-buckets tried included)
  bool from_prefetch = false;  ///< served from the tokens this process reserved
  diagnostics diag;            ///< the failure's message (as_tuple and callbacks)
};

/// One part of a take_all(): a limit and what to take from it.
struct limit_take {
  limit l;  ///< the bucket to take from (each key at most once per take_all())
  std::int64_t milli = 1000;  ///< milli-tokens to take (1,000: one token), at most one sub-bucket's burst
};

/// What adjust() returns: nothing on success.
struct adjusted {
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// Options of a rate limiter.
struct rate_limiter_options {
  /// Reserve this many milli-tokens per write and hand them out locally
  /// (0: every take writes); capped at one sub-bucket's burst. When the
  /// bucket holds less than the reservation, the take alone is written.
  std::int64_t prefetch_milli = 0;
  /// Local tokens older than this are dropped, not spent.
  std::chrono::milliseconds prefetch_max_age{1000};
};

/// Token-bucket rate limits shared through the agent table (README "Agent
/// state"). The client must outlive it. Move-only.
class rate_limiter {
 public:
  /// No prefetch: every take writes. No I/O: the table is checked on first use.
  rate_limiter(client& c, table_options t);
  /// With options (checked on take(): a negative prefetch_milli is errc::invalid_config).
  rate_limiter(client& c, table_options t, rate_limiter_options o);
  ~rate_limiter();
  rate_limiter(rate_limiter&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  rate_limiter& operator=(rate_limiter&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Takes `milli` milli-tokens from the bucket of `l` (a denial is a result,
  /// not an error). Arguments are copied before the call returns; with GCC 12
  /// name them rather than building them inside co_await (README "GCC 12").
  /// One conditional UpdateItem (one more after a wrong guess, or for a second
  /// sub-bucket); none when served from prefetched tokens. Errors:
  /// errc::invalid_config (a bad limit, a take over one sub-bucket's burst),
  /// errc::write_conflict (8 refused writes per bucket tried, while other
  /// takers kept changing it), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto take(const limit& l, std::int64_t milli, Token&& token = {}) {
    return detail::run_op<take_result>(executor(), std::forward<Token>(token),
                                       [this, l, milli]() mutable { return take_impl(std::move(l), milli); });
  }
  /// Takes one token (1,000 milli-tokens).
  template <class Token = boost::asio::use_awaitable_t<>>
  auto take(const limit& l, Token&& token = {}) {
    return take(l, tokens(1), std::forward<Token>(token));
  }

  /// Takes from every limit or from none, in one transaction (up to 100
  /// limits, each key at most once). Prefetch does not apply. One
  /// TransactWriteItems (2 write units per limit), again after a wrong guess
  /// or a conflict. Errors: errc::invalid_config (no takes, a bad limit),
  /// errc::too_many_actions (over 100), errc::duplicate_key (a key twice),
  /// errc::write_conflict (8 transactions in a row cancelled), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto take_all(const std::vector<limit_take>& takes, Token&& token = {}) {
    return detail::run_op<take_result>(executor(), std::forward<Token>(token),
                                       [this, takes]() mutable { return take_all_impl(std::move(takes)); });
  }

  /// Charges (positive) or refunds (negative) milli-tokens after the fact,
  /// unconditionally: an LLM call that used more tokens than it reserved
  /// leaves the bucket in debt. With sub-buckets, spread evenly.
  /// One UpdateItem per sub-bucket with a share (none for 0). Errors:
  /// errc::invalid_config (a bad limit, more than 10^12 either way), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto adjust(const limit& l, std::int64_t delta_milli, Token&& token = {}) {
    return detail::run_op<adjusted>(executor(), std::forward<Token>(token), [this, l, delta_milli]() mutable {
      return adjust_impl(std::move(l), delta_milli);
    });
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<take_result> take_impl(limit l, std::int64_t milli);
  boost::asio::awaitable<take_result> take_all_impl(std::vector<limit_take> takes);
  boost::asio::awaitable<adjusted> adjust_impl(limit l, std::int64_t delta_milli);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
