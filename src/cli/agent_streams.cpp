// `ddb streams tail` (in ddb-agent): a table's changes as JSON lines
// (ddb::streams::consumer).
//
//   ddb streams tail --table-name T [--from trim-horizon|latest] [--max-records N] [--idle-exit SECONDS]
//                    [--batch-size N (GetRecords limit, 1000)] [--consumer NAME --positions-table T2 [--create-table]] [--streams-endpoint-url URL]
//
// One line per change: {"eventName":"MODIFY","eventID":...,"shardId":...,"sequenceNumber":...,
// "keys":{...},"newImage":{...},"oldImage":{...}}, images as DynamoDB JSON. Stops after N records or
// after SECONDS without one (default: runs until killed). With --positions-table the consumer's
// position is saved there as it goes, and the next tail with the same --consumer resumes after it.
//
// The Streams endpoint: --streams-endpoint-url, else AWS_ENDPOINT_URL_DYNAMODB_STREAMS, else the
// DynamoDB endpoint when it is not an AWS one (DynamoDB Local serves Streams on its one endpoint),
// else the region's.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "ddb/client.hpp"
#include "ddb/streams/consumer.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

namespace {

client_config streams_config(const args& a, const ddb::client& db) {
  client_config cfg = config_from(a);
  if (auto it = a.options.find("streams-endpoint-url"); it != a.options.end()) cfg.endpoint = it->second;
  else cfg.endpoint.clear();  // --endpoint-url is DynamoDB's: config_like reuses it when it is not AWS's
  return ddb::streams::config_like(db, std::move(cfg));
}

}  // namespace

int streams_command(const args& a) {
  if (a.positional.size() < 2 || a.positional[1] != "tail") throw usage_error("say `ddb streams tail`");
  ddb::streams::consumer_options o;
  o.table_name = a.require("table-name");
  const std::string from = a.options.count("from") ? a.options.at("from") : "trim-horizon";
  if (from == "latest")
    o.start = ddb::streams::start_position::latest;
  else if (from != "trim-horizon")
    throw usage_error("--from takes trim-horizon or latest, not '" + from + "'");
  const long max_records = a.number("max-records", 0);
  const long idle_exit = a.number("idle-exit", 0);
  const long batch_size = a.number("batch-size", 1000);
  if (batch_size > 1000) throw usage_error("--batch-size is at most 1000 (GetRecords' limit)");
  o.batch_limit = static_cast<int>(batch_size);
  if (a.options.count("positions-table")) {
    o.positions = {.table_name = a.options.at("positions-table"), .create_table = a.options.count("create-table") != 0};
    o.name = a.require("consumer");
  } else if (a.options.count("consumer")) {
    throw usage_error("--consumer needs --positions-table (where its position is kept)");
  }
  if (idle_exit > 0) o.idle_wait = std::min<std::chrono::milliseconds>(o.idle_wait, std::chrono::seconds(idle_exit));

  return run_with_client(a, [&](ddb::client& db) -> asio::awaitable<int> {
    ddb::streams::client s(db.get_executor(), streams_config(a, db));
    long printed = 0;
    auto last = std::chrono::steady_clock::now();
    int rc = 0;
    {
      auto opts = o;
      if (max_records > 0) opts.batch_limit = static_cast<int>(std::min<long>(batch_size, max_records));
      ddb::streams::consumer feed(s, db, std::move(opts));
      for (;;) {
        if (max_records > 0 && printed >= max_records) break;
        auto [ec, b] = co_await feed.next(asio::as_tuple(asio::use_awaitable));
        if (ec) {
          std::cerr << "ddb streams: " << b.diag.summary(ec) << "\n";
          rc = exit_code_for(ec);
          break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (b.records.empty()) {
          if (idle_exit > 0 && now - last >= std::chrono::seconds(idle_exit)) break;
          continue;
        }
        last = now;
        for (const ddb::streams::record& r : b.records) {
          if (max_records > 0 && printed >= max_records) break;  // never: batches are limited to what is left
          std::cout << ddb::streams::to_json_line(r, b.shard_id) << "\n";
          ++printed;
        }
        std::cout.flush();
      }
      if (rc == 0) {
        auto [ec] = co_await feed.commit(asio::as_tuple(asio::use_awaitable));
        if (ec) {
          std::cerr << "ddb streams: saving the position failed: " << ec.message() << "\n";
          rc = exit_client;
        }
      }
    }
    s.close();
    co_return rc;
  });
}

}  // namespace ddb::cli
