// ddb::client against DynamoDB Local: every operation of the client core,
// typed requests and responses, errors with their diagnostics, pipelining.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using ddb::test::with_client;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {


std::string unique(std::string_view stem) {
  std::random_device rd;
  return std::string(stem) + "_" + std::to_string(rd() % 1000000000u);
}

create_table_request events_table(const std::string& name) {
  create_table_request r;
  r.table_name = name;
  r.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}, {"sk", ddb::scalar_attribute_type::n}, {"owner", ddb::scalar_attribute_type::s}};
  r.key_schema = {{"pk", ddb::key_type::hash}, {"sk", ddb::key_type::range}};
  r.billing_mode = ddb::billing_mode::pay_per_request;
  global_secondary_index gsi;
  gsi.index_name = "by_owner";
  gsi.key_schema = {{"owner", ddb::key_type::hash}};
  gsi.projection = projection{.projection_type = ddb::projection_type::include, .non_key_attributes = {"title"}};
  r.global_secondary_indexes.push_back(std::move(gsi));
  return r;
}

}  // namespace

TEST_CASE("the client runs every core operation against DynamoDB Local", "[integration]") {
  const std::string table = unique("ddb_client");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    // CreateTable with a GSI and a projection.
    const create_table_request create = events_table(table);
    create_table_response created = co_await c.create_table(create);
    REQUIRE(created.table_description);
    CHECK(created.table_description->table_name == table);
    CHECK(created.diag.http_status == 200);
    CHECK_FALSE(created.diag.request_id.empty());

    // DescribeTable and ListTables.
    const describe_table_request describe{.table_name = table};
    describe_table_response described = co_await c.describe_table(describe);
    REQUIRE(described.table);
    CHECK(described.table->table_status == ddb::table_status::active);
    REQUIRE(described.table->key_schema.size() == 2);
    CHECK(described.table->key_schema[0].attribute_name == "pk");
    CHECK(described.table->key_schema[1].key_type == ddb::key_type::range);
    REQUIRE(described.table->global_secondary_indexes.size() == 1);
    CHECK(described.table->global_secondary_indexes[0].index_name == "by_owner");
    REQUIRE(described.table->global_secondary_indexes[0].projection);
    CHECK(described.table->global_secondary_indexes[0].projection->projection_type == ddb::projection_type::include);
    const list_tables_request list_all{};
    list_tables_response listed = co_await c.list_tables(list_all);
    CHECK(std::find(listed.table_names.begin(), listed.table_names.end(), table) != listed.table_names.end());

    // PutItem, with consumed capacity; then an overwrite returning the old item.
    for (int sk = 1; sk <= 5; ++sk) {
      put_item_request put;
      put.table_name = table;
      put.item = item{{"pk", "user#1"}, {"sk", sk}, {"owner", "ada"}, {"title", "event " + std::to_string(sk)},
                      {"tags", string_set{"a", "b"}}};
      put.return_consumed_capacity = ddb::return_consumed_capacity::total;
      put_item_response pr = co_await c.put_item(put);
      REQUIRE(pr.consumed_capacity);
      CHECK(pr.consumed_capacity->capacity_units.value_or(0) > 0);
    }
    put_item_request overwrite;
    overwrite.table_name = table;
    overwrite.item = item{{"pk", "user#1"}, {"sk", 1}, {"owner", "ada"}, {"title", "renamed"}};
    overwrite.return_values = ddb::return_value::all_old;
    put_item_response old = co_await c.put_item(overwrite);
    CHECK(old.attributes.at("title").as_string() == "event 1");

    // GetItem with a projection and consistent read.
    // (Requests are built before co_await: GCC 12 cannot keep an initializer_list's
    // array inside a co_await expression; see the README.)
    const get_item_request projected{.table_name = table, .key = item{{"pk", "user#1"}, {"sk", 1}},
                                     .consistent_read = true, .projection_expression = "#t, sk",
                                     .expression_attribute_names = {{"#t", "title"}}};
    get_item_response got = co_await c.get_item(projected);
    const item expected_projection{{"sk", 1}, {"title", "renamed"}};
    CHECK(got.item == expected_projection);
    const get_item_request nobody{.table_name = table, .key = item{{"pk", "nobody"}, {"sk", 0}}};
    get_item_response missing = co_await c.get_item(nobody);
    CHECK(missing.item.empty());

    // UpdateItem returning the new values.
    update_item_request upd;
    upd.table_name = table;
    upd.key = item{{"pk", "user#1"}, {"sk", 2}};
    upd.update_expression = "SET #t = :t ADD visits :one";
    upd.expression_attribute_names = {{"#t", "title"}};
    upd.expression_attribute_values = item{{":t", "updated"}, {":one", 1}};
    upd.return_values = ddb::return_value::updated_new;
    update_item_response ur = co_await c.update_item(upd);
    const item expected_new{{"title", "updated"}, {"visits", 1}};
    CHECK(ur.attributes == expected_new);

    // Query, one page at a time.
    query_request q;
    q.table_name = table;
    q.key_condition_expression = "pk = :p AND sk >= :from";
    q.expression_attribute_values = item{{":p", "user#1"}, {":from", 2}};
    q.limit = 2;
    q.return_consumed_capacity = ddb::return_consumed_capacity::total;
    query_response page1 = co_await c.query(q);
    CHECK(page1.count == 2);
    REQUIRE(page1.items.size() == 2);
    CHECK(page1.items[0].at("sk") == value(2));
    REQUIRE_FALSE(page1.last_evaluated_key.empty());
    q.exclusive_start_key = page1.last_evaluated_key;
    query_response page2 = co_await c.query(q);
    REQUIRE(page2.items.size() == 2);
    CHECK(page2.items[0].at("sk") == value(4));
    q.exclusive_start_key = page2.last_evaluated_key;
    query_response page3 = co_await c.query(q);
    CHECK(page3.items.empty());
    CHECK(page3.last_evaluated_key.empty());

    // Query on the GSI.
    query_request by_owner;
    by_owner.table_name = table;
    by_owner.index_name = "by_owner";
    by_owner.key_condition_expression = "#o = :o";
    by_owner.expression_attribute_names = {{"#o", "owner"}};
    by_owner.expression_attribute_values = item{{":o", "ada"}};
    query_response owned = co_await c.query(by_owner);
    CHECK(owned.count == 5);

    // DeleteItem returning the old item.
    const delete_item_request del{.table_name = table, .key = item{{"pk", "user#1"}, {"sk", 5}}, .return_values = ddb::return_value::all_old};
    delete_item_response deleted = co_await c.delete_item(del);
    CHECK(deleted.attributes.at("title").as_string() == "event 5");

    // TransactWriteItems: a token is generated when none is given.
    transact_write_items_request tx;
    tx.transact_items.push_back({.put = transact_put{.item = item{{"pk", "user#2"}, {"sk", 1}}, .table_name = table}});
    tx.transact_items.push_back(
        {.update = transact_update{.key = item{{"pk", "user#1"}, {"sk", 2}}, .update_expression = "ADD visits :one",
                                   .table_name = table, .expression_attribute_values = item{{":one", 1}}}});
    tx.return_consumed_capacity = ddb::return_consumed_capacity::total;
    transact_write_items_response txr = co_await c.transact_write_items(tx);
    CHECK_FALSE(txr.consumed_capacity.empty());
    const get_item_request second{.table_name = table, .key = item{{"pk", "user#1"}, {"sk", 2}}};
    get_item_response after = co_await c.get_item(second);
    CHECK(after.item.at("visits") == value(2));

    const delete_table_request drop{.table_name = table};
    co_await c.delete_table(drop);
  });
}

TEST_CASE("service errors arrive as codes with diagnostics: conditions and cancelled transactions", "[integration]") {
  const std::string table = unique("ddb_client_errors");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    const create_table_request create = events_table(table);
    co_await c.create_table(create);
    const put_item_request first{.table_name = table, .item = item{{"pk", "k"}, {"sk", 1}, {"v", 1}}};
    co_await c.put_item(first);

    // A conditional put that fails, returning the item that made it fail.
    put_item_request cond;
    cond.table_name = table;
    cond.item = item{{"pk", "k"}, {"sk", 1}, {"v", 2}};
    cond.condition_expression = "attribute_not_exists(pk)";
    cond.return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old;
    auto [ec, pr] = co_await c.put_item(cond, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == service_errc::conditional_check_failed);
    CHECK(pr.diag.service_type == "ConditionalCheckFailedException");
    CHECK(pr.diag.http_status == 400);
    CHECK(pr.diag.attempts == 1);
    REQUIRE(pr.diag.item);
    CHECK(pr.diag.item->at("v") == value(1));

    // A transaction whose condition check fails: reasons per action.
    transact_write_items_request tx;
    tx.transact_items.push_back({.put = transact_put{.item = item{{"pk", "new"}, {"sk", 1}}, .table_name = table}});
    tx.transact_items.push_back({.condition_check = transact_condition_check{
                                     .key = item{{"pk", "k"}, {"sk", 1}}, .table_name = table,
                                     .condition_expression = "v = :two",
                                     .expression_attribute_values = item{{":two", 2}},
                                     .return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old}});
    tx.client_request_token = "ddb-client-test-1";
    try {
      co_await c.transact_write_items(tx);
      FAIL("expected TransactionCanceledException");
    } catch (const ddb::error& e) {
      CHECK(e.code() == service_errc::transaction_canceled);
      REQUIRE(e.diag());
      REQUIRE(e.diag()->cancellation_reasons.size() == 2);
      CHECK(e.diag()->cancellation_reasons[0].code == "None");
      CHECK(e.diag()->cancellation_reasons[1].code == "ConditionalCheckFailed");
      REQUIRE(e.diag()->cancellation_reasons[1].item);
      CHECK(e.diag()->cancellation_reasons[1].item->at("v") == value(1));
      CHECK(e.diag()->condition_failed());
      CHECK_FALSE(e.diag()->transaction_conflict());
      CHECK(e.diag()->first_failed_action() == 1u);
    }

    // A validation error and a missing table.
    const get_item_request no_key{.table_name = table, .key = item{}};
    auto [ec2, r2] = co_await c.get_item(no_key, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == service_errc::validation);
    CHECK_FALSE(r2.diag.message.empty());
    const describe_table_request no_table{.table_name = "no_such_table_ddb"};
    auto [ec3, r3] = co_await c.describe_table(no_table, asio::as_tuple(asio::use_awaitable));
    CHECK(ec3 == service_errc::resource_not_found);

    // Bad input never reaches the wire.
    const put_item_request empty_set{.table_name = table, .item = item{{"pk", "k"}, {"sk", 1}, {"s", string_set{}}}};
    auto [ec4, r4] = co_await c.put_item(empty_set, asio::as_tuple(asio::use_awaitable));
    CHECK(ec4 == errc::empty_set);
    CHECK(r4.diag.attempts == 0);
    CHECK_THAT(r4.diag.message, Catch::Contains("empty"));

    const delete_table_request drop{.table_name = table};
    co_await c.delete_table(drop);
  });
}

// Rolling (refilled at half the depth) and batches (refilled when empty, the
// replies of a batch read together): replies of many sizes, each checked.
TEST_CASE("pipelined requests against DynamoDB Local", "[integration]") {
  const std::size_t refill = GENERATE(0u, 16u);
  INFO("pipeline_refill " << refill);
  const std::string table = unique("ddb_client_pipeline");
  client_config cfg;
  cfg.pool_size = 2;
  cfg.pipeline_depth = 16;
  cfg.pipeline_refill = refill;
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    const create_table_request create = events_table(table);
    co_await c.create_table(create);
    auto ex = co_await asio::this_coro::executor;
    const int n = 300;
    auto owner_of = [](int i) { return std::string(static_cast<std::size_t>(i % 37) * 40 + 1, static_cast<char>('a' + i % 26)); };
    int pending = n, ok = 0;
    asio::steady_timer done(ex, std::chrono::hours(1));
    for (int i = 0; i < n; ++i) {
      put_item_request put;
      put.table_name = table;
      put.item = item{{"pk", "p"}, {"sk", i}, {"owner", owner_of(i)}};
      c.put_item(put, [&](error_code ec, put_item_response) {
        if (!ec) ++ok;
        if (--pending == 0) done.cancel();
      });
    }
    co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    CHECK(ok == n);
    CHECK(c.connections_opened() <= 2);
    // Reads whose replies differ in size from one to the next (1 to 1,441 bytes of owner).
    pending = n;
    int right = 0;
    done.expires_after(std::chrono::hours(1));
    for (int i = 0; i < n; ++i) {
      get_item_request get{.table_name = table, .key = item{{"pk", "p"}, {"sk", i}}};
      c.get_item(get, [&, i](error_code ec, get_item_response r) {
        if (!ec && r.item.contains("owner") && r.item.at("owner").as_string() == owner_of(i)) ++right;
        if (--pending == 0) done.cancel();
      });
    }
    co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    CHECK(right == n);
    query_request q;
    q.table_name = table;
    q.key_condition_expression = "pk = :p";
    q.expression_attribute_values = item{{":p", "p"}};
    q.select = ddb::select::count;
    query_response counted = co_await c.query(q);
    CHECK(counted.count == n);
    const delete_table_request drop{.table_name = table};
    co_await c.delete_table(drop);
  });
}

TEST_CASE("the rest of the data and control plane against DynamoDB Local", "[integration]") {
  const std::string table = unique("ddb_client_more");
  with_client({}, [&](client& c) -> asio::awaitable<void> {
    const create_table_request create = events_table(table);
    co_await c.create_table(create);

    // BatchWriteItem: puts and a delete, with consumed capacity per table.
    batch_write_item_request bw;
    for (int sk = 1; sk <= 20; ++sk)
      bw.request_items[table].push_back(
          {.put_request = put_request{.item = item{{"pk", "b"}, {"sk", sk}, {"owner", sk % 2 ? "odd" : "even"}}}});
    bw.return_consumed_capacity = ddb::return_consumed_capacity::total;
    batch_write_item_response bwr = co_await c.batch_write_item(bw);
    CHECK(bwr.unprocessed_items.empty());
    REQUIRE(bwr.consumed_capacity.size() == 1);
    CHECK(bwr.consumed_capacity[0].table_name == table);
    batch_write_item_request del;
    del.request_items[table].push_back({.delete_request = delete_request{.key = item{{"pk", "b"}, {"sk", 20}}}});
    co_await c.batch_write_item(del);

    // BatchGetItem with a projection.
    batch_get_item_request bg;
    auto& keys = bg.request_items[table];
    keys.keys = {item{{"pk", "b"}, {"sk", 1}}, item{{"pk", "b"}, {"sk", 2}}, item{{"pk", "b"}, {"sk", 20}}};
    keys.projection_expression = "sk, #o";
    keys.expression_attribute_names = {{"#o", "owner"}};
    batch_get_item_response bgr = co_await c.batch_get_item(bg);
    REQUIRE(bgr.responses.count(table) == 1);
    CHECK(bgr.responses[table].size() == 2);  // sk 20 was deleted
    for (const auto& it : bgr.responses[table]) CHECK_FALSE(it.contains("pk"));

    // Scan with a filter and pages of 5 (LastEvaluatedKey -> ExclusiveStartKey).
    scan_request scan;
    scan.table_name = table;
    scan.filter_expression = "#o = :odd";
    scan.expression_attribute_names = {{"#o", "owner"}};
    scan.expression_attribute_values = item{{":odd", "odd"}};
    scan.limit = 5;
    int pages = 0;
    std::int64_t found = 0;
    do {
      scan_response page = co_await c.scan(scan);
      ++pages;
      found += page.count.value_or(0);
      scan.exclusive_start_key = std::move(page.last_evaluated_key);
    } while (!scan.exclusive_start_key.empty());
    CHECK(found == 10);
    CHECK(pages >= 4);

    // TransactGetItems.
    transact_get_items_request tg;
    tg.transact_items.push_back({.get = transact_get{.key = item{{"pk", "b"}, {"sk", 3}}, .table_name = table}});
    tg.transact_items.push_back({.get = transact_get{.key = item{{"pk", "b"}, {"sk", 99}}, .table_name = table}});
    transact_get_items_response tgr = co_await c.transact_get_items(tg);
    REQUIRE(tgr.responses.size() == 2);
    CHECK(tgr.responses[0].item.at("owner") == value("odd"));
    CHECK(tgr.responses[1].item.empty());

    // PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.
    execute_statement_request sel;
    sel.statement = "SELECT * FROM \"" + table + "\" WHERE pk = ? AND sk = ?";
    sel.parameters = {value("b"), value(4)};
    execute_statement_response ser = co_await c.execute_statement(sel);
    REQUIRE(ser.items.size() == 1);
    CHECK(ser.items[0].at("owner") == value("even"));
    execute_transaction_request et;
    et.transact_statements.push_back({.statement = "UPDATE \"" + table + "\" SET v = ? WHERE pk = ? AND sk = ?",
                                      .parameters = {value(7), value("b"), value(4)}});
    co_await c.execute_transaction(et);
    batch_execute_statement_request bes;
    bes.statements.push_back({.statement = sel.statement, .parameters = {value("b"), value(4)}});
    bes.statements.push_back({.statement = "SELECT * FROM \"no_such_table_ddb\" WHERE pk = ?", .parameters = {value("x")}});
    batch_execute_statement_response besr = co_await c.batch_execute_statement(bes);
    REQUIRE(besr.responses.size() == 2);
    REQUIRE(!besr.responses[0].item.empty());
    CHECK(besr.responses[0].item.at("v") == value(7));
    REQUIRE(besr.responses[1].error);  // per-statement errors are data, not exceptions
    REQUIRE(besr.responses[1].error->code);  // a typed enumeration, read from DynamoDB's spelling
    CHECK(*besr.responses[1].error->code == ddb::batch_statement_error_code::resource_not_found);
    CHECK(besr.responses[1].error->code->str() == "ResourceNotFound");

    // Time to live.
    update_time_to_live_request ttl;
    ttl.table_name = table;
    ttl.time_to_live_specification = {.enabled = true, .attribute_name = "expires"};
    update_time_to_live_response ttlr = co_await c.update_time_to_live(ttl);
    REQUIRE(ttlr.time_to_live_specification);
    CHECK(ttlr.time_to_live_specification->enabled);
    const describe_time_to_live_request dttl{.table_name = table};
    describe_time_to_live_response dttlr = co_await c.describe_time_to_live(dttl);
    REQUIRE(dttlr.time_to_live_description);
    CHECK(dttlr.time_to_live_description->attribute_name == "expires");

    // UpdateTable: switch to provisioned capacity.
    update_table_request ut;
    ut.table_name = table;
    ut.billing_mode = ddb::billing_mode::provisioned;
    ut.provisioned_throughput = provisioned_throughput{.read_capacity_units = 5, .write_capacity_units = 5};
    global_secondary_index_update gu;
    gu.update = update_global_secondary_index_action{
        .index_name = "by_owner", .provisioned_throughput = provisioned_throughput{5, 5}};
    ut.global_secondary_index_updates.push_back(gu);
    update_table_response utr = co_await c.update_table(ut);
    REQUIRE(utr.table_description);
    REQUIRE(utr.table_description->provisioned_throughput);
    CHECK(utr.table_description->provisioned_throughput->read_capacity_units == 5);

    // DescribeLimits.
    const describe_limits_request limits{};
    describe_limits_response lr = co_await c.describe_limits(limits);
    CHECK(lr.table_max_read_capacity_units.value_or(0) > 0);

    // Operations DynamoDB Local does not implement answer UnknownOperationException
    // (their codecs are covered by the golden tests in test/unit/test_model.cpp).
    const describe_continuous_backups_request dcb{.table_name = table};
    auto [ec1, r1] = co_await c.describe_continuous_backups(dcb, asio::as_tuple(asio::use_awaitable));
    CHECK(ec1 == service_errc::unknown_operation);
    const list_tags_of_resource_request lt{.resource_arn = "arn:aws:dynamodb:ddblocal:000000000000:table/" + table};
    auto [ec2, r2] = co_await c.list_tags_of_resource(lt, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == service_errc::unknown_operation);

    const delete_table_request drop{.table_name = table};
    co_await c.delete_table(drop);
  });
}
