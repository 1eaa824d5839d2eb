// The semantic cache: mneme's two layers on a store, with the vectors
// mirrored in a ddb::vec index that a scorer searches on a thread pool.
//
// State lives on the loop's executor: the index, the mirror of which ids it
// holds (namespace tag, hash, expiry), the counters, the accesses waiting to
// be written and the queue of searches. The store is the truth; the mirror
// catches up with other writers through store::changes_since (at most every
// sync_interval) and with this cache's own writes at once.
//
// Searches coalesce: a get that arrives while a scan runs waits for the next
// pass, which scores every waiting query at once with the batch kernel (one
// batch per namespace), so throughput rises with concurrency.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <limits>
#include <cmath>
#include <set>
#include <unordered_map>

#include "core/flat_json.hpp"
#include "ddb/cache.hpp"
#include "ddb/error.hpp"
#include "ddb/vec/scorer.hpp"

namespace ddb::cache {

const char* to_string(miss_reason r) noexcept {
  switch (r) {
    case miss_reason::none: return "none";
    case miss_reason::bypass: return "bypass";
    case miss_reason::embedder_failure: return "embedder_failure";
    case miss_reason::dim_mismatch: return "dim_mismatch";
    case miss_reason::below_threshold: return "below_threshold";
    case miss_reason::no_match: return "no_match";
    case miss_reason::expired: return "expired";
  }
  return "unknown";
}

// The default: one record_access per record, in order.
boost::asio::awaitable<void> store::record_accesses(std::vector<access_record> records) {
  for (const access_record& r : records) co_await record_access(r.id, r.at, r.count);
}

namespace detail {
namespace asio = boost::asio;
using clock = std::chrono::system_clock;

namespace {

bool default_validator(std::string_view r) {
  if (r.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) return false;
  return r.rfind("[LLM Error]", 0) != 0 && r.rfind("[ERROR]", 0) != 0;
}

// Unit length, or an error naming what is wrong with the vector.
std::optional<std::string> normalize_vector(std::vector<float>& v) {
  double n = 0;
  for (float x : v) {
    if (!std::isfinite(x)) return "the embedding holds NaN or infinity";
    n += double(x) * x;
  }
  if (n == 0) return "the embedding is all zeros";
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : v) x *= inv;
  return std::nullopt;
}


}  // namespace

struct pending_search {
  std::vector<float> query;
  std::uint32_t tag = 0;
  asio::any_completion_handler<void(std::exception_ptr, vec::matches)> handler;
};

// The embedder's dimension, once the store and the embedder are known to be
// there: the index is built from it before the constructor's body runs, and
// without this check a missing embedder surfaced as the index's "dimension 0".
std::size_t checked_dim(const std::shared_ptr<store>& s, const std::shared_ptr<cache::embedder>& e) {
  if (!s || !e) throw ddb::error(fail(errc::invalid_config, "semantic_cache needs a store and an embedder"));
  return e->dim();
}

struct cache_impl : std::enable_shared_from_this<cache_impl> {
  cache_impl(asio::any_io_executor e, std::shared_ptr<store> s, std::shared_ptr<cache::embedder> em, cache_options o)
      : ex(std::move(e)), st(std::move(s)), emb(std::move(em)), opt(std::move(o)), threshold(opt.similarity_threshold),
        idx(vec::index_options{checked_dim(st, emb), vec::element_type::f32}), access_timer(ex) {
    if (!opt.validator) opt.validator = default_validator;
    if (!(opt.similarity_threshold >= -1 && opt.similarity_threshold <= 1))
      throw ddb::error(fail(errc::invalid_config, "similarity_threshold must be -1 to 1"));
    if (opt.half_life.count() <= 0) throw ddb::error(fail(errc::invalid_config, "half_life must be positive"));
    scorer = opt.scorer_pool ? std::make_unique<vec::scorer>(ex, idx, *opt.scorer_pool, std::max<std::size_t>(opt.scorer_threads, 1))
                             : std::make_unique<vec::scorer>(ex, idx, opt.scorer_threads);
  }

  asio::any_io_executor ex;
  std::shared_ptr<store> st;
  std::shared_ptr<cache::embedder> emb;
  cache_options opt;
  float threshold;
  vec::index idx;
  std::unique_ptr<vec::scorer> scorer;
  bool opened = false;

  struct local {
    std::uint32_t tag = 0;
    std::optional<epoch_seconds> expires_at;
  };
  std::unordered_map<std::uint64_t, local> mirror;
  std::map<std::string, std::uint32_t> tags;
  std::vector<std::string> tag_names;
  std::vector<std::size_t> tag_counts;
  std::map<std::string, std::size_t> quotas;
  std::map<std::string, namespace_stats> stats_by_ns;  // hits, misses, evictions (entries and memory: from the mirror)
  store_cursor cursor;
  std::chrono::steady_clock::time_point last_sync{};

  struct access {
    epoch_seconds at = 0;
    std::int64_t count = 0;
  };
  std::unordered_map<std::uint64_t, access> accesses;  // waiting to be written
  asio::steady_timer access_timer;
  bool access_timer_armed = false;
  int writers = 0;      // access writers running
  bool closed = false;  // the semantic_cache is gone: background work stops (its store may be going too)

  std::vector<pending_search> queue;
  bool scanning = false;
  std::uint64_t queries_scored = 0, scan_passes = 0;
  std::uint64_t syncs = 0, full_reloads = 0;

  epoch_seconds now() const {
    const auto t = opt.clock ? opt.clock() : clock::now();
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  }

  std::uint32_t tag_of(const std::string& ns) {
    auto it = tags.find(ns);
    if (it != tags.end()) return it->second;
    const auto t = static_cast<std::uint32_t>(tag_names.size());
    tags.emplace(ns, t);
    tag_names.push_back(ns);
    tag_counts.push_back(0);
    return t;
  }

  void mirror_entry(const entry& e) {
    if (e.embedding.size() != idx.dim()) return;  // not ours to score (checked on open and put)
    const std::uint32_t t = tag_of(e.ns);
    auto it = mirror.find(e.id);
    if (it != mirror.end()) --tag_counts[it->second.tag];
    try {
      idx.upsert(e.id, e.embedding, t);
    } catch (const vec::error&) {  // NaN or zero written by someone else: unscorable
      if (it != mirror.end()) {
        idx.remove(e.id);
        mirror.erase(it);
      }
      return;
    }
    mirror[e.id] = local{t, e.expires_at};
    ++tag_counts[t];
  }

  // Removes the mirrored entries pick(entry) selects, one after another (one
  // already gone by its turn is skipped), and counts those the store removed,
  // telling removed(namespace) about each.
  template <class Pick, class Removed>
  asio::awaitable<std::size_t> remove_mirrored(Pick pick, Removed removed) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, l] : mirror)
      if (pick(l)) ids.push_back(id);
    std::size_t n = 0;
    for (std::uint64_t id : ids) {
      auto it = mirror.find(id);
      if (it == mirror.end()) continue;
      const std::string name = tag_names[it->second.tag];
      if (co_await st->remove(id)) {
        ++n;
        removed(name);
      }
      forget(id);
    }
    co_return n;
  }

  void forget(std::uint64_t id) {
    auto it = mirror.find(id);
    if (it == mirror.end()) return;
    --tag_counts[it->second.tag];
    idx.remove(id);
    mirror.erase(it);
    accesses.erase(id);
  }

  void reload(const store_snapshot& s) {
    idx.clear();
    mirror.clear();
    std::fill(tag_counts.begin(), tag_counts.end(), 0);
    for (const entry& e : s.entries) mirror_entry(e);
    cursor = s.cursor;
  }

  asio::awaitable<void> sync(bool force = false) {
    const auto t = std::chrono::steady_clock::now();
    if (!force && t - last_sync < opt.sync_interval) co_return;
    last_sync = t;
    ++syncs;
    store_changes c = co_await st->changes_since(cursor);
    if (c.full_reload) {
      ++full_reloads;
      reload(co_await st->load_all());
      co_return;
    }
    for (const entry& e : c.changed) mirror_entry(e);
    for (std::uint64_t id : c.removed) forget(id);
    cursor = c.cursor;
  }

  namespace_stats& stats_of(const std::string& ns) { return stats_by_ns[ns]; }

  lookup miss(const std::string& ns, miss_reason r, std::string detail = {}) {
    ++stats_of(ns).misses[to_string(r)];
    lookup out;
    out.reason = r;
    out.detail = std::move(detail);
    return out;
  }

  bool expired(const entry& e, epoch_seconds t) const { return e.expires_at && *e.expires_at <= t; }

  float confidence(float similarity, epoch_seconds age) const {
    const double halves = double(std::max<epoch_seconds>(age, 0)) / double(opt.half_life.count());
    return static_cast<float>(similarity * std::pow(0.5, halves));
  }

  // The hit, taking the entry's strings (the entry is not used after).
  cache::hit make_hit(entry&& e, float similarity, float conf, const char* layer, epoch_seconds t) const {
    cache::hit h;
    h.response = std::move(e.response);
    h.similarity = similarity;
    h.confidence = conf;
    h.age = std::chrono::seconds(std::max<epoch_seconds>(t - e.created_at, 0));
    h.layer = layer;
    h.ns = e.ns;
    h.metadata = std::move(e.metadata);
    return h;
  }

  // Removes an entry this cache found expired or invalid, unless it has been
  // re-put since it was read (a stale read must not delete a fresh answer).
  // Best effort: a get never fails because its clean-up lost a race.
  asio::awaitable<void> drop(const entry& e, bool is_expiry) {
    bool removed = false;
    try {
      removed = co_await st->remove_if_unchanged(e);
    } catch (const ddb::error&) {
      co_return;  // the next reader that finds it expired tries again
    }
    if (removed) {
      forget(e.id);
      if (is_expiry) ++stats_of(e.ns).expirations;
    }
  }

  // Notes a hit; the store hears of it at most once per access_write_interval.
  void record_access(std::uint64_t id, epoch_seconds t) {
    access& a = accesses[id];
    a.at = std::max(a.at, t);
    ++a.count;
    if (access_timer_armed) return;
    access_timer_armed = true;
    access_timer.expires_after(opt.access_write_interval);
    access_timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
      auto self = w.lock();
      if (!self) return;
      self->access_timer_armed = false;
      if (ec || self->closed) return;
      asio::co_spawn(self->ex, self->write_accesses(), asio::detached);
    });
  }

  asio::awaitable<void> write_accesses() {
    auto self = shared_from_this();
    auto batch = std::move(accesses);
    accesses.clear();
    std::vector<access_record> records;
    records.reserve(batch.size());
    for (const auto& [id, a] : batch) records.push_back(access_record{id, a.at, a.count});
    if (records.empty() || closed) co_return;
    ++writers;
    try {
      co_await st->record_accesses(std::move(records));
    } catch (const std::exception&) {
      // An access time is a hint for eviction: a failed write is not worth failing anything for.
    }
    --writers;
  }

  // Until the access writers running now have finished.
  asio::awaitable<void> wait_for_writers() {
    asio::steady_timer t(ex);
    while (writers > 0) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(asio::use_awaitable);
    }
  }

  asio::awaitable<std::vector<float>> embed(std::string text) {
    // The initiation is named: GCC 12 destroys a lambda temporary inside a
    // co_await expression twice (see the README).
    auto self = shared_from_this();
    auto init = [self](auto handler, std::string t) {
      self->emb->async_embed(self->ex, std::move(t), std::move(handler));
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, std::vector<float>)>(
        init, asio::use_awaitable, std::move(text));
  }

  // Scores q against the namespace with tag `tag`, coalesced with the other waiting queries.
  asio::awaitable<vec::matches> score(std::vector<float> q, std::uint32_t tag) {
    auto self = shared_from_this();
    auto init = [self, tag](auto handler, std::vector<float> query) {
      self->queue.push_back(pending_search{std::move(query), tag, std::move(handler)});
      if (!self->scanning) self->run_pass();
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, vec::matches)>(
        init, asio::use_awaitable, std::move(q));
  }

  void run_pass() {
    scanning = true;
    auto batch = std::make_shared<std::vector<pending_search>>(std::move(queue));
    queue.clear();
    ++scan_passes;
    queries_scored += batch->size();
    std::map<std::uint32_t, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < batch->size(); ++i) groups[(*batch)[i].tag].push_back(i);
    auto remaining = std::make_shared<std::size_t>(groups.size());
    for (auto& [tag, members] : groups) {
      std::vector<float> queries;
      queries.reserve(members.size() * idx.dim());
      for (std::size_t i : members) queries.insert(queries.end(), (*batch)[i].query.begin(), (*batch)[i].query.end());
      vec::search_options so;
      so.k = 3;
      so.tag = tag;
      scorer->search_batch(
          queries, members.size(), so,
          [self = shared_from_this(), batch, members = members, remaining](std::exception_ptr e,
                                                                            std::vector<vec::matches> results) {
            for (std::size_t j = 0; j < members.size(); ++j) {
              auto h = std::move((*batch)[members[j]].handler);
              vec::matches m = e || j >= results.size() ? vec::matches{} : std::move(results[j]);
              asio::post(self->ex, [h = std::move(h), e, m = std::move(m)]() mutable { std::move(h)(e, std::move(m)); });
            }
            if (--*remaining == 0) {
              self->scanning = false;
              if (!self->queue.empty()) self->run_pass();
            }
          });
    }
  }

  asio::awaitable<void> evict_if_needed(const std::string& ns) {
    const std::uint32_t t = tag_of(ns);
    std::optional<std::string> scope;
    std::size_t excess = 0, cap = 0;
    if (auto q = quotas.find(ns); q != quotas.end()) {
      cap = q->second;
      if (tag_counts[t] <= cap) co_return;
      excess = tag_counts[t] - cap;
      scope = ns;
    } else if (opt.max_entries) {
      cap = *opt.max_entries;
      if (mirror.size() <= cap) co_return;
      excess = mirror.size() - cap;
    } else {
      co_return;
    }
    // mneme's batch: the excess, at least 10% of the cap, at least one.
    const std::size_t n = std::max({excess, cap / 10, std::size_t(1)});
    for (std::uint64_t id : co_await st->lru_ids(scope, n)) {
      auto it = mirror.find(id);
      const std::string victim_ns = it != mirror.end() ? tag_names[it->second.tag] : ns;
      if (co_await st->remove(id)) ++stats_of(victim_ns).evictions;
      forget(id);
    }
  }
};

}  // namespace detail

namespace asio = boost::asio;

semantic_cache::semantic_cache(asio::any_io_executor ex, std::shared_ptr<store> s, std::shared_ptr<cache::embedder> e,
                               cache_options opt)
    : impl_(std::make_shared<detail::cache_impl>(std::move(ex), std::move(s), std::move(e), std::move(opt))) {}

semantic_cache::~semantic_cache() {
  if (!impl_) return;
  impl_->closed = true;
  impl_->access_timer.cancel();
}

asio::awaitable<void> semantic_cache::open_impl() {
  auto self = impl_;
  co_await self->st->open(self->emb->fingerprint(), self->emb->dim());
  for (const auto& [ns, n] : self->opt.namespace_quotas) co_await self->st->set_quota(ns, n);
  self->reload(co_await self->st->load_all());
  self->last_sync = std::chrono::steady_clock::now();
  // Quotas other processes set are in the store too.
  for (const auto& name : self->tag_names)
    if (auto q = co_await self->st->quota(name)) self->quotas[name] = *q;
  for (const auto& [ns, n] : self->opt.namespace_quotas) self->quotas[ns] = n;
  self->opened = true;
}

asio::awaitable<lookup> semantic_cache::get_impl(std::string query, get_options opt) {
  auto self = impl_;
  if (!self->opened) throw ddb::error(fail(errc::invalid_config, "semantic_cache: call co_await open() first"));
  if (opt.bypass) co_return self->miss(opt.ns, miss_reason::bypass);
  const std::string norm = normalize(query);
  const std::string hash = query_hash(norm);
  co_await self->sync();
  const epoch_seconds t = self->now();
  bool saw_expired = false;
  if (std::optional<entry> e = co_await self->st->get_by_hash(opt.ns, hash)) {
    if (self->expired(*e, t)) {
      co_await self->drop(*e, true);
      saw_expired = true;
    } else {
      self->record_access(e->id, t);
      ++self->stats_of(opt.ns).exact_hits;
      const float conf = self->confidence(1.0f, t - e->created_at);
      lookup out;
      out.hit = self->make_hit(std::move(*e), 1.0f, conf, "exact", t);
      co_return out;
    }
  }
  std::vector<float> q;
  if (opt.embedding) {
    q = std::move(*opt.embedding);
  } else {
    try {
      q = co_await self->embed(norm);
    } catch (const std::exception& x) {
      co_return self->miss(opt.ns, miss_reason::embedder_failure, x.what());
    }
  }
  if (q.size() != self->idx.dim())
    co_return self->miss(opt.ns, miss_reason::dim_mismatch,
                         "the query embedding has " + std::to_string(q.size()) + " dimensions, the cache " +
                             std::to_string(self->idx.dim()));
  if (auto bad = detail::normalize_vector(q)) co_return self->miss(opt.ns, miss_reason::embedder_failure, *bad);
  auto tag = self->tags.find(opt.ns);
  if (tag == self->tags.end() || self->tag_counts[tag->second] == 0)
    co_return self->miss(opt.ns, saw_expired ? miss_reason::expired : miss_reason::no_match);
  const vec::matches candidates = co_await self->score(std::move(q), tag->second);
  for (const vec::match& c : candidates) {
    if (c.score < self->threshold) co_return self->miss(opt.ns, miss_reason::below_threshold);
    std::optional<entry> e = co_await self->st->get_by_id(c.id);
    if (!e || e->ns != opt.ns) {  // gone (or reused by another namespace): the mirror was stale
      if (!e) self->forget(c.id);
      continue;
    }
    if (self->expired(*e, t)) {
      co_await self->drop(*e, true);
      saw_expired = true;
      continue;
    }
    if (!self->opt.validator(e->response)) {
      co_await self->drop(*e, false);
      continue;
    }
    const float conf = self->confidence(c.score, t - e->created_at);
    if (conf < self->opt.confidence_cutoff) continue;
    self->record_access(e->id, t);
    ++self->stats_of(opt.ns).semantic_hits;
    lookup out;
    out.hit = self->make_hit(std::move(*e), c.score, conf, "semantic", t);
    co_return out;
  }
  co_return self->miss(opt.ns, saw_expired ? miss_reason::expired : miss_reason::no_match);
}

asio::awaitable<void> semantic_cache::put_impl(std::string query, std::string response, put_options opt) {
  auto self = impl_;
  const cache_options& o = self->opt;
  if (!self->opened) throw ddb::error(fail(errc::invalid_config, "semantic_cache: call co_await open() first"));
  auto too_large = [](const char* what, std::size_t n, std::size_t limit, const char* option) {
    return ddb::error(fail(errc::item_too_large, std::string(what) + " is " + std::to_string(n) + " bytes, over the " +
                                                     std::to_string(limit) + "-byte limit (cache_options::" + option + ")"));
  };
  if (query.size() > o.max_query_bytes) throw too_large("the prompt", query.size(), o.max_query_bytes, "max_query_bytes");
  if (response.size() > o.max_response_bytes)
    throw too_large("the response", response.size(), o.max_response_bytes, "max_response_bytes");
  if (opt.metadata.size() > o.max_metadata_bytes)
    throw too_large("the metadata", opt.metadata.size(), o.max_metadata_bytes, "max_metadata_bytes");
  if (auto m = ddb::detail::parse_flat_object(opt.metadata); !m)
    throw ddb::error(fail(errc::invalid_json, "the metadata must be a JSON object: " + m.error().message));
  if (opt.ns.empty()) throw ddb::error(fail(errc::invalid_config, "the namespace is empty"));
  const std::string norm = normalize(query);
  std::vector<float> v;
  if (opt.embedding) {
    v = std::move(*opt.embedding);
  } else {
    try {
      v = co_await self->embed(norm);
    } catch (const std::exception& x) {
      throw ddb::error(fail(errc::embedder_failed, "the embedder (" + self->emb->fingerprint() + ") failed: " + x.what()));
    }
  }
  if (v.size() != self->idx.dim())
    throw ddb::error(fail(errc::dimension_mismatch, "the embedding has " + std::to_string(v.size()) +
                                                        " dimensions; the cache's embedder has " +
                                                        std::to_string(self->idx.dim())));
  if (auto bad = detail::normalize_vector(v)) throw ddb::error(fail(errc::embedder_failed, *bad));
  const epoch_seconds t = self->now();
  entry e;
  e.ns = opt.ns;
  e.query_hash = query_hash(norm);
  e.query = std::move(query);
  e.response = std::move(response);
  e.embedding = std::move(v);
  e.metadata = std::move(opt.metadata);
  e.created_at = e.last_accessed_at = t;
  if (auto ttl = opt.ttl ? opt.ttl : o.default_ttl) {
    std::int64_t at = 0;  // a TTL past the 64-bit range saturates: never expires
    if (__builtin_add_overflow(t, static_cast<std::int64_t>(ttl->count()), &at)) at = std::numeric_limits<std::int64_t>::max();
    e.expires_at = at;
  }
  co_await self->sync();
  // The mirror needs the id, namespace, vector and expiry: keep those and
  // hand the whole entry (response, metadata, query) to the store.
  entry mirrored;
  mirrored.ns = e.ns;
  mirrored.embedding = e.embedding;
  mirrored.expires_at = e.expires_at;
  mirrored.id = co_await self->st->upsert(std::move(e));
  self->mirror_entry(mirrored);
  co_await self->evict_if_needed(mirrored.ns);
}

asio::awaitable<bool> semantic_cache::remove_impl(std::string query, std::string ns) {
  auto self = impl_;
  std::optional<entry> e = co_await self->st->get_by_hash(ns, query_hash(normalize(query)));
  if (!e) co_return false;
  const bool removed = co_await self->st->remove(e->id);
  self->forget(e->id);
  co_return removed;
}

asio::awaitable<std::size_t> semantic_cache::vacuum_impl(std::optional<std::string> ns) {
  auto self = impl_;
  co_await self->sync(true);
  const epoch_seconds t = self->now();
  const auto due = [&](const detail::cache_impl::local& l) {
    return l.expires_at && *l.expires_at <= t && (!ns || self->tag_names[l.tag] == *ns);
  };
  const auto expired = [&](const std::string& name) { ++self->stats_of(name).expirations; };
  co_return co_await self->remove_mirrored(due, expired);
}

asio::awaitable<std::vector<std::string>> semantic_cache::list_namespaces_impl() {
  auto self = impl_;
  co_await self->sync(true);
  std::vector<std::string> out;
  for (std::size_t t = 0; t < self->tag_names.size(); ++t)
    if (self->tag_counts[t] > 0) out.push_back(self->tag_names[t]);
  std::sort(out.begin(), out.end());
  co_return out;
}

asio::awaitable<std::size_t> semantic_cache::clear_namespace_impl(std::string ns) {
  auto self = impl_;
  co_await self->sync(true);
  const auto tag = self->tags.find(ns);
  if (tag == self->tags.end()) co_return 0;
  const auto in_ns = [t = tag->second](const detail::cache_impl::local& l) { return l.tag == t; };
  const auto uncounted = [](const std::string&) {};
  co_return co_await self->remove_mirrored(in_ns, uncounted);
}

asio::awaitable<std::size_t> semantic_cache::clear_impl() {
  auto self = impl_;
  co_await self->sync(true);
  const auto every = [](const detail::cache_impl::local&) { return true; };
  const auto uncounted = [](const std::string&) {};
  co_return co_await self->remove_mirrored(every, uncounted);
}

asio::awaitable<void> semantic_cache::flush_impl() {
  auto self = impl_;
  self->access_timer.cancel();
  co_await self->write_accesses();
  co_await self->wait_for_writers();
}

cache_stats semantic_cache::stats() const {
  const auto& s = *impl_;
  cache_stats out;
  out.embedder_fingerprint = s.emb->fingerprint();
  out.queries_scored = s.queries_scored;
  out.scan_passes = s.scan_passes;
  out.syncs = s.syncs;
  out.full_reloads = s.full_reloads;
  const std::size_t per_vector = s.idx.size() ? s.idx.memory_bytes() / s.idx.size() : 0;
  auto add = [](namespace_stats& to, const namespace_stats& from) {
    to.entries += from.entries;
    to.exact_hits += from.exact_hits;
    to.semantic_hits += from.semantic_hits;
    to.evictions += from.evictions;
    to.expirations += from.expirations;
    to.memory_bytes += from.memory_bytes;
    for (const auto& [k, v] : from.misses) to.misses[k] += v;
  };
  std::set<std::string> names(s.tag_names.begin(), s.tag_names.end());
  for (const auto& [ns, c] : s.stats_by_ns) names.insert(ns);
  for (const std::string& ns : names) {
    namespace_stats n;
    if (auto c = s.stats_by_ns.find(ns); c != s.stats_by_ns.end()) n = c->second;
    if (auto t = s.tags.find(ns); t != s.tags.end()) {
      n.entries = s.tag_counts[t->second];
      n.memory_bytes = n.entries * per_vector;
    }
    add(out.total, n);
    out.namespaces.emplace(ns, std::move(n));
  }
  return out;
}

asio::awaitable<health_report> semantic_cache::health_impl() {
  auto self = impl_;
  health_report h;
  h.store = self->st->name();
  h.embedder_fingerprint = self->emb->fingerprint();
  h.kernel = vec::index::kernel_name();
  if (!self->opened) {
    h.problem = "not opened";
    co_return h;
  }
  try {
    co_await self->sync(true);
    h.healthy = true;
  } catch (const std::exception& x) {
    h.problem = std::string("the store does not answer: ") + x.what();
  }
  h.entries = self->mirror.size();
  for (std::size_t c : self->tag_counts) h.namespaces += c > 0;
  co_return h;
}

void semantic_cache::set_similarity_threshold(float value) {
  if (!(value >= -1 && value <= 1))
    throw ddb::error(fail(errc::invalid_config, "the similarity threshold must be -1 to 1, got " + std::to_string(value)));
  impl_->threshold = value;
}

float semantic_cache::similarity_threshold() const noexcept { return impl_->threshold; }

asio::any_io_executor semantic_cache::get_executor() const noexcept { return impl_->ex; }

}  // namespace ddb::cache
