// ddb::streams against DynamoDB Local: the four operations, the consumer
// delivering every change exactly once in a run while writers write (and
// each item's changes in order), a restarted consumer resuming at its saved
// position (at least once, nothing lost), latest skipping the past, and bad
// input refused with the fix.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "ddb/agent/flags.hpp"
#include "ddb/streams/consumer.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

namespace {

// A table with a NEW_AND_OLD_IMAGES stream.
asio::awaitable<void> create_streamed(client& c, const std::string& name) {
  create_table_request r;
  r.table_name = name;
  r.attribute_definitions = {{"pk", scalar_attribute_type::s}};
  r.key_schema = {{"pk", key_type::hash}};
  r.billing_mode = billing_mode::pay_per_request;
  r.stream_specification = stream_specification{.stream_enabled = true,
                                                .stream_view_type = stream_view_type::new_and_old_images};
  (void)co_await c.create_table(r);
}

streams::client streams_for(client& c) {
  client_config cfg;
  cfg.endpoint = c.endpoint().url();  // DynamoDB Local serves Streams on its one endpoint
  return streams::client(c.get_executor(), cfg);
}

// `n` versions of `keys` items: put v=1, then updates v=2..n.
asio::awaitable<void> write_versions(client& c, const std::string& table, int keys, int n, const std::string& tag) {
  for (int v = 1; v <= n; ++v)
    for (int k = 0; k < keys; ++k) {
      put_item_request p;
      p.table_name = table;
      p.item = item{{"pk", tag + std::to_string(k)}, {"v", v}};
      (void)co_await c.put_item(p);
    }
}

int version_of(const streams::record& r) {
  return r.new_image ? std::stoi(std::string(r.new_image->at("v").as_number().text())) : -1;
}

}  // namespace

TEST_CASE("streams: ListStreams, DescribeStream, GetShardIterator and GetRecords on Local", "[streams-local]") {
  const std::string table = fresh_table("streams_ops");
  with_local([&](client& c) -> asio::awaitable<void> {
    co_await create_streamed(c, table);
    co_await write_versions(c, table, 2, 2, "k");
    streams::client s = streams_for(c);
    const streams::list_streams_request ls{.table_name = table};
    streams::list_streams_response listed = co_await s.list_streams(ls);
    REQUIRE(listed.streams.size() == 1);
    CHECK(listed.streams[0].table_name == table);
    const streams::describe_stream_request ds{.stream_arn = listed.streams[0].stream_arn};
    streams::describe_stream_response d = co_await s.describe_stream(ds);
    CHECK(d.stream_description.stream_status == "ENABLED");
    CHECK(d.stream_description.stream_view_type == "NEW_AND_OLD_IMAGES");
    REQUIRE_FALSE(d.stream_description.shards.empty());
    const streams::get_shard_iterator_request gi{.stream_arn = ds.stream_arn,
                                                 .shard_id = d.stream_description.shards.back().shard_id};
    streams::get_shard_iterator_response it = co_await s.get_shard_iterator(gi);
    REQUIRE_FALSE(it.shard_iterator.empty());
    const streams::get_records_request gr{.shard_iterator = it.shard_iterator};
    streams::get_records_response got = co_await s.get_records(gr);
    REQUIRE(got.records.size() == 4);
    CHECK(got.records[0].event_name == "INSERT");
    CHECK(got.records[2].event_name == "MODIFY");
    REQUIRE(got.records[2].old_image);
    CHECK(got.records[2].old_image->at("v").as_number().text() == "1");
    CHECK(got.diag.http_status == 200);

    // Failures carry the service's code and message.
    const streams::describe_stream_request missing{.stream_arn = ds.stream_arn + "x"};
    auto [ec, r] = co_await s.describe_stream(missing, asio::as_tuple(asio::use_awaitable));
    CHECK(ec);
    CHECK(r.diag.http_status == 400);
    const streams::get_records_request bad{.shard_iterator = "not-an-iterator"};
    auto [ec2, r2] = co_await s.get_records(bad, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2);
    CHECK_FALSE(r2.diag.message.empty());
    // Refused before sending.
    const streams::get_shard_iterator_request no_seq{.stream_arn = ds.stream_arn, .shard_id = gi.shard_id,
                                                     .type = streams::iterator_type::at_sequence_number};
    auto [ec3, r3] = co_await s.get_shard_iterator(no_seq, asio::as_tuple(asio::use_awaitable));
    CHECK(ec3 == errc::invalid_config);
    CHECK_THAT(r3.diag.message, Catch::Contains("needs a SequenceNumber"));
    s.close();
  });
}

TEST_CASE("streams consumer: every change exactly once while writers write, each item's changes in order",
          "[streams-local]") {
  const std::string table = fresh_table("streams_once");
  with_local([&](client& c) -> asio::awaitable<void> {
    co_await create_streamed(c, table);
    streams::client s = streams_for(c);
    streams::consumer feed(s, c, {.table_name = table, .batch_limit = 7, .idle_wait = 50ms});
    constexpr int keys = 10, versions = 6;
    std::set<std::string> seen_seq, seen_id;
    std::map<std::string, int> last_version;
    int records = 0;
    bool in_order = true;
    auto consume = [&]() -> asio::awaitable<void> {
      while (records < keys * versions) {
        streams::batch b = co_await feed.next();
        for (const streams::record& r : b.records) {
          ++records;
          seen_seq.insert(r.sequence_number);
          seen_id.insert(r.event_id);
          const std::string key = r.keys.at("pk").as_string();
          const int v = version_of(r);
          if (v != last_version[key] + 1) in_order = false;
          last_version[key] = v;
        }
      }
    };
    using namespace asio::experimental::awaitable_operators;
    // Two writers and the consumer at once.
    co_await (write_versions(c, table, keys / 2, versions, "a") && write_versions(c, table, keys / 2, versions, "b") &&
              consume());
    CHECK(records == keys * versions);
    CHECK(seen_seq.size() == static_cast<std::size_t>(records));  // none twice
    CHECK(seen_id.size() == static_cast<std::size_t>(records));
    CHECK(in_order);
    for (const auto& [key, v] : last_version) CHECK(v == versions);
    // Caught up: an empty batch after the idle wait.
    streams::batch quiet = co_await feed.next();
    CHECK(quiet.records.empty());
    streams::consumer_stats st = feed.stats();
    CHECK(st.records == static_cast<std::uint64_t>(keys * versions));
    CHECK(st.saves == 0);  // no positions table
    s.close();
  });
}

TEST_CASE("streams consumer: a restart resumes at the saved position; latest skips the past", "[streams-local]") {
  const std::string table = fresh_table("streams_resume"), positions = fresh_table("streams_pos");
  with_local([&](client& c) -> asio::awaitable<void> {
    co_await create_streamed(c, table);
    co_await write_versions(c, table, 10, 1, "k");  // 10 inserts
    streams::client s = streams_for(c);
    const streams::consumer_options opts{.table_name = table, .name = "mailer",
                                         .positions = {.table_name = positions, .create_table = true},
                                         .batch_limit = 3, .idle_wait = 20ms};
    std::vector<std::string> first_run, second_run;
    {
      streams::consumer feed(s, c, opts);
      for (int i = 0; i < 2; ++i) {  // two batches handled; the second's position is never saved
        streams::batch b = co_await feed.next();
        for (auto& r : b.records) first_run.push_back(r.keys.at("pk").as_string());
      }
      CHECK(feed.stats().saves == 1);  // the first batch's, saved by the second next()
    }  // stopped without commit(): "killed" after the second batch
    REQUIRE(first_run.size() == 6);
    {
      streams::consumer feed(s, c, opts);
      for (;;) {
        streams::batch b = co_await feed.next();
        if (b.records.empty()) break;
        for (auto& r : b.records) second_run.push_back(r.keys.at("pk").as_string());
      }
      co_await feed.commit();
    }
    // At least once: the unsaved batch again, then the rest; nothing lost.
    REQUIRE(second_run.size() == 7);
    CHECK(std::vector<std::string>(second_run.begin(), second_run.begin() + 3) ==
          std::vector<std::string>(first_run.begin() + 3, first_run.end()));
    std::set<std::string> all(first_run.begin(), first_run.end());
    all.insert(second_run.begin(), second_run.end());
    CHECK(all.size() == 10);
    {
      streams::consumer feed(s, c, opts);  // everything saved: nothing again
      streams::batch b = co_await feed.next();
      CHECK(b.records.empty());
    }
    {
      // A new consumer starting at latest sees only what comes after its start.
      streams::consumer_options later = opts;
      later.name = "auditor";
      later.start = streams::start_position::latest;
      streams::consumer feed(s, c, later);
      streams::batch b = co_await feed.next();
      CHECK(b.records.empty());
      co_await write_versions(c, table, 1, 2, "new");
      std::vector<int> versions;
      while (versions.size() < 2) {
        streams::batch n = co_await feed.next();
        for (auto& r : n.records) versions.push_back(version_of(r));
      }
      CHECK(versions == std::vector<int>{1, 2});
    }
    s.close();
  });
}

TEST_CASE("streams consumer: bad input refused with the fix", "[streams-local]") {
  const std::string plain = fresh_table("streams_plain");
  with_local([&](client& c) -> asio::awaitable<void> {
    create_table_request r;
    r.table_name = plain;
    r.attribute_definitions = {{"pk", scalar_attribute_type::s}};
    r.key_schema = {{"pk", key_type::hash}};
    r.billing_mode = billing_mode::pay_per_request;
    (void)co_await c.create_table(r);
    streams::client s = streams_for(c);
    {
      streams::consumer feed(s, c, {.table_name = plain});
      auto [ec, b] = co_await feed.next(asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(b.diag.message, Catch::Contains("has no stream: enable one"));
    }
    {
      streams::consumer feed(s, c, {.table_name = plain + "_missing"});
      auto [ec, b] = co_await feed.next(asio::as_tuple(asio::use_awaitable));
      CHECK(ec == service_errc::resource_not_found);
    }
    for (const int limit : {0, 1001}) {
      streams::consumer feed(s, c, {.table_name = plain, .batch_limit = limit});
      auto [ec, b] = co_await feed.next(asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(b.diag.message, Catch::Contains("batch_limit"));
    }
    {
      streams::consumer feed(s, c, {.stream_arn = "arn:x", .name = "a#b", .positions = {.table_name = plain}});
      auto [ec, b] = co_await feed.next(asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_config);
      CHECK_THAT(b.diag.message, Catch::Contains("may not hold '#'"));
    }
    streams::consumer none(s, c, {});
    auto [ec, b] = co_await none.next(asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::invalid_config);
    CHECK_THAT(b.diag.message, Catch::Contains("needs the table_name"));
    s.close();
  });
}

TEST_CASE("streams consumer on the agent table: flag caches follow a publish at once", "[streams-local]") {
  const std::string table = fresh_table("streams_flags");
  with_local([&](client& c) -> asio::awaitable<void> {
    agent::flags reader(c, {.table_name = table, .create_table = true, .stream = true},
                        agent::flags_options{.refresh = std::chrono::hours(1)});
    agent::flags writer(c, {.table_name = table, .create_table = true, .stream = true});
    const std::string set = "prod", name = "planner";
    const std::map<std::string, std::string> off{{"planner", "off"}}, on{{"planner", "on"}};
    (void)co_await writer.publish(set, off, 0);
    agent::flag_value v1 = co_await reader.get(set, name);
    CHECK(v1.value == "off");
    streams::client s = streams_for(c);
    streams::consumer feed(s, c, {.table_name = table, .name = "flags", .start = streams::start_position::latest,
                                  .idle_wait = 20ms});
    streams::batch quiet = co_await feed.next();  // started: past changes skipped
    CHECK(quiet.records.empty());
    (void)co_await writer.publish(set, on, 1);
    agent::flag_value stale = co_await reader.get(set, name);
    CHECK(stale.value == "off");  // cached for an hour...
    CHECK(stale.cached);
    std::vector<std::string> invalidated;
    while (invalidated.empty()) {
      streams::batch b = co_await feed.next();
      for (const streams::record& r : b.records)
        if (auto changed = reader.invalidate_changed(r.keys)) invalidated.push_back(*changed);
    }
    CHECK(invalidated == std::vector<std::string>{set});
    agent::flag_value fresh = co_await reader.get(set, name);  // ...until the stream says it changed
    CHECK(fresh.value == "on");
    CHECK_FALSE(fresh.cached);
    CHECK_FALSE(reader.invalidate_changed(item{{"pk", "mem#u"}, {"sk", "#current"}}));
    CHECK_FALSE(reader.invalidate_changed(item{{"pk", "flags#x"}, {"sk", "gen#1"}}));
    s.close();
  });
}
