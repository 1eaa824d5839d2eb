#pragma once
// Consumed capacity, totalled by the client, and its on-demand price.
//
// With client_config::track_capacity set, every operation that can asks for
// ReturnConsumedCapacity=INDEXES (unless the request already sets it), and the
// client adds what each response reports to running totals per table and per
// index. client::capacity() returns them with the estimated cost at the
// configured prices (defaults: the public US East on-demand prices).
#include <cstdint>
#include <map>
#include <string>

namespace ddb {

struct capacity_pricing {
  double usd_per_million_write_units = 0.625;
  double usd_per_million_read_units = 0.125;
  double usd_per_gb_month = 0.25;  ///< storage, for storage_cost_usd()
};

struct capacity_units {
  double read = 0;
  double write = 0;
};

struct capacity_report {
  std::map<std::string, capacity_units> tables;   ///< by table name
  std::map<std::string, capacity_units> indexes;  ///< "table/index"
  capacity_units total;                            ///< tables only (index units are part of their table's)
  std::uint64_t responses = 0;                     ///< responses that reported capacity
  double estimated_usd = 0;                        ///< total at the configured on-demand prices
  /// "12.5 read units, 4 write units, est. $0.0000041 (3 responses)"
  std::string summary() const;
};

double on_demand_cost_usd(const capacity_units& units, const capacity_pricing& prices);
double storage_cost_usd(std::uint64_t bytes, double months, const capacity_pricing& prices = {});

}  // namespace ddb
