#pragma once
// The decisions of ddb::agent's protocols, as pure functions of the items
// read and the time (no client, no sockets): what a refused claim means,
// how records and leases are written and read back, when a lease must be
// renewed and when it counts as lost. src/agent/{idempotency,lease}.cpp run
// them against DynamoDB; test/unit/test_agent.cpp checks them alone.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb::agent::detail {

// Attribute names of the agent table.
inline constexpr const char* pk = "pk";
inline constexpr const char* sk = "sk";
inline constexpr const char* ttl_attribute = "expires_at";  // epoch seconds (TTL)

// DynamoDB's key limits: a partition key of 2,048 bytes, a sort key of 1,024.
inline constexpr std::size_t max_partition_key = 2048;
// What one item holds of a result, and the most one transaction writes.
inline constexpr std::size_t chunk_bytes = 380'000;
inline constexpr std::size_t max_result_bytes = 4'000'000;

// A random owner token: 128 bits, hex.
std::string new_owner_token();
// The SHA-256 of a payload, hex.
std::string payload_hash(std::string_view payload);
// A string attribute, or null when absent or of another type.
const std::string* string_at(const item& it, const char* name);
// An attribute that must be a whole number; the error names it.
result<std::int64_t> integer_at(const item& it, const char* name);
// Epoch milliseconds of a time point.
std::int64_t epoch_ms(std::chrono::system_clock::time_point t);

// ---- idempotency ----------------------------------------------------------

inline constexpr std::string_view in_progress = "INPROGRESS";
inline constexpr std::string_view completed = "COMPLETED";
inline constexpr std::string_view failed = "FAILED";

// The partition key of a key's record, or invalid_config naming the problem.
result<std::string> idempotency_pk(std::string_view key);

struct idem_record {
  std::string status;
  std::string owner;
  std::int64_t expires_ms = 0;  // the record stops counting after this (server time)
  std::optional<std::string> payload_hash;
  std::optional<std::string> result;  // in the record
  std::int64_t chunks = 0;            // or in this many chunk items
  std::string error;                  // of a recorded failure
  std::optional<std::string> args;    // a ledger step's arguments
  std::int64_t started_ms = 0, completed_ms = 0;
};

// Where a record lives: an idempotency key's (pk "idem#key", sk "#"), or a
// ledger step's (pk "run#id", sk "step#0000000000000000042").
struct record_location {
  std::string pk_value;
  std::string sk_value;
};
// The claim's item: INPROGRESS, owned by `owner`, until now + in_progress;
// started_ms = now; the step's arguments when given.
item claim_item(const record_location& at, const std::string& owner, std::int64_t now_ms, std::int64_t in_progress_ms,
                const std::optional<std::string>& payload_hash, const std::optional<std::string>& args = std::nullopt);
// The items holding a large result's parts: "chunk/" + the record's sort
// key + "/" + index, so they never mix with steps or other records.
std::string chunk_prefix(std::string_view record_sk);
std::string chunk_sk(std::string_view record_sk, std::size_t i);
// A record as stored; errors name the attribute that is missing or wrong.
result<idem_record> read_record(const item& it);

enum class on_existing {
  claim_again,    // the record had expired by the time we read it (a clock race): claim again
  replay,         // COMPLETED: its result is the answer
  replay_failure, // FAILED was recorded
  in_progress,    // another caller runs it now
  mismatch,       // stored with another payload
};
on_existing decide(const idem_record& r, std::int64_t now_ms, const std::optional<std::string>& payload_hash);

// How long a waiting duplicate sleeps before its n-th poll (n from 0):
// 25 ms doubling to 1 s, never past the deadline.
std::chrono::milliseconds poll_delay(int n, std::chrono::milliseconds left);

// A result split into the pieces stored: one piece in the record when it
// fits, else chunk_bytes pieces.
std::vector<std::string_view> split_result(std::string_view result);

// ---- the tool-call ledger -------------------------------------------------

result<std::string> run_pk(std::string_view run);
// Steps sort by number: 19 digits, zero-padded. Negative steps are refused.
result<std::string> step_sk(std::int64_t step);
std::optional<std::int64_t> step_of(std::string_view sk);
// Run states: running -> succeeded | failed | cancelled; the three are final.
bool known_run_state(std::string_view s);
bool valid_transition(std::string_view from, std::string_view to);

// ---- checkpoints ----------------------------------------------------------

result<std::string> checkpoint_pk(std::string_view thread);
result<std::string> memory_pk(std::string_view user);
// n in `width` digits (19: any int64), so that numbers sort as strings.
std::string padded(std::int64_t n, std::size_t width = 19);

// ---- feature flags --------------------------------------------------------

result<std::string> flags_pk(std::string_view set);
// A Streams consumer's positions: "streampos#" + name + "#" + stream ARN.
result<std::string> stream_position_pk(std::string_view consumer, std::string_view stream_arn);
// A generation's items: "gen#" + generation (19 digits) + "#" + token + "#"
// (+ the flag's name).
std::string generation_prefix(std::int64_t generation, std::string_view token);
// A flag's name (1 to 255 bytes of UTF-8) and its value fit one item.
result<void> check_flag(std::string_view name, std::string_view value);

// ---- leases ---------------------------------------------------------------

result<std::string> lease_pk(std::string_view name);

// The fence of a lease item that never existed (or was removed by TTL long
// after its last expiry) starts above any fence issued before: epoch
// milliseconds times 1,000 leave room for 1,000 acquisitions per
// millisecond, far above what one item can take (about 1,000 writes a
// second), so fences increase even across the item's deletion.
std::int64_t fence_base(std::int64_t now_ms);

struct lease_timing {
  std::chrono::milliseconds duration;
  std::chrono::milliseconds heartbeat;  // between renewals
  std::chrono::milliseconds safety;     // the holder stops trusting the lease this long before it ends
};
// duration/3 between renewals; a margin of duration/5 (clock drift between
// holders, a renewal's own latency). Errors: a duration under 1 s or over a
// day, a heartbeat not shorter than duration - safety.
result<lease_timing> timing_for(std::chrono::milliseconds duration, std::optional<std::chrono::milliseconds> heartbeat);

}  // namespace ddb::agent::detail
