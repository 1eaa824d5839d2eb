#include "request/capacity_tracker.hpp"

#include <cstdio>

namespace ddb {

double on_demand_cost_usd(const capacity_units& u, const capacity_pricing& p) {
  return u.read * p.usd_per_million_read_units / 1e6 + u.write * p.usd_per_million_write_units / 1e6;
}

double storage_cost_usd(std::uint64_t bytes, double months, const capacity_pricing& p) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) * months * p.usd_per_gb_month;
}

std::string capacity_report::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.6g read units, %.6g write units, est. $%.8f (%llu responses)", total.read,
                total.write, estimated_usd, static_cast<unsigned long long>(responses));
  return buf;
}

namespace detail {

namespace {
bool is_read(std::string_view op) {
  return op == "GetItem" || op == "Query" || op == "Scan" || op == "BatchGetItem" || op == "TransactGetItems" ||
         op == "ExecuteStatement" || op == "BatchExecuteStatement" || op == "SearchVectors";
}

// Read and write units of one report: split when given, else all of
// CapacityUnits to the operation's side.
capacity_units units_of(const std::optional<double>& total, const std::optional<double>& read,
                        const std::optional<double>& write, bool reads) {
  if (read || write) return {read.value_or(0), write.value_or(0)};
  const double t = total.value_or(0);
  return reads ? capacity_units{t, 0} : capacity_units{0, t};
}

void add(capacity_units& to, const capacity_units& u) {
  to.read += u.read;
  to.write += u.write;
}
}  // namespace

void capacity_tracker::record(std::string_view operation, const consumed_capacity& c) {
  const bool reads = is_read(operation);
  const std::string table = c.table_name.value_or("(unnamed)");
  const capacity_units u = units_of(c.capacity_units, c.read_capacity_units, c.write_capacity_units, reads);
  std::lock_guard lock(m_);
  add(report_.tables[table], u);
  add(report_.total, u);
  for (const auto* indexes : {&c.global_secondary_indexes, &c.local_secondary_indexes})
    for (const auto& [name, cap] : *indexes)
      add(report_.indexes[table + "/" + name],
          units_of(cap.capacity_units, cap.read_capacity_units, cap.write_capacity_units, reads));
  ++report_.responses;
}

capacity_report capacity_tracker::snapshot(const capacity_pricing& prices) const {
  std::lock_guard lock(m_);
  capacity_report r = report_;
  r.estimated_usd = on_demand_cost_usd(r.total, prices);
  return r;
}

void capacity_tracker::reset() {
  std::lock_guard lock(m_);
  report_ = {};
}

std::string with_consumed_capacity(std::string body) {
  static constexpr std::string_view member = R"("ReturnConsumedCapacity":"INDEXES")";
  if (body.size() < 2 || body.back() != '}') return body;
  body.pop_back();
  if (body.size() > 1) body += ',';
  body += member;
  body += '}';
  return body;
}

}  // namespace detail
}  // namespace ddb
