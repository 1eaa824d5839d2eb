// ddb: the command-line tool.
//
//   ddb get-item --cli-input-json '{"TableName":"t","Key":{"pk":{"S":"a"}}}' [--endpoint-url URL] [--region R]
//   ddb put-item --cli-input-json file://request.json
//   ddb bench get-item --table T --key JSON --requests N --concurrency C [--pipeline D]
//
// Subcommands are named like the AWS CLI's and take the same request JSON.
// Output: the response as DynamoDB JSON on stdout. Errors: a non-zero exit
// code and "ErrorType: message (request id)" on stderr.
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "auth/parse.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/paginate.hpp"
#include "ddb/waiters.hpp"
#include "model/codec.hpp"

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr int exit_usage = 2;
constexpr int exit_service = 254;  // as the AWS CLI: the service answered with an error
constexpr int exit_client = 255;   // anything else

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
  bench get-item --table T --key JSON
  bench query --table T --key-condition EXPR --values JSON
  bench transact-write-items --cli-input-json JSON|file://PATH   (a fresh ClientRequestToken each time)
      --requests N (1000) --concurrency C (64) [--pipeline D] [--pool N]

  cache put QUERY RESPONSE | get QUERY | delete QUERY | stats     the semantic cache (ddb::cache)
      [--table-name T] [--create-table] [--namespace N] [--embedder hash:384 | openai:MODEL:DIM
      --embedder-url URL (key: OPENAI_API_KEY)] [--threshold 0.85] [--metadata JSON] [--ttl-seconds S]
      without --table-name the cache is in memory and lives only for that one command
  configure list                           the profile, keys (masked), region and endpoint in use, and
                                           where each came from (as 'aws configure list')

options for every command:
  --endpoint-url URL   default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, the profile's endpoint_url,
                       then the region's endpoint
  --region REGION      default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
  --profile NAME       a profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then
                       "default"); as with the AWS CLI, it takes precedence over AWS_ACCESS_KEY_ID
credentials: the AWS chain: environment, profile (keys, credential_process, role_arn), web identity,
  container, instance metadata (AWS_EC2_METADATA_DISABLED=true turns that off)
)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;

  std::string get(const std::string& name, const std::string& fallback = {}) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  std::string require(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end()) throw usage_error("missing --" + name);
    return it->second;
  }
  long number(const std::string& name, long fallback) const {
    auto it = options.find(name);
    if (it == options.end()) return fallback;
    try {
      std::size_t used = 0;
      const long v = std::stol(it->second, &used);
      if (used != it->second.size() || v < 1) throw std::invalid_argument("");
      return v;
    } catch (const std::exception&) {
      throw usage_error("--" + name + " must be a positive whole number, got '" + it->second + "'");
    }
  }
};

args parse_args(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      if (s == "--help" || s == "--page-all" || s == "--cost" || s == "--create-table") {  // flags without a value
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

// --cli-input-json: inline JSON or file://PATH.
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

ddb::client_config config_from(const args& a) {
  ddb::client_config cfg;
  cfg.endpoint = a.get("endpoint-url");
  cfg.region = a.get("region");
  cfg.profile = a.get("profile");
  cfg.track_capacity = a.options.count("cost") != 0;
  return cfg;
}

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
      auto json = ddb::detail::encode_response(response);
      std::cout << (json ? *json : "{}") << "\n";
    }
    print_cost(a, c);
    c.close();
  }, asio::detached);
  io.run();
  return rc;
}

// ---- bench -----------------------------------------------------------------

struct cpu_clock {
  static double seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  static long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
  }
};

// Latencies in logarithmic buckets 2% apart: constant memory, whatever the
// number of requests (a vector of samples would dominate the RSS measured).
class latency_histogram {
 public:
  void add(double us) {
    const double v = std::max(us, 1.0);
    const auto b = static_cast<std::size_t>(std::log(v) / std::log(ratio));
    ++counts_[std::min(b, counts_.size() - 1)];
    ++total_;
  }
  double percentile(double p) const {
    const auto want = static_cast<std::uint64_t>(p * static_cast<double>(total_));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < counts_.size(); ++b) {
      seen += counts_[b];
      if (seen > want) return std::pow(ratio, static_cast<double>(b + 1));  // bucket's upper bound
    }
    return 0;
  }

 private:
  static constexpr double ratio = 1.02;
  std::array<std::uint64_t, 1200> counts_{};  // up to 1.02^1200 us: far beyond any timeout
  std::uint64_t total_ = 0;
};

// Runs `requests` operations with `concurrency` in flight; start(done) sends
// one and calls done(ok) when it completes.
template <class Start>
int run_bench(const args& a, ddb::client_config cfg, Start start) {
  const long requests = a.number("requests", 1000);
  const long concurrency = std::min(a.number("concurrency", 64), requests);
  const long pipeline = a.number("pipeline", 1);
  cfg.pipeline_depth = static_cast<std::size_t>(pipeline);
  cfg.pool_size = static_cast<std::size_t>(a.number("pool", (concurrency + pipeline - 1) / pipeline));
  cfg.pool_wait_timeout = std::chrono::milliseconds(60000);

  asio::io_context io(1);
  ddb::client c(io.get_executor(), cfg);
  latency_histogram latency;
  long sent = 0, done = 0, errors = 0;
  std::string first_error;
  const double cpu0 = cpu_clock::seconds();
  const auto t0 = std::chrono::steady_clock::now();

  std::function<void()> issue = [&] {
    if (sent >= requests) return;
    ++sent;
    const auto began = std::chrono::steady_clock::now();
    start(c, [&, began](bool ok, const std::string& why) {
      latency.add(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - began).count());
      if (!ok) {
        ++errors;
        if (first_error.empty()) first_error = why;
      }
      if (++done == requests) c.close();
      issue();
    });
  };
  for (long i = 0; i < concurrency; ++i) issue();
  io.run();

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_clock::seconds() - cpu0;
  auto pct = [&](double p) { return latency.percentile(p); };
  std::printf("requests: %ld  concurrency: %ld  pipeline: %ld  connections: %zu  errors: %ld\n", requests, concurrency,
              pipeline, c.connections_opened(), errors);
  if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());
  std::printf("requests/s: %.0f\n", static_cast<double>(done) / wall);
  std::printf("latency p50: %.1f us  p99: %.1f us\n", pct(0.50), pct(0.99));
  std::printf("peak RSS: %ld KB\n", cpu_clock::peak_rss_kb());
  std::printf("cpu per request: %.2f us (user+sys)\n", cpu / static_cast<double>(requests) * 1e6);
  return errors ? exit_client : 0;
}

template <class Request, class Response, class Call>
auto bench_starter(Request request, Call call) {
  return [request = std::move(request), call](ddb::client& c, auto done) {
    call(c, request, [done](error_code ec, Response r) { done(!ec, ec ? r.diag.summary(ec) : std::string()); });
  };
}

int bench(const args& a) {
  if (a.positional.size() < 2) throw usage_error("bench needs an operation: get-item, query or transact-write-items");
  const std::string& what = a.positional[1];
  ddb::client_config cfg = config_from(a);
  if (what == "get-item") {
    auto key = ddb::json::parse_item(a.require("key"));
    if (!key) throw usage_error("invalid --key: " + key.error().message);
    ddb::get_item_request r{.table_name = a.require("table"), .key = std::move(*key)};
    return run_bench(a, cfg, bench_starter<ddb::get_item_request, ddb::get_item_response>(
                                 std::move(r), [](ddb::client& c, const auto& req, auto h) { c.get_item(req, std::move(h)); }));
  }
  if (what == "query") {
    auto values = ddb::json::parse_item(a.require("values"));
    if (!values) throw usage_error("invalid --values: " + values.error().message);
    ddb::query_request r;
    r.table_name = a.require("table");
    r.key_condition_expression = a.require("key-condition");
    r.expression_attribute_values = std::move(*values);
    return run_bench(a, cfg, bench_starter<ddb::query_request, ddb::query_response>(
                                 std::move(r), [](ddb::client& c, const auto& req, auto h) { c.query(req, std::move(h)); }));
  }
  if (what == "transact-write-items") {
    auto r = ddb::detail::decode<ddb::transact_write_items_request>(input_json(a, true));
    if (!r) throw usage_error("invalid --cli-input-json: " + r.error().message);
    r->client_request_token.reset();  // a fresh token per request
    return run_bench(a, cfg, bench_starter<ddb::transact_write_items_request, ddb::transact_write_items_response>(
                                 std::move(*r),
                                 [](ddb::client& c, const auto& req, auto h) { c.transact_write_items(req, std::move(h)); }));
  }
  throw usage_error("bench supports get-item, query and transact-write-items, not '" + what + "'");
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
      std::cout << (json ? *json : "{}") << "\n" << std::flush;
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

std::shared_ptr<ddb::cache::embedder> embedder_from(const args& a) {
  const std::string spec = a.get("embedder", "hash:384");
  auto positive = [&](const std::string& text) {
    try {
      std::size_t used = 0;
      const long v = std::stol(text, &used);
      if (used == text.size() && v >= 1 && v <= 4096) return static_cast<std::size_t>(v);
    } catch (const std::exception&) {
    }
    throw usage_error("--embedder " + spec + ": the dimension must be 1 to 4096");
  };
  if (spec.rfind("hash:", 0) == 0) return std::make_shared<ddb::cache::hash_embedder>(positive(spec.substr(5)));
  if (spec.rfind("openai:", 0) == 0) {
    const std::size_t colon = spec.rfind(':');
    if (colon <= 7) throw usage_error("--embedder openai:MODEL:DIM, e.g. openai:text-embedding-3-small:1536");
    ddb::cache::http_embedder_options o;
    o.model = spec.substr(7, colon - 7);
    o.dim = positive(spec.substr(colon + 1));
    o.url = a.get("embedder-url", "https://api.openai.com");
    if (const char* key = std::getenv("OPENAI_API_KEY")) o.api_key = key;
    return std::make_shared<ddb::cache::http_embedder>(std::move(o));
  }
  throw usage_error("--embedder must be hash:DIM or openai:MODEL:DIM, not '" + spec + "'");
}

void print_stats(const ddb::cache::cache_stats& s) {
  std::string out;
  ddb::json::writer w(out);
  auto count = [&](const std::string& name, std::uint64_t v) {
    w.key(name);
    w.integer(static_cast<long long>(v));
  };
  auto one = [&](const ddb::cache::namespace_stats& n) {
    w.begin_object();
    count("entries", n.entries);
    count("exact_hits", n.exact_hits);
    count("semantic_hits", n.semantic_hits);
    w.key("misses");
    w.begin_object();
    for (const auto& [reason, c] : n.misses) count(reason, c);
    w.end_object();
    count("evictions", n.evictions);
    count("expirations", n.expirations);
    count("memory_bytes", n.memory_bytes);
    w.end_object();
  };
  w.begin_object();
  w.key("embedder");
  w.string(s.embedder_fingerprint);
  w.key("total");
  one(s.total);
  w.key("namespaces");
  w.begin_object();
  for (const auto& [ns, n] : s.namespaces) {
    w.key(ns);
    one(n);
  }
  w.end_object();
  w.end_object();
  std::cout << out << "\n";
}

// `ddb cache put|get|delete|stats`: JSON on stdout; a miss is not an error.
int cache_command(const args& a) {
  namespace dc = ddb::cache;
  if (a.positional.size() < 2) throw usage_error("cache needs put, get, delete or stats");
  const std::string sub = a.positional[1];
  const std::size_t want = sub == "put" ? 4 : sub == "stats" ? 2 : 3;
  if (sub != "put" && sub != "get" && sub != "delete" && sub != "stats")
    throw usage_error("cache supports put, get, delete and stats, not '" + sub + "'");
  if (a.positional.size() != want)
    throw usage_error(sub == "put" ? "cache put takes QUERY and RESPONSE" : sub == "stats" ? "cache stats takes no arguments"
                                                                                          : "cache " + sub + " takes QUERY");
  auto emb = embedder_from(a);
  dc::cache_options opt;
  if (a.options.count("threshold")) {
    try {
      opt.similarity_threshold = std::stof(a.get("threshold"));
    } catch (const std::exception&) {
      throw usage_error("--threshold must be a number from -1 to 1");
    }
  }
  const std::string ns = a.get("namespace", "default");
  const std::string table = a.get("table-name");
  asio::io_context io;
  std::optional<ddb::client> client;
  std::shared_ptr<dc::store> st;
  if (table.empty()) {
    std::cerr << "ddb: no --table-name: the cache is in memory and lives only for this command\n";
    st = std::make_shared<dc::memory_store>();
  } else {
    client.emplace(io.get_executor(), config_from(a));
    dc::dynamodb_store_options so;
    so.table_name = table;
    so.create_table = a.options.count("create-table") != 0;
    st = std::make_shared<dc::dynamodb_store>(*client, so);
  }
  int rc = 0;
  auto body = [&]() -> asio::awaitable<void> {
    try {
      dc::semantic_cache cache(io.get_executor(), st, emb, opt);
      co_await cache.open();
      std::string out;
      ddb::json::writer w(out);
      w.begin_object();
      if (sub == "put") {
        dc::put_options p;
        p.ns = ns;
        p.metadata = a.get("metadata", "{}");
        if (a.options.count("ttl-seconds")) p.ttl = std::chrono::seconds(a.number("ttl-seconds", 1));
        co_await cache.put(a.positional[2], a.positional[3], std::move(p));
        w.key("stored");
        w.boolean(true);
        w.key("namespace");
        w.string(ns);
      } else if (sub == "get") {
        dc::get_options g;
        g.ns = ns;
        dc::lookup l = co_await cache.get(a.positional[2], std::move(g));
        w.key("hit");
        w.boolean(l.hit.has_value());
        if (l.hit) {
          w.key("response");
          w.string(l.hit->response);
          w.key("similarity");
          w.raw(std::to_string(l.hit->similarity));
          w.key("confidence");
          w.raw(std::to_string(l.hit->confidence));
          w.key("age_seconds");
          w.integer(l.hit->age.count());
          w.key("layer");
          w.string(l.hit->layer);
          w.key("namespace");
          w.string(l.hit->ns);
          w.key("metadata");
          w.raw(l.hit->metadata);
        } else {
          w.key("reason");
          w.string(dc::to_string(l.reason));
          if (!l.detail.empty()) {
            w.key("detail");
            w.string(l.detail);
          }
        }
      } else if (sub == "delete") {
        const bool removed = co_await cache.remove(a.positional[2], ns);
        w.key("deleted");
        w.boolean(removed);
      }
      w.end_object();
      if (sub == "stats")
        print_stats(cache.stats());
      else
        std::cout << out << "\n";
      co_await cache.flush();
    } catch (const ddb::error& e) {
      std::cerr << "ddb: " << e.what() << "\n";
      rc = e.code().category() == ddb::service_category() ? exit_service : exit_client;
    }
    if (client) client->close();
  };
  asio::co_spawn(io, body(), asio::detached);
  io.run();
  return rc;
}

int dispatch(const args& a) {
  if (a.positional.empty() || a.options.count("help") || a.positional[0] == "help") {
    std::cout << usage_text;
    return a.positional.empty() && !a.options.count("help") ? exit_usage : 0;
  }
  const std::string& cmd = a.positional[0];
  if (cmd == "bench") return bench(a);
  if (cmd == "wait") return wait(a);
  if (cmd == "configure") return configure(a);
  if (cmd == "cache") return cache_command(a);
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
#include "model/operations.inc"
#undef DDB_OPERATION
  throw usage_error("unknown command '" + cmd + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(parse_args(argc, argv));
  } catch (const usage_error& e) {
    std::cerr << "ddb: " << e.what() << "\n\n" << usage_text;
    return exit_usage;
  } catch (const ddb::error& e) {
    std::cerr << "ddb: " << e.what() << "\n";
    return exit_client;
  } catch (const std::exception& e) {
    std::cerr << "ddb: " << e.what() << "\n";
    return exit_client;
  }
}
