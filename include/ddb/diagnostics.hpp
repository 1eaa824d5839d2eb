#pragma once
// What one operation learned about its failure (or success): never shared
// between operations, always complete enough to act on.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/json.hpp"
#include "ddb/error.hpp"

namespace ddb {

/// What one operation learned: the `diag` member of every response and of
/// raw_response (filled on failure too, with tokens that do not throw), and
/// ddb::error::diag() of what the default token throws.
struct diagnostics {
  unsigned http_status = 0;     ///< of the last attempt; 0 when no response arrived
  std::string service_type;     ///< DynamoDB's __type, e.g. "ConditionalCheckFailedException"
  std::string message;          ///< the service's message, or the client's explanation
  std::string request_id;       ///< x-amzn-RequestId of the last response
  int attempts = 0;             ///< attempts made, retries included
  std::vector<json::cancellation_reason> cancellation_reasons;  ///< TransactionCanceledException
  std::optional<ddb::item> item;  ///< old item of a failed condition (ReturnValuesOnConditionCheckFailure)

  /// One line for people, led by the __type or else `ec`'s message:
  /// "ConditionalCheckFailedException: The conditional request failed (HTTP 400, request 4F3..., 1 attempt)"
  std::string summary(const std::error_code& ec) const;

  /// For a cancelled transaction: whether an action's condition failed
  /// (ConditionalCheckFailed: the data said no, do not retry as is).
  bool condition_failed() const noexcept { return any_reason("ConditionalCheckFailed"); }
  /// For a cancelled transaction: whether another transaction was working on an
  /// item (TransactionConflict: retrying later can succeed).
  bool transaction_conflict() const noexcept { return any_reason("TransactionConflict"); }
  /// For a cancelled transaction: the index in TransactItems of the first action
  /// whose reason code is neither empty nor None; empty when there is none.
  std::optional<std::size_t> first_failed_action() const noexcept {
    for (std::size_t i = 0; i < cancellation_reasons.size(); ++i)
      if (!cancellation_reasons[i].code.empty() && cancellation_reasons[i].code != "None") return i;
    return std::nullopt;
  }

 private:
  bool any_reason(std::string_view code) const noexcept {
    for (const auto& r : cancellation_reasons)
      if (r.code == code) return true;
    return false;
  }
};

}  // namespace ddb
