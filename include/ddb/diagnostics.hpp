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

struct diagnostics {
  unsigned http_status = 0;     ///< of the last attempt; 0 when no response arrived
  std::string service_type;     ///< DynamoDB's __type, e.g. "ConditionalCheckFailedException"
  std::string message;          ///< the service's message, or the client's explanation
  std::string request_id;       ///< x-amzn-RequestId of the last response
  int attempts = 0;             ///< attempts made, retries included
  std::vector<json::cancellation_reason> cancellation_reasons;  ///< TransactionCanceledException
  std::optional<ddb::item> item;  ///< old item of a failed condition (ReturnValuesOnConditionCheckFailure)

  /// "ConditionalCheckFailedException: The conditional request failed (request 4F3..., 1 attempt)"
  std::string summary(const std::error_code& ec) const;

  /// For a cancelled transaction: whether an action's condition failed (the
  /// data said no: do not retry as is), whether another transaction was
  /// working on an item (TransactionConflict: retrying later can succeed),
  /// and which action failed first (its index in TransactItems).
  bool condition_failed() const noexcept { return any_reason("ConditionalCheckFailed"); }
  bool transaction_conflict() const noexcept { return any_reason("TransactionConflict"); }
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
