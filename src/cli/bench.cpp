// ddb-bench: the load generator, run by `ddb bench` (or directly).
//
//   ddb bench get-item --table T --key JSON --requests N --concurrency C [--pipeline D [--pipeline-refill R]] [--pool N]
//   ddb bench query --table T --key-condition EXPR --values JSON ...
//   ddb bench transact-write-items --cli-input-json JSON|file://PATH ...   (a fresh ClientRequestToken each time)
//
// Runs N requests with C in flight on one thread and prints requests/s,
// p50/p99 latency, peak RSS and, last, the process's CPU time per request
// (user+sys from getrusage).
#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "cli/rusage.hpp"

#include "cli/load.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "model/codec.hpp"

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

using namespace ddb::cli;

constexpr const char* usage_text = R"(usage: ddb bench <operation> [options]

  bench get-item --table T --key JSON
  bench query --table T --key-condition EXPR --values JSON
  bench transact-write-items --cli-input-json JSON|file://PATH   (a fresh ClientRequestToken each time)
      --requests N (1000) --concurrency C (64) [--pipeline D] [--pipeline-refill R] [--pool N]
      (--pipeline-refill: free slots before a busy connection writes again;
       default D/2, D = only into an empty pipeline)
  --endpoint-url URL, --region REGION, --profile NAME: as for every ddb command
)";

// Latencies in log-linear buckets (32 per power of two: under 3.2% wide) of
// nanoseconds: constant memory whatever the number of requests (a vector of
// samples would dominate the RSS measured), and a few integer instructions
// per sample (the process's CPU per request is the figure measured).
class latency_histogram {
 public:
  void add(std::chrono::nanoseconds d) {
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0));
    ++counts_[std::min(bucket_of(ns), counts_.size() - 1)];
    ++total_;
  }
  // In microseconds: the upper bound of the bucket holding the p-th sample.
  double percentile(double p) const {
    const auto want = static_cast<std::uint64_t>(p * static_cast<double>(total_));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < counts_.size(); ++b) {
      seen += counts_[b];
      if (seen > want) return static_cast<double>(upper_bound_of(b)) / 1000.0;
    }
    return 0;
  }

 private:
  static constexpr unsigned sub_bits = 5;  // 32 buckets per power of two
  static constexpr std::uint64_t subs = 1u << sub_bits;
  static std::size_t bucket_of(std::uint64_t ns) {
    if (ns < subs) return static_cast<std::size_t>(ns);
    const unsigned top = 63u - static_cast<unsigned>(__builtin_clzll(ns));  // >= sub_bits
    const std::uint64_t sub = (ns >> (top - sub_bits)) - subs;
    return static_cast<std::size_t>(subs + (top - sub_bits) * subs + sub);
  }
  static std::uint64_t upper_bound_of(std::size_t b) {
    if (b < subs) return b + 1;
    const std::uint64_t shift = (b - subs) / subs, sub = (b - subs) % subs;
    return (subs + sub + 1) << shift;
  }
  std::array<std::uint64_t, 42 * subs> counts_{};  // up to 2^42 ns (73 minutes): beyond any timeout
  std::uint64_t total_ = 0;
};

// Runs `requests` operations with `concurrency` in flight; start(c, done)
// sends one and calls done(ec, diagnostics) when it completes.
template <class Start>
int run_bench(const args& a, ddb::client_config cfg, Start start) {
  const long requests = a.number("requests", 1000);
  const long concurrency = std::min(a.number("concurrency", 64), requests);
  const long pipeline = a.number("pipeline", 1);
  cfg.pipeline_depth = static_cast<std::size_t>(pipeline);
  cfg.pipeline_refill = static_cast<std::size_t>(a.number("pipeline-refill", pipeline - pipeline / 2));
  cfg.pool_size = static_cast<std::size_t>(a.number("pool", (concurrency + pipeline - 1) / pipeline));
  cfg.pool_wait_timeout = std::chrono::milliseconds(60000);

  // One thread runs this io_context and starts every socket operation, so the
  // reactor's per-socket locks can go (README: the client); the scheduler's
  // stay, for the resolver thread's completions.
  asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  ddb::client c(io.get_executor(), cfg);

  // Each completion starts the next request until all are sent.
  struct driver {
    ddb::client& c;
    Start& start;
    const long requests;
    latency_histogram latency;
    long sent = 0, done = 0, errors = 0;
    std::string first_error;

    void issue() {
      if (sent >= requests) return;
      ++sent;
      const auto began = std::chrono::steady_clock::now();
      start(c, [this, began](error_code ec, const ddb::diagnostics& diag) {
        latency.add(std::chrono::steady_clock::now() - began);
        if (ec) {
          ++errors;
          if (first_error.empty()) first_error = diag.summary(ec);
        }
        if (++done == requests) c.close();
        issue();
      });
    }
  };
  driver d{c, start, requests};
  const double cpu0 = cpu_clock::seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < concurrency; ++i) d.issue();
  io.run();

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_clock::seconds() - cpu0;
  auto pct = [&](double p) { return d.latency.percentile(p); };
  std::printf("requests: %ld  concurrency: %ld  pipeline: %ld (refill %zu)  connections: %zu  errors: %ld\n", requests,
              concurrency, pipeline, cfg.pipeline_refill, c.connections_opened(), d.errors);
  if (!d.first_error.empty()) std::printf("first error: %s\n", d.first_error.c_str());
  std::printf("requests/s: %.0f\n", static_cast<double>(d.done) / wall);
  std::printf("latency p50: %.1f us  p99: %.1f us\n", pct(0.50), pct(0.99));
  std::printf("peak RSS: %ld KB\n", cpu_clock::peak_rss_kb());
  std::printf("cpu per request: %.2f us (user+sys)\n", cpu / static_cast<double>(requests) * 1e6);
  return d.errors ? exit_client : 0;
}

template <class Request, class Response, class Call>
auto bench_starter(Request request, Call call) {
  return [request = std::move(request), call](ddb::client& c, auto done) {
    call(c, request, [done](error_code ec, Response r) { done(ec, r.diag); });
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

constexpr const char* load_usage_text = R"(usage: ddb load run [options]

  load run --table-name T (--op get-item|put-item|delete-item|query | --mix get-item=80,put-item=20,...)
      (--rate R --duration D | --rate-schedule SPEC) [--spec FILE: these options as a JSON object]
      [--key JSON | --item JSON]  the key (get/delete) or item (put); string values holding {key} get the
                                  request's key number, e.g. '{"pk":{"S":"user#{key}"}}'
      [--key-condition EXPR --values JSON]   query: e.g. 'pk = :pk' and '{":pk":{"S":"user#{key}"}}'
      [--keys 1000] [--distribution uniform|sequential|zipf[:THETA]] [--hot-share F] [--item-bytes N]
      [--warmup D] [--max-in-flight 1000] [--pipeline D] [--pool N] [--json] [--hdr-log FILE] [--html FILE] [--seed N]
      [--coordinate-table T --run-id R --workers N [--create-table] [--wait 60s]]
  load report --coordinate-table T --run-id R [--json]
  load prepare --table-name T --item JSON --keys N [--item-bytes B] [--create-table]
      writes items 0..N-1 from the template (batch writes), creating T when asked
  load cleanup --table-name T --yes            deletes T
  An open loop: request n leaves at its planned time whether or not earlier ones answered; latency is
  measured from that planned time (coordinated omission corrected), service time from the send.
  --rate takes fractions (0.5 = one every 2 s); --duration and lengths take 10s, 2m, 250ms or seconds;
  --rate-schedule: RATE/LENGTH or FROM-TO/LENGTH segments, e.g. 100/10s,100-1000/30s,1000/1m.
  --hdr-log FILE: one HdrHistogram V2 histogram per second (latency from the planned time, us), in
  HdrHistogram's interval log format. --html FILE: one self-contained page (inline SVG plots: latency per
  second per percentile, the percentile spectrum, achieved vs planned rate, errors and throttles). --coordinate-table: a distributed run coordinated through table T
  (pk, sk strings): each worker registers under run R, waits for N, all start at one agreed time, each
  sends every N-th request of the plan and writes its histograms to T; `load report` merges them.
  Exit 0: every planned request completed on time without error; 1: not (the report says why).
  --endpoint-url URL, --region REGION, --profile NAME: as for every ddb command
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "load") return run_tool(argc, argv, "load", load_usage_text, load_command);
  return run_tool(argc, argv, "bench", usage_text, bench);
}
