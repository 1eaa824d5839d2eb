#include "cli/common.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace ddb::cli {

std::string args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

std::string args::require(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) throw usage_error("missing --" + name);
  return it->second;
}

long args::number(const std::string& name, long fallback, long least) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  try {
    std::size_t used = 0;
    const long v = std::stol(it->second, &used);
    if (used != it->second.size() || v < least) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    throw usage_error("--" + name + (least == 1 ? " must be a positive whole number" : " must be a whole number of at least " + std::to_string(least)) +
                      ", got '" + it->second + "'");
  }
}

args parse_args(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {  // the rest is a command to run, taken as it is
      for (++i; i < argc; ++i) a.command.emplace_back(argv[i]);
      break;
    }
    if (s.rfind("--", 0) == 0) {
      if (s == "--help" || s == "--page-all" || s == "--cost" || s == "--create-table" ||
          s == "--record-failures" || s == "--remove" || s == "--consistent" || s == "--continue" ||
          s == "--payload-only" || s == "--json" || s == "--yes" || s == "--dry-run" || s == "--module") {  // flags without a value
        a.options[s.substr(2)] = "1";
        continue;
      }
      if (i + 1 >= argc) throw usage_error(s + " needs a value");
      a.options[s.substr(2)] = argv[++i];
    } else {
      a.positional.push_back(std::move(s));
    }
  }
  return a;
}

ddb::client_config config_from(const args& a) {
  ddb::client_config cfg;
  cfg.endpoint = a.get("endpoint-url");
  cfg.region = a.get("region");
  cfg.profile = a.get("profile");
  cfg.ca_file = a.get("ca-bundle");
  cfg.track_capacity = a.options.count("cost") != 0;
  return cfg;
}

std::string input_json(const args& a, bool required) {
  std::string v = a.get("cli-input-json");
  if (v.empty()) {
    if (required) throw usage_error("missing --cli-input-json (the request as JSON, or file://PATH)");
    return "{}";
  }
  if (v.rfind("file://", 0) == 0) {
    const std::string path = v.substr(7);
    std::ifstream f(path, std::ios::binary);
    if (!f) throw usage_error("cannot read " + path + " (from --cli-input-json file://...)");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  }
  return v;
}

int report_failures(const char* usage, const std::function<int()>& body) {
  try {
    return body();
  } catch (const usage_error& e) {
    std::cerr << "ddb: " << e.what() << "\n\n" << usage;
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "ddb: " << e.what() << "\n";
    return exit_client;
  }
}

int run_tool(int argc, char** argv, const std::string& subcommand, const char* usage, int (*body)(const args&)) {
  return report_failures(usage, [&] {
    args a = parse_args(argc, argv);
    if (a.options.count("help")) {
      std::cout << usage;
      return 0;
    }
    if (a.positional.empty() || a.positional[0] != subcommand) a.positional.insert(a.positional.begin(), subcommand);
    return body(a);
  });
}

}  // namespace ddb::cli
