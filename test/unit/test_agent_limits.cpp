// The rate limiter's decisions (src/agent/bucket.cpp) alone, and against a
// simulated table: many takers interleaving their conditional updates never
// admit more than rate x time + burst, and one taker gets exactly what a
// reference token bucket gives. No client, no sockets, no clock: times are
// given.
#include <catch2/catch.hpp>

#include <random>

#include "agent/bucket.hpp"

using namespace ddb;
using namespace ddb::agent;
using namespace ddb::agent::detail;

namespace {

std::int64_t num(const item& it, const char* name) { return *it.at(name).as_number().to<std::int64_t>(); }

// What DynamoDB does with one of take_update's requests: the condition on
// the stored tat, then the update. Returns whether it was applied.
bool server_apply(std::optional<std::int64_t>& tat, const update_item_request& u) {
  const item& v = u.expression_attribute_values;
  if (u.update_expression->find("#tat + :cost") != std::string::npos) {  // busy
    if (!tat || !(*tat > num(v, ":now") && *tat <= num(v, ":last"))) return false;
    *tat += num(v, ":cost");
    return true;
  }
  if (tat && !(*tat <= num(v, ":now"))) return false;  // idle
  tat = num(v, ":new");
  return true;
}

// One take as rate_limiter::take_impl runs it, against the simulated item.
struct sim_take {
  bool admitted = false;
  int writes = 0;
  std::int64_t retry_after_us = 0;
};
sim_take take_once(std::optional<std::int64_t>& stored, std::optional<std::int64_t> hint, const bucket& b,
                   std::int64_t now, std::int64_t milli) {
  sim_take out;
  guess g = guess_for(hint, now);
  while (out.writes < 8) {
    ++out.writes;
    if (server_apply(stored, take_update("t", b, g, now, milli))) {
      out.admitted = true;
      return out;
    }
    const refusal r = after_refusal(b, stored, now, milli);
    if (r.denied) {
      out.retry_after_us = r.retry_after_us;
      return out;
    }
    g = r.next;
  }
  FAIL("a take needed more than 8 writes");
  return out;
}

}  // namespace

TEST_CASE("rate limits: bad limits are refused with the problem and the fix", "[agent]") {
  CHECK(check_limit(limit::per_second("k", 10, 5), 1000));
  auto no_key = check_limit(limit::per_second("", 10, 5), 1000);
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().code == errc::invalid_config);
  CHECK_THAT(no_key.error().message, Catch::Contains("needs a key"));
  CHECK_THAT(check_limit(limit::per_second(std::string(1001, 'k'), 10, 5), 0).error().message,
             Catch::Contains("at most 1000"));
  CHECK_FALSE(check_limit(limit::per_second("\xc3\x28", 10, 5), 0));
  CHECK_THAT(check_limit(limit::per_second("k", -1, 5), 0).error().message, Catch::Contains("rate must be positive"));
  CHECK_THAT(check_limit(limit::per_second("k", 0.0001, 5), 0).error().message, Catch::Contains("rate must be positive"));
  CHECK_THAT(check_limit(limit::per_second("k", 1, 0), 0).error().message, Catch::Contains("burst must be positive"));
  CHECK_THAT(check_limit(limit::per_second("k", 1, std::nan("")), 0).error().message,
             Catch::Contains("burst must be positive"));
  CHECK_THAT(check_limit(limit::per_second("k", 10, 5), 5001).error().message,
             Catch::Contains("could never be admitted; raise the burst"));
  CHECK_THAT(check_limit(limit::per_second("k", 10, 5), -1).error().message, Catch::Contains("out of range"));
  limit spread = limit::per_second("k", 10, 5);
  spread.sub_buckets = 0;
  CHECK_THAT(check_limit(spread, 0).error().message, Catch::Contains("sub_buckets must be 1 to 1000"));
  spread.sub_buckets = 10;
  CHECK(check_limit(spread, 500));
  CHECK_THAT(check_limit(spread, 501).error().message, Catch::Contains("per sub-bucket"));
  spread.sub_buckets = 6000 / 1;
  CHECK_FALSE(check_limit(spread, 0));
}

TEST_CASE("rate limits: rates in milli-tokens per period, rounded down, costs rounded up", "[agent]") {
  const limit per_minute = limit::per_minute("k", 100, 10);
  CHECK(per_minute.rate_milli == 100'000);
  CHECK(per_minute.period == std::chrono::minutes(1));  // exact: no rounding to a per-second rate
  CHECK(limit::per_hour("k", 1, 1).period == std::chrono::hours(1));
  CHECK(limit::per_day("k", 1e6, 1e6).rate_milli == 1'000'000'000);
  CHECK(limit::per_second("k", 0.5, 1).rate_milli == 500);
  CHECK(limit::per_second("k", 1, 2.5).burst_milli == 2500);
  CHECK(limit::per_second("k", 0.0015, 1).rate_milli == 1);  // rounded down, never up
  const bucket one = bucket_of(limit::per_second("k", 1, 1), 0);
  CHECK(cost_us(1000, one) == 1'000'000);
  const bucket three = bucket_of(limit::per_second("k", 3, 1), 0);
  CHECK(cost_us(1000, three) == 333'334);  // rounded up
  const bucket minute = bucket_of(limit::per_minute("k", 1, 2), 0);
  CHECK(cost_us(1000, minute) == 60'000'000);  // one token a minute is 60 s, exactly
  CHECK(minute.burst_us == 120'000'000);
  const bucket slow = bucket_of(limit{"k", 1, 1'000'000, std::chrono::hours(24 * 31), 1}, 0);
  CHECK(cost_us(max_milli, slow) > 0);  // capped, no overflow at the extremes
  CHECK(slow.burst_us > 0);
  limit l = limit::per_second("user", 10, 20);
  l.sub_buckets = 4;
  const bucket b = bucket_of(l, 3);
  CHECK(b.pk_value == "limit#user#3");
  CHECK(b.rate == 2500);
  CHECK(b.burst == 5000);
  CHECK(b.burst_us == 2'000'000);
  CHECK(bucket_of(limit::per_second("user", 10, 20), 0).pk_value == "limit#user");
  limit bad_period = limit::per_second("k", 1, 1);
  bad_period.period = std::chrono::milliseconds(0);
  CHECK_THAT(check_limit(bad_period, 0).error().message, Catch::Contains("period must be 1 ms to 31 days"));
}

TEST_CASE("rate limits: the two updates, and what a refusal means", "[agent]") {
  const bucket b = bucket_of(limit::per_second("k", 1, 5), 0);  // 1 token/s, 5 at most
  const update_item_request idle = take_update("T", b, guess::idle, 100'000'000, 1000);
  CHECK(idle.condition_expression == "attribute_not_exists(#tat) OR #tat <= :now");
  CHECK(num(idle.expression_attribute_values, ":new") == 101'000'000);
  CHECK(num(idle.expression_attribute_values, ":exp") == 105 + 3600);  // past the moment it is full again
  CHECK(idle.return_values_on_condition_check_failure == return_values_on_condition_check_failure::all_old);
  CHECK(idle.key.at("pk") == value("limit#k"));
  const update_item_request busy = take_update("T", b, guess::busy, 100'000'000, 2000);
  CHECK(busy.condition_expression == "#tat > :now AND #tat <= :last");
  CHECK(num(busy.expression_attribute_values, ":last") == 100'000'000 + 5'000'000 - 2'000'000);
  const transact_write_item action = take_action("T", b, guess::busy, 100'000'000, 2000);
  REQUIRE(action.update);
  CHECK(action.update->condition_expression == busy.condition_expression);

  // A full bucket (no item, or tat in the past): the idle update.
  CHECK(guess_for(std::nullopt, 10) == guess::idle);
  CHECK(guess_for(10, 10) == guess::idle);
  CHECK(guess_for(11, 10) == guess::busy);
  CHECK_FALSE(after_refusal(b, 5, 10, 1000).denied);
  CHECK(after_refusal(b, 5, 10, 1000).next == guess::idle);
  // 2 tokens owed, 3 held: a take of 3 fits (busy), a take of 4 waits 1 s.
  CHECK(after_refusal(b, 2'000'010, 10, 3000).next == guess::busy);
  CHECK_FALSE(after_refusal(b, 2'000'010, 10, 3000).denied);
  const refusal wait = after_refusal(b, 2'000'010, 10, 4000);
  CHECK(wait.denied);
  CHECK(wait.retry_after_us == 1'000'000);
  CHECK(level(b, std::nullopt, 0) == 5000);
  CHECK(level(b, 2'000'010, 10) == 3000);
  CHECK(level(b, 7'000'010, 10) == -2000);  // in debt after an adjustment

  // tat as read back: absent, a number, or an error naming the attribute.
  CHECK_FALSE(*tat_of(std::nullopt));
  CHECK(*tat_of(item{{"pk", "limit#k"}, {"tat", 42}}) == 42);
  auto bad = tat_of(item{{"tat", "soon"}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("tat"));
}

TEST_CASE("rate limits: adjustments move tat and the TTL without a condition", "[agent]") {
  const bucket b = bucket_of(limit::per_second("k", 2, 4), 0);
  const update_item_request debt = adjust_update("T", b, 50'000'000, 3000);
  CHECK_FALSE(debt.condition_expression);
  CHECK(num(debt.expression_attribute_values, ":shift") == 1'500'000);
  CHECK(num(debt.expression_attribute_values, ":shift_s") == 2);
  const update_item_request refund = adjust_update("T", b, 50'000'000, -1000);
  CHECK(num(refund.expression_attribute_values, ":refund") == 500'000);
  CHECK(refund.update_expression->find("- :refund") != std::string::npos);
}

TEST_CASE("rate limits: one taker gets what a reference token bucket gives", "[agent]") {
  // 3 tokens a second, burst 5; takes of 1 token at random moments over 60 s.
  const bucket b = bucket_of(limit::per_second("k", 3, 5), 0);
  std::optional<std::int64_t> stored;
  double reference = 5.0;  // tokens in a floating-point bucket
  std::int64_t last = 0, now = 0;
  std::mt19937_64 rng(7);
  int admitted = 0, agreed = 0, takes = 0;
  while (now < 60'000'000) {
    now += static_cast<std::int64_t>(rng() % 700'000);
    reference = std::min(5.0, reference + 3.0 * static_cast<double>(now - last) / 1e6);
    last = now;
    const bool want = reference >= 1.0 - 1e-9;
    if (want) reference -= 1.0;
    const sim_take t = take_once(stored, stored, b, now, 1000);
    admitted += t.admitted;
    agreed += t.admitted == want;
    ++takes;
    if (!t.admitted) CHECK(t.retry_after_us > 0);
  }
  CHECK(takes > 100);
  CHECK(admitted > 100);
  // The limiter rounds costs up (a microsecond per take), so at most a
  // borderline take or two may differ.
  CHECK(agreed >= takes - 2);
}

namespace {

// 64 takers whose writes interleave at random: each take is a small state
// machine (a now fixed at its start, a guess, writes sent one at a time),
// and the clock moves between any two writes.
struct interleaved {
  std::int64_t admitted_milli = 0;
  std::int64_t first_admit_now = -1, last_admit_at = 0;  // the bound's interval
  int takes = 0, denied = 0, writes = 0, max_writes = 0;
};
interleaved run_interleaved(const bucket& b, std::uint64_t seed, std::int64_t max_step_us, int steps) {
  struct taker {
    bool taking = false;
    guess g = guess::idle;
    std::int64_t now = 0, milli = 0;
    int writes = 0;
    std::optional<std::int64_t> hint;
  };
  std::mt19937_64 rng(seed);
  std::vector<taker> takers(64);
  std::optional<std::int64_t> stored;
  std::int64_t clock = 1'000'000'000;
  interleaved out;
  for (int i = 0; i < steps; ++i) {
    clock += static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(max_step_us));
    taker& t = takers[rng() % takers.size()];
    if (!t.taking) {
      t = taker{true, guess_for(t.hint, clock), clock, 1000 * static_cast<std::int64_t>(1 + rng() % 3), 0, t.hint};
      ++out.takes;
    }
    ++t.writes;
    ++out.writes;
    const bool applied = server_apply(stored, take_update("t", b, t.g, t.now, t.milli));
    if (stored) t.hint = std::max(t.hint.value_or(*stored), *stored);
    if (applied) {
      t.taking = false;
      if (out.first_admit_now < 0) out.first_admit_now = t.now;
      out.last_admit_at = clock;
      out.admitted_milli += t.milli;
      CHECK(*stored - clock <= b.burst_us + 1);  // never beyond the burst, by any clock after the take began
    } else {
      const refusal r = after_refusal(b, stored, t.now, t.milli);
      if (r.denied) {
        t.taking = false;
        ++out.denied;
      } else {
        t.g = r.next;
      }
    }
    out.max_writes = std::max(out.max_writes, t.writes);
    if (!t.taking) t.writes = 0;
  }
  return out;
}

}  // namespace

TEST_CASE("rate limits: 64 interleaved takers never admit more than rate x time + burst", "[agent]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    // Demand about 20 times the rate: the bucket is busy, most takes denied.
    const bucket b = bucket_of(limit::per_second("hot", 50, 20), 0);
    const interleaved r = run_interleaved(b, seed, 2'000, 40'000);
    const double span = static_cast<double>(r.last_admit_at - r.first_admit_now) / 1e6;
    CHECK(static_cast<double>(r.admitted_milli) <= 50'000.0 * span + 20'000.0);
    CHECK(static_cast<double>(r.admitted_milli) >= 0.95 * 50'000.0 * span);  // and not merely refusing
    CHECK(r.denied > r.takes / 2);
    CHECK(r.max_writes <= 4);
    CHECK(static_cast<double>(r.writes) / r.takes < 1.6);
  }
}

TEST_CASE("rate limits: a rate far above the demand admits every take, without a write conflict", "[agent]") {
  // A million tokens a second: a take costs a microsecond, so tat hovers at
  // the present and the clock crosses it between writes. Takes keep their
  // start's now, so the second guess always lands (a fresh now per write
  // would flip sides and be refused again and again).
  for (std::uint64_t seed : {5u, 6u}) {
    const bucket b = bucket_of(limit::per_second("wide", 1e6, 1e6), 0);
    const interleaved r = run_interleaved(b, seed, 3, 40'000);
    CHECK(r.denied == 0);
    CHECK(r.max_writes <= 3);
  }
}
