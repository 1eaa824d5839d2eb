#pragma once
// Running totals of consumed capacity (thread-safe: completions may run on
// executors other than the client's).
#include <mutex>
#include <string>
#include <string_view>

#include "ddb/capacity.hpp"
#include "ddb/model.hpp"

namespace ddb::detail {

class capacity_tracker {
 public:
  void record(std::string_view operation, const consumed_capacity& c);
  capacity_report snapshot(const capacity_pricing& prices) const;
  void reset();

 private:
  mutable std::mutex m_;
  capacity_report report_;
};

// The request JSON with "ReturnConsumedCapacity":"INDEXES" added.
std::string with_consumed_capacity(std::string body);

}  // namespace ddb::detail
