#pragma once
// What one operation learned about its failure (or success): never shared
// between operations, always complete enough to act on.
#include <string>
#include <vector>

#include "ddb/core/json.hpp"
#include "ddb/error.hpp"

namespace ddb {

struct diagnostics {
  unsigned http_status = 0;     // of the last attempt; 0 when no response arrived
  std::string service_type;     // DynamoDB's __type, e.g. "ConditionalCheckFailedException"
  std::string message;          // the service's message, or the client's explanation
  std::string request_id;       // x-amzn-RequestId of the last response
  int attempts = 0;             // attempts made, retries included
  std::vector<json::cancellation_reason> cancellation_reasons;  // TransactionCanceledException
  std::optional<ddb::item> item;  // old item of a failed condition (ReturnValuesOnConditionCheckFailure)

  // "ConditionalCheckFailedException: The conditional request failed (request 4F3..., 1 attempt)"
  std::string summary(const std::error_code& ec) const;
};

}  // namespace ddb
