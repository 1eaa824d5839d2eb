#pragma once
// ddb::cache: a semantic cache for LLM answers (a C++ port of mneme's
// SemanticCache), asynchronous end to end.
//
//   auto store = std::make_shared<ddb::cache::memory_store>();
//   auto embed = std::make_shared<ddb::cache::hash_embedder>(384);
//   ddb::cache::semantic_cache cache(ex, store, embed);
//   co_await cache.open();
//   co_await cache.put("What is the capital of France?", "Paris");
//   ddb::cache::lookup r = co_await cache.get("what is the capital of  france?");
//   if (r.hit) use(r.hit->response);             // else r.reason says why not
//
// A get tries two layers, as mneme does:
//   exact     the SHA-256 (hex) of the normalized prompt (trim, white space
//             runs -> one space, Unicode case folding: Python's
//             s.strip(), re.sub(r"\s+", " ", s), s.casefold()), so the same prompt
//             has the same key in both libraries; an expired entry is removed
//   semantic  the namespace's top 3 by cosine similarity (ddb::vec on a thread
//             pool; gets that arrive while a scan runs are scored together in
//             the next pass); the first candidate under the threshold ends the
//             search; gone, expired or invalid candidates are cleaned up;
//             confidence = similarity * 0.5^(age / half_life) must reach the
//             cutoff
// Each hit records its access (time and count); writes of that are coalesced.
//
// The cache and its stores run on one executor (the loop's); scoring runs on
// a thread pool and never blocks the loop. Not thread-safe: use it from its
// executor.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/detail/run_op.hpp"
#include "ddb/enums.hpp"

namespace boost::asio {
class thread_pool;
}

namespace ddb {
class client;
}

namespace ddb::cache {

/// Prompt normalization as mneme does it (see above); throws ddb::error
/// (errc::invalid_utf8) for text that is not UTF-8.
std::string normalize(std::string_view text);
/// The exact-layer key: lowercase hex SHA-256 of the normalized prompt's UTF-8.
std::string query_hash(std::string_view normalized);

// ---- embedders ---------------------------------------------------------

using embed_handler = boost::asio::any_completion_handler<void(std::exception_ptr, std::vector<float>)>;

class embedder {
 public:
  virtual ~embedder() = default;
  virtual std::size_t dim() const = 0;
  /// Identifies the model and its settings; a store refuses another one.
  virtual std::string fingerprint() const = 0;
  /// Embeds text (already normalized) without blocking the caller.
  virtual void async_embed(boost::asio::any_io_executor ex, std::string text, embed_handler handler) = 0;
};

/// Deterministic, model-free embeddings for demos and tests: character
/// trigrams and words of the text, feature-hashed (FNV-1a 64, signed) into
/// `dim` buckets, L2-normalized. Fingerprint "hash-ngram:v1:<dim>".
class hash_embedder final : public embedder {
 public:
  explicit hash_embedder(std::size_t dim = 384);
  std::size_t dim() const override { return dim_; }
  std::string fingerprint() const override;
  void async_embed(boost::asio::any_io_executor ex, std::string text, embed_handler handler) override;
  std::vector<float> embed(std::string_view text) const;  ///< the same, synchronously

 private:
  std::size_t dim_;
};

/// An OpenAI-compatible embeddings endpoint: POST {url}/v1/embeddings with
/// {"model", "input"[, "dimensions"]}, reading data[0].embedding. Fingerprint
/// "openai-compatible:<model>:dim<dim>".
struct http_embedder_options {
  std::string url = "https://api.openai.com";  // scheme://host[:port][/base path]
  std::string model = "text-embedding-3-small";
  std::size_t dim = 1536;
  bool send_dimensions = false;  ///< ask the server for `dim` dimensions
  std::string api_key;           ///< sent as "Authorization: Bearer <key>"; empty: none (wiped when released)
  std::chrono::milliseconds timeout{30000};
  bool verify_tls = true;
  std::string ca_file;
};
class http_embedder final : public embedder {
 public:
  explicit http_embedder(http_embedder_options opt);
  ~http_embedder() override;
  std::size_t dim() const override { return opt_.dim; }
  std::string fingerprint() const override;
  /// Concurrent calls share kept-alive connections, made on the executor of the
  /// first call: use one embedder from one event loop (it must outlive the embedder).
  void async_embed(boost::asio::any_io_executor ex, std::string text, embed_handler handler) override;

 private:
  struct state;
  http_embedder_options opt_;
  std::shared_ptr<state> state_;
};

// ---- stored entries and the store interface ----------------------------

using epoch_seconds = std::int64_t;

struct entry {
  std::uint64_t id = 0;  ///< assigned by the store (>= 1)
  std::string ns;
  std::string query_hash;
  std::string query;     ///< as the caller wrote it
  std::string response;
  std::vector<float> embedding;  ///< L2-normalized
  std::string metadata = "{}";   // a JSON object
  epoch_seconds created_at = 0;
  epoch_seconds last_accessed_at = 0;
  std::optional<epoch_seconds> expires_at;  ///< absolute (DynamoDB's native TTL reads it)
  std::int64_t access_count = 0;
  std::uint64_t version = 0;  ///< the store's change counter when it was last written (0: not tracked)
};

/// A point in a store's history, as the store counts it (the DynamoDB mneme
/// layout: its mutation counter, next id and change-log position; the lean
/// layout: the time of the change feed read last, in its stamp units).
struct store_cursor {
  std::uint64_t version = 0;
  std::uint64_t next_id = 0;
  std::uint64_t log = 0;
  std::int64_t time = 0;
};
/// A batch of hits to record: last_accessed_at = at, access_count += count.
struct access_record {
  std::uint64_t id = 0;
  epoch_seconds at = 0;
  std::int64_t count = 0;
};
/// Every entry, and the point in the store's history it reflects.
struct store_snapshot {
  std::vector<entry> entries;
  store_cursor cursor;
};
/// What changed after a cursor: entries to (re)load, ids gone, the new cursor.
struct store_changes {
  std::vector<entry> changed;
  std::vector<std::uint64_t> removed;
  store_cursor cursor;
  bool full_reload = false;  ///< the store no longer knows that far back: call load_all
};

/// mneme's Store protocol, made asynchronous. Implementations complete on the
/// executor that awaits them.
class store {
 public:
  virtual ~store() = default;
  virtual std::string name() const = 0;
  /// Records the embedder on first open; a different one is an error.
  virtual boost::asio::awaitable<void> open(std::string fingerprint, std::size_t dim) = 0;
  virtual boost::asio::awaitable<std::optional<entry>> get_by_hash(std::string ns, std::string hash) = 0;
  virtual boost::asio::awaitable<std::optional<entry>> get_by_id(std::uint64_t id) = 0;
  /// Inserts, or replaces the entry with the same (ns, query_hash), keeping its
  /// id and created_at/access_count reset as mneme does; returns the id.
  virtual boost::asio::awaitable<std::uint64_t> upsert(entry e) = 0;
  virtual boost::asio::awaitable<bool> remove(std::uint64_t id) = 0;
  /// Removes the entry only if it is still the one `seen` (not re-put since):
  /// what a reader that found it expired or invalid may delete.
  virtual boost::asio::awaitable<bool> remove_if_unchanged(const entry& seen) = 0;
  /// Records accesses: last_accessed_at = at, access_count += count.
  virtual boost::asio::awaitable<void> record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) = 0;
  /// Records many at once (the cache flushes its hits this way). The default
  /// calls record_access for each; a store may write them together.
  virtual boost::asio::awaitable<void> record_accesses(std::vector<access_record> records);
  /// Least recently used first (ties by id); all namespaces when ns is empty.
  virtual boost::asio::awaitable<std::vector<std::uint64_t>> lru_ids(std::optional<std::string> ns, std::size_t n) = 0;
  virtual boost::asio::awaitable<store_snapshot> load_all() = 0;
  /// What other writers (and this one) changed after `cursor`. Access records
  /// are not changes.
  virtual boost::asio::awaitable<store_changes> changes_since(store_cursor cursor) = 0;
  virtual boost::asio::awaitable<std::optional<std::size_t>> quota(std::string ns) = 0;
  virtual boost::asio::awaitable<void> set_quota(std::string ns, std::optional<std::size_t> max_entries) = 0;
};

class memory_store final : public store {
 public:
  memory_store();
  ~memory_store() override;
  std::string name() const override { return "memory"; }
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

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The DynamoDB store, in one of two table layouts (see the README, "Which
/// table layout"):
///   mneme  mneme's own schema (partition key `id`, meta item id 0 with
///          next_id and version_counter, ALL-projection GSIs gsi_hash and
///          gsi_lru, `ttl` a duration after created_at): ddb and mneme's Python
///          DynamoDBStore share such a table, in any order, concurrently. Costs
///          what mneme costs; every insert goes through the one counter item.
///   lean   ddb's own (the default for new tables): entries keyed by their
///          prompt (no counter, no transaction: a put is one PutItem), one
///          KEYS_ONLY-like change-feed GSI, half-precision embeddings,
///          native TTL, hits recorded in batches.
/// Opening an existing table detects its layout (layout() says which after
/// open); asking for the other one is an error. The client must outlive the
/// store. Not thread-safe: use it from its client's executor.
enum class table_layout { detect, mneme, lean };
const char* to_string(table_layout l) noexcept;

struct dynamodb_store_options {
  std::string table_name;
  /// detect: an existing table's layout, else (with create_table) lean.
  table_layout layout = table_layout::detect;
  bool create_table = false;  ///< opt-in: create it when missing
  ddb::billing_mode billing_mode = ddb::billing_mode::pay_per_request;  ///< or provisioned
  std::int64_t read_capacity = 5, write_capacity = 5;  ///< PROVISIONED: the table and each GSI
  std::int64_t scan_segments = 4;  ///< parallel Scan segments of a full reload
  /// mneme layout: a conditional write that keeps losing races, then errc::write_conflict.
  int max_attempts = 5;
  /// lean layout, chosen when the table is created (then read from the table):
  bool half_precision = true;   ///< store embeddings as IEEE halves (scores within ~1e-3)
  std::int64_t feed_shards = 1;  ///< change-feed partitions: ~1,000 puts/s each; a sync reads every one
  /// lean: how long deletions and recorded hits stay readable in the feed; a
  /// process that has not synced for longer reloads everything.
  std::chrono::seconds retention = std::chrono::hours(24);
  /// How far back each sync re-reads changes (index lag and writers' clock
  /// skew): the lean feed's stamps and the mneme layout's last_accessed_at are
  /// writers' clocks. A change's index item is read about
  /// sync_window / sync_interval + 1 times by each process: raise it for
  /// writers whose clocks drift, at that cost.
  std::chrono::milliseconds sync_window{2000};
};
struct migrate_access;
class dynamodb_store final : public store {
 public:
  dynamodb_store(ddb::client& c, dynamodb_store_options opt);
  ~dynamodb_store() override;
  std::string name() const override;  ///< "dynamodb:<table> (<layout>)"
  table_layout layout() const noexcept;  ///< detect until open() has run
  /// Creates the table in options().layout (lean when detect) and waits until it is ACTIVE.
  boost::asio::awaitable<void> create_table();
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
  /// Bulk load into an opened, empty table by BatchWriteItem: for migrations
  /// and benchmarks. Entries must have distinct (ns, query_hash); the mneme
  /// layout numbers them 1..n and fails if the table has had any change.
  boost::asio::awaitable<void> import_entries(std::vector<entry> entries);

 private:
  friend struct migrate_access;
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Copies a cache table into another one in the lean (or mneme) layout while
/// both stay in use: a parallel Scan of the source, each entry written unless
/// the destination already has that prompt written later (or deleted it),
/// then the source's changes made meanwhile. Resumable: the destination's meta
/// item records each Scan segment's position after every page, so running it
/// again continues where it stopped. The source may be a mneme-layout table
/// (mneme's or ddb's) or one written by ddb before layouts existed.
struct migrate_progress {
  std::uint64_t scanned = 0;   ///< source items read (this run)
  std::uint64_t copied = 0;    ///< entries written
  std::uint64_t skipped = 0;   ///< destination already newer, or not an entry
  std::int64_t segments_done = 0, segments = 0;
  bool catching_up = false;    ///< the Scan is over; copying changes made meanwhile
};
struct migrate_options {
  std::string from_table;
  dynamodb_store_options to;    ///< table_name, layout (lean by default), create_table, ...
  std::int64_t segments = 4;    ///< parallel Scan segments (fixed by the first run)
  std::int64_t concurrency = 16;  ///< writes in flight
  std::optional<std::uint64_t> max_items;  ///< stop after about this many source items (resume later)
  std::function<void(const migrate_progress&)> progress;  ///< after every page
};
struct migrate_result {
  migrate_progress totals;
  bool complete = false;  ///< false: stopped at max_items; run again to continue
  std::string from_layout;  ///< "mneme" or "ddb-0" (written by ddb before layouts)
};
boost::asio::awaitable<migrate_result> migrate(ddb::client& c, migrate_options opt);
/// migrate for any completion token: void(error_code, migrate_result).
template <class Token>
auto migrate(ddb::client& c, migrate_options opt, Token&& token) {
  return ddb::detail::run_op<migrate_result>(c.get_executor(), std::forward<Token>(token),
                                             [&c, o = std::move(opt)]() mutable { return migrate(c, std::move(o)); });
}

/// Reads a whole cache table (parallel Scan, consistent) and checks what its
/// layout promises, item by item: the meta item and its embedder; every entry
/// complete (every attribute of its layout, of the right type, the embedding
/// of the table's dimension, the prompt hash that of the query); each prompt
/// once per namespace; lean: each entry under its prompt's key, tombstones
/// and hit logs well formed; mneme: next_id past every id. For operators
/// (`ddb cache check`) and for tests that kill writers mid-write.
struct table_check {
  table_layout layout = table_layout::detect;
  std::size_t entries = 0, tombstones = 0, hit_logs = 0;
  std::vector<std::string> problems;  ///< empty: consistent
  bool ok() const noexcept { return problems.empty(); }
};
boost::asio::awaitable<table_check> check_table(ddb::client& c, std::string table);
/// check_table for any completion token: void(error_code, table_check).
template <class Token>
auto check_table(ddb::client& c, std::string table, Token&& token) {
  return ddb::detail::run_op<table_check>(c.get_executor(), std::forward<Token>(token),
                                          [&c, t = std::move(table)]() mutable { return check_table(c, std::move(t)); });
}

// ---- the cache -----------------------------------------------------------

enum class miss_reason { none, bypass, embedder_failure, dim_mismatch, below_threshold, no_match, expired };
const char* to_string(miss_reason r) noexcept;

struct hit {
  std::string response;
  float similarity = 0;
  float confidence = 0;
  std::chrono::seconds age{0};
  std::string layer;  ///< "exact" or "semantic"
  std::string ns;
  std::string metadata;  ///< a JSON object
};

struct lookup {
  std::optional<cache::hit> hit;
  miss_reason reason = miss_reason::none;  ///< why there is no hit
  std::string detail;                      ///< e.g. the embedder's error
};

struct get_options {
  std::string ns = "default";
  std::optional<std::vector<float>> embedding;  ///< precomputed: the embedder is not called
  bool bypass = false;
};

struct put_options {
  std::string ns = "default";
  std::optional<std::vector<float>> embedding;
  std::string metadata = "{}";  // a JSON object
  std::optional<std::chrono::seconds> ttl;  ///< else cache_options::default_ttl
};

struct cache_options {
  float similarity_threshold = 0.85f;
  /// Confidence halves every half_life; a semantic hit needs confidence >=
  /// confidence_cutoff. mneme fixes 24 h and 0.7, which stops every semantic
  /// hit (even similarity 1.0) once an entry is ~12 h old; these defaults keep
  /// a perfect match usable for a week and a 0.85 match for ~2.5 days.
  std::chrono::seconds half_life = std::chrono::hours(24 * 7);
  float confidence_cutoff = 0.6f;
  std::optional<std::chrono::seconds> default_ttl;
  std::optional<std::size_t> max_entries;
  std::map<std::string, std::size_t> namespace_quotas;  ///< written to the store on open
  std::size_t max_query_bytes = 32 * 1024;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  std::size_t max_metadata_bytes = 64 * 1024;
  /// At most one access write per entry per interval (hits never write inline).
  std::chrono::seconds access_write_interval{60};
  /// How often a get looks for other processes' changes (0: every get).
  std::chrono::milliseconds sync_interval{1000};
  std::size_t scorer_threads = 0;  ///< 0: one per hardware thread
  /// Score on this pool (shared with other caches or your own work; it must
  /// outlive the cache) instead of threads of the cache's own; scorer_threads
  /// is then the number of parts a scan is split into (0: 1).
  boost::asio::thread_pool* scorer_pool = nullptr;
  /// Rejects a stored response (it is then removed). Default: mneme's (empty,
  /// white space only, or starting with "[LLM Error]" / "[ERROR]").
  std::function<bool(std::string_view response)> validator;
  std::function<std::chrono::system_clock::time_point()> clock;  ///< inject for tests
};

struct namespace_stats {
  std::size_t entries = 0;
  std::uint64_t exact_hits = 0, semantic_hits = 0;
  std::map<std::string, std::uint64_t> misses;  ///< by reason
  std::uint64_t evictions = 0, expirations = 0;
  std::size_t memory_bytes = 0;  ///< vectors in the index, estimated
};
struct cache_stats {
  std::map<std::string, namespace_stats> namespaces;
  namespace_stats total;
  std::string embedder_fingerprint;
  /// Semantic lookups scored, and the scans that scored them (fewer scans than
  /// queries: concurrent gets shared a pass).
  std::uint64_t queries_scored = 0, scan_passes = 0;
  /// Looks for other processes' changes, and those that had to reload everything.
  std::uint64_t syncs = 0, full_reloads = 0;
};
struct health_report {
  bool healthy = false;
  std::string store;
  std::string embedder_fingerprint;
  std::size_t entries = 0, namespaces = 0;
  std::string kernel;  ///< the scorer's kernels ("avx2" / "scalar")
  std::string problem;  ///< why not healthy
};

namespace detail {
struct cache_impl;
}

class semantic_cache {
 public:
  semantic_cache(boost::asio::any_io_executor ex, std::shared_ptr<store> s, std::shared_ptr<cache::embedder> e,
                 cache_options opt = {});
  ~semantic_cache();
  semantic_cache(const semantic_cache&) = delete;
  semantic_cache& operator=(const semantic_cache&) = delete;

  /// Every asynchronous call takes a completion token like the client's
  /// operations (default: an awaitable that throws ddb::error; as_tuple,
  /// callbacks, ddb::cancel_after...): a failure is (error_code) first, with
  /// the code of the ddb::error thrown inside.
  using default_token = boost::asio::use_awaitable_t<>;
  boost::asio::any_io_executor get_executor() const noexcept;

  /// Opens the store (checking the embedder), writes the quotas, loads the index.
  template <class Token = default_token>
  auto open(Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token), [this] { return open_impl(); });
  }
  /// void(error_code, lookup)
  template <class Token = default_token>
  auto get(std::string query, get_options opt, Token&& token = {}) {
    return ddb::detail::run_op<lookup>(get_executor(), std::forward<Token>(token),
                                       [this, q = std::move(query), o = std::move(opt)]() mutable {
                                         return get_impl(std::move(q), std::move(o));
                                       });
  }
  template <class Token = default_token>
    requires(!std::is_same_v<std::decay_t<Token>, get_options>)
  auto get(std::string query, Token&& token = {}) {
    return get(std::move(query), get_options(), std::forward<Token>(token));
  }
  /// Errors (ddb::error): sizes over the limits, metadata that is not a
  /// JSON object, an embedder failure, a vector of the wrong dimension, an
  /// entry over the store's item limit. void(error_code)
  template <class Token = default_token>
  auto put(std::string query, std::string response, put_options opt, Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token),
                                     [this, q = std::move(query), r = std::move(response), o = std::move(opt)]() mutable {
                                       return put_impl(std::move(q), std::move(r), std::move(o));
                                     });
  }
  template <class Token = default_token>
    requires(!std::is_same_v<std::decay_t<Token>, put_options>)
  auto put(std::string query, std::string response, Token&& token = {}) {
    return put(std::move(query), std::move(response), put_options(), std::forward<Token>(token));
  }
  /// void(error_code, bool removed)
  template <class Token = default_token>
  auto remove(std::string query, std::string ns, Token&& token = {}) {
    return ddb::detail::run_op<bool>(get_executor(), std::forward<Token>(token),
                                     [this, q = std::move(query), n = std::move(ns)]() mutable {
                                       return remove_impl(std::move(q), std::move(n));
                                     });
  }
  template <class Token = default_token>
    requires(!std::is_convertible_v<Token, std::string>)
  auto remove(std::string query, Token&& token = {}) {
    return remove(std::move(query), "default", std::forward<Token>(token));
  }
  /// Removes expired entries (one namespace or all); void(error_code, std::size_t removed).
  template <class Token = default_token>
  auto vacuum(std::optional<std::string> ns, Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token),
                                            [this, n = std::move(ns)]() mutable { return vacuum_impl(std::move(n)); });
  }
  template <class Token = default_token>
    requires(!std::is_convertible_v<Token, std::optional<std::string>>)
  auto vacuum(Token&& token = {}) {
    return vacuum(std::nullopt, std::forward<Token>(token));
  }
  template <class Token = default_token>
  auto list_namespaces(Token&& token = {}) {
    return ddb::detail::run_op<std::vector<std::string>>(get_executor(), std::forward<Token>(token),
                                                         [this] { return list_namespaces_impl(); });
  }
  template <class Token = default_token>
  auto clear_namespace(std::string ns, Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token),
                                            [this, n = std::move(ns)]() mutable { return clear_namespace_impl(std::move(n)); });
  }
  template <class Token = default_token>
  auto clear(Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token), [this] { return clear_impl(); });
  }
  /// Writes the access times still waiting to be written (also done in the background).
  template <class Token = default_token>
  auto flush(Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token), [this] { return flush_impl(); });
  }
  template <class Token = default_token>
  auto health(Token&& token = {}) {
    return ddb::detail::run_op<health_report>(get_executor(), std::forward<Token>(token), [this] { return health_impl(); });
  }
  cache_stats stats() const;
  void set_similarity_threshold(float value);  ///< -1..1, else throws ddb::error
  float similarity_threshold() const noexcept;

 private:
  boost::asio::awaitable<void> open_impl();
  boost::asio::awaitable<lookup> get_impl(std::string query, get_options opt);
  boost::asio::awaitable<void> put_impl(std::string query, std::string response, put_options opt);
  boost::asio::awaitable<bool> remove_impl(std::string query, std::string ns);
  boost::asio::awaitable<std::size_t> vacuum_impl(std::optional<std::string> ns);
  boost::asio::awaitable<std::vector<std::string>> list_namespaces_impl();
  boost::asio::awaitable<std::size_t> clear_namespace_impl(std::string ns);
  boost::asio::awaitable<std::size_t> clear_impl();
  boost::asio::awaitable<void> flush_impl();
  boost::asio::awaitable<health_report> health_impl();

  std::shared_ptr<detail::cache_impl> impl_;
};

}  // namespace ddb::cache
