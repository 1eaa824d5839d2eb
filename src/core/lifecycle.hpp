#pragma once
// One operation's life as decisions without sockets or timers. The client
// (src/client/client.cpp) keeps the timers, the credential refresh and the
// transport; what each event means is decided here, from its inputs only:
//
//   starting --> credentials --(usable)--> in_flight --(answer, or no retry)--> done
//                  ^     \--(unusable)--------------------------------------> done
//                  |                        |--(clock skew, once)--> credentials (signed again)
//                  \--(delay over)-- backoff <--(retryable error)--|
//   any phase --(cancel, operation_timeout, close, pool_wait_timeout)--> done
#include <chrono>
#include <cstdint>
#include <string>

#include "core/exchange.hpp"
#include "ddb/diagnostics.hpp"
#include "ddb/error.hpp"
#include "ddb/retry.hpp"

namespace ddb::detail {

enum class op_phase : std::uint8_t { starting, credentials, in_flight, backoff, done };
const char* to_string(op_phase p) noexcept;
// The arrows of the diagram above.
bool may_enter(op_phase from, op_phase to) noexcept;

// What an attempt's exchange brought back, as the retry rules see it, with
// the diagnostics filled in: the transport's error, a body that fails its
// x-amz-crc32, DynamoDB's error (a 4xx was refused: not applied), or HTTP
// without a DynamoDB error body. Takes the request id out of the response.
attempt_outcome classify_attempt(exchange& ex, diagnostics& diag, bool verify_crc32);

// DynamoDB refused the signature's time (RequestTimeTooSkewed and its kin):
// the request is signed again with the server's clock, once per operation.
bool clock_skew_error(const diagnostics& diag) noexcept;

// What follows an attempt.
struct next_attempt {
  enum class kind : std::uint8_t { complete, retry };
  kind k = kind::complete;
  boost::system::error_code ec;     // complete: the operation's result
  std::chrono::milliseconds delay{0};  // retry: the backoff
};
// Success refunds the quota; a closed client completes with client_closed;
// otherwise the retry rules decide (a quota that says no is noted in diag).
next_attempt after_attempt(const retry_policy& policy, retry_quota& quota, const attempt_outcome& outcome, int attempt,
                           request_safety safety, bool client_closed, diagnostics& diag);

// The deadlines of an operation, and what a passed one means.
enum class expiry : std::uint8_t {
  none,
  pool_wait,  // still waiting for a connection: fails with pool_timeout (nothing was sent)
  operation,  // the whole operation: fails with operation_timeout
  attempt,    // this attempt: abandoned (its connection closed if written), then the retry rules decide
};
struct deadline_set {
  std::chrono::steady_clock::time_point op = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point attempt = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point pool = std::chrono::steady_clock::time_point::max();
};
// The first deadline passed at `now`, in the order pool wait, operation,
// attempt; the pool wait counts only while the exchange still waits.
expiry expired(const deadline_set& d, std::chrono::steady_clock::time_point now, bool waiting_for_connection) noexcept;
// The message for diagnostics::message; `limit` is the timeout that passed.
std::string expiry_message(expiry e, std::chrono::milliseconds limit);
boost::system::error_code expiry_error(expiry e) noexcept;

}  // namespace ddb::detail
