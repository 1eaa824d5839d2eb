// `ddb limit take` (in ddb-agent): one take from a shared token bucket
// (ddb::agent::rate_limiter).
//
//   ddb limit take --table-name T --key K --rate R/s --burst B [--tokens N] [--sub-buckets N] [--create-table]
//
// Exit 0: admitted ("admitted 1 token(s); 4.000 left"); 1: denied, with the
// wait printed ("denied: retry after 0.734 s"); 2: usage; 254: DynamoDB
// refused the request; 255: anything else.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "ddb/agent/rate_limit.hpp"
#include "ddb/client.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

namespace {

double positive_number(const std::string& option, const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v) && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw usage_error("--" + option + " must be a positive number, got '" + text + "'");
}

// "10/s", "600/m" or "600/min", "3600/h", "1e6/d", or a plain number (per second).
ddb::agent::limit parse_rate(const std::string& key, const std::string& text, double burst) {
  const std::size_t slash = text.find('/');
  const std::string amount = text.substr(0, slash);
  const std::string unit = slash == std::string::npos ? "s" : text.substr(slash + 1);
  const double n = positive_number("rate", amount);
  if (unit == "s" || unit == "sec") return ddb::agent::limit::per_second(key, n, burst);
  if (unit == "m" || unit == "min") return ddb::agent::limit::per_minute(key, n, burst);
  if (unit == "h") return ddb::agent::limit::per_hour(key, n, burst);
  if (unit == "d") return ddb::agent::limit::per_day(key, n, burst);
  throw usage_error("--rate takes TOKENS/s, TOKENS/m, TOKENS/h or TOKENS/d (got '" + text + "')");
}

std::string tokens_text(std::int64_t milli) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(milli) / 1000.0);
  return buf;
}

}  // namespace

int limit_command(const args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "take") throw usage_error("say `ddb limit take`");
  const std::string table = a.require("table-name"), key = a.require("key");
  const double burst = positive_number("burst", a.require("burst"));
  ddb::agent::limit l = parse_rate(key, a.require("rate"), burst);
  l.sub_buckets = static_cast<int>(a.number("sub-buckets", 1));
  const double tokens = a.options.count("tokens") ? positive_number("tokens", a.get("tokens")) : 1.0;
  const auto milli = static_cast<std::int64_t>(std::floor(tokens * 1000.0));
  if (milli <= 0) throw usage_error("--tokens must be at least 0.001");

  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<int> {
    int rc = exit_client;
    ddb::agent::rate_limiter limits(c, {.table_name = table, .create_table = a.options.count("create-table") != 0});
    auto [ec, r] = co_await limits.take(l, milli, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      std::cerr << "ddb limit: " << r.diag.summary(ec) << "\n";
      rc = exit_code_for(ec);
    } else if (r.admitted) {
      std::cout << "admitted " << tokens_text(milli) << " token(s); " << tokens_text(r.remaining_milli) << " left\n";
      rc = 0;
    } else {
      std::cout << "denied: retry after " << tokens_text(r.retry_after.count()) << " s\n";
      rc = 1;
    }
    co_return rc;
  });
}

int exit_code_for(const std::error_code& code) {
  if (code.category() == ddb::service_category()) return exit_service;
  return code == ddb::errc::invalid_config || code == ddb::errc::item_too_large ? exit_usage : exit_client;
}

int run_with_client(const args& a, const std::function<asio::awaitable<int>(ddb::client&)>& body) {
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  int rc = exit_client;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const int code = co_await body(c);
    rc = code;
    c.close();
  }, [&](std::exception_ptr e) {
    c.close();
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return rc;
}

}  // namespace ddb::cli
