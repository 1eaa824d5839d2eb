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

/// On-demand prices in US dollars (client_config::pricing); the defaults are
/// the public US East prices.
struct capacity_pricing {
  /// USD per million write request units.
  double usd_per_million_write_units = 0.625;
  /// USD per million read request units.
  double usd_per_million_read_units = 0.125;
  double usd_per_gb_month = 0.25;  ///< storage, for storage_cost_usd()
};

/// Read and write capacity units. A response that reports only CapacityUnits
/// counts them as reads for GetItem, Query, Scan, BatchGetItem, TransactGetItems,
/// ExecuteStatement, BatchExecuteStatement and SearchVectors, else as writes.
struct capacity_units {
  /// Read capacity units.
  double read = 0;
  /// Write capacity units.
  double write = 0;
};

/// The capacity a client's responses reported since it started or since
/// client::reset_capacity(), with its estimated price: client::capacity().
struct capacity_report {
  std::map<std::string, capacity_units> tables;   ///< by table name
  std::map<std::string, capacity_units> indexes;  ///< "table/index"
  capacity_units total;                            ///< tables only (index units are part of their table's)
  std::uint64_t responses = 0;                     ///< responses that reported capacity
  double estimated_usd = 0;                        ///< total at the configured on-demand prices
  /// One line of totals: "12.5 read units, 4 write units, est. $0.00000410 (3 responses)".
  std::string summary() const;
};

/// The on-demand price of `units` in USD: read and write units times their price per million.
double on_demand_cost_usd(const capacity_units& units, const capacity_pricing& prices);
/// The price in USD of storing `bytes` (GiB = 2^30 bytes) for `months` at usd_per_gb_month.
double storage_cost_usd(std::uint64_t bytes, double months, const capacity_pricing& prices = {});

}  // namespace ddb
