#pragma once
// What the DynamoDB store's two layouts share: attribute readers, the
// creation waiter, table detection, and the layout classes themselves (each
// a cache::store; dynamodb_store picks one when it opens the table).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"

namespace ddb::cache::detail {

inline constexpr auto tuple_token = boost::asio::as_tuple(boost::asio::use_awaitable);

std::int64_t num(const item& it, const char* name, std::int64_t fallback = 0);
std::string str(const item& it, const char* name);

// What DescribeTable says about a table, as far as the cache cares.
struct table_facts {
  bool exists = false;
  std::string key;  // the partition key's name ("id": mneme family, "k": lean)
  bool keys_only_hash_index = false;  // gsi_hash projects KEYS_ONLY: written by ddb before layouts
};
boost::asio::awaitable<table_facts> describe(ddb::client& c, const std::string& table);
// Waits (up to 2 minutes) for a created table to be ACTIVE.
boost::asio::awaitable<void> wait_active(ddb::client& c, const std::string& table);
// The meta item's update for a namespace quota (both layouts keep `quotas` there).
boost::asio::awaitable<std::optional<std::size_t>> read_quota(ddb::client& c, const std::string& table, item key,
                                                              std::string ns);
boost::asio::awaitable<void> write_quota(ddb::client& c, const std::string& table, item key, std::string ns,
                                         std::optional<std::size_t> max_entries);
// Items by key (consistent BatchGetItem; absent keys are left out), and
// puts by BatchWriteItem; both fail with errc::unprocessed naming `what`
// when DynamoDB keeps refusing some.
boost::asio::awaitable<std::vector<item>> read_keys(ddb::client& c, const std::string& table, const char* key,
                                                    std::vector<item> keys, const char* what);
boost::asio::awaitable<void> write_all(ddb::client& c, const std::string& table, const char* key,
                                       std::vector<write_request> writes, const char* what);
// Refuses another embedder: the meta item's fingerprint and dim must match.
void check_embedder(const std::string& table, const item& meta, const std::string& fingerprint, std::size_t dim);
// Refuses an entry whose item would pass DynamoDB's 400 KB.
void check_item_size(const item& it, std::size_t embedding_bytes);
// The time now by DynamoDB's clock (the client's estimate of its skew applied).
std::int64_t server_seconds(const ddb::client& c);
std::int64_t server_millis(const ddb::client& c);

// mneme's schema, shared with mneme's own DynamoDBStore (store_mneme.cpp).
class mneme_store final : public store {
 public:
  mneme_store(ddb::client& c, dynamodb_store_options opt, bool legacy);
  ~mneme_store() override;
  std::string name() const override { return "dynamodb:" + opt_table() + " (mneme layout)"; }
  static boost::asio::awaitable<void> create(ddb::client& c, const dynamodb_store_options& opt);
  boost::asio::awaitable<void> open(std::string fingerprint, std::size_t dim) override;
  boost::asio::awaitable<std::optional<entry>> get_by_hash(std::string ns, std::string hash) override;
  boost::asio::awaitable<std::optional<entry>> get_by_id(std::uint64_t id) override;
  boost::asio::awaitable<std::uint64_t> upsert(entry e) override;
  boost::asio::awaitable<bool> remove(std::uint64_t id) override;
  boost::asio::awaitable<bool> remove_if_unchanged(const entry& seen) override;
  boost::asio::awaitable<void> record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) override;
  boost::asio::awaitable<std::vector<std::uint64_t>> lru_ids(std::optional<std::string> ns, std::size_t n) override;
  boost::asio::awaitable<store_snapshot> load_all() override;
  boost::asio::awaitable<store_changes> changes_since(store_cursor cursor) override;
  boost::asio::awaitable<std::optional<std::size_t>> quota(std::string ns) override;
  boost::asio::awaitable<void> set_quota(std::string ns, std::optional<std::size_t> max_entries) override;
  boost::asio::awaitable<void> import_entries(std::vector<entry> entries);
  // A namespace whose entries changes_since should look for (it learns them from what it reads).
  void learn_namespace(const std::string& ns);

  struct impl;

 private:
  std::string opt_table() const;
  boost::asio::awaitable<bool> remove_entry(std::uint64_t id, const entry* seen);
  std::unique_ptr<impl> impl_;
};
// An entry item of the mneme layout (a duration `ttl`; absolute when legacy).
entry mneme_entry_from_item(const item& it, bool legacy);
// An entry item of the lean layout (entry_items.cpp).
entry lean_entry_from_item(const item& it);

// ddb's lean schema (store_lean.cpp).
class lean_store final : public store {
 public:
  lean_store(ddb::client& c, dynamodb_store_options opt);
  ~lean_store() override;
  std::string name() const override { return "dynamodb:" + opt_table() + " (lean layout)"; }
  static boost::asio::awaitable<void> create(ddb::client& c, const dynamodb_store_options& opt);
  boost::asio::awaitable<void> open(std::string fingerprint, std::size_t dim) override;
  boost::asio::awaitable<std::optional<entry>> get_by_hash(std::string ns, std::string hash) override;
  boost::asio::awaitable<std::optional<entry>> get_by_id(std::uint64_t id) override;
  boost::asio::awaitable<std::uint64_t> upsert(entry e) override;
  boost::asio::awaitable<bool> remove(std::uint64_t id) override;
  boost::asio::awaitable<bool> remove_if_unchanged(const entry& seen) override;
  boost::asio::awaitable<void> record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) override;
  boost::asio::awaitable<void> record_accesses(std::vector<access_record> records) override;
  boost::asio::awaitable<std::vector<std::uint64_t>> lru_ids(std::optional<std::string> ns, std::size_t n) override;
  boost::asio::awaitable<store_snapshot> load_all() override;
  boost::asio::awaitable<store_changes> changes_since(store_cursor cursor) override;
  boost::asio::awaitable<std::optional<std::size_t>> quota(std::string ns) override;
  boost::asio::awaitable<void> set_quota(std::string ns, std::optional<std::size_t> max_entries) override;
  boost::asio::awaitable<void> import_entries(std::vector<entry> entries);
  // Writes `e` (keyed by its prompt) unless the table holds that prompt
  // written after e.created_at, or deleted: for migrations. True if written.
  boost::asio::awaitable<bool> put_if_older(entry e);
  // Deletes the prompt's entry if it was created at or before `created_at`.
  boost::asio::awaitable<void> remove_if_older(std::string ns, std::string hash, epoch_seconds created_at);
  // The meta item (k = 0), consistent; empty when missing.
  boost::asio::awaitable<item> meta();
  boost::asio::awaitable<void> update_meta(update_item_request u);

  struct impl;

 private:
  std::string opt_table() const;
  boost::asio::awaitable<bool> tombstone(std::uint64_t id, std::optional<std::int64_t> only_stamp);
  std::unique_ptr<impl> impl_;
};
// The lean layout's key for a prompt: 63 bits of SHA-256(ns "\n" hash), >= 1.
std::uint64_t lean_id(const std::string& ns, const std::string& hash);

}  // namespace ddb::cache::detail

namespace ddb::cache {
// The lean part of an opened lean-layout store (nullptr otherwise): for migrate().
detail::lean_store* lean_part(dynamodb_store& s);
}  // namespace ddb::cache
