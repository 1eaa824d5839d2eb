#include "load/report.hpp"

#include <cstdio>

#include "ddb/core/json.hpp"

namespace ddb::load {

namespace {

constexpr double spectrum[] = {50, 90, 99, 99.9, 99.99, 99.999};

std::string format(const char* fmt, auto... v) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, v...);
  return buf;
}

// Microseconds for people: "812 us", "2.14 ms", "1.20 s".
std::string human(std::int64_t us) {
  if (us < 10'000) return format("%lld us", static_cast<long long>(us));
  if (us < 10'000'000) return format("%.2f ms", static_cast<double>(us) / 1e3);
  return format("%.2f s", static_cast<double>(us) / 1e6);
}

std::string spectrum_line(const char* name, const histogram& h) {
  std::string out = format("%-26s", name);
  for (double p : spectrum) out += format(" p%g %s ", p, human(h.value_at_percentile(p)).c_str());
  return out + " max " + human(h.max());
}

std::string json_spectrum(const histogram& h) {
  std::string out = "{";
  for (double p : spectrum) out += format("\"p%g\":%lld,", p, static_cast<long long>(h.value_at_percentile(p)));
  return out + format("\"max\":%lld,\"mean\":%.1f,\"count\":%lld}", static_cast<long long>(h.max()), h.mean(),
                      static_cast<long long>(h.count()));
}

// A JSON string, escaped by ddb's JSON writer.
std::string json_text(const std::string& s) {
  std::string out;
  json::writer w(out);
  w.string(s);
  return out;
}

}  // namespace

std::optional<std::string> run_result::shortfall() const {
  std::string why;
  if (counts.completed < planned)
    why += format("%lld of %lld planned requests completed; ", static_cast<long long>(counts.completed),
                  static_cast<long long>(planned));
  if (counts.late * 1000 > counts.sent) {
    why += format("%lld requests left over 1 ms late: ", static_cast<long long>(counts.late));
    if (counts.late_by_cap)
      why += format("%lld waited for the in-flight cap of %zu (raise --max-in-flight, or the server is too slow)",
                    static_cast<long long>(counts.late_by_cap), max_in_flight);
    if (counts.late_by_cap && counts.late_by_loop) why += "; ";
    if (counts.late_by_loop)
      why += format("%lld because the sending loop woke late (the CPU was busy: another process on this machine, "
                    "or more requests per second than one thread sends)",
                    static_cast<long long>(counts.late_by_loop));
  }
  if (why.empty()) return std::nullopt;
  if (why.size() > 2 && why.substr(why.size() - 2) == "; ") why.resize(why.size() - 2);
  return why;
}

std::string text_report(const run_result& r) {
  const std::string threads = r.threads > 1 ? format(", %d threads", r.threads) : std::string();
  std::string out =
      r.closed_concurrency
          ? format("ddb load: %s on %s, %s (closed loop, %zu in flight%s: latency is service time; a stalled server "
                   "slows the sender, so stalls hide from it)\n",
                   r.operation.c_str(), r.table.c_str(), r.plan.c_str(), r.closed_concurrency, threads.c_str())
          : format("ddb load: %s on %s, %s (open loop, at most %zu in flight%s)\n", r.operation.c_str(),
                   r.table.c_str(), r.plan.c_str(), r.max_in_flight, threads.c_str());
  out += format("requests: %lld sent, %lld completed, %lld errors, %lld throttled, %lld retries",
                static_cast<long long>(r.counts.sent), static_cast<long long>(r.counts.completed),
                static_cast<long long>(r.counts.errors), static_cast<long long>(r.throttled),
                static_cast<long long>(r.retries));
  if (r.unprocessed) out += format(", %lld batch items unprocessed", static_cast<long long>(r.unprocessed));
  out += "\n";
  for (const auto& [type, n] : r.errors_by_type) out += format("  %s: %lld\n", type.c_str(), static_cast<long long>(n));
  if (r.closed_concurrency)
    out += format("rate: %.1f/s achieved, over %.2f s\n", r.achieved_rate(), r.seconds);
  else
    out += format("rate: %.1f/s achieved of %.1f/s planned (%.2f%%), over %.2f s\n", r.achieved_rate(), r.target_rate,
                  r.target_rate > 0 ? 100.0 * r.achieved_rate() / r.target_rate : 0.0, r.seconds);
  out += spectrum_line("latency (from intended):", r.latency) + "\n";
  out += spectrum_line("service time (from sent):", r.service) + "\n";
  out += format("send lag: p50 %s  p99 %s  max %s; late sends %lld (in-flight cap %lld, loop %lld); cap reached %lld "
                "times, peak in flight %zu\n",
                human(r.send_lag.value_at_percentile(50)).c_str(), human(r.send_lag.value_at_percentile(99)).c_str(),
                human(r.send_lag.max()).c_str(), static_cast<long long>(r.counts.late),
                static_cast<long long>(r.counts.late_by_cap), static_cast<long long>(r.counts.late_by_loop),
                static_cast<long long>(r.counts.cap_reached), r.counts.peak_in_flight);
  const double hours = r.seconds / 3600;
  out += format("capacity: %.1f read units/s, %.1f write units/s; $%.4f for the run, $%.2f per hour at on-demand prices\n",
                r.seconds > 0 ? r.read_units / r.seconds : 0.0, r.seconds > 0 ? r.write_units / r.seconds : 0.0,
                r.cost_usd, hours > 0 ? r.cost_usd / hours : 0.0);
  out += format("client CPU: %.2f us per request; peak RSS %ld KB\n",
                r.counts.completed ? r.cpu_seconds / static_cast<double>(r.counts.completed) * 1e6 : 0.0, r.peak_rss_kb);
  if (!r.hot.empty()) {
    if (r.hot_key_name.empty()) out += "every request went to one partition key (no {key} in it):\n";
    out += hot_keys_text(r.hot, r.hot_key_name.empty() ? "partition" : r.hot_key_name);
  }
  if (auto why = r.shortfall()) out += "WARNING: the run did not keep to its schedule: " + *why + "\n";
  return out;
}

std::string json_report(const run_result& r) {
  std::string errors = "{";
  for (const auto& [type, n] : r.errors_by_type)
    errors += (errors.size() > 1 ? "," : "") + json_text(type) + format(":%lld", static_cast<long long>(n));
  errors += "}";
  const auto why = r.shortfall();
  return format("{\"operation\":%s,\"table\":%s,\"plan\":%s,\"planned\":%lld,\"target_rate\":%.3f,\"seconds\":%.3f,",
                json_text(r.operation).c_str(), json_text(r.table).c_str(), json_text(r.plan).c_str(),
                static_cast<long long>(r.planned), r.target_rate, r.seconds) +
         format("\"achieved_rate\":%.3f,\"sent\":%lld,\"completed\":%lld,\"errors\":%lld,\"throttled\":%lld,"
                "\"retries\":%lld,\"unprocessed\":%lld,\"closed_concurrency\":%zu,\"threads\":%d,",
                r.achieved_rate(), static_cast<long long>(r.counts.sent), static_cast<long long>(r.counts.completed),
                static_cast<long long>(r.counts.errors), static_cast<long long>(r.throttled),
                static_cast<long long>(r.retries), static_cast<long long>(r.unprocessed), r.closed_concurrency,
                r.threads) +
         "\"errors_by_type\":" + errors +
         format(",\"late\":%lld,\"late_by_cap\":%lld,\"late_by_loop\":%lld,\"cap_reached\":%lld,\"peak_in_flight\":%zu,"
                "\"max_in_flight\":%zu,",
                static_cast<long long>(r.counts.late), static_cast<long long>(r.counts.late_by_cap),
                static_cast<long long>(r.counts.late_by_loop), static_cast<long long>(r.counts.cap_reached),
                r.counts.peak_in_flight, r.max_in_flight) +
         "\"latency_us\":" + json_spectrum(r.latency) + ",\"service_us\":" + json_spectrum(r.service) +
         ",\"send_lag_us\":" + json_spectrum(r.send_lag) +
         format(",\"read_units\":%.1f,\"write_units\":%.1f,\"cost_usd\":%.6f,\"cpu_seconds\":%.3f,\"peak_rss_kb\":%ld,",
                r.read_units, r.write_units, r.cost_usd, r.cpu_seconds, r.peak_rss_kb) +
         "\"hot_keys\":" + hot_keys_json(r.hot) + ",\"hot_key_attribute\":" + json_text(r.hot_key_name) +
         ",\"shortfall\":" + (why ? json_text(*why) : std::string("null")) + "}";
}

std::string status_line(double elapsed_s, double rate, double target, const histogram& interval, const loop_counts& c,
                        std::int64_t throttled, double units_per_s, double usd_per_hour) {
  const std::string of = target > 0 ? format(" of %.1f/s", target) : std::string();
  return format("%6.1f s  %8.1f/s%s  p50 %s  p99 %s  p99.9 %s  errors %lld  throttled %lld  late %lld  %.1f units/s  "
                "$%.2f/h",
                elapsed_s, rate, of.c_str(), human(interval.value_at_percentile(50)).c_str(),
                human(interval.value_at_percentile(99)).c_str(), human(interval.value_at_percentile(99.9)).c_str(),
                static_cast<long long>(c.errors), static_cast<long long>(throttled), static_cast<long long>(c.late),
                units_per_s, usd_per_hour);
}

}  // namespace ddb::load
