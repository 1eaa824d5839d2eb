// `ddb load run` (in ddb-bench): an open-loop load run against a table. The
// decisions (what is due, what measured) are src/load/open_loop.cpp's; this
// file sends the requests from one Asio timer and reports.
//
//   ddb load run --table-name T --op get-item|put-item|delete-item (--rate R --duration D | --rate-schedule S)
//                [--key JSON | --item JSON] [--keys N] [--distribution uniform|sequential|zipf[:THETA]]
//                [--hot-share F] [--item-bytes N] [--warmup D] [--max-in-flight N] [--pipeline D] [--pool N]
//                [--json] [--seed N]
//
// String attributes of the key (or item) holding "{key}" get the request's
// key number in its place, e.g. --key '{"pk":{"S":"user#{key}"}}'.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "cli/rusage.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/model.hpp"
#include "load/keys.hpp"
#include "load/open_loop.hpp"
#include "load/report.hpp"

namespace ddb::cli {

namespace asio = boost::asio;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;
using load::nanos;

namespace {

// The attributes of a template whose string value holds "{key}".
struct key_slot {
  std::string name, before, after;
};

std::vector<key_slot> key_slots(const ddb::item& it) {
  std::vector<key_slot> out;
  for (const auto& [name, v] : it)
    if (const std::string* s = v.get_if<std::string>())
      if (auto at = s->find("{key}"); at != std::string::npos) out.push_back({name, s->substr(0, at), s->substr(at + 5)});
  return out;
}

void fill(ddb::item& it, const std::vector<key_slot>& slots, std::int64_t key) {
  char digits[24];
  const std::string_view k(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, key).ptr - digits));
  for (const key_slot& s : slots) {
    std::string v;
    v.reserve(s.before.size() + k.size() + s.after.size());
    v.append(s.before).append(k).append(s.after);
    it.insert_or_assign(s.name, ddb::value(std::move(v)));
  }
}

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
  std::string op;
  ddb::get_item_request get;
  ddb::put_item_request put;
  ddb::delete_item_request del;
  std::vector<key_slot> slots;
  asio::steady_timer timer, status_timer;
  clock_type::time_point start{}, last_done{};
  bool armed = false;
  clock_type::time_point armed_at{};
  std::vector<load::due_request> due_now;
  std::map<std::string, std::int64_t> errors_by_type;
  std::int64_t throttled = 0, retries = 0;
  bool status = false;

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
    auto done = [this, r, sent](error_code ec, const ddb::diagnostics& diag) {
      last_done = clock_type::now();
      loop.completed(r, sent, last_done - start, !ec);
      retries += std::max(0, diag.attempts - 1);
      if (ec) {
        ++errors_by_type[diag.service_type.empty() ? ec.message() : diag.service_type];
        if (ddb::is_throttling(ec)) ++throttled;
      }
      if (loop.cap_holding() || loop.finished()) pump();
    };
    if (op == "get-item") {
      fill(get.key, slots, key);
      c.get_item(get, [done](error_code ec, ddb::get_item_response res) { done(ec, res.diag); });
    } else if (op == "put-item") {
      fill(put.item, slots, key);
      c.put_item(put, [done](error_code ec, ddb::put_item_response res) { done(ec, res.diag); });
    } else {
      fill(del.key, slots, key);
      c.delete_item(del, [done](error_code ec, ddb::delete_item_response res) { done(ec, res.diag); });
    }
  }

  void finish() {
    timer.cancel();
    status_timer.cancel();
    if (status) std::fputs("\n", stderr);
    c.close();
  }

  void show_status() {
    status_timer.expires_after(std::chrono::seconds(1));
    status_timer.async_wait([this, last = loop.counts().completed, at = clock_type::now()](error_code ec) {
      if (ec || loop.finished()) return;
      const double dt = std::chrono::duration<double>(clock_type::now() - at).count();
      const double elapsed = std::chrono::duration<double>(since_start()).count();
      const load::histogram interval = loop.take_interval_latency();
      const double rate = dt > 0 ? static_cast<double>(loop.counts().completed - last) / dt : 0;
      std::fprintf(stderr, "\r%s", load::status_line(elapsed, rate, loop.plan().rate_at(since_start()), interval,
                                                     loop.counts()).c_str());
      std::fflush(stderr);
      show_status();
    });
  }
};

}  // namespace

int load_command(const args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "run") throw usage_error("say `ddb load run` (see --help)");
  const std::string table = a.require("table-name"), op = a.require("op");
  if (op != "get-item" && op != "put-item" && op != "delete-item")
    throw usage_error("unknown --op '" + op + "': get-item, put-item or delete-item");
  const bool has_rate = a.options.count("rate") != 0, has_schedule = a.options.count("rate-schedule") != 0;
  if (has_rate == has_schedule) throw usage_error("give --rate R with --duration D, or --rate-schedule SPEC (one of them)");
  load::schedule plan = has_rate ? unwrap(load::schedule::constant(parse_fraction(a, "rate", 0),
                                                                    unwrap(load::parse_duration(a.require("duration")))))
                                 : unwrap(load::schedule::parse(a.require("rate-schedule")));
  const std::string plan_text = has_rate ? a.get("rate") + "/s for " + a.get("duration") : a.get("rate-schedule");
  const nanos warmup = a.options.count("warmup") ? unwrap(load::parse_duration(a.get("warmup"))) : nanos(0);
  const load::key_spec key_spec =
      unwrap(load::parse_key_spec(a.get("distribution", "uniform"), a.number("keys", 1000), parse_fraction(a, "hot-share", 0)));

  const std::string template_json = op == "put-item" ? a.require("item") : a.require("key");
  auto parsed = ddb::json::parse_item(template_json);
  if (!parsed) throw usage_error("--" + std::string(op == "put-item" ? "item" : "key") + ": " + parsed.error().message);
  ddb::item tmpl = std::move(*parsed);
  const std::vector<key_slot> slots = key_slots(tmpl);
  if (const long pad = a.number("item-bytes", 0); pad > 0) {
    if (op != "put-item") throw usage_error("--item-bytes goes with --op put-item");
    tmpl.insert_or_assign("pad", ddb::value(std::string(static_cast<std::size_t>(pad), 'x')));
  }

  ddb::client_config cfg = config_from(a);
  cfg.track_capacity = true;
  const long max_in_flight = a.number("max-in-flight", 1000), pipeline = a.number("pipeline", 1);
  cfg.pipeline_depth = static_cast<std::size_t>(pipeline);
  cfg.pool_size = static_cast<std::size_t>(a.number("pool", std::min<long>(64, (max_in_flight + pipeline - 1) / pipeline)));
  cfg.pool_wait_timeout = std::chrono::milliseconds(60000);

  asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  ddb::client c(io.get_executor(), cfg);
  load::open_loop loop(plan, {.max_in_flight = static_cast<std::size_t>(max_in_flight), .warmup = warmup});
  runner r{c, loop, load::key_generator(key_spec, static_cast<std::uint64_t>(a.number("seed", 1))), op, {}, {}, {},
           slots, asio::steady_timer(io), asio::steady_timer(io)};
  r.get.table_name = r.put.table_name = r.del.table_name = table;
  r.get.key = r.del.key = r.put.item = tmpl;
  r.status = !a.options.count("json") && isatty(2);

  // Nothing is sent before the table is known to exist.
  int rc = 0;
  double cpu0 = 0;
  ddb::describe_table_request dt;
  dt.table_name = table;
  c.describe_table(dt, [&](error_code ec, ddb::describe_table_response res) {
    if (ec) {
      std::cerr << "ddb load: " << (ec == ddb::service_errc::resource_not_found
                                        ? "table " + table + " does not exist: create it (and fill it) first"
                                        : res.diag.summary(ec))
                << "\n";
      rc = ec == ddb::service_errc::resource_not_found ? exit_usage : exit_service;
      c.close();
      return;
    }
    c.reset_capacity();
    cpu0 = cpu_clock::seconds();
    r.start = clock_type::now();
    if (r.status) r.show_status();
    r.pump();
  });
  io.run();
  if (rc) return rc;

  load::run_result out;
  out.operation = op;
  out.table = table;
  out.plan = plan_text;
  out.planned = plan.total();
  out.target_rate = static_cast<double>(plan.total()) / std::chrono::duration<double>(plan.length()).count();
  out.seconds = loop.counts().completed ? std::chrono::duration<double>(r.last_done - r.start).count() : 0.0;
  out.max_in_flight = static_cast<std::size_t>(max_in_flight);
  out.counts = loop.counts();
  out.latency = loop.latency();
  out.service = loop.service();
  out.send_lag = loop.send_lag();
  out.errors_by_type = r.errors_by_type;
  out.throttled = r.throttled;
  out.retries = r.retries;
  const ddb::capacity_report cap = c.capacity();
  out.read_units = cap.total.read;
  out.write_units = cap.total.write;
  out.cost_usd = cap.estimated_usd;
  out.cpu_seconds = cpu_clock::seconds() - cpu0;
  out.peak_rss_kb = cpu_clock::peak_rss_kb();
  std::cout << (a.options.count("json") ? load::json_report(out) + "\n" : load::text_report(out));
  return out.shortfall() || out.counts.errors ? 1 : 0;
}

}  // namespace ddb::cli
