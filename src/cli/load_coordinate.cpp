// Distributed `ddb load` runs, coordinated through a DynamoDB table (no
// coordinator process): workers register, wait for each other, start at one
// agreed time, each sends its share of the plan, and writes its interval
// histograms and totals to the table; `ddb load report` merges them.
//
// Items (pk/sk strings, under pk "load#" + run id; expires_at a week on):
//   worker#<id>                    a registered worker
//   #start                         start_ms (server time), written once by the first worker to see all N
//   hist#<id>#<interval, 6 digits> one interval's latency histogram (HdrHistogram V2, base64), start_s, length_s
//   result#<id>                    the worker's totals and its three whole-run histograms
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>

#include "cli/load.hpp"
#include "ddb/model.hpp"
#include "ddb/waiters.hpp"
#include "load/hdr_log.hpp"

namespace ddb::cli::load_cli {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string padded(std::int64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(n));
  return buf;
}

ddb::value number_of(double v) { return ddb::value(ddb::number(v)); }

[[noreturn]] void failed(const error_code& ec, diagnostics diag) { throw ddb::make_error(ec, std::move(diag)); }

asio::awaitable<void> ensure_table(ddb::client& c, const std::string& table, bool create) {
  describe_table_request d;
  d.table_name = table;
  auto [ec, r] = co_await c.describe_table(d, tuple_token);
  if (!ec) co_return;
  if (ec != service_errc::resource_not_found) failed(ec, std::move(r.diag));
  if (!create)
    throw usage_error("the coordination table " + table + " does not exist: add --create-table (or create it: pk and sk strings)");
  create_table_request ct;
  ct.table_name = table;
  ct.attribute_definitions = {{"pk", scalar_attribute_type::s}, {"sk", scalar_attribute_type::s}};
  ct.key_schema = {{"pk", key_type::hash}, {"sk", key_type::range}};
  ct.billing_mode = billing_mode::pay_per_request;
  auto [cec, cr] = co_await c.create_table(ct, tuple_token);
  if (cec && cec != service_errc::resource_in_use) failed(cec, std::move(cr.diag));  // another worker made it
  waiter_options w;
  w.delay = std::chrono::milliseconds(200);
  w.timeout = std::chrono::milliseconds(60000);
  (void)co_await wait_table_exists(c, table, w);
}

asio::awaitable<std::vector<ddb::item>> items_of(ddb::client& c, const std::string& table, const std::string& pk,
                                                 const std::string& prefix) {
  std::vector<ddb::item> out;
  query_request q;
  q.table_name = table;
  q.key_condition_expression = "pk = :pk AND begins_with(sk, :prefix)";
  q.expression_attribute_values = {{":pk", pk}, {":prefix", prefix}};
  q.consistent_read = true;
  for (;;) {
    auto [ec, r] = co_await c.query(q, tuple_token);
    if (ec) failed(ec, std::move(r.diag));
    for (ddb::item& it : r.items) out.push_back(std::move(it));
    if (r.last_evaluated_key.empty()) break;
    q.exclusive_start_key = std::move(r.last_evaluated_key);
  }
  co_return out;
}

const std::string* text_at(const ddb::item& it, const char* name) {
  const ddb::value* v = it.find(name);
  return v ? v->get_if<std::string>() : nullptr;
}

double number_at(const ddb::item& it, const char* name) {
  const ddb::value* v = it.find(name);
  const ddb::number* n = v ? v->get_if<ddb::number>() : nullptr;
  return n ? std::stod(std::string(n->text())) : 0.0;
}

}  // namespace

asio::awaitable<coordination> join(ddb::client& c, std::string table, std::string run, std::int64_t workers,
                                   bool create, std::chrono::milliseconds wait) {
  if (workers < 1) throw usage_error("--workers must be at least 1");
  if (run.empty()) throw usage_error("--run-id is required with --coordinate-table");
  co_await ensure_table(c, table, create);
  coordination co;
  co.table = std::move(table);
  co.pk = "load#" + run;
  co.workers = workers;
  std::random_device rd;
  char id[24];
  std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
  co.worker = id;
  const std::int64_t expires = epoch_ms(c.server_time()) / 1000 + 7 * 24 * 3600;
  put_item_request reg;
  reg.table_name = co.table;
  reg.item = ddb::item{{"pk", co.pk}, {"sk", "worker#" + co.worker}, {"registered_ms", epoch_ms(c.server_time())},
                       {"expires_at", expires}};
  auto [ec, r] = co_await c.put_item(reg, tuple_token);
  if (ec) failed(ec, std::move(r.diag));
  std::fprintf(stderr, "ddb load: worker %s registered for run %s; waiting for %lld worker(s)\n", co.worker.c_str(),
               run.c_str(), static_cast<long long>(workers));

  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<std::string> ids;
  for (;;) {
    ids.clear();
    const std::string prefix = "worker#";
    const std::vector<ddb::item> registered = co_await items_of(c, co.table, co.pk, prefix);
    for (const ddb::item& it : registered) ids.push_back(*text_at(it, "sk"));
    if (static_cast<std::int64_t>(ids.size()) >= workers) break;
    if (std::chrono::steady_clock::now() > deadline)
      throw ddb::error(fail(errc::operation_timeout, std::to_string(ids.size()) + " of " + std::to_string(workers) +
                                                         " workers registered for run " + run +
                                                         " within --wait; start the others, or give a longer --wait"));
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
    co_await t.async_wait(asio::use_awaitable);
  }
  if (static_cast<std::int64_t>(ids.size()) > workers)
    throw ddb::error(fail(errc::invalid_config, std::to_string(ids.size()) + " workers registered for run " + run +
                                                    ", more than --workers " + std::to_string(workers) +
                                                    ": use a fresh --run-id"));
  std::sort(ids.begin(), ids.end());
  co.index = std::find(ids.begin(), ids.end(), "worker#" + co.worker) - ids.begin();

  // The first worker to see them all proposes a start a second on; the others read it.
  put_item_request start;
  start.table_name = co.table;
  start.item = ddb::item{{"pk", co.pk}, {"sk", "#start"}, {"start_ms", epoch_ms(c.server_time()) + 1000},
                         {"workers", workers}, {"expires_at", expires}};
  start.condition_expression = "attribute_not_exists(pk)";
  auto [sec, sr] = co_await c.put_item(start, tuple_token);
  if (sec && sec != service_errc::conditional_check_failed) failed(sec, std::move(sr.diag));
  get_item_request g;
  g.table_name = co.table;
  g.key = ddb::item{{"pk", co.pk}, {"sk", "#start"}};
  g.consistent_read = true;
  auto [gec, gr] = co_await c.get_item(g, tuple_token);
  if (gec) failed(gec, std::move(gr.diag));
  if (gr.item.empty()) throw ddb::error(fail(errc::unexpected_json, "the run's #start item vanished"));
  co.start_ms = static_cast<std::int64_t>(number_at(gr.item, "start_ms"));
  co.expires_at = expires;
  co_return co;
}

void put_interval(ddb::client& c, const coordination& co, std::int64_t i, double start_s, double length_s,
                  const load::histogram& h, std::int64_t& pending, std::int64_t& write_errors) {
  put_item_request p;
  p.table_name = co.table;
  p.item = ddb::item{{"pk", co.pk},          {"sk", "hist#" + co.worker + "#" + padded(i)},
                     {"start_s", number_of(start_s)}, {"length_s", number_of(length_s)},
                     {"h", load::encode_histogram(h)}, {"expires_at", co.expires_at}};
  ++pending;
  c.put_item(p, [&pending, &write_errors](error_code ec, put_item_response) {
    --pending;
    if (ec) ++write_errors;
  });
}

asio::awaitable<void> put_result(ddb::client& c, const coordination& co, const load::run_result& r,
                                 std::vector<load::hot_keys::row> hot) {
  put_item_request p;
  p.table_name = co.table;
  p.item = ddb::item{{"pk", co.pk}, {"sk", "result#" + co.worker}, {"expires_at", co.expires_at}};
  auto n = [&](const char* name, double v) { p.item.insert_or_assign(name, number_of(v)); };
  n("planned", static_cast<double>(r.planned));
  n("sent", static_cast<double>(r.counts.sent));
  n("completed", static_cast<double>(r.counts.completed));
  n("errors", static_cast<double>(r.counts.errors));
  n("late", static_cast<double>(r.counts.late));
  n("late_by_cap", static_cast<double>(r.counts.late_by_cap));
  n("late_by_loop", static_cast<double>(r.counts.late_by_loop));
  n("cap_reached", static_cast<double>(r.counts.cap_reached));
  n("peak_in_flight", static_cast<double>(r.counts.peak_in_flight));
  n("throttled", static_cast<double>(r.throttled));
  n("retries", static_cast<double>(r.retries));
  n("seconds", r.seconds);
  n("target_rate", r.target_rate);
  n("read_units", r.read_units);
  n("write_units", r.write_units);
  n("cost_usd", r.cost_usd);
  n("cpu_seconds", r.cpu_seconds);
  n("unprocessed", static_cast<double>(r.unprocessed));
  n("closed_concurrency", static_cast<double>(r.closed_concurrency));
  n("threads", r.threads);
  ddb::list rows;
  for (const load::hot_keys::row& h : hot)
    rows.push_back(ddb::value(ddb::item{{"k", number_of(static_cast<double>(h.key))},
                                        {"n", number_of(static_cast<double>(h.requests))},
                                        {"r", number_of(h.read_units)},
                                        {"w", number_of(h.write_units)},
                                        {"pn", number_of(static_cast<double>(h.peak_requests_per_s))},
                                        {"pr", number_of(h.peak_read_per_s)},
                                        {"pw", number_of(h.peak_write_per_s)}}));
  p.item.insert_or_assign("hot", ddb::value(std::move(rows)));
  p.item.insert_or_assign("hot_key", r.hot_key_name);
  p.item.insert_or_assign("latency", load::encode_histogram(r.latency));
  p.item.insert_or_assign("service", load::encode_histogram(r.service));
  p.item.insert_or_assign("send_lag", load::encode_histogram(r.send_lag));
  p.item.insert_or_assign("operation", r.operation);
  p.item.insert_or_assign("table", r.table);
  p.item.insert_or_assign("plan", r.plan);
  auto [ec, res] = co_await c.put_item(p, tuple_token);
  if (ec) failed(ec, std::move(res.diag));
}

asio::awaitable<load::run_result> merged_result(ddb::client& c, std::string table, std::string run,
                                                std::int64_t& workers, std::int64_t& intervals) {
  const std::string pk = "load#" + run;
  const std::string result_prefix = "result#", hist_prefix = "hist#";
  const std::vector<ddb::item> results = co_await items_of(c, table, pk, result_prefix);
  if (results.empty())
    throw usage_error("run " + run + " has no finished worker in " + table + " (a wrong --run-id, or still running)");
  load::run_result out;
  std::vector<std::vector<load::hot_keys::row>> hot_rows;
  bool first = true;
  auto histogram_at = [&](const ddb::item& it, const char* name) {
    const std::string* text = text_at(it, name);
    auto h = text ? load::decode_histogram(*text) : result<load::histogram>(fail(errc::unexpected_json, "missing"));
    if (!h) throw ddb::error(fail(errc::unexpected_json, std::string("a worker's ") + name + " histogram: " + h.error().message));
    return std::move(*h);
  };
  for (const ddb::item& it : results) {
    load::histogram lat = histogram_at(it, "latency"), svc = histogram_at(it, "service"), lag = histogram_at(it, "send_lag");
    if (first) {
      out.latency = lat;
      out.service = svc;
      out.send_lag = lag;
      out.operation = text_at(it, "operation") ? *text_at(it, "operation") : "";
      out.table = text_at(it, "table") ? *text_at(it, "table") : "";
      out.plan = text_at(it, "plan") ? *text_at(it, "plan") : "";
      out.target_rate = number_at(it, "target_rate");
      out.closed_concurrency = static_cast<std::size_t>(number_at(it, "closed_concurrency"));
      out.threads = static_cast<int>(number_at(it, "threads"));
      out.hot_key_name = text_at(it, "hot_key") ? *text_at(it, "hot_key") : "";
      first = false;
    } else {
      out.latency.merge(lat);
      out.service.merge(svc);
      out.send_lag.merge(lag);
    }
    auto add = [&](std::int64_t& field, const char* name) { field += static_cast<std::int64_t>(number_at(it, name)); };
    add(out.planned, "planned");
    add(out.counts.sent, "sent");
    add(out.counts.completed, "completed");
    add(out.counts.errors, "errors");
    add(out.counts.late, "late");
    add(out.counts.late_by_cap, "late_by_cap");
    add(out.counts.late_by_loop, "late_by_loop");
    add(out.counts.cap_reached, "cap_reached");
    add(out.throttled, "throttled");
    add(out.retries, "retries");
    add(out.unprocessed, "unprocessed");
    std::vector<load::hot_keys::row> rows;
    if (const ddb::value* hot = it.find("hot"); hot && hot->get_if<ddb::list>())
      for (const ddb::value& v : *hot->get_if<ddb::list>())
        if (const ddb::item* m = v.get_if<ddb::item>())
          rows.push_back({.key = static_cast<std::int64_t>(number_at(*m, "k")),
                          .requests = static_cast<std::int64_t>(number_at(*m, "n")),
                          .read_units = number_at(*m, "r"),
                          .write_units = number_at(*m, "w"),
                          .peak_requests_per_s = static_cast<std::int64_t>(number_at(*m, "pn")),
                          .peak_read_per_s = number_at(*m, "pr"),
                          .peak_write_per_s = number_at(*m, "pw")});
    hot_rows.push_back(std::move(rows));
    out.counts.peak_in_flight += static_cast<std::size_t>(number_at(it, "peak_in_flight"));
    out.seconds = std::max(out.seconds, number_at(it, "seconds"));
    out.read_units += number_at(it, "read_units");
    out.write_units += number_at(it, "write_units");
    out.cost_usd += number_at(it, "cost_usd");
    out.cpu_seconds += number_at(it, "cpu_seconds");
  }
  workers = static_cast<std::int64_t>(results.size());
  out.hot = load::merge_hot_rows(hot_rows, 10);
  const std::vector<ddb::item> hists = co_await items_of(c, table, pk, hist_prefix);
  intervals = static_cast<std::int64_t>(hists.size());
  out.plan += " (" + std::to_string(workers) + " workers)";
  co_return out;
}

}  // namespace ddb::cli::load_cli
