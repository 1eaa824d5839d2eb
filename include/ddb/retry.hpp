#pragma once
// The AWS "standard" retry mode with DynamoDB's parameters (as the SDKs
// adopted them in 2026), as pure code: the client feeds it what happened and
// it answers whether and when to try again.
//
//   attempts      at most 4 (the first one included)
//   backoff       full jitter: random[0,1) × min(max_backoff, base × 2^(retry-1)),
//                 base 25 ms for transient errors, 1 s for throttling
//   retry-after   x-amz-retry-after is honoured within [backoff, backoff + 5 s]
//   quota         a token bucket of 500 per client: a throttling retry costs
//                 5, any other retry 14, a success returns 1; an empty bucket
//                 ends retrying: the operation fails with its last attempt's
//                 error, and its diagnostics say the quota ran out
//                 (retry_decision::stop_reason is errc::retry_quota_exhausted)
//   safety        an attempt that may have been applied (written, then no
//                 definitive answer) is retried only for requests that are
//                 safe to repeat (see request_safety)
#include <chrono>
#include <functional>
#include <optional>
#include <system_error>

namespace ddb {

/// How a failed attempt is retried: `none` (success, or a failure not
/// retried), `transient` (backoff from transient_base, costs retry_cost) or
/// `throttling` (backoff from throttling_base, costs throttling_retry_cost).
enum class retry_class { none, transient, throttling };

/// What one attempt came to.
struct attempt_outcome {
  std::error_code ec;              ///< empty on success
  unsigned http_status = 0;        ///< 0 when no response arrived
  bool maybe_applied = false;      ///< the request was written and no definitive rejection came back
  std::optional<std::chrono::milliseconds> retry_after;  ///< x-amz-retry-after
};

/// Whether repeating a request can change its outcome.
enum class request_safety {
  idempotent,      ///< reads; puts/deletes without conditions; TransactWriteItems with a ClientRequestToken
  not_idempotent,  ///< UpdateItem; conditional writes: retried only when the attempt cannot have been applied
};

/// The retry rules of a client (client_config::retry), read by decide_retry().
/// The defaults are the AWS standard mode with DynamoDB's parameters: 4 attempts,
/// full-jitter backoff, a 500-token retry quota per client.
struct retry_policy {
  /// Attempts per operation, the first included; 1 = no retries.
  int max_attempts = 4;
  /// Backoff base for transient errors: retry n waits random[0,1) × min(max_backoff, base × 2^(n-1)).
  std::chrono::milliseconds transient_base{25};
  /// Backoff base for throttling errors (same formula).
  std::chrono::milliseconds throttling_base{1000};
  /// Ceiling of the backoff before jitter.
  std::chrono::milliseconds max_backoff{20000};
  /// An x-amz-retry-after from the server is honoured, clamped to [backoff, backoff + this].
  std::chrono::milliseconds max_retry_after_extra{5000};
  /// Whether retries draw tokens from the client's retry_quota; false: the quota never stops a retry.
  bool quota_enabled = true;
  /// Tokens in the client's quota at the start, and its ceiling.
  int quota_capacity = 500;
  /// Tokens one throttling retry takes from the quota.
  int throttling_retry_cost = 5;
  /// Tokens any other retry takes from the quota.
  int retry_cost = 14;
  /// Tokens each successful attempt returns to the quota (up to quota_capacity).
  int success_refund = 1;
  /// Overrides the default classification when it returns a value.
  std::function<std::optional<retry_class>(const attempt_outcome&)> classifier;
  /// Uniform in [0, 1); the default draws from a per-thread generator. Inject for tests.
  std::function<double()> random;

  /// The default policy with max_attempts = 1: every operation makes one attempt.
  static retry_policy no_retries() {
    retry_policy p;
    p.max_attempts = 1;
    return p;
  }
};

/// The default classification (also what retry_policy::classifier overrides):
/// none on success; throttling for is_throttling() codes; transient for the other
/// is_retryable() codes and for HTTP 500, 502, 503 and 504; none otherwise.
retry_class classify(const attempt_outcome& o) noexcept;

/// The client's token bucket (one per client, shared by its operations).
/// Not synchronised: the client uses it from its own executor.
class retry_quota {
 public:
  /// A full bucket of `capacity` tokens (the client passes retry_policy::quota_capacity).
  explicit retry_quota(int capacity = 500) : capacity_(capacity), tokens_(capacity) {}
  /// Takes `cost` tokens and returns true; returns false, taking none, when fewer are left.
  bool try_acquire(int cost) noexcept {
    if (tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }
  /// Returns `n` tokens to the bucket, up to its capacity.
  void refund(int n) noexcept { tokens_ = tokens_ + n > capacity_ ? capacity_ : tokens_ + n; }
  /// Tokens left now.
  int available() const noexcept { return tokens_; }

 private:
  int capacity_;
  int tokens_;
};

/// What decide_retry() answers: another attempt after `delay`, or stop.
struct retry_decision {
  /// True: start another attempt after delay; false: complete with the attempt's outcome.
  bool retry = false;
  /// The jittered backoff (or honoured x-amz-retry-after) before the next attempt; 0 when not retrying.
  std::chrono::milliseconds delay{0};
  /// errc::retry_quota_exhausted, or empty.
  std::error_code stop_reason;  ///< set when retrying was wanted but the quota said no
};

/// Full-jitter exponential backoff, the one formula every ddb retry loop uses
/// (the client's retries, the batch helpers' unprocessed items, the cache's
/// conditional writes): r × min(cap, base × 2^(retry-1)) for the retry-th
/// retry (1, 2, ...), r in [0, 1] (clamped). Pure and cheap.
std::chrono::milliseconds full_jitter(std::chrono::milliseconds base, std::chrono::milliseconds cap, int retry,
                                      double r) noexcept;

/// Decides after attempt number `attempt` (1-based). On success, refunds the quota.
/// No retry for a failure classified none, after max_attempts, for a not_idempotent
/// request whose attempt may have been applied (unless throttled: nothing was), or
/// when the quota cannot pay (stop_reason set). Changes only `quota` (and draws a random number).
retry_decision decide_retry(const retry_policy& policy, retry_quota& quota, const attempt_outcome& outcome, int attempt,
                            request_safety safety);

}  // namespace ddb
