// The DynamoDB store: finds (or creates) the table, tells its layout from its
// key schema, and hands every call to that layout's store
// (store_mneme.cpp, store_lean.cpp).
//   partition key `id` (N), gsi_hash projecting ALL      mneme layout
//   partition key `id` (N), gsi_hash projecting KEYS_ONLY written by ddb
//        before layouts (absolute `ttl`, hash-guard items): refused, with the
//        migration command that copies it
//   partition key `k` (N)                                lean layout
#include "cache/dynamodb_common.hpp"
#include "ddb/limits.hpp"

namespace ddb::cache {
namespace asio = boost::asio;

const char* to_string(table_layout l) noexcept {
  switch (l) {
    case table_layout::detect: return "detect";
    case table_layout::mneme: return "mneme";
    case table_layout::lean: return "lean";
  }
  return "unknown";
}

struct dynamodb_store::impl {
  impl(ddb::client& c, dynamodb_store_options o) : client(c), opt(std::move(o)) {}
  ddb::client& client;
  dynamodb_store_options opt;
  table_layout layout = table_layout::detect;
  std::unique_ptr<store> chosen;
  detail::mneme_store* mneme = nullptr;
  detail::lean_store* lean = nullptr;

  store& use() {
    if (!chosen)
      throw ddb::error(fail(errc::invalid_config, "dynamodb_store for " + opt.table_name + ": call open() first"));
    return *chosen;
  }
  void choose(table_layout l) {
    layout = l;
    if (l == table_layout::mneme) {
      auto s = std::make_unique<detail::mneme_store>(client, opt, false);
      mneme = s.get();
      chosen = std::move(s);
    } else {
      auto s = std::make_unique<detail::lean_store>(client, opt);
      lean = s.get();
      chosen = std::move(s);
    }
  }
};

// migrate() writes lean entries with an age condition, which only the lean part offers.
struct migrate_access {
  static detail::lean_store* lean(dynamodb_store& s) { return s.impl_->lean; }
};
detail::lean_store* lean_part(dynamodb_store& s) { return migrate_access::lean(s); }

dynamodb_store::dynamodb_store(ddb::client& c, dynamodb_store_options opt)
    : impl_(std::make_unique<impl>(c, std::move(opt))) {
  const auto& o = impl_->opt;
  if (auto ok = limits::check_table_name(o.table_name); !ok) throw ddb::error(std::move(ok).error());
  if (o.max_attempts < 1) throw ddb::error(fail(errc::invalid_config, "max_attempts must be at least 1"));
  if (o.feed_shards < 1 || o.feed_shards > 64) throw ddb::error(fail(errc::invalid_config, "feed_shards must be 1 to 64"));
  if (o.retention < std::chrono::minutes(1))
    throw ddb::error(fail(errc::invalid_config, "retention must be at least a minute (it is how long deletions stay readable)"));
  if (o.sync_window < std::chrono::milliseconds(0) || o.sync_window * 4 > o.retention)
    throw ddb::error(fail(errc::invalid_config, "sync_window must be 0 to a quarter of retention"));
}
dynamodb_store::~dynamodb_store() = default;

std::string dynamodb_store::name() const {
  return impl_->chosen ? impl_->chosen->name() : "dynamodb:" + impl_->opt.table_name;
}
table_layout dynamodb_store::layout() const noexcept { return impl_->layout; }

asio::awaitable<void> dynamodb_store::create_table() {
  impl& s = *impl_;
  if (s.opt.layout == table_layout::mneme)
    co_await detail::mneme_store::create(s.client, s.opt);
  else
    co_await detail::lean_store::create(s.client, s.opt);
}

asio::awaitable<void> dynamodb_store::open(std::string fingerprint, std::size_t dim) {
  impl& s = *impl_;
  detail::table_facts f = co_await detail::describe(s.client, s.opt.table_name);
  table_layout found = table_layout::detect;
  if (!f.exists) {
    if (!s.opt.create_table)
      throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name +
                                                      " does not exist: create it with dynamodb_store_options::create_table "
                                                      "= true (ddb cache ... --create-table), or name an existing cache table"));
    co_await create_table();
    found = s.opt.layout == table_layout::mneme ? table_layout::mneme : table_layout::lean;
  } else if (f.key == "k") {
    found = table_layout::lean;
  } else if (f.key == "id" && f.keys_only_hash_index) {
    throw ddb::error(fail(errc::invalid_config,
                          "table " + s.opt.table_name +
                              " was written by ddb before table layouts (KEYS_ONLY indexes, absolute ttl, hash guards): "
                              "copy it with `ddb cache migrate --table-name " + s.opt.table_name +
                              " --to-table NEW --layout lean` (or --layout mneme) and use the copy"));
  } else if (f.key == "id") {
    found = table_layout::mneme;
  } else {
    throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name + " (partition key '" + f.key +
                                                    "') is not a cache table: name a table made by ddb or mneme, or a new one"));
  }
  if (s.opt.layout != table_layout::detect && s.opt.layout != found)
    throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name + " has the " + to_string(found) +
                                                    " layout, not " + to_string(s.opt.layout) +
                                                    ": open it with layout detect (--layout omitted), or migrate it with "
                                                    "`ddb cache migrate`"));
  s.choose(found);
  co_await s.chosen->open(std::move(fingerprint), dim);
}

asio::awaitable<std::optional<entry>> dynamodb_store::get_by_hash(std::string ns, std::string hash) {
  return impl_->use().get_by_hash(std::move(ns), std::move(hash));
}
asio::awaitable<std::optional<entry>> dynamodb_store::get_by_id(std::uint64_t id) { return impl_->use().get_by_id(id); }
asio::awaitable<std::uint64_t> dynamodb_store::upsert(entry e) { return impl_->use().upsert(std::move(e)); }
asio::awaitable<bool> dynamodb_store::remove(std::uint64_t id) { return impl_->use().remove(id); }
asio::awaitable<bool> dynamodb_store::remove_if_unchanged(const entry& seen) { return impl_->use().remove_if_unchanged(seen); }
asio::awaitable<void> dynamodb_store::record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) {
  return impl_->use().record_access(id, at, count);
}
asio::awaitable<void> dynamodb_store::record_accesses(std::vector<access_record> records) {
  return impl_->use().record_accesses(std::move(records));
}
asio::awaitable<std::vector<std::uint64_t>> dynamodb_store::lru_ids(std::optional<std::string> ns, std::size_t n) {
  return impl_->use().lru_ids(std::move(ns), n);
}
asio::awaitable<store_snapshot> dynamodb_store::load_all() { return impl_->use().load_all(); }
asio::awaitable<store_changes> dynamodb_store::changes_since(store_cursor cursor) {
  return impl_->use().changes_since(cursor);
}
asio::awaitable<std::optional<std::size_t>> dynamodb_store::quota(std::string ns) { return impl_->use().quota(std::move(ns)); }
asio::awaitable<void> dynamodb_store::set_quota(std::string ns, std::optional<std::size_t> max_entries) {
  return impl_->use().set_quota(std::move(ns), max_entries);
}
asio::awaitable<void> dynamodb_store::import_entries(std::vector<entry> entries) {
  impl_->use();
  if (impl_->mneme) return impl_->mneme->import_entries(std::move(entries));
  return impl_->lean->import_entries(std::move(entries));
}

}  // namespace ddb::cache
