// ddb-bench: the load generator, run by `ddb bench` (or directly).
//
//   ddb bench get-item --table T --key JSON --requests N --concurrency C [--pipeline D [--pipeline-refill R]] [--pool N]
//   ddb bench query --table T --key-condition EXPR --values JSON ...
//   ddb bench transact-write-items --cli-input-json JSON|file://PATH ...   (a fresh ClientRequestToken each time)
//
// Runs N requests with C in flight on one thread and prints requests/s,
// p50/p99 latency, peak RSS and, last, the process's CPU time per request
// (user+sys from getrusage).
#include <cstdio>
#include <string>

#include "cli/common.hpp"
#include "cli/load.hpp"
#include "ddb/model.hpp"
#include "model/codec.hpp"

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

// `ddb bench` is `ddb load run --concurrency C --requests N` (one runner for
// both, src/cli/load.cpp) without the capacity and hot-key accounting, so
// the CPU per request is the client's alone; its summary keeps the lines
// the benchmark scripts read.
int bench(const args& given) {
  if (given.positional.size() < 2) throw usage_error("bench needs an operation: get-item, query or transact-write-items");
  const std::string& what = given.positional[1];
  if (what != "get-item" && what != "query" && what != "transact-write-items")
    throw usage_error("bench supports get-item, query and transact-write-items, not '" + what +
                      "' (`ddb load run --concurrency C --requests N` runs every operation)");
  args a = given;
  a.positional = {"load", "run"};
  a.options.erase("table");
  a.options["op"] = what;
  if (what == "transact-write-items") {
    auto r = ddb::detail::decode<ddb::transact_write_items_request>(input_json(given, true));
    if (!r) throw usage_error("invalid --cli-input-json: " + r.error().message);
    const auto& first = r->transact_items.empty() ? ddb::transact_write_item{} : r->transact_items.front();
    const std::string table = first.put ? first.put->table_name
                              : first.update ? first.update->table_name
                              : first.delete_ ? first.delete_->table_name
                              : first.condition_check ? first.condition_check->table_name
                                                      : "";
    if (table.empty()) throw usage_error("--cli-input-json: TransactItems names no table");
    a.options["table-name"] = table;
  } else {
    a.options["table-name"] = given.require("table");
  }
  const long requests = given.number("requests", 1000);
  a.options["requests"] = std::to_string(requests);
  a.options["concurrency"] = std::to_string(std::min(given.number("concurrency", 64), requests));
  a.options.try_emplace("keys", "1");  // the key as given: no {key} in it
  const long in_flight = std::stol(a.options["concurrency"]), depth = given.number("pipeline", 1);
  a.options.try_emplace("pool", std::to_string((in_flight + depth - 1) / depth));  // a connection per D in flight
  ddb::load::run_result r;
  load_run(a, r, run_settings{.track_capacity = false, .hot_keys = false, .status = false});
  const long pipeline = given.number("pipeline", 1);
  const std::size_t refill = static_cast<std::size_t>(given.number("pipeline-refill", pipeline - pipeline / 2));
  std::printf("requests: %ld  concurrency: %zu  pipeline: %ld (refill %zu)  connections: %zu  errors: %lld\n", requests,
              r.closed_concurrency, pipeline, refill, r.connections, static_cast<long long>(r.counts.errors));
  if (!r.first_error.empty()) std::printf("first error: %s\n", r.first_error.c_str());
  std::printf("requests/s: %.0f\n", r.achieved_rate());
  std::printf("latency p50: %lld us  p99: %lld us\n", static_cast<long long>(r.service.value_at_percentile(50)),
              static_cast<long long>(r.service.value_at_percentile(99)));
  std::printf("peak RSS: %ld KB\n", r.peak_rss_kb);
  std::printf("cpu per request: %.2f us (user+sys)\n", r.cpu_seconds / static_cast<double>(requests) * 1e6);
  return r.counts.errors ? exit_client : 0;
}

constexpr const char* load_usage_text = R"(usage: ddb load run [options]

  load run --table-name T (--op OPERATION | --mix get-item=80,put-item=20,...)
      (--rate R --duration D | --rate-schedule SPEC | --concurrency C (--requests N | --duration D))
      [--threads N] [--spec FILE: these options as a JSON object]
    OPERATION: get-item put-item update-item delete-item query batch-get-item batch-write-item
               transact-get-items transact-write-items
      [--key JSON]   the key (get, update, delete, batch-get, transact-get); string values holding {key} get
                     the request's key number, e.g. '{"pk":{"S":"user#{key}"}}'
      [--item JSON]  the item (put, batch-write, transact-write), {key} likewise
      [--item-bytes 512 | 100-4000 | normal:1000,200 | exp:800]   a "pad" attribute of that many bytes
      [--update-expression EXPR [--update-values JSON]]   update-item, e.g. 'ADD n :one'
      [--key-condition EXPR --values JSON]   query: e.g. 'pk = :pk' and '{":pk":{"S":"user#{key}"}}'
      [--names JSON]  expression attribute names, e.g. '{"#n":"name"}'
      [--batch-size N]  keys or items a batch or transaction request carries (distinct keys; defaults
                        batch-get 100, batch-write 25, transactions 10)
      [--cli-input-json JSON]  transact-write-items: this TransactWriteItems request as given
      [--keys 1000] [--distribution uniform|sequential|zipf[:THETA]] [--hot-share F]
      [--warmup D] [--max-in-flight 1000] [--pipeline D] [--pipeline-refill R] [--pool N] [--json]
      [--hdr-log FILE] [--html FILE] [--seed N]
      [--coordinate-table T --run-id R --workers N [--create-table] [--wait 60s]]
  load report --coordinate-table T --run-id R [--json]
  load prepare --table-name T --item JSON --keys N [--item-bytes B] [--create-table]
      writes items 0..N-1 from the template (batch writes), creating T when asked
  load cleanup --table-name T --yes            deletes T
  An open loop (--rate, --rate-schedule): request n leaves at its planned time whether or not earlier ones
  answered; latency is measured from that planned time (coordinated omission corrected), service time from
  the send. A closed loop (--concurrency C): C requests in flight, each completion sending the next
  (`ddb bench` is this); its latency is service time and hides stalls, and the report says so.
  --threads N: N sending threads, each with its own connections and an interleaved share of the plan.
  --rate takes fractions (0.5 = one every 2 s); --duration and lengths take 10s, 2m, 250ms or seconds;
  --rate-schedule: RATE/LENGTH or FROM-TO/LENGTH segments, e.g. 100/10s,100-1000/30s,1000/1m.
  --hdr-log FILE: one HdrHistogram V2 histogram per second (latency from the planned time, us), in
  HdrHistogram's interval log format. --html FILE: one self-contained page (inline SVG plots: latency per
  second per percentile, the percentile spectrum, achieved vs planned rate, errors and throttles, units
  and cost per second). --coordinate-table: a distributed run coordinated through table T
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
