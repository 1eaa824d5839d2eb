#include "load/html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ddb::load {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;  // x, y
};

// A line chart: x linear, y linear or log10; axes labelled at min and max.
std::string chart(const std::string& id, const std::string& title, const std::string& x_label, const std::string& y_label,
                  const std::vector<series>& lines, bool log_y) {
  constexpr double w = 720, h = 260, left = 70, right = 20, top = 30, bottom = 40;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const series& s : lines)
    for (auto [x, y] : s.points) {
      const double yy = log_y ? std::log10(std::max(y, 1.0)) : y;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, yy);
      y1 = std::max(y1, yy);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (!log_y) y0 = std::min(y0, 0.0);
  if (y1 == y0) y1 = y0 + 1;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) {
    const double yy = log_y ? std::log10(std::max(y, 1.0)) : y;
    return h - bottom - (yy - y0) / (y1 - y0) * (h - top - bottom);
  };
  auto y_text = [&](double yy) { return num(log_y ? std::pow(10.0, yy) : yy); };
  std::string svg = "<svg id=\"" + id + "\" class=\"chart\" width=\"" + num(w) + "\" height=\"" + num(h) +
                    "\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  svg += "<text x=\"" + num(left) + "\" y=\"18\" font-weight=\"bold\">" + escape(title) + "</text>";
  svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(h - bottom) + "\" x2=\"" + num(w - right) + "\" y2=\"" +
         num(h - bottom) + "\" stroke=\"#444\"/>";
  svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(top) + "\" x2=\"" + num(left) + "\" y2=\"" + num(h - bottom) +
         "\" stroke=\"#444\"/>";
  svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(h - bottom) + "\" text-anchor=\"end\">" + y_text(y0) + "</text>";
  svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(top + 10) + "\" text-anchor=\"end\">" + y_text(y1) + "</text>";
  svg += "<text x=\"" + num(left) + "\" y=\"" + num(h - bottom + 16) + "\">" + num(x0) + "</text>";
  svg += "<text x=\"" + num(w - right) + "\" y=\"" + num(h - bottom + 16) + "\" text-anchor=\"end\">" + num(x1) + "</text>";
  svg += "<text x=\"" + num((w + left) / 2) + "\" y=\"" + num(h - 6) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>";
  svg += "<text x=\"14\" y=\"" + num(h / 2) + "\" transform=\"rotate(-90 14 " + num(h / 2) + ")\" text-anchor=\"middle\">" +
         escape(y_label) + "</text>";
  double legend_x = left + 10;
  for (const series& s : lines) {
    std::string path;
    for (auto [x, y] : s.points) path += (path.empty() ? "M" : " L") + num(px(x)) + " " + num(py(y));
    svg += "<path class=\"series\" data-name=\"" + escape(s.name) + "\" d=\"" + path + "\" fill=\"none\" stroke=\"" +
           s.color + "\" stroke-width=\"1.5\"/>";
    svg += "<text x=\"" + num(legend_x) + "\" y=\"" + num(top + 4) + "\" fill=\"" + s.color + "\">" + escape(s.name) + "</text>";
    legend_x += 24 + 7.5 * static_cast<double>(s.name.size());
  }
  return svg + "</svg>\n";
}

}  // namespace

std::string html_report(const run_result& r, const std::vector<interval_summary>& intervals) {
  std::vector<series> latency{{"p50", "#1f77b4", {}}, {"p99", "#ff7f0e", {}}, {"p99.9", "#d62728", {}}, {"max", "#555", {}}};
  std::vector<series> rate{{"achieved", "#2ca02c", {}}, {"planned", "#888", {}}};
  std::vector<series> trouble{{"errors", "#d62728", {}}, {"throttled", "#9467bd", {}}};
  std::vector<series> units{{"read units/s", "#1f77b4", {}}, {"write units/s", "#ff7f0e", {}}};
  std::vector<series> cost{{"$ per hour", "#8c564b", {}}};
  for (const interval_summary& i : intervals) {
    latency[0].points.emplace_back(i.at_s, static_cast<double>(i.p50));
    latency[1].points.emplace_back(i.at_s, static_cast<double>(i.p99));
    latency[2].points.emplace_back(i.at_s, static_cast<double>(i.p999));
    latency[3].points.emplace_back(i.at_s, static_cast<double>(i.max));
    rate[0].points.emplace_back(i.at_s, i.rate);
    rate[1].points.emplace_back(i.at_s, i.planned_rate);
    trouble[0].points.emplace_back(i.at_s, static_cast<double>(i.errors));
    trouble[1].points.emplace_back(i.at_s, static_cast<double>(i.throttled));
    units[0].points.emplace_back(i.at_s, i.read_units_per_s);
    units[1].points.emplace_back(i.at_s, i.write_units_per_s);
    cost[0].points.emplace_back(i.at_s, i.usd_per_hour);
  }
  // The percentile spectrum: x = -log10(1 - p), so p90, p99, p99.9... are evenly spaced.
  std::vector<series> spectrum{{"latency from the planned time", "#1f77b4", {}}, {"service time", "#2ca02c", {}}};
  for (double nines = 0; nines <= 5.0001; nines += 0.25) {
    const double p = 100.0 * (1 - std::pow(10.0, -nines));
    spectrum[0].points.emplace_back(nines, static_cast<double>(r.latency.value_at_percentile(p)));
    spectrum[1].points.emplace_back(nines, static_cast<double>(r.service.value_at_percentile(p)));
  }
  std::string page =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ddb load: " + escape(r.operation) + " on " +
      escape(r.table) +
      "</title><style>body{font-family:sans-serif;margin:24px}svg{display:block;margin:12px 0;background:#fafafa}"
      "pre{background:#f4f4f4;padding:12px}</style></head><body>\n<h1>ddb load: " +
      escape(r.operation) + " on " + escape(r.table) + "</h1>\n<p id=\"summary\">" + escape(r.plan) + ": " +
      std::to_string(r.counts.completed) + " of " + std::to_string(r.planned) + " requests completed, p99 " +
      std::to_string(r.latency.value_at_percentile(99)) + " us, max " + std::to_string(r.latency.max()) +
      " us (latency from the planned send time).</p>\n";
  page += chart("latency", "Latency from the planned send time (us, log scale), per second", "seconds", "us", latency, true);
  page += chart("spectrum", "Percentile spectrum (x: nines, 1 = p90, 2 = p99, 3 = p99.9...)", "nines", "us", spectrum, true);
  page += chart("rate", "Requests per second: achieved and planned", "seconds", "requests/s", rate, false);
  page += chart("trouble", "Errors and throttles per second", "seconds", "count", trouble, false);
  page += chart("units", "Consumed capacity units per second", "seconds", "units/s", units, false);
  page += chart("cost", "Cost at on-demand prices, as $ per hour, per second", "seconds", "$/h", cost, false);
  page += "<pre id=\"report\">" + escape(text_report(r)) + "</pre>\n</body></html>\n";
  return page;
}

}  // namespace ddb::load
