#pragma once
// Helpers for the semantic cache's DynamoDB tests: fresh table names, raw
// reads of a table, and mneme's DynamoDBStore reproduced write by write (its
// source, src/mneme/_store_dynamodb.py: the items and transactions it sends),
// so that tests can play a mneme process beside ddb.
#include <boost/asio/awaitable.hpp>

#include <cstring>
#include <random>
#include <set>
#include <string>

#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/paginate.hpp"
#include "ddb/waiters.hpp"
#include "helpers/run_all.hpp"
#include "support/with_client.hpp"

namespace ddb::test {

inline std::string fresh_table(const char* what) {
  static std::mt19937 rng(std::random_device{}());
  return std::string("cache_") + what + "_" + std::to_string(rng() % 1000000);
}

// A client for DynamoDB Local (found through the environment).
template <class F>
void with_local(F f) {
  with_client(client_config{}, std::move(f), std::chrono::seconds(150));
}

// Both caches put the same new prompt at once, `rounds` times (a new prompt
// each round); returns how many of those puts failed.
inline boost::asio::awaitable<int> race_same_prompt(cache::semantic_cache& a, cache::semantic_cache& b, int rounds) {
  int failures = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string prompt = "Same prompt " + std::to_string(round);
    co_await ddb::detail::run_all(2, [&](std::size_t i) -> boost::asio::awaitable<void> {
      try {
        cache::semantic_cache& who = i == 0 ? a : b;
        std::string answer = i == 0 ? "a" : "b";
        std::string q = prompt;
        co_await who.put(std::move(q), std::move(answer));
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  co_return failures;
}

inline cache::cache_options fast_sync() {
  cache::cache_options o;
  o.sync_interval = std::chrono::milliseconds(0);
  o.scorer_threads = 1;
  return o;
}

inline boost::asio::awaitable<std::vector<item>> scan_table(client& c, std::string table) {
  scan_request r;
  r.table_name = table;
  r.consistent_read = true;
  co_return co_await scan_all(c, r);
}

inline std::set<std::string> names_of(const item& it) {
  std::set<std::string> out;
  for (const auto& [k, v] : it) out.insert(k);
  return out;
}

inline boost::asio::awaitable<void> drop_table(client& c, std::string table) {
  delete_table_request d;
  d.table_name = table;
  co_await c.delete_table(d);
}

inline std::int64_t int_of(const item& it, const char* name) { return it.at(name).as_number().to<std::int64_t>().value(); }

inline bytes f32_bytes(const std::vector<float>& v) {
  bytes b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

inline std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A mneme process, as its DynamoDBStore writes.
struct mneme_writer {
  client& c;
  std::string table;

  // _ensure_table with create_table=True: ALL projections, no TTL.
  boost::asio::awaitable<void> create_table() {
    create_table_request r;
    r.table_name = table;
    r.attribute_definitions = {{"id", ddb::scalar_attribute_type::n}, {"namespace", ddb::scalar_attribute_type::s}, {"query_hash", ddb::scalar_attribute_type::s}, {"last_accessed_at", ddb::scalar_attribute_type::n}};
    r.key_schema = {{"id", ddb::key_type::hash}};
    r.billing_mode = ddb::billing_mode::pay_per_request;
    global_secondary_index h, l;
    h.index_name = "gsi_hash";
    h.key_schema = {{"namespace", ddb::key_type::hash}, {"query_hash", ddb::key_type::range}};
    h.projection.projection_type = ddb::projection_type::all;
    l.index_name = "gsi_lru";
    l.key_schema = {{"namespace", ddb::key_type::hash}, {"last_accessed_at", ddb::key_type::range}};
    l.projection.projection_type = ddb::projection_type::all;
    r.global_secondary_indexes = {h, l};
    co_await c.create_table(r);
    co_await wait_table_exists(c, table);
  }

  // _ensure_counter on an empty table.
  boost::asio::awaitable<void> open(std::string fingerprint, std::int64_t dim) {
    put_item_request p;
    p.table_name = table;
    p.item = item{{"id", value(0)},
                  {"next_id", value(1)},
                  {"version_counter", value(0)},
                  {"embedder_fingerprint", value(fingerprint)},
                  {"embedder_dim", value(dim)},
                  {"meta", value(item{})},
                  {"quotas", value(item{})}};
    p.condition_expression = "attribute_not_exists(id)";
    co_await c.put_item(p);
  }

  // _entry_to_item: a SemanticCache.put of (query, response) now.
  static item entry_item(std::int64_t id, const std::string& ns, const std::string& query, const std::string& response,
                         const std::vector<float>& embedding, std::int64_t created_at, std::optional<std::int64_t> ttl) {
    item it{{"id", value(id)},
            {"namespace", value(ns)},
            {"query_hash", value(cache::query_hash(cache::normalize(query)))},
            {"query", value(query)},
            {"response", value(response)},
            {"embedding", value(f32_bytes(embedding))},
            {"metadata", value("{}")},
            {"created_at", value(created_at)},
            {"last_accessed_at", value(created_at)},
            {"access_count", value(0)}};
    if (ttl) it.insert_or_assign("ttl", value(*ttl));
    return it;
  }

  boost::asio::awaitable<item> counter() {
    get_item_request g;
    g.table_name = table;
    g.key = item{{"id", value(0)}};
    g.consistent_read = true;
    get_item_response r = co_await c.get_item(g);
    co_return r.item;
  }

  // insert() of a new prompt: the entry and the conditional counter update in one transaction.
  boost::asio::awaitable<std::int64_t> insert(std::string ns, std::string query, std::string response, std::vector<float> v,
                                              std::int64_t created_at, std::optional<std::int64_t> ttl = std::nullopt) {
    item cnt = co_await counter();
    const std::int64_t id = int_of(cnt, "next_id"), ver = int_of(cnt, "version_counter");
    transact_write_items_request r;
    transact_write_item put, upd;
    put.put = transact_put{};
    put.put->table_name = table;
    put.put->item = entry_item(id, ns, query, response, v, created_at, ttl);
    put.put->condition_expression = "attribute_not_exists(id)";
    upd.update = transact_update{};
    upd.update->table_name = table;
    upd.update->key = item{{"id", value(0)}};
    upd.update->update_expression = "SET next_id = :nid, version_counter = :nver";
    upd.update->condition_expression = "next_id = :cur_nid AND version_counter = :cur_ver";
    upd.update->expression_attribute_values = item{
        {":nid", value(id + 1)}, {":nver", value(ver + 1)}, {":cur_nid", value(id)}, {":cur_ver", value(ver)}};
    r.transact_items = {put, upd};
    co_await c.transact_write_items(r);
    co_return id;
  }

  static transact_write_item bump() {
    transact_write_item upd;
    upd.update = transact_update{};
    upd.update->key = item{{"id", value(0)}};
    upd.update->update_expression = "ADD version_counter :one";
    upd.update->expression_attribute_values = item{{":one", value(1)}};
    return upd;
  }

  // insert() of a prompt gsi_hash already has: the whole item replaced, no condition, a bump.
  boost::asio::awaitable<void> reput(std::int64_t id, std::string ns, std::string query, std::string response,
                                     std::vector<float> v, std::int64_t created_at) {
    transact_write_items_request r;
    transact_write_item put;
    put.put = transact_put{};
    put.put->table_name = table;
    put.put->item = entry_item(id, ns, query, response, v, created_at, std::nullopt);
    transact_write_item b = bump();
    b.update->table_name = table;
    r.transact_items = {put, b};
    co_await c.transact_write_items(r);
  }

  // update_access(): the hit and a bump, in one transaction.
  boost::asio::awaitable<void> access(std::int64_t id, std::int64_t now) {
    transact_write_items_request r;
    transact_write_item upd;
    upd.update = transact_update{};
    upd.update->table_name = table;
    upd.update->key = item{{"id", value(id)}};
    upd.update->update_expression = "SET last_accessed_at = :now ADD access_count :one";
    upd.update->condition_expression = "attribute_exists(id)";
    upd.update->expression_attribute_values = item{{":now", value(now)}, {":one", value(1)}};
    transact_write_item b = bump();
    b.update->table_name = table;
    r.transact_items = {upd, b};
    co_await c.transact_write_items(r);
  }

  // delete_by_id().
  boost::asio::awaitable<void> remove(std::int64_t id) {
    transact_write_items_request r;
    transact_write_item del;
    del.delete_ = transact_delete{};
    del.delete_->table_name = table;
    del.delete_->key = item{{"id", value(id)}};
    del.delete_->condition_expression = "attribute_exists(id)";
    transact_write_item b = bump();
    b.update->table_name = table;
    r.transact_items = {del, b};
    co_await c.transact_write_items(r);
  }

  // get_by_hash(): the gsi_hash item itself (None when the index has no such prompt).
  boost::asio::awaitable<std::optional<item>> get_by_hash(std::string ns, std::string query) {
    query_request q;
    q.table_name = table;
    q.index_name = "gsi_hash";
    q.key_condition_expression = "#ns = :ns AND query_hash = :qh";
    q.expression_attribute_names = {{"#ns", "namespace"}};
    q.expression_attribute_values =
        item{{":ns", value(ns)}, {":qh", value(cache::query_hash(cache::normalize(query)))}};
    q.limit = 1;
    query_response r = co_await c.query(q);
    if (r.items.empty()) co_return std::nullopt;
    co_return r.items.front();
  }
};

}  // namespace ddb::test
