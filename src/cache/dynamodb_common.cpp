// Helpers both DynamoDB layouts use (see dynamodb_common.hpp).
#include "cache/dynamodb_common.hpp"

#include "ddb/batch.hpp"
#include "ddb/limits.hpp"
#include "ddb/waiters.hpp"

namespace ddb::cache::detail {
namespace asio = boost::asio;

asio::awaitable<table_facts> describe(ddb::client& c, const std::string& table) {
  describe_table_request d;
  d.table_name = table;
  auto [ec, desc] = co_await c.describe_table(d, tuple_token);
  table_facts f;
  if (ec == service_errc::resource_not_found) co_return f;
  if (ec) ddb::detail::throw_operation_error(ec, std::move(desc.diag));
  f.exists = true;
  if (!desc.table) co_return f;
  for (const auto& k : desc.table->key_schema)
    if (k.key_type == ddb::key_type::hash) f.key = k.attribute_name;
  for (const auto& g : desc.table->global_secondary_indexes)
    if (g.index_name && *g.index_name == "gsi_hash" && g.projection && g.projection->projection_type &&
        *g.projection->projection_type == ddb::projection_type::keys_only)
      f.keys_only_hash_index = true;
  co_return f;
}

asio::awaitable<void> wait_active(ddb::client& c, const std::string& table) {
  waiter_options w;
  w.delay = std::chrono::milliseconds(200);
  w.timeout = std::chrono::seconds(120);
  co_await wait_table_exists(c, table, w);
}

asio::awaitable<std::optional<std::size_t>> read_quota(ddb::client& c, const std::string& table, item key, std::string ns) {
  get_item_request r;
  r.table_name = table;
  r.key = std::move(key);
  r.consistent_read = true;
  r.projection_expression = "quotas.#ns";
  r.expression_attribute_names = {{"#ns", ns}};
  get_item_response resp = co_await c.get_item(r);
  const value* q = resp.item.find("quotas");
  if (!q || q->kind() != ddb::type::map) co_return std::nullopt;
  const std::int64_t v = num(q->as_map(), ns.c_str(), -1);
  if (v < 0) co_return std::nullopt;
  co_return static_cast<std::size_t>(v);
}

asio::awaitable<void> write_quota(ddb::client& c, const std::string& table, item key, std::string ns,
                                  std::optional<std::size_t> max_entries) {
  update_item_request u;
  u.table_name = table;
  u.key = std::move(key);
  u.expression_attribute_names = {{"#ns", ns}};
  if (max_entries) {
    u.update_expression = "SET quotas.#ns = :q";
    u.expression_attribute_values = item{{":q", value(static_cast<std::int64_t>(*max_entries))}};
  } else {
    u.update_expression = "REMOVE quotas.#ns";
  }
  // Conditional like every other write: only into an opened cache table.
  u.condition_expression = "attribute_exists(embedder_fingerprint)";
  auto [ec, r] = co_await c.update_item(u, tuple_token);
  if (ec == service_errc::conditional_check_failed)
    throw ddb::error(fail(errc::invalid_config, "table " + table + " has no cache meta item: open the store first"));
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
}

asio::awaitable<std::vector<item>> read_keys(ddb::client& c, const std::string& table, const char* key,
                                             std::vector<item> keys, const char* what) {
  std::vector<item> out;
  if (keys.empty()) co_return out;
  keys_and_attributes want;
  want.consistent_read = true;
  want.keys = std::move(keys);
  batch_options bo;
  bo.key_attributes[table] = {key};
  std::map<std::string, keys_and_attributes> reads;  // named: GCC 12 mishandles braced lists in co_await
  reads.emplace(table, std::move(want));
  batch_get_outcome got = co_await batch_get(c, std::move(reads), bo);
  if (!got.ok())
    throw ddb::error(fail(errc::unprocessed, std::string(what) + " in " + table + ": " + std::to_string(got.failed.size()) +
                                                 " keys stayed unprocessed (" + got.failed.front().message + ")"));
  out = std::move(got.items[table]);
  co_return out;
}

asio::awaitable<void> write_all(ddb::client& c, const std::string& table, const char* key,
                                std::vector<write_request> writes, const char* what) {
  batch_options bo;
  bo.concurrency = 8;
  bo.key_attributes[table] = {key};
  std::map<std::string, std::vector<write_request>> all;
  all[table] = std::move(writes);
  batch_write_outcome out = co_await batch_write(c, std::move(all), bo);
  if (!out.ok())
    throw ddb::error(fail(errc::unprocessed, std::string(what) + ": " + std::to_string(out.failed.size()) +
                                                 " writes did not go through (" + out.failed.front().message + ")"));
}

void check_embedder(const std::string& table, const item& meta, const std::string& fingerprint, std::size_t dim) {
  const std::string have = str(meta, "embedder_fingerprint");
  const std::int64_t have_dim = num(meta, "embedder_dim");
  if (have != fingerprint || have_dim != static_cast<std::int64_t>(dim))
    throw ddb::error(fail(errc::invalid_config, "table " + table + " holds embeddings of '" + have + "' (dim " +
                                                    std::to_string(have_dim) + "), not '" + fingerprint + "' (dim " +
                                                    std::to_string(dim) + "): use another table, or the same embedder"));
}

void check_item_size(const item& it, std::size_t embedding_bytes) {
  const std::size_t size = limits::item_size(it);
  if (size > limits::max_item_bytes)
    throw ddb::error(fail(errc::item_too_large, "the entry would be a " + std::to_string(size) +
                                                    "-byte item, over DynamoDB's 400 KB: shorten the response or metadata "
                                                    "(the embedding takes " + std::to_string(embedding_bytes) + ")"));
}

std::int64_t server_millis(const ddb::client& c) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(c.server_time().time_since_epoch()).count();
}
std::int64_t server_seconds(const ddb::client& c) { return server_millis(c) / 1000; }

}  // namespace ddb::cache::detail
