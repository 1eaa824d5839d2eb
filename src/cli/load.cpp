// `ddb load run` (in ddb-bench): a load run against a table, open loop
// (--rate) or closed loop (--concurrency), from one thread or --threads N.
// The decisions (what is due, what was measured, when an interval is whole)
// are src/load's; this file sends the requests from Asio timers and reports.
//
// Each thread is a `sender`: its own io_context, client, share of the plan
// and key generator. Once a second it hands its interval to the `reporter`
// (the main thread's io_context), which merges the threads' intervals
// (load::interval_board) into the status line, the --hdr-log file, the HTML
// report's series and a distributed run's table; at the end each sender hands
// in its totals and the reporter merges them into one result.
//
//   ddb load run --table-name T (--op OP | --mix OP=WEIGHT,...)
//                (--rate R --duration D | --rate-schedule S | --concurrency C (--requests N | --duration D))
//                [--threads N] [--spec FILE] [templates: see the usage text in src/cli/bench.cpp] ...
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/load.hpp"
#include "cli/load_ops.hpp"
#include "cli/rusage.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/model.hpp"
#include "load/hdr_log.hpp"
#include "load/html.hpp"
#include "load/hot_keys.hpp"
#include "load/intervals.hpp"
#include "load/keys.hpp"
#include "load/open_loop.hpp"
#include "load/report.hpp"

namespace ddb::cli {

namespace asio = boost::asio;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using load::nanos;

namespace {

double parse_fraction(const args& a, const std::string& name, double fallback) {
  const std::string v = a.get(name);
  if (v.empty()) return fallback;
  double out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) throw usage_error("--" + name + " must be a number, got '" + v + "'");
  return out;
}

template <class T>
T unwrap(result<T> r) {
  if (!r) throw usage_error(r.error().message);
  return std::move(*r);
}

double seconds_of(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

// The hot-key counts, shared by the threads (a lock only with --threads > 1).
struct shared_hot_keys {
  load::hot_keys keys;
  std::mutex mutex;
  bool locking = false;
  void record(std::int64_t key, double read, double write, nanos at) {
    if (!locking) return keys.record(key, read, write, at);
    std::lock_guard lock(mutex);
    keys.record(key, read, write, at);
  }
};

// What a sender hands in at its end.
struct sender_result {
  load::loop_counts counts;
  std::int64_t planned = 0;
  load::histogram latency{2, 1}, service{2, 1}, send_lag{2, 1};
  std::map<std::string, std::int64_t> errors_by_type;
  std::int64_t throttled = 0, retries = 0, unprocessed = 0;
  ddb::capacity_report capacity;
  clock_type::time_point last_done{};
  std::size_t connections = 0;
  std::string first_error;
};

// The main thread's side: merges the senders' intervals and results.
struct reporter {
  asio::io_context& io;
  ddb::client& c;  // the describe and the distributed run's writes
  load::interval_board board;
  std::vector<load::loop_counts> counts;
  std::vector<std::optional<sender_result>> results;
  const load::schedule* plan = nullptr;
  bool status = false;
  std::ofstream* hdr_log = nullptr;
  bool keep_summaries = false;
  std::vector<load::interval_summary> summaries;
  const load_cli::coordination* co = nullptr;
  std::int64_t intervals_written = 0, intervals_pending = 0, write_errors = 0;
  double prices_read = 0, prices_write = 0;  // $ per unit, from the client's pricing
  std::function<void()> on_all_done;

  reporter(asio::io_context& i, ddb::client& cl, int parties)
      : io(i), c(cl), board(parties), counts(static_cast<std::size_t>(parties)), results(counts.size()) {}

  void hand_in(int party, load::interval part, const load::loop_counts& now, std::optional<sender_result> last) {
    board.add(party, std::move(part));
    counts[static_cast<std::size_t>(party)] = now;
    if (last) {
      results[static_cast<std::size_t>(party)] = std::move(last);
      board.finish(party);
    }
    for (load::interval& iv : board.take_ready()) emit(iv, !board.all_finished());
    if (board.all_finished() && on_all_done) std::exchange(on_all_done, nullptr)();
  }

  void emit(const load::interval& iv, bool running) {
    const double length = std::max(iv.end_s - iv.begin_s, 1e-9);
    const double units = (iv.read_units + iv.write_units) / length;
    const double usd_per_hour = iv.cost_usd / length * 3600;
    if (status && running) {
      load::loop_counts sum;
      for (const load::loop_counts& c1 : counts) {
        sum.sent += c1.sent;
        sum.errors += c1.errors;
        sum.late += c1.late;
      }
      const double planned = plan->rate_at(std::chrono::duration_cast<nanos>(std::chrono::duration<double>(iv.begin_s)));
      std::fprintf(stderr, "\r%s", load::status_line(iv.end_s, static_cast<double>(iv.completed) / length, planned,
                                                     iv.latency, sum, iv.throttled, units, usd_per_hour).c_str());
      std::fflush(stderr);
    }
    if (co)
      load_cli::put_interval(c, *co, intervals_written++, iv.begin_s, iv.end_s - iv.begin_s, iv.latency,
                             intervals_pending, write_errors);
    if (keep_summaries) {
      load::interval_summary sum;
      sum.at_s = iv.end_s;
      sum.rate = static_cast<double>(iv.completed) / length;
      sum.planned_rate = plan->rate_at(std::chrono::duration_cast<nanos>(std::chrono::duration<double>(iv.begin_s)));
      sum.p50 = iv.latency.value_at_percentile(50);
      sum.p99 = iv.latency.value_at_percentile(99);
      sum.p999 = iv.latency.value_at_percentile(99.9);
      sum.max = iv.latency.max();
      sum.errors = iv.errors;
      sum.throttled = iv.throttled;
      sum.read_units_per_s = iv.read_units / length;
      sum.write_units_per_s = iv.write_units / length;
      sum.usd_per_hour = usd_per_hour;
      summaries.push_back(sum);
    }
    if (hdr_log) {
      *hdr_log << load::log_line(iv.begin_s, iv.end_s - iv.begin_s, iv.latency);
      hdr_log->flush();
    }
  }
};

// One thread's sender: its share of the plan from its own io_context.
struct sender {
  int party;
  asio::io_context& io;
  ddb::client c;
  load::open_loop loop;
  load::key_generator keys;
  load::mix_picker picker;
  load_cli::operations ops;
  reporter& rep;
  asio::io_context& rep_io;
  shared_hot_keys* hot = nullptr;
  asio::steady_timer timer{io}, tick_timer{io};
  clock_type::time_point start{}, last_done{};
  bool armed = false, finished = false;
  clock_type::time_point armed_at{};
  std::vector<load::due_request> due_now;
  std::vector<std::int64_t> batch;
  sender_result totals;
  std::int64_t ticks = 0;
  std::int64_t completed_before = 0, errors_before = 0, throttled_before = 0;
  ddb::capacity_units units_before{};
  double cost_before = 0;

  sender(int p, asio::io_context& i, const ddb::client_config& cfg, load::open_loop l, load::key_generator k,
         load::mix_picker m, load_cli::operations o, reporter& r)
      : party(p), io(i), c(i.get_executor(), cfg), loop(std::move(l)), keys(std::move(k)), picker(std::move(m)),
        ops(std::move(o)), rep(r), rep_io(r.io) {}

  nanos since_start() const { return clock_type::now() - start; }

  void begin(clock_type::time_point at) {
    start = last_done = at;
    c.reset_capacity();
    tick();
    pump();
  }

  void pump() {
    if (finished) return;
    const nanos now = since_start();
    loop.due(now, due_now);
    for (const load::due_request& r : due_now) send(r, now);
    arm();
    if (loop.finished()) finish();
  }

  void arm() {
    const std::optional<nanos> wake = loop.next_wake();
    if (!wake) return;  // all sent, held by the cap, or a closed loop: a completion pumps
    const auto at = start + *wake;
    if (armed && armed_at == at) return;
    armed = true;
    armed_at = at;
    timer.expires_at(at);
    timer.async_wait([this](error_code ec) {
      if (ec) return;  // re-armed for another time
      armed = false;
      pump();
    });
  }

  void send(const load::due_request& r, nanos sent) {
    // One operation or one key: nothing to draw (`ddb bench` sends one request over and over).
    const load_cli::op_kind kind = ops.mix().size() == 1 ? ops.mix()[0] : ops.mix()[picker.next()];
    const std::size_t n = ops.keys_per_request(kind);
    std::int64_t one = 0;
    const std::int64_t* drawn = &one;
    if (n == 1) {
      one = keys.count() == 1 ? 0 : keys.next();
    } else {
      keys.next_distinct(n, batch);
      drawn = batch.data();
    }
    // A batch's keys, kept for the hot-key count (single keys need no allocation).
    std::vector<std::int64_t> many = n > 1 && hot ? batch : std::vector<std::int64_t>{};
    ops.send(c, kind, drawn, [this, r, sent, kind, one, many = std::move(many)](
                                 error_code ec, const ddb::diagnostics& diag, double units, std::int64_t left) {
      last_done = clock_type::now();
      const nanos at = last_done - start;
      loop.completed(r, sent, at, !ec);
      totals.retries += std::max(0, diag.attempts - 1);
      totals.unprocessed += left;
      if (ec) {
        ++totals.errors_by_type[diag.service_type.empty() ? ec.message() : diag.service_type];
        if (ddb::is_throttling(ec)) ++totals.throttled;
        if (totals.first_error.empty()) totals.first_error = diag.summary(ec);
      }
      if (hot && r.intended >= nanos(0)) {
        const bool reads = load_cli::is_read(kind), spread = ops.partitioned(kind);
        if (many.empty()) {
          hot->record(spread ? one : 0, reads ? units : 0.0, reads ? 0.0 : units, at);
        } else {
          const double each = units / static_cast<double>(many.size());
          for (std::int64_t k : many) hot->record(spread ? k : 0, reads ? each : 0.0, reads ? 0.0 : each, at);
        }
      }
      if (loop.cap_holding() || loop.finished()) pump();
    });
  }

  // Interval k ends at start + k + 1 seconds (aligned across threads).
  void tick() {
    tick_timer.expires_at(start + std::chrono::seconds(ticks + 1));
    tick_timer.async_wait([this](error_code ec) {
      if (ec || finished) return;
      hand_in(false);
      tick();
    });
  }

  void hand_in(bool last) {
    load::interval part;
    part.index = ticks;
    part.latency = loop.take_interval_latency();
    const load::loop_counts& now = loop.counts();
    part.completed = now.completed - completed_before;
    part.errors = now.errors - errors_before;
    part.throttled = totals.throttled - throttled_before;
    part.begin_s = static_cast<double>(ticks);
    part.end_s = last ? std::max(part.begin_s, seconds_of(last_done - start)) : static_cast<double>(ticks + 1);
    const ddb::capacity_report cap = c.capacity();
    part.read_units = cap.total.read - units_before.read;
    part.write_units = cap.total.write - units_before.write;
    part.cost_usd = cap.estimated_usd - cost_before;
    units_before = cap.total;
    cost_before = cap.estimated_usd;
    completed_before = now.completed;
    errors_before = now.errors;
    throttled_before = totals.throttled;
    ++ticks;
    std::optional<sender_result> end;
    if (last) {
      totals.counts = now;
      totals.planned = loop.planned();
      totals.latency = loop.latency();
      totals.service = loop.service();
      totals.send_lag = loop.send_lag();
      totals.capacity = cap;
      totals.last_done = last_done;
      totals.connections = c.connections_opened();
      end = std::move(totals);
    }
    asio::post(rep_io, [&rep = rep, p = party, part = std::move(part), now, end = std::move(end)]() mutable {
      rep.hand_in(p, std::move(part), now, std::move(end));
    });
  }

  void finish() {
    if (finished) return;
    finished = true;
    timer.cancel();
    tick_timer.cancel();
    hand_in(true);
    c.close();
  }
};

}  // namespace

int load_report_command(const args& a);

// --spec FILE: a JSON object of the run's options by their flag names
// ({"table-name":"T","mix":"get-item=80,put-item=20","rate":500,...});
// options given on the command line win.
args with_spec(const args& given) {
  args a = given;
  const std::string path = given.get("spec");
  if (path.empty()) return a;
  std::ifstream f(path);
  if (!f) throw usage_error("cannot read the spec " + path + " (--spec)");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto spec = ddb::json::parse_plain_item(text);
  if (!spec) throw usage_error("the spec " + path + " is not a JSON object of options: " + spec.error().message);
  for (const auto& [name, v] : *spec) {
    std::string value;
    if (const std::string* s = v.get_if<std::string>()) value = *s;
    else if (const ddb::number* n = v.get_if<ddb::number>()) value = std::string(n->text());
    else if (const bool* b = v.get_if<bool>()) { if (!*b) continue; value = "1"; }
    else if (const ddb::item* m = v.get_if<ddb::item>()) value = ddb::json::to_plain_json(*m);  // a template, as written
    else throw usage_error("the spec's \"" + name + "\" must be a string, number, true or a template object");
    a.options.try_emplace(name, std::move(value));
  }
  return a;
}

int load_command(const args& given) {
  const std::string what = given.positional.size() > 1 ? given.positional[1] : "";
  if (what == "report") return load_report_command(given);
  if (what == "prepare") return load_prepare_command(with_spec(given));
  if (what == "cleanup") return load_cleanup_command(with_spec(given));
  if (what != "run") throw usage_error("say `ddb load run`, `prepare`, `cleanup` or `report` (see --help)");
  const args a = with_spec(given);
  load::run_result out;
  const int rc = load_run(a, out);
  std::cout << (a.options.count("json") ? load::json_report(out) + "\n" : load::text_report(out));
  return rc;
}

int load_run(const args& a, load::run_result& out, const run_settings& settings) {
  const std::string table = a.require("table-name");
  if (a.options.count("op") == a.options.count("mix")) throw usage_error("give --op OPERATION or --mix OP=WEIGHT,... (one of them)");
  const std::vector<load::weighted_op> mix = a.options.count("mix")
                                                 ? unwrap(load::parse_mix(a.get("mix"), load_cli::known_ops()))
                                                 : unwrap(load::parse_mix(a.get("op") + "=1", load_cli::known_ops()));
  const std::string op = a.options.count("mix") ? "mix " + a.get("mix") : a.get("op");
  const bool closed = a.options.count("concurrency") != 0;
  const bool has_rate = a.options.count("rate") != 0, has_schedule = a.options.count("rate-schedule") != 0;
  if (closed && (has_rate || has_schedule))
    throw usage_error("--concurrency C is a closed loop; --rate and --rate-schedule an open one: give one of them");
  if (!closed && has_rate == has_schedule)
    throw usage_error("give one of them: --rate R with --duration D, --rate-schedule SPEC, or --concurrency C for a closed loop");
  if (closed && !a.options.count("requests") && !a.options.count("duration"))
    throw usage_error("a closed loop (--concurrency) stops after --requests N or --duration D: give one or both");
  if (!closed && a.options.count("requests")) throw usage_error("--requests goes with --concurrency (a closed loop)");
  const load::schedule plan =
      closed ? load::schedule::none()
      : has_rate ? unwrap(load::schedule::constant(parse_fraction(a, "rate", 0), unwrap(load::parse_duration(a.require("duration")))))
                 : unwrap(load::schedule::parse(a.require("rate-schedule")));
  const nanos closed_for = closed && a.options.count("duration") ? unwrap(load::parse_duration(a.get("duration"))) : nanos(0);
  const long requests = closed && a.options.count("requests") ? a.number("requests", 1) : -1;
  const long concurrency = closed ? a.number("concurrency", 64) : 0;
  const std::string plan_text = closed ? (requests >= 0 ? std::to_string(requests) + " requests" : "") +
                                             (requests >= 0 && closed_for > nanos(0) ? " or " : "") +
                                             (closed_for > nanos(0) ? a.get("duration") : "")
                                : has_rate ? a.get("rate") + "/s for " + a.get("duration") : a.get("rate-schedule");
  const nanos warmup = a.options.count("warmup") ? unwrap(load::parse_duration(a.get("warmup"))) : nanos(0);
  const load::key_spec key_spec =
      unwrap(load::parse_key_spec(a.get("distribution", "uniform"), a.number("keys", 1000), parse_fraction(a, "hot-share", 0)));
  const std::uint64_t seed = static_cast<std::uint64_t>(a.number("seed", 1));
  const long threads = a.number("threads", 1);
  if (threads > 64) throw usage_error("--threads " + std::to_string(threads) + ": at most 64");
  if (closed && concurrency < threads) throw usage_error("--concurrency must be at least --threads (one request a thread)");
  load_cli::operations configured(a, table, mix, seed);
  for (load_cli::op_kind k : configured.mix())
    if (static_cast<std::int64_t>(configured.keys_per_request(k)) > key_spec.count)
      throw usage_error("--batch-size " + std::to_string(configured.keys_per_request(k)) + " needs at least as many --keys (" +
                        std::to_string(key_spec.count) + "): a batch names each key once");

  ddb::client_config cfg = config_from(a);
  cfg.track_capacity = settings.track_capacity;
  const long max_in_flight = closed ? concurrency : a.number("max-in-flight", 1000), pipeline = a.number("pipeline", 1);
  const long per_thread = (max_in_flight + threads - 1) / threads;
  cfg.pipeline_depth = static_cast<std::size_t>(pipeline);
  if (a.options.count("pipeline-refill")) cfg.pipeline_refill = static_cast<std::size_t>(a.number("pipeline-refill", 1));
  cfg.pool_size = static_cast<std::size_t>(a.number("pool", std::min<long>(64, (per_thread + pipeline - 1) / pipeline)));
  cfg.pool_wait_timeout = std::chrono::milliseconds(60000);

  const std::string coordinate = a.get("coordinate-table");
  const long workers = a.number("workers", 1);
  const nanos wait = a.options.count("wait") ? unwrap(load::parse_duration(a.get("wait"))) : nanos(std::chrono::seconds(60));
  if (coordinate.empty() && (a.options.count("workers") || a.options.count("run-id")))
    throw usage_error("--workers and --run-id go with --coordinate-table T");
  const std::string html_path = a.get("html");
  std::ofstream html_file;
  if (!html_path.empty()) {
    html_file.open(html_path, std::ios::trunc);
    if (!html_file) throw usage_error("cannot write the HTML report " + html_path + " (--html)");
  }
  std::ofstream hdr_file;
  if (const std::string path = a.get("hdr-log"); !path.empty()) {
    hdr_file.open(path, std::ios::trunc);
    if (!hdr_file) throw usage_error("cannot write the histogram log " + path + " (--hdr-log)");
  }

  // One thread: the sender runs on the reporter's io_context (no locks needed
  // but the resolver's); more: each on its own.
  asio::io_context io(threads == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO : BOOST_ASIO_CONCURRENCY_HINT_SAFE);
  ddb::client c(io.get_executor(), cfg);
  reporter rep(io, c, static_cast<int>(threads));
  rep.plan = &plan;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::unique_ptr<sender>> senders;
  std::optional<load_cli::coordination> co;
  std::exception_ptr failure;
  double cpu0 = 0;
  std::string partition_key;
  shared_hot_keys hot{load::hot_keys(key_spec.count), {}, threads > 1};
  clock_type::time_point start{};
  std::vector<std::thread> running;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> hold;
  bool collected = false;
  std::mutex thread_failure_mutex;
  std::exception_ptr thread_failure;  // a sender thread's (under the mutex)

  auto collect = [&] {
    load::run_result& res = out;
    res.operation = op;
    res.table = table;
    res.plan = plan_text;
    res.target_rate = closed ? 0.0 : static_cast<double>(plan.total()) / seconds_of(plan.length());
    res.max_in_flight = static_cast<std::size_t>(max_in_flight);
    res.closed_concurrency = static_cast<std::size_t>(concurrency);
    res.threads = static_cast<int>(threads);
    clock_type::time_point last = start;
    bool first = true;
    for (const auto& r : rep.results) {
      if (first) {
        res.latency = r->latency;
        res.service = r->service;
        res.send_lag = r->send_lag;
        first = false;
      } else {
        res.latency.merge(r->latency);
        res.service.merge(r->service);
        res.send_lag.merge(r->send_lag);
      }
      res.planned += r->planned;
      res.counts.sent += r->counts.sent;
      res.counts.completed += r->counts.completed;
      res.counts.errors += r->counts.errors;
      res.counts.late += r->counts.late;
      res.counts.late_by_cap += r->counts.late_by_cap;
      res.counts.late_by_loop += r->counts.late_by_loop;
      res.counts.cap_reached += r->counts.cap_reached;
      res.counts.peak_in_flight += r->counts.peak_in_flight;
      for (const auto& [type, n] : r->errors_by_type) res.errors_by_type[type] += n;
      res.throttled += r->throttled;
      res.retries += r->retries;
      res.unprocessed += r->unprocessed;
      res.read_units += r->capacity.total.read;
      res.write_units += r->capacity.total.write;
      res.cost_usd += r->capacity.estimated_usd;
      if (r->counts.completed) last = std::max(last, r->last_done);
      res.connections += r->connections;
      if (res.first_error.empty()) res.first_error = r->first_error;
    }
    res.seconds = seconds_of(last - start);
    res.cpu_seconds = cpu_clock::seconds() - cpu0;
    res.peak_rss_kb = cpu_clock::peak_rss_kb();
    res.hot = hot.keys.top(10);
    res.hot_key_name = configured.all_partitioned() ? partition_key : "";
    collected = true;
  };

  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    // Nothing is sent before the table is known to exist.
    ddb::describe_table_request dt;
    dt.table_name = table;
    auto [ec, res] = co_await c.describe_table(dt, asio::as_tuple(asio::use_awaitable));
    if (ec == ddb::service_errc::resource_not_found)
      throw usage_error("table " + table + " does not exist: create and fill it first, e.g. `ddb load prepare --table-name " +
                        table + " --item JSON --keys N --create-table`");
    if (ec) throw ddb::make_error(ec, std::move(res.diag));
    if (res.table)
      for (const ddb::key_schema_element& k : res.table->key_schema)
        if (k.key_type == ddb::key_type::hash) partition_key = k.attribute_name;
    configured.set_partition_key(partition_key);
    if (!coordinate.empty()) {
      const std::string run_id = a.get("run-id");
      const bool create = a.options.count("create-table") != 0;
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
      co = co_await load_cli::join(c, coordinate, run_id, workers, create, wait_ms);
    }
    const std::int64_t worker_share = co ? co->workers : 1, worker_index = co ? co->index : 0;
    for (long t = 0; t < threads; ++t) {
      load::loop_options lo{.max_in_flight = static_cast<std::size_t>(per_thread), .warmup = warmup,
                            .share_of = worker_share * threads, .share_index = worker_index * threads + t};
      const std::size_t mine = static_cast<std::size_t>(concurrency / threads + (t < concurrency % threads ? 1 : 0));
      load::open_loop loop = closed ? load::open_loop(load::closed_options{mine, requests, closed_for}, lo)
                                    : load::open_loop(plan, lo);
      const std::uint64_t s = seed + static_cast<std::uint64_t>(lo.share_index);
      asio::io_context* where = &io;
      if (threads > 1) where = ios.emplace_back(std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO)).get();
      senders.push_back(std::make_unique<sender>(static_cast<int>(t), *where, cfg, std::move(loop), load::key_generator(key_spec, s),
                                                 load::mix_picker(mix, s * 7919), configured, rep));
      senders.back()->hot = settings.hot_keys ? &hot : nullptr;
    }
    rep.status = settings.status && !a.options.count("json") && isatty(2);
    rep.co = co ? &*co : nullptr;
    rep.keep_summaries = !html_path.empty();
    if (hdr_file.is_open()) {
      const double epoch = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      hdr_file << load::log_header(epoch);
      rep.hdr_log = &hdr_file;
    }
    rep.on_all_done = [&] {
      collect();
      hold.reset();
      if (!co) return c.close();
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        // The last intervals' writes first (closing the client would cut them off), then the totals.
        for (int i = 0; i < 3000 && rep.intervals_pending > 0; ++i) {
          asio::steady_timer t(io, std::chrono::milliseconds(10));
          co_await t.async_wait(asio::use_awaitable);
        }
        co_await load_cli::put_result(c, *co, out, hot.keys.top(50));
      }, [&](std::exception_ptr e) {
        if (e) failure = e;
        c.close();
      });
    };
    cpu0 = cpu_clock::seconds();
    start = clock_type::now();
    if (co) {  // the agreed start, by the server's clock
      const auto server_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.server_time().time_since_epoch()).count();
      start += std::chrono::milliseconds(std::max<std::int64_t>(0, co->start_ms - server_ms));
    }
    if (threads == 1) {
      senders[0]->begin(start);
      co_return;
    }
    hold.emplace(io.get_executor());  // the reporter waits for every sender's end
    for (auto& s : senders)
      running.emplace_back([&, &s = s] {
        try {
          s->begin(start);
          s->io.run();
        } catch (...) {  // to the main thread, which stops waiting
          std::lock_guard lock(thread_failure_mutex);
          if (!thread_failure) thread_failure = std::current_exception();
          asio::post(io, [&] {
            hold.reset();
            c.close();
          });
        }
      });
  }, [&](std::exception_ptr e) {
    if (!e) return;
    failure = e;
    c.close();
  });
  io.run();
  for (std::thread& t : running) t.join();
  if (!failure) failure = thread_failure;
  if (failure) std::rethrow_exception(failure);
  if (!collected) throw ddb::error(fail(errc::unexpected_exception, "the run ended without a result"));
  if (rep.status) std::fputs("\n", stderr);
  if (rep.write_errors)
    std::cerr << "ddb load: " << rep.write_errors << " interval histogram(s) could not be written to " << coordinate << "\n";
  if (html_file.is_open()) html_file << load::html_report(out, rep.summaries);
  return out.shortfall() || out.counts.errors ? 1 : 0;
}

// `ddb load report --coordinate-table T --run-id R [--json]`: every worker's
// results merged.
int load_report_command(const args& a) {
  const std::string table = a.require("coordinate-table"), run = a.require("run-id");
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  std::optional<load::run_result> out;
  std::int64_t workers = 0, intervals = 0;
  std::exception_ptr failure;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    out = co_await load_cli::merged_result(c, table, run, workers, intervals);
  }, [&](std::exception_ptr e) {
    failure = e;
    c.close();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (a.options.count("json")) {
    std::cout << load::json_report(*out) << "\n";
  } else {
    std::cout << load::text_report(*out) << workers << " workers, " << intervals << " interval histograms in " << table
              << "\n";
  }
  return out->shortfall() || out->counts.errors ? 1 : 0;
}

}  // namespace ddb::cli
