#pragma once
// The decisions of ddb::agent::rate_limiter as pure functions of the limit,
// the item DynamoDB returned and the time (no client, no sockets): the two
// conditional updates of a take, what a refusal means, the level a bucket
// holds. src/agent/rate_limit.cpp sends them; test/unit/test_agent_limits.cpp
// checks them alone, and against a simulated table of many takers.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "ddb/agent/rate_limit.hpp"
#include "ddb/core/value.hpp"
#include "ddb/error.hpp"
#include "ddb/model/data.hpp"

namespace ddb::agent::detail {

inline constexpr const char* tat_attribute = "tat";  // epoch microseconds (server time) when the bucket is full again
inline constexpr std::size_t max_limit_key = 1000;
inline constexpr int max_sub_buckets = 1000;
// Largest take or adjustment: a billion tokens.
inline constexpr std::int64_t max_milli = 1'000'000'000'000;

// One bucket's parameters in the units the item uses.
struct bucket {
  std::string pk_value;      // "limit#" + key, or "limit#" + key + "#" + sub-bucket
  std::int64_t rate = 0;     // milli-tokens per period (of this sub-bucket)
  std::int64_t period_us = 1'000'000;
  std::int64_t burst = 0;    // milli-tokens (of this sub-bucket)
  std::int64_t burst_us = 0; // the time a full refill takes, rounded down
};

// The limit checked (errors name the problem and the fix); `milli` is the
// take's size (0 for adjust), checked against the burst of one sub-bucket.
result<void> check_limit(const limit& l, std::int64_t milli);
// Sub-bucket i of the limit (0 <= i < sub_buckets).
bucket bucket_of(const limit& l, int i);

// What n milli-tokens cost in time at the bucket's rate, rounded up (never
// admits more).
std::int64_t cost_us(std::int64_t milli, const bucket& b);

enum class guess { idle, busy };

// The take's UpdateItem for a guess: returns tat (UPDATED_NEW) on success,
// the old item (ALL_OLD) when refused.
update_item_request take_update(const std::string& table, const bucket& b, guess g, std::int64_t now_us,
                                std::int64_t milli);
// The same as one action of a transaction.
transact_write_item take_action(const std::string& table, const bucket& b, guess g, std::int64_t now_us,
                                std::int64_t milli);
// An adjustment (positive: a debt, negative: a refund), unconditional.
update_item_request adjust_update(const std::string& table, const bucket& b, std::int64_t now_us, std::int64_t delta_milli);

// The stored tat: none when the item (or the attribute) is absent; an error
// naming the attribute when it is not a whole number.
result<std::optional<std::int64_t>> tat_of(const std::optional<item>& it);

// The guess that fits a known tat.
guess guess_for(std::optional<std::int64_t> tat, std::int64_t now_us);

// After a refusal: send the other guess, or deny and say when to come back.
struct refusal {
  bool denied = false;
  guess next = guess::idle;
  std::int64_t retry_after_us = 0;  // when denied
};
refusal after_refusal(const bucket& b, std::optional<std::int64_t> tat, std::int64_t now_us, std::int64_t milli);

// What the bucket holds at now_us (burst when tat is absent or past); below
// zero while in debt.
std::int64_t level(const bucket& b, std::optional<std::int64_t> tat, std::int64_t now_us);

// Epoch microseconds of the client's idea of server time.
std::int64_t epoch_us(std::chrono::system_clock::time_point t);

}  // namespace ddb::agent::detail
