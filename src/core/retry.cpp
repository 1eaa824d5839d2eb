#include "ddb/retry.hpp"

#include <algorithm>
#include <random>

#include "ddb/error.hpp"

namespace ddb {

retry_class classify(const attempt_outcome& o) noexcept {
  if (!o.ec) return retry_class::none;
  if (is_throttling(o.ec)) return retry_class::throttling;
  if (is_retryable(o.ec)) return retry_class::transient;
  const unsigned s = o.http_status;
  if (s == 500 || s == 502 || s == 503 || s == 504) return retry_class::transient;
  return retry_class::none;
}

namespace {

double default_random() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

std::chrono::milliseconds full_jitter(std::chrono::milliseconds base, std::chrono::milliseconds cap, int retry,
                                      double r) noexcept {
  const int shift = std::clamp(retry - 1, 0, 30);
  const long long b = std::max<long long>(base.count(), 0);
  // base × 2^shift without overflow: past the cap it is the cap.
  const long long ceiling = b > (cap.count() >> shift) ? cap.count() : std::min<long long>(cap.count(), b << shift);
  return std::chrono::milliseconds{static_cast<long long>(std::clamp(r, 0.0, 1.0) * static_cast<double>(std::max(ceiling, 0LL)))};
}

retry_decision decide_retry(const retry_policy& policy, retry_quota& quota, const attempt_outcome& outcome, int attempt,
                            request_safety safety) {
  retry_decision d;
  if (!outcome.ec) {
    if (policy.quota_enabled) quota.refund(policy.success_refund);
    return d;
  }
  std::optional<retry_class> cls;
  if (policy.classifier) cls = policy.classifier(outcome);
  if (!cls) cls = classify(outcome);
  if (*cls == retry_class::none) return d;
  if (attempt >= policy.max_attempts) return d;
  // Throttling errors prove the request was not applied, whatever the transport saw.
  if (safety == request_safety::not_idempotent && outcome.maybe_applied && *cls != retry_class::throttling) return d;

  const bool throttled = *cls == retry_class::throttling;
  if (policy.quota_enabled && !quota.try_acquire(throttled ? policy.throttling_retry_cost : policy.retry_cost)) {
    d.stop_reason = make_error_code(errc::retry_quota_exhausted);
    return d;
  }
  const double r = policy.random ? policy.random() : default_random();
  std::chrono::milliseconds delay =
      full_jitter(throttled ? policy.throttling_base : policy.transient_base, policy.max_backoff, attempt, r);
  if (outcome.retry_after) delay = std::clamp(*outcome.retry_after, delay, delay + policy.max_retry_after_extra);
  d.retry = true;
  d.delay = delay;
  return d;
}

}  // namespace ddb
