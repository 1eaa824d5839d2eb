// DynamoDB's limits checked before a request is sent: item sizes, key sizes,
// names, batch and transaction counts, duplicate keys.
#include <catch2/catch.hpp>

#include "ddb/detail/operations.hpp"
#include "ddb/limits.hpp"
#include "model/codec.hpp"

using namespace ddb;
using ddb::detail::encode;

namespace {
template <class Request>
std::error_code refused(const Request& r, std::string* message = nullptr) {
  auto e = encode(r);
  if (e) return {};
  if (message) *message = e.error().message;
  return e.error().code;
}
}  // namespace

TEST_CASE("item sizes follow DynamoDB's rules", "[limits]") {
  using limits::item_size;
  CHECK(item_size(item{{"name", "Ada"}}) == 7);        // 4 + 3
  CHECK(item_size(item{{"n", 12345}}) == 1 + 4);       // 5 digits: 3 + 1
  CHECK(item_size(item{{"n", 0}}) == 1 + 1);
  CHECK(item_size(item{{"b", true}, {"z", nullptr}}) == 2 + 2);
  CHECK(item_size(item{{"m", item{{"a", "x"}}}}) == 1 + 3 + (1 + 1 + 1));
  CHECK(item_size(item{{"l", list{value("ab"), value(1)}}}) == 1 + 3 + (2 + 1) + (2 + 1));
  CHECK(item_size(item{{"ss", string_set{"ab", "c"}}}) == 2 + 3);
  CHECK(limits::check_item(item{{"blob", std::string(400 * 1024 - 4, 'x')}}, "it"));
  auto big = limits::check_item(item{{"blob", std::string(400 * 1024, 'x')}}, "the item");
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::item_too_large);
  CHECK_THAT(big.error().message, Catch::Contains("400 KB"));
}

TEST_CASE("table and index names", "[limits]") {
  CHECK(limits::check_table_name("abc"));
  CHECK(limits::check_table_name("My_Table-1.v2"));
  CHECK(limits::check_table_name(std::string(255, 'a')));
  CHECK_FALSE(limits::check_table_name("ab"));
  CHECK_FALSE(limits::check_table_name(std::string(256, 'a')));
  CHECK_FALSE(limits::check_table_name("with space"));
  CHECK_FALSE(limits::check_table_name("naïve"));
  create_table_request ct{.table_name = "good_table"};
  ct.global_secondary_indexes.push_back({.index_name = "x"});
  std::string why;
  CHECK(refused(ct, &why) == errc::invalid_name);
  CHECK_THAT(why, Catch::Contains("index name \"x\""));
  const get_item_request g{.table_name = "t", .key = item{{"pk", "a"}}};
  CHECK(refused(g) == errc::invalid_name);
}

TEST_CASE("key attribute sizes", "[limits]") {
  CHECK(refused(get_item_request{.table_name = "tbl", .key = item{{"pk", std::string(2048, 'k')}}}) == std::error_code{});
  CHECK(refused(get_item_request{.table_name = "tbl", .key = item{{"pk", std::string(2049, 'k')}}}) ==
        errc::item_too_large);
  CHECK(refused(delete_item_request{.table_name = "tbl",
                                    .key = item{{"pk", std::string(2000, 'k')}, {"sk", std::string(1024, 's')}}}) ==
        std::error_code{});
  CHECK(refused(update_item_request{.table_name = "tbl",
                                    .key = item{{"pk", std::string(2000, 'k')}, {"sk", std::string(1025, 's')}}}) ==
        errc::item_too_large);
  CHECK(refused(put_item_request{.table_name = "tbl", .item = item{{"pk", "a"}, {"v", std::string(410000, 'v')}}}) ==
        errc::item_too_large);
}

TEST_CASE("batch counts and duplicate keys", "[limits]") {
  batch_write_item_request bw;
  for (int i = 0; i < 26; ++i) bw.request_items["tbl"].push_back({.put_request = put_request{.item = item{{"pk", i}}}});
  CHECK(refused(bw) == errc::too_many_actions);
  bw.request_items["tbl"].resize(2);
  CHECK(refused(bw) == std::error_code{});
  bw.request_items["tbl"].push_back({.delete_request = delete_request{.key = item{{"pk", "d"}, {"sk", 1}}}});
  bw.request_items["tbl"].push_back({.delete_request = delete_request{.key = item{{"sk", 1}, {"pk", "d"}}}});
  CHECK(refused(bw) == errc::duplicate_key);

  batch_get_item_request bg;
  for (int i = 0; i < 101; ++i) bg.request_items["tbl"].keys.push_back(item{{"pk", i}});
  CHECK(refused(bg) == errc::too_many_actions);
  bg.request_items["tbl"].keys.resize(3);
  bg.request_items["other"].keys.push_back(item{{"pk", 1}});  // the same key in another table is fine
  CHECK(refused(bg) == std::error_code{});
  bg.request_items["tbl"].keys.push_back(item{{"pk", 2}});
  CHECK(refused(bg) == errc::duplicate_key);
}

TEST_CASE("transactions: 100 actions, 4 MB, one action per item", "[limits]") {
  transact_write_items_request tx;
  for (int i = 0; i < 101; ++i)
    tx.transact_items.push_back({.update = transact_update{.key = item{{"pk", i}}, .update_expression = "SET a = :a",
                                                           .table_name = "tbl"}});
  CHECK(refused(tx) == errc::too_many_actions);
  tx.transact_items.resize(100);
  CHECK(refused(tx) == std::error_code{});

  transact_write_items_request twice;
  twice.transact_items.push_back({.update = transact_update{.key = item{{"pk", "a"}}, .update_expression = "SET a = :a",
                                                              .table_name = "tbl"}});
  twice.transact_items.push_back({.delete_ = transact_delete{.key = item{{"pk", "a"}}, .table_name = "tbl"}});
  std::string why;
  CHECK(refused(twice, &why) == errc::duplicate_key);
  CHECK_THAT(why, Catch::Contains("one action per item"));

  transact_write_items_request put_and_check;
  put_and_check.transact_items.push_back({.put = transact_put{.item = item{{"pk", "a"}, {"v", 1}}, .table_name = "tbl"}});
  put_and_check.transact_items.push_back(
      {.condition_check = transact_condition_check{.key = item{{"pk", "a"}}, .table_name = "tbl",
                                                   .condition_expression = "attribute_exists(pk)"}});
  CHECK(refused(put_and_check) == errc::duplicate_key);
  put_and_check.transact_items[1].condition_check->table_name = "other_table";
  CHECK(refused(put_and_check) == std::error_code{});

  // Two puts of one item: identical items, or the same key when another
  // action on the table tells the key's names.
  transact_write_items_request two_puts;
  two_puts.transact_items.push_back({.put = transact_put{.item = item{{"pk", "a"}, {"v", 1}}, .table_name = "tbl"}});
  two_puts.transact_items.push_back({.put = transact_put{.item = item{{"pk", "a"}, {"v", 1}}, .table_name = "tbl"}});
  CHECK(refused(two_puts) == errc::duplicate_key);
  two_puts.transact_items[1].put->item.insert_or_assign("v", 2);
  CHECK(refused(two_puts) == std::error_code{});  // the key's names are unknown: left to DynamoDB
  two_puts.transact_items.push_back({.delete_ = transact_delete{.key = item{{"pk", "z"}}, .table_name = "tbl"}});
  CHECK(refused(two_puts) == errc::duplicate_key);  // pk is the key: both put pk = "a"
  two_puts.transact_items[1].put->item.insert_or_assign("pk", "b");
  CHECK(refused(two_puts) == std::error_code{});
  two_puts.transact_items[1].put->item = item{{"pk", "a"}, {"v", 1}};
  two_puts.transact_items[1].put->table_name = "other_table";
  CHECK(refused(two_puts) == std::error_code{});

  transact_write_items_request two_actions;
  two_actions.transact_items.push_back({.put = transact_put{.item = item{{"pk", "a"}}, .table_name = "tbl"},
                                        .delete_ = transact_delete{.key = item{{"pk", "b"}}, .table_name = "tbl"}});
  CHECK(refused(two_actions) == errc::invalid_config);

  transact_write_items_request heavy;
  for (int i = 0; i < 12; ++i)
    heavy.transact_items.push_back(
        {.put = transact_put{.item = item{{"pk", i}, {"v", std::string(390 * 1024, 'x')}}, .table_name = "tbl"}});
  CHECK(refused(heavy) == errc::too_many_actions);  // 12 x 390 KB > 4 MB

  transact_get_items_request tg;
  tg.transact_items.push_back({.get = transact_get{.key = item{{"pk", 1}}, .table_name = "tbl"}});
  tg.transact_items.push_back({.get = transact_get{.key = item{{"pk", 1}}, .table_name = "tbl"}});
  CHECK(refused(tg) == errc::duplicate_key);
}
