// The helpers on top of the typed operations, against DynamoDB Local:
// pagination, parallel scan.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "ddb/client.hpp"
#include "ddb/batch.hpp"
#include "ddb/paginate.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using ddb::test::with_client;
namespace asio = boost::asio;

namespace {

std::string unique_name(std::string_view stem) {
  std::random_device rd;
  return std::string(stem) + "_" + std::to_string(rd() % 1000000000u);
}

asio::awaitable<void> make_table(client& c, const std::string& name) {
  create_table_request r;
  r.table_name = name;
  r.attribute_definitions = {{"pk", "S"}, {"sk", "N"}};
  r.key_schema = {{"pk", "HASH"}, {"sk", "RANGE"}};
  r.billing_mode = "PAY_PER_REQUEST";
  co_await c.create_table(r);
}

asio::awaitable<void> drop_table(client& c, const std::string& name) {
  const delete_table_request drop{.table_name = name};
  co_await c.delete_table(drop);
}

std::int64_t sk_of(const item& it) { return it.at("sk").as_number().to<std::int64_t>().value(); }

}  // namespace

TEST_CASE("pagination returns every item exactly once, in pages, with a cap", "[integration]") {
  const std::string table = unique_name("ddb_pages");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    co_await make_table(c, table);
    const int n = 50;
    for (int i = 0; i < n; ++i) {
      const put_item_request put{.table_name = table, .item = item{{"pk", i % 5 == 0 ? "other" : "p"}, {"sk", i}}};
      co_await c.put_item(put);
    }
    const int in_p = n - n / 5;  // 40 items in partition "p"

    query_request q;
    q.table_name = table;
    q.key_condition_expression = "pk = :p";
    q.expression_attribute_values = item{{":p", "p"}};
    q.limit = 7;
    {
      query_pages pages(c, q);
      std::multiset<std::int64_t> seen;
      while (auto page = co_await pages.next()) {
        CHECK(page->items.size() <= 7);
        for (const auto& it : page->items) seen.insert(sk_of(it));
      }
      CHECK(pages.done());
      CHECK(pages.pages_so_far() >= 6);
      CHECK(seen.size() == std::size_t(in_p));
      CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == seen.size());  // each once
      CHECK(!(co_await pages.next()));  // stays finished
    }
    {
      query_pages capped(c, q, {.max_items = 17});
      std::size_t got = 0;
      while (auto page = co_await capped.next()) got += page->items.size();
      CHECK(got == 17);
      CHECK(capped.items_so_far() == 17);
    }
    const std::vector<item> everything = co_await query_all(c, q);
    CHECK(everything.size() == std::size_t(in_p));

    // Scan, in one segment and in four, with a filter and with a cap.
    scan_request s;
    s.table_name = table;
    s.limit = 6;
    const std::vector<item> one = co_await scan_all(c, s);
    CHECK(one.size() == std::size_t(n));
    const std::vector<item> four = co_await scan_all(c, s, 4);
    REQUIRE(four.size() == std::size_t(n));
    std::set<std::int64_t> keys;
    for (const auto& it : four) keys.insert(sk_of(it));
    CHECK(keys.size() == std::size_t(n));
    const std::vector<item> capped = co_await scan_all(c, s, 3, {.max_items = 11});
    CHECK(capped.size() == 11);
    s.filter_expression = "sk < :ten";
    s.expression_attribute_values = item{{":ten", 10}};
    const std::vector<item> filtered = co_await scan_all(c, s, 2);
    CHECK(filtered.size() == 10);

    // Errors surface from next() with the diagnostics; bad arguments before any request.
    query_request bad = q;
    bad.table_name = "no_such_table_ddb";
    query_pages failing(c, bad);
    try {
      co_await failing.next();
      FAIL("expected ResourceNotFoundException");
    } catch (const ddb::error& e) {
      CHECK(e.code() == service_errc::resource_not_found);
      REQUIRE(e.diag());
      CHECK_FALSE(e.diag()->request_id.empty());
    }
    try {
      co_await scan_all(c, s, 0);
      FAIL("expected an error");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::invalid_config);
    }
    co_await drop_table(c, table);
  });
}

TEST_CASE("batch_write and batch_get against DynamoDB Local, key schema from DescribeTable", "[integration]") {
  const std::string table = unique_name("ddb_batch");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    co_await make_table(c, table);
    std::map<std::string, std::vector<write_request>> writes;
    for (int i = 0; i < 120; ++i)
      writes[table].push_back({.put_request = put_request{.item = item{{"pk", "p"}, {"sk", i}, {"v", std::string(100, 'x')}}}});
    batch_write_outcome w = co_await batch_write(c, writes);
    CHECK(w.ok());
    CHECK(w.written == 120);
    CHECK(w.calls >= 5);

    std::map<std::string, std::vector<write_request>> deletes;
    for (int i = 0; i < 120; i += 10)
      deletes[table].push_back({.delete_request = delete_request{.key = item{{"pk", "p"}, {"sk", i}}}});
    batch_write_outcome d = co_await batch_write(c, deletes);
    CHECK(d.written == 12);

    std::map<std::string, keys_and_attributes> reads;
    for (int i = 0; i < 130; ++i) reads[table].keys.push_back(item{{"pk", "p"}, {"sk", i}});
    reads[table].projection_expression = "sk";
    batch_get_outcome g = co_await batch_get(c, reads);
    CHECK(g.ok());
    CHECK(g.calls >= 2);
    REQUIRE(g.items[table].size() == 108);  // 120 written, 12 deleted, 10 never there
    std::set<std::int64_t> got;
    for (const auto& it : g.items[table]) {
      CHECK_FALSE(it.contains("v"));
      got.insert(sk_of(it));
    }
    CHECK(got.size() == 108);
    CHECK(got.count(10) == 0);
    CHECK(got.count(11) == 1);

    // A duplicate key is found with the schema DescribeTable gave.
    std::map<std::string, std::vector<write_request>> dup;
    dup[table].push_back({.put_request = put_request{.item = item{{"pk", "p"}, {"sk", 1}, {"v", 1}}}});
    dup[table].push_back({.put_request = put_request{.item = item{{"pk", "p"}, {"sk", 1}, {"v", 2}}}});
    try {
      co_await batch_write(c, dup);
      FAIL("expected duplicate_key");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::duplicate_key);
      CHECK_THAT(e.what(), Catch::Contains("repeats the key"));
    }
    co_await drop_table(c, table);
  });
}
