#pragma once
// What the command-line tools share: `ddb` (every operation, wait,
// configure), `ddb-bench` (the load generator, run by `ddb bench`) and
// `ddb-cache` (the semantic cache, run by `ddb cache`). The two are binaries
// of their own so that the load generator links only what it sends (its
// resident memory is part of what the client benchmark measures) and `ddb`
// no cache or scorer code.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ddb/config.hpp"

namespace ddb::cli {

constexpr int exit_usage = 2;
constexpr int exit_service = 254;  // as the AWS CLI: the service answered with an error
constexpr int exit_client = 255;   // anything else

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::vector<std::string> command;  // what follows `--` (ddb once / ddb lock)

  std::string get(const std::string& name, const std::string& fallback = {}) const;
  std::string require(const std::string& name) const;
  // A positive whole number, or a usage_error naming the option.
  // --name as a whole number of at least `least` (fallback when absent).
  long number(const std::string& name, long fallback, long least = 1) const;
};

args parse_args(int argc, char** argv);

// --cli-input-json: inline JSON or file://PATH; "{}" when absent and not required.
std::string input_json(const args& a, bool required);

// The client configuration from --endpoint-url, --region, --profile, --cost.
client_config config_from(const args& a);

// Runs body; a usage_error prints the message and the usage (exit 2), any
// other exception its message (exit 255).
int report_failures(const char* usage, const std::function<int()>& body);

// main() of a tool that `ddb SUBCOMMAND ...` runs (it also takes the
// arguments without the subcommand): --help prints usage; usage errors print
// it and exit 2; other errors exit 255.
int run_tool(int argc, char** argv, const std::string& subcommand, const char* usage, int (*body)(const args&));

}  // namespace ddb::cli
