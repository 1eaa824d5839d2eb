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

/// Completion handler of embedder::async_embed: a null exception_ptr and the
/// vector, or the failure and an empty vector.
using embed_handler = boost::asio::any_completion_handler<void(std::exception_ptr, std::vector<float>)>;

/// Turns prompts into vectors for the semantic layer. The cache calls it on
/// its executor; an implementation must not block there and must complete
/// the handler later (never inside async_embed), with an exception on failure.
class embedder {
 public:
  virtual ~embedder() = default;
  /// Length of every vector it returns; fixed for the embedder's lifetime.
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
  /// `dim` is 1..4096, else throws ddb::error (errc::invalid_config).
  explicit hash_embedder(std::size_t dim = 384);
  std::size_t dim() const override { return dim_; }  ///< the `dim` it was constructed with
  std::string fingerprint() const override;
  /// Computes the vector at once on the calling thread (microseconds) and
  /// posts the handler to `ex`; never fails. Empty text gets a fixed unit vector.
  void async_embed(boost::asio::any_io_executor ex, std::string text, embed_handler handler) override;
  std::vector<float> embed(std::string_view text) const;  ///< the same, synchronously

 private:
  std::size_t dim_;
};

/// An OpenAI-compatible embeddings endpoint: POST {url}/v1/embeddings with
/// {"model", "input"[, "dimensions"]}, reading data[0].embedding. Fingerprint
/// "openai-compatible:<model>:dim<dim>".
struct http_embedder_options {
  std::string url = "https://api.openai.com";  ///< scheme://host[:port][/base path]; /v1/embeddings is appended
  std::string model = "text-embedding-3-small";  ///< sent as "model"; must not be empty
  std::size_t dim = 1536;  ///< 1..4096; an answer of another length fails the embedding
  bool send_dimensions = false;  ///< ask the server for `dim` dimensions
  std::string api_key;           ///< sent as "Authorization: Bearer <key>"; empty: none (wiped when released)
  std::chrono::milliseconds timeout{30000};  ///< for connecting, and for each request
  bool verify_tls = true;  ///< check the server's certificate and host name (https only)
  std::string ca_file;     ///< extra trusted CAs (PEM file), besides the system's; empty: none
};
/// Embeddings from an OpenAI-compatible endpoint (see http_embedder_options):
/// one POST per text, over up to 16 kept-alive connections. Failures
/// (connection, timeout, an HTTP status other than 200, an answer without
/// data[0].embedding or of another length, text not UTF-8) complete the
/// handler with a std::runtime_error.
class http_embedder final : public embedder {
 public:
  /// Takes the API key into wiped-on-release memory (the options' copy is
  /// wiped). Throws ddb::error: invalid_config (dim not 1..4096, empty model),
  /// invalid_endpoint (a url that is not one), invalid_header (CR, LF or NUL in the key).
  explicit http_embedder(http_embedder_options opt);
  ~http_embedder() override;
  std::size_t dim() const override { return opt_.dim; }  ///< http_embedder_options::dim
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

/// Seconds since the Unix epoch (UTC).
using epoch_seconds = std::int64_t;

/// One cached answer, as a store holds it.
struct entry {
  std::uint64_t id = 0;  ///< assigned by the store (>= 1)
  std::string ns;        ///< its namespace: lookups never cross namespaces
  std::string query_hash;  ///< query_hash(normalize(query)): the exact layer's key
  std::string query;     ///< as the caller wrote it
  std::string response;  ///< the cached answer
  std::vector<float> embedding;  ///< L2-normalized
  std::string metadata = "{}";   ///< a JSON object
  epoch_seconds created_at = 0;  ///< when it was put (a re-put resets it)
  epoch_seconds last_accessed_at = 0;  ///< its last recorded hit (created_at until then); eviction order
  std::optional<epoch_seconds> expires_at;  ///< absolute (DynamoDB's native TTL reads it)
  std::int64_t access_count = 0;  ///< hits recorded (a re-put resets it)
  std::uint64_t version = 0;  ///< the store's change counter when it was last written (0: not tracked)
};

/// A point in a store's history, as the store counts it (the DynamoDB mneme
/// layout: its mutation counter, next id and change-log position; the lean
/// layout: the time of the change feed read last, in its stamp units).
struct store_cursor {
  std::uint64_t version = 0;  ///< mneme layout: the meta item's version_counter; memory_store: its change counter
  std::uint64_t next_id = 0;  ///< mneme layout: the meta item's next_id (ids from here are new)
  std::uint64_t log = 0;      ///< mneme layout: the sequence number reached in the meta item's ring of recent changes
  std::int64_t time = 0;      ///< lean: feed stamp (server time, microseconds); mneme: server time (epoch seconds)
};
/// A batch of hits to record: last_accessed_at = at, access_count += count.
struct access_record {
  std::uint64_t id = 0;   ///< the entry hit
  epoch_seconds at = 0;   ///< time of the latest of these hits
  std::int64_t count = 0; ///< hits to add to access_count
};
/// Every entry, and the point in the store's history it reflects.
struct store_snapshot {
  std::vector<entry> entries;  ///< every entry of every namespace, in no particular order
  store_cursor cursor;         ///< pass to changes_since to follow on from this snapshot
};
/// What changed after a cursor: entries to (re)load, ids gone, the new cursor.
struct store_changes {
  std::vector<entry> changed;          ///< entries written since the cursor, as they are now
  std::vector<std::uint64_t> removed;  ///< ids of entries deleted since the cursor
  store_cursor cursor;                 ///< where these changes end: pass to the next changes_since
  bool full_reload = false;  ///< the store no longer knows that far back: call load_all
};

/// mneme's Store protocol, made asynchronous. Implementations complete on the
/// executor that awaits them.
class store {
 public:
  virtual ~store() = default;
  /// For messages and health reports, e.g. `memory` or `dynamodb:TABLE (lean layout)`.
  virtual std::string name() const = 0;
  /// Records the embedder on first open; a different one is an error.
  virtual boost::asio::awaitable<void> open(std::string fingerprint, std::size_t dim) = 0;
  /// The entry of namespace `ns` whose query_hash is `hash`, if any.
  virtual boost::asio::awaitable<std::optional<entry>> get_by_hash(std::string ns, std::string hash) = 0;
  /// The entry with this id, if any (an id the cache forgets on a "none").
  virtual boost::asio::awaitable<std::optional<entry>> get_by_id(std::uint64_t id) = 0;
  /// Inserts, or replaces the entry with the same (ns, query_hash), keeping its
  /// id and created_at/access_count reset as mneme does; returns the id.
  virtual boost::asio::awaitable<std::uint64_t> upsert(entry e) = 0;
  /// Deletes the entry; false when there was none.
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
  /// Every entry, with the cursor to follow changes from (the cache calls it
  /// on open, and when changes_since asks for a full reload).
  virtual boost::asio::awaitable<store_snapshot> load_all() = 0;
  /// What other writers (and this one) changed after `cursor`. Access records
  /// are not changes.
  virtual boost::asio::awaitable<store_changes> changes_since(store_cursor cursor) = 0;
  /// The entry quota recorded for namespace `ns` (by any process), if any.
  virtual boost::asio::awaitable<std::optional<std::size_t>> quota(std::string ns) = 0;
  /// Records the most entries namespace `ns` may hold (nullopt: removes its
  /// quota), for every process using the store.
  virtual boost::asio::awaitable<void> set_quota(std::string ns, std::optional<std::size_t> max_entries) = 0;
};

/// A store in this process's memory, for demos and tests: lost on exit,
/// shared with nothing else. Operations complete without I/O. Keeps the
/// last 100,000 changes for changes_since (further behind: full_reload).
/// open() with another embedder than the first throws ddb::error (errc::invalid_config).
class memory_store final : public store {
 public:
  memory_store();
  ~memory_store() override;
  std::string name() const override { return "memory"; }  ///< `memory`
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
/// "detect", "mneme" or "lean".
const char* to_string(table_layout l) noexcept;

/// How a dynamodb_store finds, creates and follows its table.
struct dynamodb_store_options {
  std::string table_name;  ///< 3..255 of a-z, A-Z, 0-9, _ - . (checked by the constructor)
  /// detect: an existing table's layout, else (with create_table) lean.
  table_layout layout = table_layout::detect;
  bool create_table = false;  ///< opt-in: create it when missing
  ddb::billing_mode billing_mode = ddb::billing_mode::pay_per_request;  ///< or provisioned
  /// PROVISIONED: read capacity units of the table and of each GSI when created.
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
/// A store on a DynamoDB table, in the mneme or lean layout (see table_layout,
/// just above). Before open() completes, every operation but name(), layout()
/// and create_table() throws ddb::error (errc::invalid_config). Failed DynamoDB
/// requests are thrown as ddb::error with the service's code.
class dynamodb_store final : public store {
 public:
  /// Makes no request. Throws ddb::error: invalid_name (table_name),
  /// invalid_config (max_attempts under 1, feed_shards not 1..64, retention
  /// under a minute, sync_window negative or over a quarter of retention).
  dynamodb_store(ddb::client& c, dynamodb_store_options opt);
  ~dynamodb_store() override;
  std::string name() const override;  ///< "dynamodb:<table> (<layout>)"
  table_layout layout() const noexcept;  ///< detect until open() has run
  /// Creates the table in options().layout (lean when detect) and waits until it is ACTIVE.
  boost::asio::awaitable<void> create_table();
  /// DescribeTable; creates the table if missing and create_table is set,
  /// then writes (or checks) the meta item: a conditional PutItem, plus a
  /// consistent GetItem when it exists. Throws ddb::error (invalid_config): no
  /// table and no create_table, not a cache table, another layout than asked,
  /// a table of ddb before layouts (migrate it), or another embedder.
  boost::asio::awaitable<void> open(std::string fingerprint, std::size_t dim) override;
  /// Lean: once loaded, nothing read for a prompt unknown at the last sync,
  /// else one eventually consistent GetItem. Mneme: one GetItem for a prompt this store has read, else a
  /// gsi_hash Query (eventually consistent, like mneme's).
  boost::asio::awaitable<std::optional<entry>> get_by_hash(std::string ns, std::string hash) override;
  /// One eventually consistent GetItem, and a consistent one to confirm a "none".
  boost::asio::awaitable<std::optional<entry>> get_by_id(std::uint64_t id) override;
  /// Lean: one conditional PutItem; write_conflict only if two prompts share
  /// a 63-bit key. Mneme: a consistent counter read, a lookup of the prompt,
  /// and a TransactWriteItems (entry and meta item), retried against other
  /// writers up to max_attempts, then write_conflict. item_too_large past 400 KB.
  boost::asio::awaitable<std::uint64_t> upsert(entry e) override;
  /// Lean: one conditional UpdateItem turning the item into a tombstone (TTL
  /// deletes it after retention). Mneme: a consistent counter read and a
  /// TransactWriteItems, retried up to max_attempts, then write_conflict.
  boost::asio::awaitable<bool> remove(std::uint64_t id) override;
  boost::asio::awaitable<bool> remove_if_unchanged(const entry& seen) override;
  boost::asio::awaitable<void> record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) override;
  /// Lean: one PutItem of a hit log per 45 records. Mneme: one conditional UpdateItem per record.
  boost::asio::awaitable<void> record_accesses(std::vector<access_record> records) override;
  boost::asio::awaitable<std::vector<std::uint64_t>> lru_ids(std::optional<std::string> ns, std::size_t n) override;
  /// A consistent parallel Scan of the whole table (scan_segments segments):
  /// about one read unit per 4 KB of table, every embedding included.
  boost::asio::awaitable<store_snapshot> load_all() override;
  boost::asio::awaitable<store_changes> changes_since(store_cursor cursor) override;
  /// One consistent GetItem of the meta item (just that quota projected).
  boost::asio::awaitable<std::optional<std::size_t>> quota(std::string ns) override;
  /// One conditional UpdateItem of the meta item; ddb::error (invalid_config)
  /// if the table has no meta item.
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
/// This struct: how far a run has got (migrate_options::progress, migrate_result::totals).
struct migrate_progress {
  std::uint64_t scanned = 0;   ///< source items read (this run)
  std::uint64_t copied = 0;    ///< entries written
  std::uint64_t skipped = 0;   ///< destination already newer, or not an entry
  /// Scan segments finished (by this run and earlier ones).
  std::int64_t segments_done = 0, segments = 0;
  /// \var segments
  /// Scan segments in all (fixed by the first run).
  bool catching_up = false;    ///< the Scan is over; copying changes made meanwhile
};
/// What migrate() copies, where to, and how fast.
struct migrate_options {
  std::string from_table;  ///< the source: a mneme-layout cache table, not the destination
  dynamodb_store_options to;    ///< table_name, layout (lean by default), create_table, ...
  std::int64_t segments = 4;    ///< parallel Scan segments (fixed by the first run)
  std::int64_t concurrency = 16;  ///< writes in flight
  std::optional<std::uint64_t> max_items;  ///< stop after about this many source items (resume later)
  std::function<void(const migrate_progress&)> progress;  ///< after every page
};
/// What a migrate() run did.
struct migrate_result {
  migrate_progress totals;  ///< this run's counts, as last reported
  bool complete = false;  ///< false: stopped at max_items; run again to continue
  std::string from_layout;  ///< "mneme" or "ddb-0" (written by ddb before layouts)
};
/// Runs (or resumes) the migration described at migrate_progress. Throws
/// ddb::error (invalid_config): the same table twice, segments not 1..64,
/// concurrency not 1..256, a source missing, not mneme-layout or without its
/// meta item, a destination already migrated from another table; and the
/// destination store's errors (see dynamodb_store::open) and failed requests.
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
  table_layout layout = table_layout::detect;  ///< lean if keyed by `k`, else mneme; detect: no such table
  /// Entry items read (lean: not counting tombstones).
  std::size_t entries = 0, tombstones = 0, hit_logs = 0;
  /// \var tombstones
  /// Lean: deleted entries awaiting TTL.
  ///
  /** \var hit_logs
   *  Lean: hit-log items (recorded hits) read. */
  std::vector<std::string> problems;  ///< empty: consistent
  bool ok() const noexcept { return problems.empty(); }  ///< no problems found
};
/// Reads the table with a consistent 4-segment parallel Scan (one read unit
/// per 4 KB of table). A missing or foreign table is a problem in the result;
/// failed requests throw ddb::error.
boost::asio::awaitable<table_check> check_table(ddb::client& c, std::string table);
/// check_table for any completion token: void(error_code, table_check).
template <class Token>
auto check_table(ddb::client& c, std::string table, Token&& token) {
  return ddb::detail::run_op<table_check>(c.get_executor(), std::forward<Token>(token),
                                          [&c, t = std::move(table)]() mutable { return check_table(c, std::move(t)); });
}

// ---- the cache -----------------------------------------------------------

/// Why get() found no hit: none (it did), bypass (get_options::bypass),
/// embedder_failure (it failed, or gave NaN or all zeros), dim_mismatch (an
/// embedding of another length), below_threshold (the next candidate scored
/// under the similarity threshold), no_match (no candidate passed, or the
/// namespace is empty), expired (an entry that matched had expired; it is removed).
enum class miss_reason { none, bypass, embedder_failure, dim_mismatch, below_threshold, no_match, expired };
/// The enumerator's name, e.g. "no_match" (the key of namespace_stats::misses).
const char* to_string(miss_reason r) noexcept;

/// A cached answer that get() found.
struct hit {
  std::string response;  ///< the cached answer
  float similarity = 0;  ///< cosine similarity of the prompts, -1..1 (1 for an exact hit)
  float confidence = 0;  ///< similarity * 0.5^(age / half_life)
  std::chrono::seconds age{0};  ///< since the entry was put (never negative)
  std::string layer;  ///< "exact" or "semantic"
  std::string ns;     ///< the namespace it was found in
  std::string metadata;  ///< a JSON object
};

/// What get() answers: a hit, or why there is none.
struct lookup {
  std::optional<cache::hit> hit;  ///< the answer, if found
  miss_reason reason = miss_reason::none;  ///< why there is no hit
  std::string detail;                      ///< e.g. the embedder's error
};

/// Options of one get().
struct get_options {
  std::string ns = "default";  ///< the namespace to look in
  std::optional<std::vector<float>> embedding;  ///< precomputed: the embedder is not called
  bool bypass = false;  ///< skip the cache: a miss (reason bypass) without reading anything
};

/// Options of one put().
struct put_options {
  std::string ns = "default";  ///< the namespace to store in; must not be empty
  std::optional<std::vector<float>> embedding;  ///< precomputed, of the embedder's dim: the embedder is not called
  std::string metadata = "{}";  ///< a JSON object, kept with the entry and returned with its hits
  std::optional<std::chrono::seconds> ttl;  ///< else cache_options::default_ttl
};

/// How a semantic_cache matches, expires, limits and scores.
struct cache_options {
  float similarity_threshold = 0.85f;  ///< least cosine similarity of a semantic hit, -1..1
  /// Confidence halves every half_life; a semantic hit needs confidence >=
  /// confidence_cutoff. mneme fixes 24 h and 0.7, which stops every semantic
  /// hit (even similarity 1.0) once an entry is ~12 h old; these defaults keep
  /// a perfect match usable for a week and a 0.85 match for ~2.5 days.
  std::chrono::seconds half_life = std::chrono::hours(24 * 7);
  float confidence_cutoff = 0.6f;  ///< least confidence of a semantic hit (see half_life)
  std::optional<std::chrono::seconds> default_ttl;  ///< lifetime of a put without put_options::ttl; none: no expiry
  /// Most entries of all namespaces together, enforced by puts into namespaces
  /// without a quota: evicts the least recently used of any namespace (the
  /// excess, at least a tenth of the cap). None: no limit.
  std::optional<std::size_t> max_entries;
  std::map<std::string, std::size_t> namespace_quotas;  ///< written to the store on open
  std::size_t max_query_bytes = 32 * 1024;  ///< longest prompt a put takes (bytes), else item_too_large
  std::size_t max_response_bytes = 4 * 1024 * 1024;  ///< longest response a put takes (bytes); DynamoDB items stop at 400 KB
  std::size_t max_metadata_bytes = 64 * 1024;  ///< longest metadata a put takes (bytes)
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

/// One namespace's counters (or all of them summed), since the cache was constructed.
struct namespace_stats {
  std::size_t entries = 0;  ///< entries now, as this process knows them at its last sync
  /// Hits of the exact layer.
  std::uint64_t exact_hits = 0, semantic_hits = 0;
  /// \var semantic_hits
  /// Hits of the semantic layer.
  std::map<std::string, std::uint64_t> misses;  ///< by reason
  /// Entries removed to keep to a quota or max_entries.
  std::uint64_t evictions = 0, expirations = 0;
  /// \var expirations
  /// Expired entries removed by this process (by get() or vacuum()).
  std::size_t memory_bytes = 0;  ///< vectors in the index, estimated
};
/// What semantic_cache::stats() returns.
struct cache_stats {
  std::map<std::string, namespace_stats> namespaces;  ///< by namespace name
  namespace_stats total;  ///< the sum over namespaces
  std::string embedder_fingerprint;  ///< the embedder's fingerprint()
  /// Semantic lookups scored, and the scans that scored them (fewer scans than
  /// queries: concurrent gets shared a pass).
  std::uint64_t queries_scored = 0, scan_passes = 0;
  /** \var scan_passes
   *  Scans run for those lookups (see queries_scored). */
  /// Looks for other processes' changes, and those that had to reload everything.
  std::uint64_t syncs = 0, full_reloads = 0;
  /// \var full_reloads
  /// Syncs that had to reload every entry (load_all).
};
/// What semantic_cache::health() returns.
struct health_report {
  bool healthy = false;  ///< opened, and the store answered a sync
  std::string store;     ///< the store's name()
  std::string embedder_fingerprint;  ///< the embedder's fingerprint()
  /// Entries held in memory.
  std::size_t entries = 0, namespaces = 0;
  /// \var namespaces
  /// Namespaces holding at least one entry.
  std::string kernel;  ///< the scorer's kernels ("avx2" / "scalar")
  std::string problem;  ///< why not healthy
};

namespace detail {
struct cache_impl;
}

/// The semantic cache (see the top of this header): mneme's exact and
/// semantic layers over a store, with every entry's vector held in memory.
/// Not copyable; use it from its executor only.
class semantic_cache {
 public:
  /// Reads nothing until open(); starts the scorer's own threads unless
  /// cache_options::scorer_pool is set. Throws ddb::error (invalid_config)
  /// without a store, for a similarity_threshold outside -1..1 or a half_life
  /// not positive; ddb::vec::error (invalid_dimension) without an embedder or
  /// when its dim() is not 1..4096.
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
  /// The executor given to the constructor: every operation runs and completes there.
  boost::asio::any_io_executor get_executor() const noexcept;

  /// Opens the store (checking the embedder), writes the quotas, loads the index.
  /// Costs a full load (DynamoDB: a Scan of the whole table) and a quota read
  /// per namespace; fails with the store's errors. void(error_code)
  template <class Token = default_token>
  auto open(Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token), [this] { return open_impl(); });
  }
  /// Looks the prompt up, exact layer first (see the top of this header).
  /// A miss is no error: lookup::reason says why. Fails with ddb::error:
  /// invalid_config before open(), invalid_utf8, or a store failure. Costs a
  /// sync at most every sync_interval, the exact lookup, then one embedding
  /// and a read per candidate (up to 3); hits write later, in batches.
  /// void(error_code, lookup)
  template <class Token = default_token>
  auto get(std::string query, get_options opt, Token&& token = {}) {
    return ddb::detail::run_op<lookup>(get_executor(), std::forward<Token>(token),
                                       [this, q = std::move(query), o = std::move(opt)]() mutable {
                                         return get_impl(std::move(q), std::move(o));
                                       });
  }
  /// get() in namespace "default", embedded by the embedder.
  template <class Token = default_token>
    requires(!std::is_same_v<std::decay_t<Token>, get_options>)
  auto get(std::string query, Token&& token = {}) {
    return get(std::move(query), get_options(), std::forward<Token>(token));
  }
  /// Stores the answer (replacing the prompt's entry in that namespace), then
  /// evicts least recently used entries past a quota or max_entries.
  /// Errors (ddb::error): sizes over the limits, metadata that is not a
  /// JSON object, an embedder failure, a vector of the wrong dimension, an
  /// entry over the store's item limit; codes item_too_large, invalid_json,
  /// embedder_failed (also NaN or all zeros), dimension_mismatch, item_too_large.
  /// Also invalid_config (before open(), an empty namespace), invalid_utf8,
  /// write_conflict (see dynamodb_store::upsert). void(error_code)
  template <class Token = default_token>
  auto put(std::string query, std::string response, put_options opt, Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token),
                                     [this, q = std::move(query), r = std::move(response), o = std::move(opt)]() mutable {
                                       return put_impl(std::move(q), std::move(r), std::move(o));
                                     });
  }
  /// put() in namespace "default", embedded by the embedder, no metadata, default_ttl.
  template <class Token = default_token>
    requires(!std::is_same_v<std::decay_t<Token>, put_options>)
  auto put(std::string query, std::string response, Token&& token = {}) {
    return put(std::move(query), std::move(response), put_options(), std::forward<Token>(token));
  }
  /// Deletes the prompt's entry from namespace `ns` (a lookup and a store
  /// remove); false when there was none. void(error_code, bool removed)
  template <class Token = default_token>
  auto remove(std::string query, std::string ns, Token&& token = {}) {
    return ddb::detail::run_op<bool>(get_executor(), std::forward<Token>(token),
                                     [this, q = std::move(query), n = std::move(ns)]() mutable {
                                       return remove_impl(std::move(q), std::move(n));
                                     });
  }
  /// remove() from namespace "default".
  template <class Token = default_token>
    requires(!std::is_convertible_v<Token, std::string>)
  auto remove(std::string query, Token&& token = {}) {
    return remove(std::move(query), "default", std::forward<Token>(token));
  }
  /// Removes expired entries (one namespace or all); void(error_code, std::size_t removed).
  /// Syncs with the store first, then one store remove per expired entry.
  template <class Token = default_token>
  auto vacuum(std::optional<std::string> ns, Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token),
                                            [this, n = std::move(ns)]() mutable { return vacuum_impl(std::move(n)); });
  }
  /// vacuum() of every namespace.
  template <class Token = default_token>
    requires(!std::is_convertible_v<Token, std::optional<std::string>>)
  auto vacuum(Token&& token = {}) {
    return vacuum(std::nullopt, std::forward<Token>(token));
  }
  /// Namespaces holding at least one entry, sorted, after a sync with the
  /// store. `void(error_code, std::vector<std::string>)`
  template <class Token = default_token>
  auto list_namespaces(Token&& token = {}) {
    return ddb::detail::run_op<std::vector<std::string>>(get_executor(), std::forward<Token>(token),
                                                         [this] { return list_namespaces_impl(); });
  }
  /// Removes every entry of namespace `ns` (a sync, then one store remove per
  /// entry; not counted as evictions). void(error_code, std::size_t removed)
  template <class Token = default_token>
  auto clear_namespace(std::string ns, Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token),
                                            [this, n = std::move(ns)]() mutable { return clear_namespace_impl(std::move(n)); });
  }
  /// Removes every entry of every namespace, the same way. void(error_code, std::size_t removed)
  template <class Token = default_token>
  auto clear(Token&& token = {}) {
    return ddb::detail::run_op<std::size_t>(get_executor(), std::forward<Token>(token), [this] { return clear_impl(); });
  }
  /// Writes the access times still waiting to be written (also done in the background).
  template <class Token = default_token>
  auto flush(Token&& token = {}) {
    return ddb::detail::run_op<void>(get_executor(), std::forward<Token>(token), [this] { return flush_impl(); });
  }
  /// Syncs with the store to see that it answers; a failure is reported in
  /// health_report::problem, not as an error. void(error_code, health_report)
  template <class Token = default_token>
  auto health(Token&& token = {}) {
    return ddb::detail::run_op<health_report>(get_executor(), std::forward<Token>(token), [this] { return health_impl(); });
  }
  /// Counters since construction, per namespace and in total; reads only
  /// this process's state (no request).
  cache_stats stats() const;
  void set_similarity_threshold(float value);  ///< -1..1, else throws ddb::error
  /// The threshold in use (cache_options::similarity_threshold, or the last one set).
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
