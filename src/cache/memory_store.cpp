// The in-memory store: the embedded default for demos and tests. Its
// operations complete at once (they still go through the executor's
// co_await, so callers are written the same way as for DynamoDB).
#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "ddb/cache.hpp"
#include "ddb/error.hpp"

namespace ddb::cache {

struct memory_store::impl {
  std::string fingerprint;
  std::size_t dim = 0;
  bool opened = false;
  std::map<std::uint64_t, entry> entries;
  std::map<std::pair<std::string, std::string>, std::uint64_t> by_hash;
  std::map<std::string, std::size_t> quotas;
  std::uint64_t next_id = 1;
  std::uint64_t version = 0;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> log;  // (version, id), the last log_limit changes
  static constexpr std::size_t log_limit = 100000;

  void changed(std::uint64_t id) {
    log.emplace_back(++version, id);
    if (log.size() > log_limit) log.pop_front();
  }
};

memory_store::memory_store() : impl_(std::make_unique<impl>()) {}
memory_store::~memory_store() = default;

boost::asio::awaitable<void> memory_store::open(std::string fingerprint, std::size_t dim) {
  if (impl_->opened && (impl_->fingerprint != fingerprint || impl_->dim != dim))
    throw ddb::error(fail(errc::invalid_config, "the memory store holds embeddings of '" + impl_->fingerprint +
                                                    "' (dim " + std::to_string(impl_->dim) + "), not '" + fingerprint +
                                                    "' (dim " + std::to_string(dim) + "): use a store of its own"));
  impl_->fingerprint = std::move(fingerprint);
  impl_->dim = dim;
  impl_->opened = true;
  co_return;
}

boost::asio::awaitable<std::optional<entry>> memory_store::get_by_hash(std::string ns, std::string hash) {
  auto it = impl_->by_hash.find({ns, hash});
  if (it == impl_->by_hash.end()) co_return std::nullopt;
  co_return impl_->entries.at(it->second);
}

boost::asio::awaitable<std::optional<entry>> memory_store::get_by_id(std::uint64_t id) {
  auto it = impl_->entries.find(id);
  if (it == impl_->entries.end()) co_return std::nullopt;
  co_return it->second;
}

boost::asio::awaitable<std::uint64_t> memory_store::upsert(entry e) {
  auto key = std::make_pair(e.ns, e.query_hash);
  auto it = impl_->by_hash.find(key);
  e.id = it != impl_->by_hash.end() ? it->second : impl_->next_id++;
  impl_->by_hash[key] = e.id;
  e.version = impl_->version + 1;  // what changed() is about to record
  const std::uint64_t id = e.id;
  impl_->entries[id] = std::move(e);
  impl_->changed(id);
  co_return id;
}

boost::asio::awaitable<bool> memory_store::remove(std::uint64_t id) {
  auto it = impl_->entries.find(id);
  if (it == impl_->entries.end()) co_return false;
  impl_->by_hash.erase({it->second.ns, it->second.query_hash});
  impl_->entries.erase(it);
  impl_->changed(id);
  co_return true;
}

boost::asio::awaitable<bool> memory_store::remove_if_unchanged(const entry& seen) {
  auto it = impl_->entries.find(seen.id);
  if (it == impl_->entries.end() || it->second.version != seen.version) co_return false;
  co_return co_await remove(seen.id);
}

boost::asio::awaitable<void> memory_store::record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) {
  auto it = impl_->entries.find(id);
  if (it == impl_->entries.end()) co_return;  // removed meanwhile: nothing to record
  it->second.last_accessed_at = std::max(it->second.last_accessed_at, at);
  it->second.access_count += count;
}

boost::asio::awaitable<std::vector<std::uint64_t>> memory_store::lru_ids(std::optional<std::string> ns, std::size_t n) {
  std::vector<std::pair<epoch_seconds, std::uint64_t>> order;
  for (const auto& [id, e] : impl_->entries)
    if (!ns || e.ns == *ns) order.emplace_back(e.last_accessed_at, id);
  const std::size_t k = std::min(n, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end());
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(order[i].second);
  co_return out;
}

boost::asio::awaitable<store_snapshot> memory_store::load_all() {
  store_snapshot s;
  for (const auto& [id, e] : impl_->entries) s.entries.push_back(e);
  s.cursor.version = impl_->version;
  co_return s;
}

boost::asio::awaitable<store_changes> memory_store::changes_since(store_cursor at) {
  const std::uint64_t cursor = at.version;
  store_changes c;
  c.cursor.version = impl_->version;
  if (cursor == impl_->version) co_return c;
  if (impl_->log.empty() || impl_->log.front().first > cursor + 1) {
    c.full_reload = true;
    co_return c;
  }
  std::vector<std::uint64_t> ids;
  for (auto it = impl_->log.rbegin(); it != impl_->log.rend() && it->first > cursor; ++it) ids.push_back(it->second);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (std::uint64_t id : ids) {
    auto e = impl_->entries.find(id);
    if (e == impl_->entries.end())
      c.removed.push_back(id);
    else
      c.changed.push_back(e->second);
  }
  co_return c;
}

boost::asio::awaitable<std::optional<std::size_t>> memory_store::quota(std::string ns) {
  auto it = impl_->quotas.find(ns);
  if (it == impl_->quotas.end()) co_return std::nullopt;
  co_return it->second;
}

boost::asio::awaitable<void> memory_store::set_quota(std::string ns, std::optional<std::size_t> max_entries) {
  if (max_entries)
    impl_->quotas[ns] = *max_entries;
  else
    impl_->quotas.erase(ns);
  co_return;
}

}  // namespace ddb::cache
