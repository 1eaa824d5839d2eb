// The helpers on top of the typed operations, against DynamoDB Local:
// pagination, parallel scan.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <tuple>

#include "ddb/client.hpp"
#include "ddb/batch.hpp"
#include "ddb/expr.hpp"
#include "ddb/paginate.hpp"
#include "ddb/typed.hpp"
#include "ddb/waiters.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using ddb::test::with_client;
namespace asio = boost::asio;

namespace ddb_test_types {
struct profile {
  std::string pk;
  std::int64_t sk = 0;
  std::optional<std::string> nickname;
  std::vector<double> scores;
  std::map<std::string, std::int32_t> limits;
  std::set<std::string> tags;
  friend bool operator==(const profile&, const profile&) = default;
};
BOOST_DESCRIBE_STRUCT(profile, (), (pk, sk, nickname, scores, limits, tags))
}  // namespace ddb_test_types

namespace {

std::string unique_name(std::string_view stem) {
  std::random_device rd;
  return std::string(stem) + "_" + std::to_string(rd() % 1000000000u);
}

asio::awaitable<void> make_table(client& c, const std::string& name) {
  create_table_request r;
  r.table_name = name;
  r.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}, {"sk", ddb::scalar_attribute_type::n}};
  r.key_schema = {{"pk", ddb::key_type::hash}, {"sk", ddb::key_type::range}};
  r.billing_mode = ddb::billing_mode::pay_per_request;
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

    // One page plus a cursor, as a web API serves it: pages of 20 (Limit 7,
    // so the last request of each is lowered to 6), each from a new pager
    // made from the previous page's cursor: every item once, in order.
    {
      std::vector<std::int64_t> order;
      std::string cursor;
      int requests = 0;
      for (;;) {
        query_pages page_of_20(c, q, {.max_items = 20});
        page_of_20.resume(cursor);
        while (auto page = co_await page_of_20.next())
          for (const auto& it : page->items) order.push_back(sk_of(it));
        ++requests;
        CHECK(page_of_20.done());
        cursor = page_of_20.cursor();
        if (cursor.empty()) {
          CHECK(page_of_20.exhausted());
          break;
        }
        CHECK_FALSE(page_of_20.next_request().exclusive_start_key.empty());
        REQUIRE(requests < 10);
      }
      CHECK(order.size() == std::size_t(in_p));
      CHECK(std::is_sorted(order.begin(), order.end()));
      CHECK(std::set<std::int64_t>(order.begin(), order.end()).size() == order.size());
      CHECK(requests >= 2);
      CHECK(requests <= 3);  // 40 items: 20 + 20 (+ an empty last page if DynamoDB sent a key after the 40th)

      // A cursor belongs to its query: another partition, another direction or a damaged one is refused.
      query_pages first(c, q, {.max_items = 5});
      co_await first.next();
      const std::string five = first.cursor();
      REQUIRE_FALSE(five.empty());
      CHECK(five.find_first_of("+/=") == std::string::npos);  // URL-safe
      query_request other_pk = q;
      other_pk.expression_attribute_values = item{{":p", "other"}};
      query_request backwards = q;
      backwards.scan_index_forward = false;
      std::string damaged = five;
      damaged[damaged.size() / 2] = damaged[damaged.size() / 2] == 'A' ? 'B' : 'A';
      for (const auto& [req, cur, says] : {std::tuple{other_pk, five, "belongs to another query"},
                                           std::tuple{backwards, five, "belongs to another query"},
                                           std::tuple{q, damaged, "page cursor:"},
                                           std::tuple{q, std::string("not a cursor!"), "page cursor:"}}) {
        try {
          query_pages refused(c, req);
          refused.resume(cur);
          FAIL("expected errc::invalid_cursor");
        } catch (const ddb::error& e) {
          CHECK(e.code() == errc::invalid_cursor);
          CHECK(std::string(e.what()).find(says) != std::string::npos);
        }
      }
      query_pages rest(c, q);
      rest.resume(five);
      auto next_page = co_await rest.next();
      REQUIRE(next_page);
      REQUIRE_FALSE(next_page->items.empty());
      page_options five_items;
      five_items.max_items = 5;
      const std::vector<item> first5 = co_await query_all(c, q, five_items);
      REQUIRE(first5.size() == 5);
      CHECK(sk_of(next_page->items.front()) > sk_of(first5.back()));
    }

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

    // Completion tokens: as_tuple, a callback, cancellation through a bound slot.
    {
      const auto tuple = asio::as_tuple(asio::use_awaitable);
      query_pages tokened(c, q, {.max_items = 10});
      auto [ec, page] = co_await tokened.next(tuple);
      CHECK_FALSE(ec);
      REQUIRE(page);
      CHECK(page->items.size() == 7);
      query_request missing = q;
      missing.table_name = "no_such_table_ddb";
      query_pages nowhere(c, missing);
      auto [ec2, failed] = co_await nowhere.next(tuple);
      CHECK(ec2 == service_errc::resource_not_found);
      REQUIRE(failed);
      CHECK_FALSE(failed->diag.request_id.empty());
      CHECK_FALSE(failed->diag.message.empty());
      page_options all;
      auto [ec3, items] = co_await query_all(c, q, all, tuple);
      CHECK_FALSE(ec3);
      CHECK(items.size() == std::size_t(in_p));
      auto [ec4, none] = co_await query_all(c, missing, all, tuple);
      CHECK(ec4 == service_errc::resource_not_found);
      CHECK(none.empty());
      scan_request everything_s;
      everything_s.table_name = table;
      // A plain callback; the coroutine waits on a timer the callback cancels.
      std::optional<std::size_t> counted;
      asio::steady_timer called(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
      scan_all(c, everything_s, 2, all, [&](boost::system::error_code e, std::vector<item> got) {
        counted = e ? 0 : got.size();
        called.cancel();
      });
      co_await called.async_wait(tuple);
      CHECK(counted == std::size_t(n));
      // Cancelled through its slot before DynamoDB answers: operation_aborted, nothing thrown.
      asio::cancellation_signal stop;
      asio::post(co_await asio::this_coro::executor, [&] { stop.emit(asio::cancellation_type::terminal); });
      auto [ec5, cancelled] = co_await query_all(c, q, all, asio::bind_cancellation_slot(stop.slot(), tuple));
      CHECK(ec5 == boost::asio::error::operation_aborted);
      CHECK(cancelled.empty());
      // ddb::cancel_after around the default token: the value, or what was thrown.
      query_pages timed(c, q, {.max_items = 3});
      std::optional<query_response> first_three = co_await timed.next(ddb::cancel_after(std::chrono::seconds(60)));
      REQUIRE(first_three);
      CHECK(first_three->items.size() == 3);
      std::vector<item> all_timed = co_await query_all(c, q, all, ddb::cancel_after(std::chrono::seconds(60)));
      CHECK(all_timed.size() == std::size_t(in_p));
      bool thrown = false;
      try {
        co_await query_all(c, missing, all, ddb::cancel_after(std::chrono::seconds(60)));
      } catch (const ddb::error& e) {
        thrown = e.code() == service_errc::resource_not_found && e.diag() && !e.diag()->request_id.empty();
      }
      CHECK(thrown);
      auto [ec8, timed_tuple] = co_await query_all(c, q, all, ddb::cancel_after(std::chrono::seconds(60), tuple));
      CHECK_FALSE(ec8);
      CHECK(timed_tuple.size() == std::size_t(in_p));
      // A waiter and a batch with a token.
      auto [ec6, desc] = co_await wait_table_exists(c, table, waiter_options(), tuple);
      CHECK_FALSE(ec6);
      CHECK(desc.table_name == table);
      std::map<std::string, keys_and_attributes> reads;
      keys_and_attributes ka;
      ka.keys.push_back(item{{"pk", "p"}, {"sk", 1}});
      reads.emplace("no_such_table_ddb", ka);
      auto [ec7, outcome] = co_await batch_get(c, reads, batch_options(), tuple);
      CHECK_FALSE(ec7);  // the call ran; its keys failed, and say why
      REQUIRE_FALSE(outcome.ok());
      CHECK(outcome.failed.front().code == service_errc::resource_not_found);
    }

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

TEST_CASE("expressions built with ddb::expr round-trip through DynamoDB Local, every operator", "[integration]") {
  using namespace ddb::expr;
  const std::string table = unique_name("ddb_expr");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    co_await make_table(c, table);
    // Reserved words and odd names as attribute names.
    for (int i = 0; i < 10; ++i) {
      put_item_request put{.table_name = table};
      put.item = item{{"pk", "p"},
                      {"sk", i},
                      {"name", "item " + std::to_string(i)},
                      {"size", i * 10},
                      {"status", i % 2 ? "odd" : "even"},
                      {"a.b", "dotted"},
                      {"tags", string_set{"t" + std::to_string(i), "all"}},
                      {"profile", item{{"city", i < 5 ? "Paris" : "Oslo"}, {"zip", i}}}};
      if (i % 3 == 0) put.item.insert_or_assign("flag", true);
      apply(put, {.condition = attr("pk").not_exists()});  // a put that must not overwrite
      co_await c.put_item(put);
    }
    auto count = [&](const expr::condition& filter) -> asio::awaitable<std::size_t> {
      query_request q{.table_name = table};
      apply(q, {.key_condition = attr("pk") == "p", .filter = filter});
      co_return (co_await query_all(c, q)).size();
    };
    CHECK(co_await count(attr("size") == 30) == 1);
    CHECK(co_await count(attr("size") != 30) == 9);
    CHECK(co_await count(attr("size") < 30) == 3);
    CHECK(co_await count(attr("size") <= 30) == 4);
    CHECK(co_await count(attr("size") > 30) == 6);
    CHECK(co_await count(attr("size") >= 30) == 7);
    CHECK(co_await count(attr("size").between(20, 50)) == 4);
    const auto odd_or_none = attr("status").in({"odd", "none"});  // (GCC 12: no braced lists inside co_await)
    CHECK(co_await count(odd_or_none) == 5);
    CHECK(co_await count(attr("name").begins_with("item 1")) == 1);
    CHECK(co_await count(attr("tags").contains("t4")) == 1);
    CHECK(co_await count(attr("name").contains("item")) == 10);
    CHECK(co_await count(attr("flag").exists()) == 4);
    CHECK(co_await count(attr("flag").not_exists()) == 6);
    CHECK(co_await count(attr("flag").type_is("BOOL")) == 4);
    CHECK(co_await count(attr("tags").size() == 2) == 10);
    CHECK(co_await count(attr("profile")["city"] == "Paris") == 5);
    CHECK(co_await count(attr("a.b") == "dotted") == 10);
    CHECK(co_await count(attr("status") == "odd" && attr("size") > 40) == 3);
    CHECK(co_await count(attr("status") == "odd" || attr("size") == 0) == 6);
    CHECK(co_await count(!(attr("status") == "odd")) == 5);

    // Key conditions: equality with BETWEEN and with a comparison on the sort key.
    query_request kq{.table_name = table};
    apply(kq, {.key_condition = attr("pk") == "p" && attr("sk").between(2, 4),
               .projection = paths{attr("sk"), attr("profile")["city"], attr("name")}});
    auto page = co_await c.query(kq);
    REQUIRE(page.items.size() == 3);
    CHECK(page.items[0].at("profile").as_map().at("city") == value("Paris"));
    CHECK_FALSE(page.items[0].contains("size"));
    CHECK_FALSE(page.items[0].at("profile").as_map().contains("zip"));  // only the projected member
    query_request kq2{.table_name = table};
    apply(kq2, {.key_condition = attr("pk") == "p" && attr("sk") >= 7});
    CHECK((co_await query_all(c, kq2)).size() == 3);

    // Updates: SET with arithmetic, if_not_exists and list_append; REMOVE; ADD; DELETE.
    update_item_request u{.table_name = table, .key = item{{"pk", "p"}, {"sk", 1}}, .return_values = ddb::return_value::all_new};
    apply(u, {.condition = attr("status") == "odd" && attr("size").exists(),
              .update = set("size", attr("size") + 5)
                            .set("name", if_not_exists(attr("name"), "unused"))
                            .set("first_seen", if_not_exists(attr("first_seen"), "2026-11-21"))
                            .set("log", list_append(if_not_exists(attr("log"), list{}), list{value("created")}))
                            .set(attr("profile")["zip"], attr("profile")["zip"] - 1)
                            .remove("a.b")
                            .add("visits", 2)
                            .add("tags", string_set{"new"})});
    co_await c.update_item(u);
    // (Two actions on one attribute in one update overlap: DynamoDB refuses them.)
    update_item_request u2{.table_name = table, .key = item{{"pk", "p"}, {"sk", 1}}, .return_values = ddb::return_value::all_new};
    apply(u2, {.update = expr::update().delete_("tags", string_set{"all"})});
    update_item_response ur = co_await c.update_item(u2);
    const item& after = ur.attributes;
    CHECK(after.at("size") == value(15));
    CHECK(after.at("name") == value("item 1"));
    CHECK(after.at("first_seen") == value("2026-11-21"));
    CHECK(after.at("log") == value(list{value("created")}));
    CHECK(after.at("profile").as_map().at("zip") == value(0));
    CHECK_FALSE(after.contains("a.b"));
    CHECK(after.at("visits") == value(2));
    CHECK(after.at("tags") == value(string_set{"t1", "new"}));

    // A condition that fails is ConditionalCheckFailed.
    update_item_request fails{.table_name = table, .key = item{{"pk", "p"}, {"sk", 1}}};
    apply(fails, {.condition = attr("size") < 0, .update = set("x", 1)});
    auto [ec, fr] = co_await c.update_item(fails, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == service_errc::conditional_check_failed);

    co_await drop_table(c, table);
  });
}

TEST_CASE("typed items go through DynamoDB Local unchanged", "[integration]") {
  const std::string table = unique_name("ddb_typed");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    co_await make_table(c, table);
    const ddb_test_types::profile p{.pk = "u#1", .sk = 7, .nickname = "ada", .scores = {0.5, 1e-7, 12345.678},
                                    .limits = {{"rps", 100}}, .tags = {"a", "b"}};
    const put_item_request put{.table_name = table, .item = to_item(p)};
    co_await c.put_item(put);
    const get_item_request get{.table_name = table, .key = item{{"pk", "u#1"}, {"sk", 7}}, .consistent_read = true};
    get_item_response got = co_await c.get_item(get);
    auto back = from_item<ddb_test_types::profile>(got.item);
    REQUIRE(back);
    CHECK(*back == p);
    co_await drop_table(c, table);
  });
}

TEST_CASE("consumed capacity is totalled per table and index, with its on-demand price", "[integration]") {
  const std::string table = unique_name("ddb_capacity");
  client_config cfg;
  cfg.track_capacity = true;
  cfg.pricing.usd_per_million_write_units = 1.0;
  cfg.pricing.usd_per_million_read_units = 0.5;
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    create_table_request r;
    r.table_name = table;
    r.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}, {"sk", ddb::scalar_attribute_type::n}, {"owner", ddb::scalar_attribute_type::s}};
    r.key_schema = {{"pk", ddb::key_type::hash}, {"sk", ddb::key_type::range}};
    r.billing_mode = ddb::billing_mode::pay_per_request;
    r.global_secondary_indexes.push_back(
        {.index_name = "by_owner", .key_schema = {{"owner", ddb::key_type::hash}}, .projection = projection{.projection_type = ddb::projection_type::all}});
    co_await c.create_table(r);
    c.reset_capacity();
    for (int i = 0; i < 4; ++i) {
      const put_item_request put{.table_name = table, .item = item{{"pk", "p"}, {"sk", i}, {"owner", "ada"}}};
      co_await c.put_item(put);
    }
    const get_item_request get{.table_name = table, .key = item{{"pk", "p"}, {"sk", 1}}, .consistent_read = true};
    co_await c.get_item(get);
    // A request that sets ReturnConsumedCapacity keeps its choice: NONE reports nothing.
    const get_item_request quiet{.table_name = table, .key = item{{"pk", "p"}, {"sk", 1}}, .return_consumed_capacity = ddb::return_consumed_capacity::none};
    co_await c.get_item(quiet);
    const capacity_report rep = c.capacity();
    CHECK(rep.responses == 5);
    REQUIRE(rep.tables.count(table) == 1);
    CHECK(rep.tables.at(table).write >= 4);  // one unit per small write
    CHECK(rep.tables.at(table).read == Approx(1.0));  // a strongly consistent read of a small item
    CHECK(rep.total.write == rep.tables.at(table).write);
    REQUIRE(rep.indexes.count(table + "/by_owner") == 1);
    CHECK(rep.indexes.at(table + "/by_owner").write >= 4);
    CHECK(rep.estimated_usd == Approx(rep.total.write * 1.0 / 1e6 + rep.total.read * 0.5 / 1e6));
    CHECK_THAT(rep.summary(), Catch::Contains("read units"));
    CHECK(storage_cost_usd(std::uint64_t(10) << 30, 1.0) == Approx(2.5));  // 10 GB for a month at $0.25
    co_await drop_table(c, table);
  });
}
