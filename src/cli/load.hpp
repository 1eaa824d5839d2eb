#pragma once
// `ddb load` (in ddb-bench): the coordination of distributed runs through a
// table (src/cli/load_coordinate.cpp), used by the runner (src/cli/load.cpp).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/common.hpp"
#include "ddb/client.hpp"
#include "load/report.hpp"

namespace ddb::cli {
int load_command(const args& a);
// What a run measures beside latency (`ddb bench` turns the extras off to
// time the client alone).
struct run_settings {
  bool track_capacity = true;  // ReturnConsumedCapacity, units and cost
  bool hot_keys = true;        // the hot-partition report
  bool status = true;          // the status line on a terminal
};
// `ddb load run`: runs the load the options describe and fills `out`;
// returns the exit code (1: the run missed its plan or had errors). Throws
// usage_error on bad options before anything is sent.
int load_run(const args& a, load::run_result& out, const run_settings& settings = {});
int load_prepare_command(const args& a);  // src/cli/load_prepare.cpp
int load_cleanup_command(const args& a);
}

namespace ddb::cli::load_cli {

struct coordination {
  std::string table, pk, worker;
  std::int64_t workers = 1, index = 0;
  std::int64_t start_ms = 0;    // the agreed start, server time
  std::int64_t expires_at = 0;  // of every item written
};

// Registers this worker for the run, waits (up to `wait`) until `workers`
// have registered, and agrees the start time; the table is created when
// asked. Throws usage_error / ddb::error naming the problem.
boost::asio::awaitable<coordination> join(ddb::client& c, std::string table, std::string run, std::int64_t workers,
                                          bool create, std::chrono::milliseconds wait);
// Writes one interval's latency histogram (in the background: `pending`
// counts the writes not finished yet, `write_errors` those that failed).
void put_interval(ddb::client& c, const coordination& co, std::int64_t i, double start_s, double length_s,
                  const load::histogram& h, std::int64_t& pending, std::int64_t& write_errors);
// Writes the worker's totals and whole-run histograms.
// (and its hottest keys, merged by `load report`).
boost::asio::awaitable<void> put_result(ddb::client& c, const coordination& co, const load::run_result& r,
                                        std::vector<load::hot_keys::row> hot);
// Every finished worker's totals merged (histograms exactly).
boost::asio::awaitable<load::run_result> merged_result(ddb::client& c, std::string table, std::string run,
                                                       std::int64_t& workers, std::int64_t& intervals);

}  // namespace ddb::cli::load_cli
