// `ddb load run` (in ddb-bench): an open-loop load run against a table. The
// decisions (what is due, what measured) are src/load/open_loop.cpp's; this
// file sends the requests from one Asio timer and reports.
//
//   ddb load run --table-name T (--op get-item|put-item|delete-item|query | --mix OP=WEIGHT,...)
//                (--rate R --duration D | --rate-schedule S) [--spec FILE]
//                [--key JSON | --item JSON] [--keys N] [--distribution uniform|sequential|zipf[:THETA]]
//                [--hot-share F] [--item-bytes N] [--warmup D] [--max-in-flight N] [--pipeline D] [--pool N]
//                [--json] [--hdr-log FILE] [--html FILE] [--seed N]
//
// String attributes of the key (or item) holding "{key}" get the request's
// key number in its place, e.g. --key '{"pk":{"S":"user#{key}"}}'.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <optional>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/load.hpp"
#include "cli/load_templates.hpp"
#include "cli/rusage.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/model.hpp"
#include "load/hdr_log.hpp"
#include "load/html.hpp"
#include "load/hot_keys.hpp"
#include "load/keys.hpp"
#include "load/mix.hpp"
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

struct runner {
  ddb::client& c;
  load::open_loop& loop;
  load::key_generator keys;
  std::vector<load::weighted_op> mix;
  load::mix_picker picker;
  ddb::get_item_request get;
  ddb::put_item_request put;
  ddb::delete_item_request del;
  ddb::query_request query;
  std::vector<key_slot> key_slots_, item_slots_, values_slots_;
  asio::steady_timer timer, status_timer;
  clock_type::time_point start{}, last_done{};
  bool armed = false;
  clock_type::time_point armed_at{};
  std::vector<load::due_request> due_now;
  std::map<std::string, std::int64_t> errors_by_type;
  std::int64_t throttled = 0, retries = 0;
  bool status = false;
  load::hot_keys* hot = nullptr;
  // Whether the key number is in the partition key of --key / --item (else
  // every such request goes to one partition).
  bool per_key_reads = true, per_key_writes = true;
  bool per_key_queries = true;  // the key number is in the query's values (taken as its partition key)

  nanos since_start() const { return clock_type::now() - start; }

  void pump() {
    const nanos now = since_start();
    loop.due(now, due_now);
    for (const load::due_request& r : due_now) send(r, now);
    arm();
    if (loop.finished()) finish();
  }

  void arm() {
    const std::optional<nanos> wake = loop.next_wake();
    if (!wake) return;  // all sent, or held by the cap: a completion pumps
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
    const std::int64_t key = keys.next();
    const std::string& op = mix[picker.next()].op;
    const bool reads = op == "get-item" || op == "query";
    const bool partitioned = op == "query" ? per_key_queries : reads || op == "delete-item" ? per_key_reads : per_key_writes;
    auto done = [this, r, sent, key, reads, partitioned](error_code ec, const ddb::diagnostics& diag,
                                     const std::optional<ddb::consumed_capacity>& cc) {
      last_done = clock_type::now();
      const nanos at = last_done - start;
      loop.completed(r, sent, at, !ec);
      retries += std::max(0, diag.attempts - 1);
      if (ec) {
        ++errors_by_type[diag.service_type.empty() ? ec.message() : diag.service_type];
        if (ddb::is_throttling(ec)) ++throttled;
      }
      if (hot && r.intended >= nanos(0)) {
        const double units = cc && cc->capacity_units ? *cc->capacity_units : 0.0;
        hot->record(partitioned ? key : 0, reads ? units : 0.0, reads ? 0.0 : units, at);
      }
      if (loop.cap_holding() || loop.finished()) pump();
    };
    if (op == "get-item") {
      fill(get.key, key_slots_, key);
      c.get_item(get, [done](error_code ec, ddb::get_item_response res) { done(ec, res.diag, res.consumed_capacity); });
    } else if (op == "put-item") {
      fill(put.item, item_slots_, key);
      c.put_item(put, [done](error_code ec, ddb::put_item_response res) { done(ec, res.diag, res.consumed_capacity); });
    } else if (op == "query") {
      fill(query.expression_attribute_values, values_slots_, key);
      c.query(query, [done](error_code ec, ddb::query_response res) { done(ec, res.diag, res.consumed_capacity); });
    } else {
      fill(del.key, key_slots_, key);
      c.delete_item(del, [done](error_code ec, ddb::delete_item_response res) { done(ec, res.diag, res.consumed_capacity); });
    }
  }

  void finish() {
    if (finished) return;
    finished = true;
    timer.cancel();
    status_timer.cancel();
    if (hdr_log || co || keep_summaries) write_interval(last_tick);  // the last, partial interval
    if (status) std::fputs("\n", stderr);
    on_finished();
  }
  bool finished = false;
  std::function<void()> on_finished;
  const load_cli::coordination* co = nullptr;
  std::int64_t intervals_written = 0, intervals_pending = 0, write_errors = 0;
  clock_type::time_point last_tick{};

  // Once a second: the interval's latencies to the status line (on a
  // terminal) and to the --hdr-log file.
  void tick() {
    status_timer.expires_after(std::chrono::seconds(1));
    status_timer.async_wait([this, last = loop.counts().completed, at = clock_type::now()](error_code ec) {
      if (ec || loop.finished()) return;
      const double dt = std::chrono::duration<double>(clock_type::now() - at).count();
      write_interval(at);
      last_tick = clock_type::now();
      if (status) {
        const double rate = dt > 0 ? static_cast<double>(loop.counts().completed - last) / dt : 0;
        std::fprintf(stderr, "\r%s", load::status_line(std::chrono::duration<double>(since_start()).count(), rate,
                                                       loop.plan().rate_at(since_start()), last_interval,
                                                       loop.counts()).c_str());
        std::fflush(stderr);
      }
      tick();
    });
  }

  // The interval since `from` (its latencies from the planned send times).
  void write_interval(clock_type::time_point from) {
    last_interval = loop.take_interval_latency();
    const double begin = std::chrono::duration<double>(from - start).count();
    const double length = std::chrono::duration<double>(clock_type::now() - from).count();
    if (co)
      load_cli::put_interval(c, *co, intervals_written++, begin, length, last_interval, intervals_pending, write_errors);
    if (keep_summaries && length > 0) {
      load::interval_summary sum;
      sum.at_s = begin + length;
      sum.rate = static_cast<double>(loop.counts().completed - completed_before) / length;
      sum.planned_rate = loop.plan().rate_at(std::chrono::duration_cast<nanos>(std::chrono::duration<double>(begin)));
      sum.p50 = last_interval.value_at_percentile(50);
      sum.p99 = last_interval.value_at_percentile(99);
      sum.p999 = last_interval.value_at_percentile(99.9);
      sum.max = last_interval.max();
      sum.errors = loop.counts().errors - errors_before;
      sum.throttled = throttled - throttled_before;
      summaries.push_back(sum);
    }
    completed_before = loop.counts().completed;
    errors_before = loop.counts().errors;
    throttled_before = throttled;
    if (!hdr_log) return;
    *hdr_log << load::log_line(begin, length, last_interval);
    hdr_log->flush();
  }

  std::ofstream* hdr_log = nullptr;
  // One line a second for the HTML report (--html): 80 bytes a second of run.
  bool keep_summaries = false;
  std::vector<load::interval_summary> summaries;
  std::int64_t completed_before = 0, errors_before = 0, throttled_before = 0;
  load::histogram last_interval{2, 1};
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
  const std::string table = a.require("table-name");
  const std::vector<std::string> known{"get-item", "put-item", "delete-item", "query"};
  if (a.options.count("op") == a.options.count("mix")) throw usage_error("give --op OPERATION or --mix OP=WEIGHT,... (one of them)");
  const std::vector<load::weighted_op> mix =
      a.options.count("mix") ? unwrap(load::parse_mix(a.get("mix"), known)) : unwrap(load::parse_mix(a.get("op") + "=1", known));
  const std::string op = a.options.count("mix") ? "mix " + a.get("mix") : a.get("op");
  bool keys_used = false, items_used = false, queries_used = false;
  for (const load::weighted_op& w : mix)
    (w.op == "put-item" ? items_used : w.op == "query" ? queries_used : keys_used) = true;
  const bool has_rate = a.options.count("rate") != 0, has_schedule = a.options.count("rate-schedule") != 0;
  if (has_rate == has_schedule) throw usage_error("give --rate R with --duration D, or --rate-schedule SPEC (one of them)");
  load::schedule plan = has_rate ? unwrap(load::schedule::constant(parse_fraction(a, "rate", 0),
                                                                    unwrap(load::parse_duration(a.require("duration")))))
                                 : unwrap(load::schedule::parse(a.require("rate-schedule")));
  const std::string plan_text = has_rate ? a.get("rate") + "/s for " + a.get("duration") : a.get("rate-schedule");
  const nanos warmup = a.options.count("warmup") ? unwrap(load::parse_duration(a.get("warmup"))) : nanos(0);
  const load::key_spec key_spec =
      unwrap(load::parse_key_spec(a.get("distribution", "uniform"), a.number("keys", 1000), parse_fraction(a, "hot-share", 0)));

  const request_template key_tmpl = keys_used ? template_of(a, "key") : request_template{};
  request_template item_tmpl = items_used ? template_of(a, "item") : request_template{};
  // Query: --key-condition EXPR with --values JSON (its expression values, {key} allowed).
  const request_template values_tmpl = queries_used ? template_of(a, "values") : request_template{};
  const std::string key_condition = queries_used ? a.require("key-condition") : "";
  if (const long pad = a.number("item-bytes", 0); pad > 0) {
    if (!items_used) throw usage_error("--item-bytes goes with put-item");
    item_tmpl.item.insert_or_assign("pad", ddb::value(std::string(static_cast<std::size_t>(pad), 'x')));
  }

  ddb::client_config cfg = config_from(a);
  cfg.track_capacity = true;
  const long max_in_flight = a.number("max-in-flight", 1000), pipeline = a.number("pipeline", 1);
  cfg.pipeline_depth = static_cast<std::size_t>(pipeline);
  cfg.pool_size = static_cast<std::size_t>(a.number("pool", std::min<long>(64, (max_in_flight + pipeline - 1) / pipeline)));
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

  asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  ddb::client c(io.get_executor(), cfg);
  std::optional<load::open_loop> loop;
  std::optional<runner> r;
  std::optional<load_cli::coordination> co;
  std::optional<load::run_result> out;
  std::exception_ptr failure;
  double cpu0 = 0;
  std::string partition_key;
  load::hot_keys hot(key_spec.count);

  auto collect = [&] {
    load::run_result res;
    res.operation = op;
    res.table = table;
    res.plan = plan_text;
    res.planned = loop->planned();
    res.target_rate = static_cast<double>(plan.total()) / std::chrono::duration<double>(plan.length()).count();
    res.seconds = loop->counts().completed ? std::chrono::duration<double>(r->last_done - r->start).count() : 0.0;
    res.max_in_flight = static_cast<std::size_t>(max_in_flight);
    res.counts = loop->counts();
    res.latency = loop->latency();
    res.service = loop->service();
    res.send_lag = loop->send_lag();
    res.errors_by_type = r->errors_by_type;
    res.throttled = r->throttled;
    res.retries = r->retries;
    const ddb::capacity_report cap = c.capacity();
    res.read_units = cap.total.read;
    res.write_units = cap.total.write;
    res.cost_usd = cap.estimated_usd;
    res.cpu_seconds = cpu_clock::seconds() - cpu0;
    res.peak_rss_kb = cpu_clock::peak_rss_kb();
    res.hot = hot.top(10);
    res.hot_key_name = (keys_used ? r->per_key_reads : true) && (items_used ? r->per_key_writes : true) &&
                               (queries_used ? r->per_key_queries : true)
                           ? partition_key
                           : "";
    return res;
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
    if (!coordinate.empty()) {
      const std::string run_id = a.get("run-id");
      const bool create = a.options.count("create-table") != 0;
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait);
      co = co_await load_cli::join(c, coordinate, run_id, workers, create, wait_ms);
    }
    loop.emplace(plan, load::loop_options{.max_in_flight = static_cast<std::size_t>(max_in_flight), .warmup = warmup,
                                          .share_of = co ? co->workers : 1, .share_index = co ? co->index : 0});
    r.emplace(runner{c, *loop, load::key_generator(key_spec, static_cast<std::uint64_t>(a.number("seed", 1)) + (co ? co->index : 0)),
                     mix, load::mix_picker(mix, static_cast<std::uint64_t>(a.number("seed", 1)) * 7919 + (co ? co->index : 0)),
                     {}, {}, {}, {}, key_tmpl.slots, item_tmpl.slots, {}, asio::steady_timer(io), asio::steady_timer(io)});
    r->get.table_name = r->put.table_name = r->del.table_name = table;
    r->get.key = r->del.key = key_tmpl.item;
    r->put.item = item_tmpl.item;
    r->query.table_name = table;
    r->query.key_condition_expression = key_condition;
    r->query.expression_attribute_values = values_tmpl.item;
    r->values_slots_ = values_tmpl.slots;
    r->status = !a.options.count("json") && isatty(2);
    r->co = co ? &*co : nullptr;
    r->hot = &hot;
    auto in_partition_key = [&](const std::vector<key_slot>& slots) {
      return std::any_of(slots.begin(), slots.end(), [&](const key_slot& k) { return k.name == partition_key; });
    };
    r->per_key_reads = in_partition_key(key_tmpl.slots);
    r->per_key_writes = in_partition_key(item_tmpl.slots);
    r->per_key_queries = !values_tmpl.slots.empty();
    r->on_finished = [&] {
      out = collect();
      if (!co) return c.close();
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        // The last interval's write first (closing the client would cut it off), then the totals.
        for (int i = 0; i < 3000 && r->intervals_pending > 0; ++i) {
          asio::steady_timer t(io, std::chrono::milliseconds(10));
          co_await t.async_wait(asio::use_awaitable);
        }
        co_await load_cli::put_result(c, *co, *out);
      }, [&](std::exception_ptr e) {
        if (e) failure = e;
        c.close();
      });
    };
    c.reset_capacity();
    cpu0 = cpu_clock::seconds();
    r->start = clock_type::now();
    if (co) {  // the agreed start, by the server's clock
      const auto server_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.server_time().time_since_epoch()).count();
      r->start += std::chrono::milliseconds(std::max<std::int64_t>(0, co->start_ms - server_ms));
    }
    r->last_tick = r->start;
    if (hdr_file.is_open()) {
      const double epoch = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      hdr_file << load::log_header(epoch);
      r->hdr_log = &hdr_file;
    }
    r->keep_summaries = !html_path.empty();
    if (r->status || r->hdr_log || r->co || r->keep_summaries) r->tick();
    r->pump();
  }, [&](std::exception_ptr e) {
    if (!e) return;
    failure = e;
    c.close();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!out) throw ddb::error(fail(errc::unexpected_exception, "the run ended without a result"));
  if (r->write_errors)
    std::cerr << "ddb load: " << r->write_errors << " interval histogram(s) could not be written to " << coordinate << "\n";
  if (html_file.is_open()) html_file << load::html_report(*out, r->summaries);
  std::cout << (a.options.count("json") ? load::json_report(*out) + "\n" : load::text_report(*out));
  return out->shortfall() || out->counts.errors ? 1 : 0;
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
