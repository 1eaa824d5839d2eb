// An operation's lifecycle without sockets or timers (core/lifecycle): the
// phases and their arrows, what an attempt's exchange means, clock skew,
// what follows an attempt, and which deadline has passed.
#include <catch2/catch.hpp>

#include "core/crc32.hpp"
#include "core/lifecycle.hpp"

using namespace ddb::detail;
using ddb::errc;
using ddb::service_errc;
using std::chrono::milliseconds;

namespace {
exchange answered(unsigned status, std::string body) {
  exchange e;
  e.st = exchange::state::done;
  e.response.status = status;
  e.response.body = std::move(body);
  e.response.request_id = "REQ1";
  return e;
}
}  // namespace

TEST_CASE("lifecycle: the phases move only along the arrows", "[lifecycle]") {
  using p = op_phase;
  const p all[] = {p::starting, p::credentials, p::in_flight, p::backoff, p::done};
  std::string allowed;
  for (p from : all)
    for (p to : all)
      if (may_enter(from, to)) allowed += std::string(to_string(from)) + ">" + to_string(to) + " ";
  CHECK(allowed ==
        "starting>credentials starting>done credentials>in_flight credentials>done in_flight>credentials "
        "in_flight>backoff in_flight>done backoff>credentials backoff>done ");
}

TEST_CASE("lifecycle: what an attempt's exchange means", "[lifecycle]") {
  ddb::diagnostics diag;
  SECTION("the transport's error, as the transport saw it") {
    exchange e;
    e.ec = make_error_code(errc::connect_failed);
    e.error_detail = "connecting to http://127.0.0.1:1: TCP connect failed: Connection refused";
    const auto o = classify_attempt(e, diag, true);
    CHECK(o.ec == errc::connect_failed);
    CHECK(!o.maybe_applied);
    CHECK(o.http_status == 0);
    CHECK(diag.message == e.error_detail);
  }
  SECTION("200 with a matching checksum; the request id moves into the diagnostics") {
    auto e = answered(200, R"({"Item":{}})");
    e.response.crc32 = ddb::crc32::compute(e.response.body.data(), e.response.body.size());
    const auto o = classify_attempt(e, diag, true);
    CHECK(!o.ec);
    CHECK(o.maybe_applied);
    CHECK(diag.http_status == 200);
    CHECK(diag.request_id == "REQ1");
  }
  SECTION("a body that fails its checksum, or a checksum that is not a number") {
    auto e = answered(200, R"({"Item":{}})");
    e.response.crc32 = 12345;
    CHECK(classify_attempt(e, diag, true).ec == errc::crc32_mismatch);
    CHECK(diag.message.find("x-amz-crc32") != std::string::npos);
    CHECK(!classify_attempt(e, diag, false).ec);  // verify_crc32 off
    auto m = answered(200, "{}");
    m.response.crc32_malformed = true;
    CHECK(classify_attempt(m, diag, true).ec == errc::crc32_mismatch);
  }
  SECTION("DynamoDB refused it (4xx): its error, nothing applied") {
    auto e = answered(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                           R"("message":"The conditional request failed"})");
    const auto o = classify_attempt(e, diag, true);
    CHECK(o.ec == service_errc::conditional_check_failed);
    CHECK(!o.maybe_applied);
    CHECK(diag.service_type == "ConditionalCheckFailedException");
    CHECK(diag.message == "The conditional request failed");
  }
  SECTION("a 5xx may have been applied; its retry-after is kept") {
    auto e = answered(500, R"({"__type":"com.amazon.coral.service#InternalServerError","message":"boom"})");
    e.response.retry_after = milliseconds(250);
    const auto o = classify_attempt(e, diag, true);
    CHECK(o.ec == service_errc::internal_server_error);
    CHECK(o.maybe_applied);
    CHECK(o.retry_after == milliseconds(250));
  }
  SECTION("HTTP without a DynamoDB error body") {
    auto e = answered(502, "<html>Bad Gateway</html>");
    const auto o = classify_attempt(e, diag, true);
    CHECK(o.ec == errc::http_error);
    CHECK(o.maybe_applied);
    CHECK(diag.message == "HTTP 502 without a DynamoDB error body: <html>Bad Gateway</html>");
    auto f = answered(403, std::string(500, 'x'));
    classify_attempt(f, diag, true);
    CHECK(diag.message.size() == std::string("HTTP 403 without a DynamoDB error body: ").size() + 200);
    CHECK(!classify_attempt(f, diag, true).maybe_applied);
  }
}

TEST_CASE("lifecycle: the errors that mean the signature's clock is off", "[lifecycle]") {
  ddb::diagnostics d;
  for (const char* t : {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"}) {
    d.service_type = t;
    CHECK(clock_skew_error(d));
  }
  d.service_type = "InvalidSignatureException";
  d.message = "Signature expired: 20261207T000000Z is now earlier than 20261207T001000Z";
  CHECK(clock_skew_error(d));
  d.message = "Signature not yet current: 20261208T000000Z is still later than 20261207T001000Z";
  CHECK(clock_skew_error(d));
  d.message = "The request signature we calculated does not match the signature you provided.";
  CHECK(!clock_skew_error(d));
  d.service_type = "ThrottlingException";
  CHECK(!clock_skew_error(d));
}

TEST_CASE("lifecycle: what follows an attempt", "[lifecycle]") {
  ddb::retry_policy policy;
  policy.random = [] { return 0.5; };
  ddb::retry_quota quota(100);
  ddb::diagnostics diag;
  ddb::attempt_outcome throttled;
  throttled.ec = make_error_code(service_errc::provisioned_throughput_exceeded);
  throttled.http_status = 400;

  const auto retry = after_attempt(policy, quota, throttled, 1, ddb::request_safety::idempotent, false, diag);
  CHECK(retry.k == next_attempt::kind::retry);
  CHECK(retry.delay == milliseconds(500));  // 0.5 x the 1 s throttling base
  CHECK(quota.available() == 95);

  const auto ok = after_attempt(policy, quota, {}, 2, ddb::request_safety::idempotent, false, diag);
  CHECK(ok.k == next_attempt::kind::complete);
  CHECK(!ok.ec);
  CHECK(quota.available() == 96);  // refunded

  const auto closed = after_attempt(policy, quota, throttled, 1, ddb::request_safety::idempotent, true, diag);
  CHECK(closed.k == next_attempt::kind::complete);
  CHECK(closed.ec == errc::client_closed);

  ddb::attempt_outcome refused;
  refused.ec = make_error_code(service_errc::conditional_check_failed);
  CHECK(after_attempt(policy, quota, refused, 1, ddb::request_safety::idempotent, false, diag).ec ==
        service_errc::conditional_check_failed);

  ddb::attempt_outcome reset;
  reset.ec = make_error_code(errc::connection_closed);
  reset.maybe_applied = true;
  CHECK(after_attempt(policy, quota, reset, 1, ddb::request_safety::not_idempotent, false, diag).ec ==
        errc::connection_closed);
  CHECK(after_attempt(policy, quota, throttled, 4, ddb::request_safety::idempotent, false, diag).ec ==
        service_errc::provisioned_throughput_exceeded);  // attempts used up

  ddb::retry_quota empty(3);
  diag.message = "Rate exceeded";
  CHECK(after_attempt(policy, empty, throttled, 1, ddb::request_safety::idempotent, false, diag).k ==
        next_attempt::kind::complete);
  CHECK(diag.message == "Rate exceeded (not retried: the client's retry quota is exhausted)");
}

TEST_CASE("lifecycle: which deadline has passed", "[lifecycle]") {
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  deadline_set d;
  d.pool = t0 + milliseconds(10);
  d.attempt = t0 + milliseconds(20);
  d.op = t0 + milliseconds(30);
  CHECK(expired(d, t0, true) == expiry::none);
  CHECK(expired(d, t0 + milliseconds(10), true) == expiry::pool_wait);
  CHECK(expired(d, t0 + milliseconds(10), false) == expiry::none);  // written in time
  CHECK(expired(d, t0 + milliseconds(20), false) == expiry::attempt);
  CHECK(expired(d, t0 + milliseconds(30), false) == expiry::operation);  // the operation's ends everything
  CHECK(expired(d, t0 + milliseconds(30), true) == expiry::pool_wait);
  CHECK(expired(deadline_set{}, t0, true) == expiry::none);  // none set

  CHECK(expiry_error(expiry::pool_wait) == errc::pool_timeout);
  CHECK(expiry_error(expiry::operation) == errc::operation_timeout);
  CHECK(expiry_error(expiry::attempt) == errc::attempt_timeout);
  CHECK(!expiry_error(expiry::none));
  CHECK(expiry_message(expiry::attempt, milliseconds(2000)) == "no response within attempt_timeout (2000 ms)");
  CHECK(expiry_message(expiry::pool_wait, milliseconds(5)).find("raise client_config::pool_size") !=
        std::string::npos);
  CHECK(expiry_message(expiry::operation, milliseconds(7)) == "the operation took longer than operation_timeout (7 ms)");
}
