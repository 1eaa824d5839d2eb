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
//                 ends retrying (errc::retry_quota_exhausted)
//   safety        an attempt that may have been applied (written, then no
//                 definitive answer) is retried only for requests that are
//                 safe to repeat (see request_safety)
#include <chrono>
#include <functional>
#include <optional>
#include <system_error>

namespace ddb {

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

struct retry_policy {
  int max_attempts = 4;
  std::chrono::milliseconds transient_base{25};
  std::chrono::milliseconds throttling_base{1000};
  std::chrono::milliseconds max_backoff{20000};
  std::chrono::milliseconds max_retry_after_extra{5000};
  bool quota_enabled = true;
  int quota_capacity = 500;
  int throttling_retry_cost = 5;
  int retry_cost = 14;
  int success_refund = 1;
  /// Overrides the default classification when it returns a value.
  std::function<std::optional<retry_class>(const attempt_outcome&)> classifier;
  /// Uniform in [0, 1); the default draws from a per-thread generator. Inject for tests.
  std::function<double()> random;

  static retry_policy no_retries() {
    retry_policy p;
    p.max_attempts = 1;
    return p;
  }
};

/// The default classification (also what retry_policy::classifier overrides).
retry_class classify(const attempt_outcome& o) noexcept;

/// The client's token bucket (one per client, shared by its operations).
class retry_quota {
 public:
  explicit retry_quota(int capacity = 500) : capacity_(capacity), tokens_(capacity) {}
  bool try_acquire(int cost) noexcept {
    if (tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }
  void refund(int n) noexcept { tokens_ = tokens_ + n > capacity_ ? capacity_ : tokens_ + n; }
  int available() const noexcept { return tokens_; }

 private:
  int capacity_;
  int tokens_;
};

struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  std::error_code stop_reason;  ///< set when retrying was wanted but the quota said no
};

/// Decides after attempt number `attempt` (1-based). On success, refunds the quota.
retry_decision decide_retry(const retry_policy& policy, retry_quota& quota, const attempt_outcome& outcome, int attempt,
                            request_safety safety);

}  // namespace ddb
