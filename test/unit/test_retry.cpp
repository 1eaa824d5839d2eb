// The retry decider is pure: outcomes in, decisions out, with the random
// source injected. No sockets, no sleeping.
#include <catch2/catch.hpp>

#include <limits>

#include "ddb/error.hpp"
#include "ddb/retry.hpp"

using namespace ddb;
using namespace std::chrono_literals;

namespace {

retry_policy fixed_random(double r) {
  retry_policy p;
  p.random = [r] { return r; };
  return p;
}

attempt_outcome failed(std::error_code ec, unsigned status = 0, bool maybe_applied = false) {
  attempt_outcome o;
  o.ec = ec;
  o.http_status = status;
  o.maybe_applied = maybe_applied;
  return o;
}

}  // namespace

TEST_CASE("classification follows the standard mode", "[retry]") {
  CHECK(classify(failed(make_error_code(service_errc::throttling))) == retry_class::throttling);
  CHECK(classify(failed(make_error_code(service_errc::provisioned_throughput_exceeded))) == retry_class::throttling);
  CHECK(classify(failed(make_error_code(service_errc::request_limit_exceeded))) == retry_class::throttling);
  CHECK(classify(failed(make_error_code(service_errc::transaction_in_progress))) == retry_class::throttling);
  CHECK(classify(failed(make_error_code(service_errc::limit_exceeded))) == retry_class::throttling);
  CHECK(classify(failed(make_error_code(service_errc::internal_server_error), 500)) == retry_class::transient);
  CHECK(classify(failed(make_error_code(errc::connection_closed))) == retry_class::transient);
  CHECK(classify(failed(make_error_code(errc::crc32_mismatch))) == retry_class::transient);
  CHECK(classify(failed(make_error_code(errc::attempt_timeout))) == retry_class::transient);
  for (unsigned s : {500u, 502u, 503u, 504u}) CHECK(classify(failed(make_error_code(errc::http_error), s)) == retry_class::transient);
  CHECK(classify(failed(make_error_code(errc::http_error), 404)) == retry_class::none);
  CHECK(classify(failed(make_error_code(service_errc::validation), 400)) == retry_class::none);
  CHECK(classify(failed(make_error_code(service_errc::conditional_check_failed), 400)) == retry_class::none);
  CHECK(classify(failed(make_error_code(service_errc::transaction_canceled), 400)) == retry_class::none);
  CHECK(classify(failed(make_error_code(errc::pool_timeout))) == retry_class::none);
  CHECK(classify(attempt_outcome{}) == retry_class::none);
}

TEST_CASE("full-jitter backoff: bases, doubling, cap", "[retry]") {
  retry_quota q;
  auto delay = [&](double r, std::error_code ec, int attempt) {
    auto p = fixed_random(r);
    p.max_attempts = 100;
    return decide_retry(p, q, failed(ec), attempt, request_safety::idempotent).delay;
  };
  const auto transient = make_error_code(errc::connection_closed);
  const auto throttled = make_error_code(service_errc::throttling);
  CHECK(delay(0.999, transient, 1) == 24ms);    // < 25 ms
  CHECK(delay(0.999, transient, 2) == 49ms);    // < 50 ms
  CHECK(delay(0.999, throttled, 1) == 999ms);   // < 1 s
  CHECK(delay(0.999, throttled, 3) == 3996ms);  // < 4 s
  CHECK(delay(0.999, throttled, 10) == 19980ms);  // capped at 20 s
  CHECK(delay(0.0, throttled, 10) == 0ms);        // full jitter reaches zero
}

TEST_CASE("full_jitter: the one backoff formula (client, batch helpers, cache writes)", "[retry]") {
  CHECK(full_jitter(10ms, 320ms, 1, 1.0) == 10ms);
  CHECK(full_jitter(10ms, 320ms, 3, 1.0) == 40ms);
  CHECK(full_jitter(10ms, 320ms, 6, 1.0) == 320ms);
  CHECK(full_jitter(10ms, 320ms, 7, 1.0) == 320ms);  // capped
  CHECK(full_jitter(10ms, 320ms, 3, 0.5) == 20ms);
  CHECK(full_jitter(10ms, 320ms, 3, 0.0) == 0ms);
  // Out-of-range inputs are clamped, never overflow.
  CHECK(full_jitter(10ms, 320ms, 0, 1.0) == 10ms);
  CHECK(full_jitter(10ms, 320ms, -5, 1.0) == 10ms);
  CHECK(full_jitter(10ms, 20000ms, 1000, 1.0) == 20000ms);
  CHECK(full_jitter(std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max() / 2), 20000ms, 31, 1.0) ==
        20000ms);
  CHECK(full_jitter(10ms, 320ms, 3, 7.0) == 40ms);
  CHECK(full_jitter(10ms, 320ms, 3, -1.0) == 0ms);
  CHECK(full_jitter(-10ms, 320ms, 3, 1.0) == 0ms);
}

TEST_CASE("x-amz-retry-after is honoured within [backoff, backoff + 5 s]", "[retry]") {
  retry_quota q;
  auto p = fixed_random(0.5);
  auto o = failed(make_error_code(service_errc::throttling));
  o.retry_after = 1200ms;
  CHECK(decide_retry(p, q, o, 1, request_safety::idempotent).delay == 1200ms);  // 500 <= 1200 <= 5500
  o.retry_after = 10ms;
  CHECK(decide_retry(p, q, o, 1, request_safety::idempotent).delay == 500ms);  // raised to the backoff
  o.retry_after = 60000ms;
  CHECK(decide_retry(p, q, o, 1, request_safety::idempotent).delay == 5500ms);  // at most backoff + 5 s
}

TEST_CASE("attempts are bounded", "[retry]") {
  retry_quota q;
  const auto p = fixed_random(0.1);
  const auto o = failed(make_error_code(errc::connection_closed));
  CHECK(decide_retry(p, q, o, 1, request_safety::idempotent).retry);
  CHECK(decide_retry(p, q, o, 3, request_safety::idempotent).retry);
  CHECK_FALSE(decide_retry(p, q, o, 4, request_safety::idempotent).retry);  // 4 attempts in all
  CHECK_FALSE(decide_retry(retry_policy::no_retries(), q, o, 1, request_safety::idempotent).retry);
}

TEST_CASE("the quota: costs, refunds, exhaustion", "[retry]") {
  retry_quota q(500);
  const auto p = fixed_random(0.1);
  CHECK(decide_retry(p, q, failed(make_error_code(service_errc::throttling)), 1, request_safety::idempotent).retry);
  CHECK(q.available() == 495);
  CHECK(decide_retry(p, q, failed(make_error_code(errc::connection_closed)), 1, request_safety::idempotent).retry);
  CHECK(q.available() == 481);
  (void)decide_retry(p, q, attempt_outcome{}, 1, request_safety::idempotent);  // success refunds 1
  CHECK(q.available() == 482);
  retry_quota small(13);
  CHECK_FALSE(small.try_acquire(14));
  auto d = decide_retry(p, small, failed(make_error_code(errc::connection_closed)), 1, request_safety::idempotent);
  CHECK_FALSE(d.retry);
  CHECK(d.stop_reason == errc::retry_quota_exhausted);
  // Refunds never exceed the capacity.
  retry_quota full(500);
  full.refund(100);
  CHECK(full.available() == 500);
  // With the quota off, nothing is counted.
  auto off = p;
  off.quota_enabled = false;
  retry_quota untouched(0);
  CHECK(decide_retry(off, untouched, failed(make_error_code(errc::connection_closed)), 1, request_safety::idempotent).retry);
}

TEST_CASE("writes that may have been applied are repeated only when safe", "[retry]") {
  retry_quota q;
  const auto p = fixed_random(0.1);
  const auto ambiguous = failed(make_error_code(errc::connection_closed), 0, true);
  CHECK(decide_retry(p, q, ambiguous, 1, request_safety::idempotent).retry);
  CHECK_FALSE(decide_retry(p, q, ambiguous, 1, request_safety::not_idempotent).retry);
  // Not written at all: safe for anything.
  CHECK(decide_retry(p, q, failed(make_error_code(errc::connect_failed)), 1, request_safety::not_idempotent).retry);
  // Throttling proves nothing was applied.
  CHECK(decide_retry(p, q, failed(make_error_code(service_errc::throttling), 400, true), 1, request_safety::not_idempotent)
            .retry);
}

TEST_CASE("a custom classifier overrides the default", "[retry]") {
  retry_quota q;
  auto p = fixed_random(0.1);
  p.classifier = [](const attempt_outcome& o) -> std::optional<retry_class> {
    if (o.ec == service_errc::transaction_conflict) return retry_class::transient;
    return std::nullopt;
  };
  CHECK(decide_retry(p, q, failed(make_error_code(service_errc::transaction_conflict), 400), 1, request_safety::idempotent)
            .retry);
  CHECK_FALSE(decide_retry(p, q, failed(make_error_code(service_errc::validation), 400), 1, request_safety::idempotent).retry);
}

TEST_CASE("service error names map to codes, and back", "[retry]") {
  CHECK(service_errc_from_type("ConditionalCheckFailedException") == service_errc::conditional_check_failed);
  CHECK(service_errc_from_type("InternalServerError") == service_errc::internal_server_error);
  CHECK(service_errc_from_type("ValidationException") == service_errc::validation);
  CHECK(service_errc_from_type("SomethingNew") == service_errc::unknown);
  CHECK(make_error_code(service_errc::throttling).message() == "ThrottlingException");
  CHECK(std::string(service_category().name()) == "ddb.service");
  // Codes compare the same as boost::system::error_code (what Asio completes with).
  const std::error_code ec = service_errc::throttling;
  CHECK(is_throttling(ec));
  CHECK(is_retryable(ec));
  CHECK_FALSE(is_retryable(make_error_code(service_errc::conditional_check_failed)));
}
