#include "core/lifecycle.hpp"

#include "core/crc32.hpp"
#include "ddb/core/json.hpp"

namespace ddb::detail {

const char* to_string(op_phase p) noexcept {
  switch (p) {
    case op_phase::starting: return "starting";
    case op_phase::credentials: return "credentials";
    case op_phase::in_flight: return "in_flight";
    case op_phase::backoff: return "backoff";
    case op_phase::done: return "done";
  }
  return "?";
}

bool may_enter(op_phase from, op_phase to) noexcept {
  if (to == op_phase::done) return from != op_phase::done;
  switch (from) {
    case op_phase::starting: return to == op_phase::credentials;
    case op_phase::credentials: return to == op_phase::in_flight;
    case op_phase::in_flight: return to == op_phase::backoff || to == op_phase::credentials;
    case op_phase::backoff: return to == op_phase::credentials;
    case op_phase::done: return false;
  }
  return false;
}

attempt_outcome classify_attempt(exchange& ex, diagnostics& diag, bool verify_crc32) {
  attempt_outcome o;
  if (ex.ec) {
    o.ec = ex.ec;
    o.maybe_applied = ex.maybe_applied;
    diag.message = ex.error_detail;
    return o;
  }
  http_response& r = ex.response;
  diag.http_status = r.status;
  diag.request_id = std::move(r.request_id);
  o.http_status = r.status;
  o.retry_after = r.retry_after;
  o.maybe_applied = true;
  if (verify_crc32 && (r.crc32_malformed || (r.crc32 && *r.crc32 != crc32::compute(r.body.data(), r.body.size())))) {
    o.ec = make_error_code(errc::crc32_mismatch);
    diag.message = "the response body does not match its x-amz-crc32 header (corrupted in transit)";
    return o;
  }
  if (r.status == 200) return o;
  // A 4xx answer is DynamoDB refusing the request: nothing was applied.
  o.maybe_applied = r.status >= 500;
  auto err = json::parse_error(r.body);
  if (err) {
    o.ec = make_error_code(service_errc_from_type(err->type));
    diag.service_type = err->type;
    diag.message = std::move(err->message);
    diag.cancellation_reasons = std::move(err->cancellation_reasons);
    diag.item = std::move(err->item);
  } else {
    o.ec = make_error_code(errc::http_error);
    diag.message = "HTTP " + std::to_string(r.status) + " without a DynamoDB error body: " + r.body.substr(0, 200);
  }
  return o;
}

bool clock_skew_error(const diagnostics& diag) noexcept {
  const std::string& t = diag.service_type;
  return t == "RequestTimeTooSkewed" || t == "RequestExpired" || t == "RequestInTheFuture" ||
         (t == "InvalidSignatureException" && (diag.message.find("Signature expired") != std::string::npos ||
                                               diag.message.find("Signature not yet current") != std::string::npos));
}

next_attempt after_attempt(const retry_policy& policy, retry_quota& quota, const attempt_outcome& outcome, int attempt,
                           request_safety safety, bool client_closed, diagnostics& diag) {
  if (!outcome.ec) {
    (void)decide_retry(policy, quota, outcome, attempt, safety);  // refunds the quota
    return {};
  }
  if (client_closed || outcome.ec == errc::client_closed) return {.ec = make_error_code(errc::client_closed)};
  const retry_decision d = decide_retry(policy, quota, outcome, attempt, safety);
  if (d.retry) return {.k = next_attempt::kind::retry, .delay = d.delay};
  if (d.stop_reason) diag.message += " (not retried: the client's retry quota is exhausted)";
  return {.ec = outcome.ec};
}

expiry expired(const deadline_set& d, std::chrono::steady_clock::time_point now, bool waiting_for_connection) noexcept {
  if (waiting_for_connection && d.pool <= now) return expiry::pool_wait;
  if (d.op <= now) return expiry::operation;
  if (d.attempt <= now) return expiry::attempt;
  return expiry::none;
}

std::string expiry_message(expiry e, std::chrono::milliseconds limit) {
  const std::string ms = std::to_string(limit.count()) + " ms";
  switch (e) {
    case expiry::pool_wait:
      return "no connection took the request within pool_wait_timeout (" + ms +
             "): raise client_config::pool_size or pipeline_depth, or send less at once";
    case expiry::operation: return "the operation took longer than operation_timeout (" + ms + ")";
    case expiry::attempt: return "no response within attempt_timeout (" + ms + ")";
    case expiry::none: break;
  }
  return {};
}

boost::system::error_code expiry_error(expiry e) noexcept {
  switch (e) {
    case expiry::pool_wait: return make_error_code(errc::pool_timeout);
    case expiry::operation: return make_error_code(errc::operation_timeout);
    case expiry::attempt: return make_error_code(errc::attempt_timeout);
    case expiry::none: break;
  }
  return {};
}

}  // namespace ddb::detail
