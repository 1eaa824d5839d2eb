// ddb: the command-line tool.
//
//   ddb get-item --cli-input-json '{"TableName":"t","Key":{"pk":{"S":"a"}}}' [--endpoint-url URL] [--region R]
//   ddb put-item --cli-input-json file://request.json
//   ddb bench get-item --table T --key JSON --requests N --concurrency C [--pipeline D]
//
// Subcommands are named like the AWS CLI's and take the same request JSON.
// Output: the response as DynamoDB JSON on stdout. Errors: a non-zero exit
// code and "ErrorType: message (request id)" on stderr.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "credentials/parse.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/paginate.hpp"
#include "ddb/waiters.hpp"
#include "model/codec.hpp"

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

using namespace ddb::cli;

constexpr const char* usage_text = R"(usage: ddb <command> [options]

commands (request JSON as the AWS CLI takes it):
  get-item | put-item | update-item | delete-item | query | scan | batch-get-item | batch-write-item
  transact-get-items | transact-write-items | execute-statement | batch-execute-statement
  execute-transaction | search-vectors
  create-table | update-table | describe-table | delete-table | list-tables | update-time-to-live
  describe-time-to-live | update-continuous-backups | describe-continuous-backups | tag-resource
  untag-resource | list-tags-of-resource | describe-limits
      --cli-input-json JSON | file://PATH   the request (list-tables and describe-limits may omit it)
  query | scan ... --page-all              every page, one JSON line each, following LastEvaluatedKey
  ... --cost                               ask for ConsumedCapacity; print it and its on-demand price on stderr
  wait table-exists | table-not-exists --table-name T [--delay-ms 20000] [--timeout-ms 500000]
  table apply --spec FILE [--table-name T] [--dry-run]    creates the table or brings it to the spec
  table check --spec FILE [--table-name T]                exit 1 when the table differs from the spec (drift)
  table terraform --spec FILE [--resource NAME] [--module] the spec as an aws_dynamodb_table resource
  bench get-item --table T --key JSON
  bench query --table T --key-condition EXPR --values JSON
  bench transact-write-items --cli-input-json JSON|file://PATH   (a fresh ClientRequestToken each time)
      --requests N (1000) --concurrency C (64) [--pipeline D] [--pool N]
  load run --table-name T --op OP|--mix OP=W,... --rate R --duration D [--key JSON | --item JSON]
                                           an open-loop load run, latency from the planned send times;
                                           --concurrency C --requests N: a closed loop (ddb load --help)

  cache put QUERY RESPONSE | get QUERY | delete QUERY | stats     the semantic cache (ddb::cache)
      [--table-name T] [--create-table [--layout lean|mneme]] [--namespace N] [--embedder hash:384 | openai:MODEL:DIM
      --embedder-url URL (key: OPENAI_API_KEY)] [--threshold 0.85] [--metadata JSON] [--ttl-seconds S]
      without --table-name the cache is in memory and lives only for that one command
  cache migrate --table-name SRC --to-table DST [--layout lean|mneme] [--max-items N]
      copies a mneme-layout cache table into DST while both are in use (resumable)
  cache check --table-name T      checks every item of a cache table against its layout (exit 1: problems)
  once --table-name T --key K [--wait S] [--create-table] [--record-failures] -- COMMAND [ARGS...]
                                           runs COMMAND at most once per key (ddb::agent idempotency)
  lock --table-name T --name N [--lease-seconds 30] [--wait S] [--create-table] -- COMMAND [ARGS...]
                                           runs COMMAND holding a lease, its fence in DDB_FENCE
  ledger call --table-name T --run R --step N [--args TEXT] -- COMMAND [ARGS...]
                                           runs COMMAND as step N of agent run R, at most once (ddb::agent
                                           ledger); ledger start | get | finish | list: the run and its steps
  limit take --table-name T --key K --rate R/s --burst B [--tokens N] [--create-table]
                                           takes from a shared token bucket: exit 0 admitted, 1 denied
  flags get|set|list --table-name T --set S [--name N] [--value V | --remove]
                                           feature flags, switched atomically (ddb::agent flags)
  memory append|last --table-name T --user U --conversation C [--role R --content TEXT | --limit N]
                                           session memory (ddb::agent memory)
  checkpoint save|get|list --table-name T --thread TH [--parent N | --continue] [--payload TEXT]
                                           run checkpoints, never forked (ddb::agent checkpoints)
  streams tail --table-name T [--from trim-horizon|latest] [--max-records N] [--idle-exit S]
                                           the table's changes as JSON lines (ddb::streams consumer)
  configure list                           the profile, keys (masked), region and endpoint in use, and
                                           where each came from (as 'aws configure list')

options for every command:
  --endpoint-url URL   default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, the profile's endpoint_url,
                       then the region's endpoint
  --region REGION      default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
  --profile NAME       a profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then
                       "default"); as with the AWS CLI, it takes precedence over AWS_ACCESS_KEY_ID
  --ca-bundle FILE     extra trusted certificate authorities, PEM (default: AWS_CA_BUNDLE, then the
                       profile's ca_bundle; the system's are always trusted)
credentials: the AWS chain: environment, profile (keys, credential_process, role_arn), web identity,
  container, instance metadata (AWS_EC2_METADATA_DISABLED=true turns that off)
)";

// --cost: the consumed capacity and its on-demand price, on stderr.
void print_cost(const args& a, const ddb::client& c) {
  if (!a.options.count("cost")) return;
  const ddb::capacity_report r = c.capacity();
  std::cerr << "consumed capacity: " << r.summary() << "\n";
  for (const auto& [table, u] : r.tables) std::cerr << "  table " << table << ": " << u.read << " read, " << u.write << " write\n";
  for (const auto& [index, u] : r.indexes) std::cerr << "  index " << index << ": " << u.read << " read, " << u.write << " write\n";
}

template <class Response>
void print_error(const error_code& ec, const Response& r) {
  const auto& d = r.diag;
  std::string type = d.service_type.empty() ? ec.message() : d.service_type;
  std::cerr << type << ": " << (d.message.empty() ? ec.message() : d.message);
  if (!d.request_id.empty()) std::cerr << " (" << d.request_id << ")";
  std::cerr << "\n";
}

template <class Request, class Call>
int run_operation(const args& a, bool input_required, Call call) {
  auto request = ddb::detail::decode<Request>(input_json(a, input_required));
  if (!request) throw usage_error("invalid --cli-input-json: " + request.error().message);
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  int rc = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto [ec, response] = co_await call(c, *request);
    if (ec) {
      print_error(ec, response);
      rc = std::error_code(ec).category() == ddb::service_category() ? exit_service : exit_client;
    } else {
      // A response that cannot be printed is an error, never an empty {}.
      auto json = ddb::detail::encode_response(response);
      if (json) {
        std::cout << *json << "\n";
      } else {
        std::cerr << "the response could not be printed as JSON: " << json.error().message << "\n";
        rc = exit_client;
      }
    }
    print_cost(a, c);
    c.close();
  }, asio::detached);
  io.run();
  return rc;
}

// Runs body(client) to completion; a ddb::error it throws is printed and
// becomes the exit code.
template <class Body>
int run_with_client(const args& a, Body body) {
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  int rc = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    try {
      co_await body(c);
    } catch (const ddb::error& e) {
      std::cerr << e.what() << "\n";
      rc = e.code().category() == ddb::service_category() ? exit_service : exit_client;
    }
    print_cost(a, c);
    c.close();
  }, asio::detached);
  io.run();
  return rc;
}

// query/scan --page-all: one JSON line per page.
template <class Pages, class Request>
int run_pages(const args& a) {
  auto request = ddb::detail::decode<Request>(input_json(a, true));
  if (!request) throw usage_error("invalid --cli-input-json: " + request.error().message);
  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<void> {
    Pages pages(c, std::move(*request));
    while (auto page = co_await pages.next()) {
      auto json = ddb::detail::encode_response(*page);
      if (!json) throw ddb::error({json.error().code, "a page could not be printed as JSON: " + json.error().message});
      std::cout << *json << "\n" << std::flush;
    }
  });
}

int wait(const args& a) {
  if (a.positional.size() < 2) throw usage_error("wait needs a condition: table-exists or table-not-exists");
  const std::string what = a.positional[1];
  if (what != "table-exists" && what != "table-not-exists")
    throw usage_error("wait supports table-exists and table-not-exists, not '" + what + "'");
  const std::string table = a.require("table-name");
  ddb::waiter_options opt;
  opt.delay = std::chrono::milliseconds(a.number("delay-ms", 20000));
  opt.timeout = std::chrono::milliseconds(a.number("timeout-ms", 500000));
  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<void> {
    if (what == "table-exists")
      co_await ddb::wait_table_exists(c, table, opt);
    else
      co_await ddb::wait_table_not_exists(c, table, opt);
  });
}

// `ddb configure list`: what the AWS CLI's `aws configure list` shows, plus the endpoint.
int configure(const args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "list") throw usage_error("configure supports one subcommand: list");
  const ddb::client_config cfg = config_from(a);
  const ddb::resolved_settings s = ddb::resolve_settings(cfg);
  asio::io_context io;
  error_code ec;
  ddb::credentials creds;
  std::string problem;
  ddb::fetch_credentials(*s.provider, io.get_executor(), [&](error_code e, ddb::credentials c, std::string m) {
    ec = e;
    creds = std::move(c);
    problem = std::move(m);
  });
  io.run();
  auto row = [](std::string_view name, std::string_view value, std::string_view type, std::string_view location) {
    std::printf("%10.*s %24.*s %16.*s    %.*s\n", int(name.size()), name.data(), int(value.size()), value.data(),
                int(type.size()), type.data(), int(location.size()), location.data());
  };
  auto type_of = [](const std::string& source) -> std::string {
    if (source.rfind("client_config", 0) == 0) return "parameter";
    if (source.rfind("AWS_", 0) == 0) return "env";
    if (source.rfind("profile ", 0) == 0) return "config-file";
    return "default";
  };
  row("Name", "Value", "Type", "Location");
  row("----", "-----", "----", "--------");
  if (s.profile_source == "default")
    row("profile", "<not set>", "None", "None");
  else
    row("profile", s.profile, s.profile_source == "AWS_PROFILE" ? "env" : "manual",
        s.profile_source == "AWS_PROFILE" ? "AWS_PROFILE" : "--profile");
  const std::string type = s.provider->name(), location = s.provider->location();
  if (ec) {
    row("access_key", "<not set>", type, location);
    row("secret_key", "<not set>", type, location);
  } else {
    row("access_key", ddb::auth::mask_secret(creds.access_key_id), type, location);
    row("secret_key", ddb::auth::mask_secret(creds.secret_access_key.reveal()), type, location);
  }
  row("region", s.region, s.region_source.rfind("client_config", 0) == 0 ? "parameter" : type_of(s.region_source),
      s.region_source.rfind("client_config", 0) == 0 ? "--region" : s.region_source);
  row("endpoint", s.endpoint_url,
      s.endpoint_source.rfind("client_config", 0) == 0 ? "parameter" : type_of(s.endpoint_source),
      s.endpoint_source.rfind("client_config", 0) == 0 ? "--endpoint-url" : s.endpoint_source);
  if (ec) {
    std::cerr << "ddb: " << problem << "\n";
    return exit_client;
  }
  return 0;
}

// `ddb bench ...` and `ddb cache ...` run the ddb-bench and ddb-cache tools
// that sit beside this binary, with the same arguments: the load generator
// links only the operations it sends (a smaller, leaner process to measure)
// and `ddb` itself no cache or scorer code.
int run_sibling(const std::string& tool, char** argv) {
  std::array<char, 4096> self{};
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  std::string path = n > 0 ? std::string(self.data(), static_cast<std::size_t>(n)) : std::string(argv[0]);
  const std::size_t slash = path.rfind('/');
  path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + tool;
  std::vector<char*> args{path.data()};
  for (char** a = argv + 1; *a; ++a) args.push_back(*a);
  args.push_back(nullptr);
  std::cout.flush();
  execv(path.c_str(), args.data());
  const int err = errno;
  std::cerr << "ddb: `ddb " << argv[1] << "` runs the " << tool << " tool, expected at " << path
            << ", which could not be started (" << std::strerror(err) << "); build it or install it beside ddb\n";
  return exit_client;
}

int dispatch(const args& a, char** argv) {
  if (a.positional.empty() || a.options.count("help") || a.positional[0] == "help") {
    std::cout << usage_text;
    return a.positional.empty() && !a.options.count("help") ? exit_usage : 0;
  }
  const std::string& cmd = a.positional[0];
  if (cmd == "bench" || cmd == "load") return run_sibling("ddb-bench", argv);
  if (cmd == "wait") return wait(a);
  if (cmd == "table") return ddb::cli::table_command(a);
  if (cmd == "configure") return configure(a);
  if (cmd == "cache") return run_sibling("ddb-cache", argv);
  if (cmd == "once" || cmd == "lock" || cmd == "ledger" || cmd == "limit" || cmd == "flags" || cmd == "streams" ||
      cmd == "memory" || cmd == "checkpoint") return run_sibling("ddb-agent", argv);
  if (a.options.count("page-all")) {
    if (cmd == "query") return run_pages<ddb::query_pages, ddb::query_request>(a);
    if (cmd == "scan") return run_pages<ddb::scan_pages, ddb::scan_request>(a);
    throw usage_error("--page-all works with query and scan, not " + cmd);
  }
#define DDB_OPERATION(name, cli, fn)                                                                   \
  if (cmd == cli)                                                                                      \
    return run_operation<ddb::fn##_request>(                                                           \
        a, std::string_view(cli) != "list-tables" && std::string_view(cli) != "describe-limits",       \
                                            [](ddb::client& c, const ddb::fn##_request& r) {          \
                                              return c.fn(r, asio::as_tuple(asio::use_awaitable));   \
                                            });
#include "model/generated/operations.inc"
#undef DDB_OPERATION
  throw usage_error("unknown command '" + cmd + "'");
}

}  // namespace

int main(int argc, char** argv) {
  return report_failures(usage_text, [&] { return dispatch(parse_args(argc, argv), argv); });
}
