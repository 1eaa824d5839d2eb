// The mneme layout: mneme's own DynamoDBStore schema, written the way mneme
// writes it, so that ddb and mneme's Python code share one table.
//
// One table, partition key `id` (N):
//   id = 0     meta: next_id, version_counter, embedder_fingerprint,
//              embedder_dim, meta (M), quotas (M); ddb adds recent (M) and
//              recent_seq (N), which mneme never reads (its updates SET or
//              ADD single attributes, so they survive)
//   id >= 1    entries, exactly mneme's attributes: namespace, query_hash,
//              query, response, embedding (B, little-endian float32),
//              metadata (JSON text), created_at, last_accessed_at,
//              access_count, and ttl: a DURATION in seconds, the entry
//              expiring at created_at + ttl. Native TTL cannot read that
//              (it wants an epoch time), so it stays off: expired entries
//              are removed by readers that find them and by vacuum().
// GSIs gsi_hash (namespace, query_hash) and gsi_lru (namespace,
// last_accessed_at), projection ALL: mneme builds its exact-layer answer from
// the gsi_hash item itself.
//
// Writes, as mneme's: an insert is one TransactWriteItems of the entry
// (attribute_not_exists(id)) and the meta update conditioned on the next_id
// and version_counter read; a re-put finds the prompt through gsi_hash and
// replaces the item in a transaction with a version bump; a delete is a
// transaction of the delete and a bump. ddb's additions, invisible to mneme:
//   - its re-puts and deletes record "seq:id" in the meta item's ring of 16
//     (`recent`), so other ddb processes re-read exactly those entries;
//   - an insert that lost the counter race reads the entries inserted in
//     between (ids are dense) and turns into a re-put if one holds its prompt,
//     so two ddb processes putting the same new prompt end with one entry
//     (mneme itself relies on gsi_hash, which lags: its race remains);
//   - hits are recorded with a plain UpdateItem, without mneme's counter
//     bump: no mneme answer depends on that bump (it only makes mneme
//     processes rescan), and skipping it spares every process a rescan.
//
// Following other processes: read the meta item; new ids are fetched by key,
// ring records by key, and version bumps that neither explains (mneme's
// re-puts, deletes and hits) by a gsi_lru query per namespace for entries
// touched since the last sync (mneme stamps last_accessed_at on both). A
// mneme delete is found when the entry is next read (it is then forgotten).
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/post.hpp>

#include <bit>
#include <cstring>
#include <limits>
#include <deque>
#include <set>

#include "cache/dynamodb_common.hpp"
#include "ddb/limits.hpp"
#include "ddb/paginate.hpp"
#include "ddb/retry.hpp"

namespace ddb::cache::detail {
namespace asio = boost::asio;

static_assert(std::endian::native == std::endian::little, "embeddings are stored as little-endian float32");

namespace {

constexpr std::uint64_t ring_size = 16;
constexpr std::uint64_t max_new_ids = 5000;  // new entries behind: beyond this a reload is cheaper

item key_of(std::int64_t id) { return item{{"id", value(id)}}; }

item to_item(const entry& e) {
  bytes raw(e.embedding.size() * sizeof(float));
  if (!raw.empty()) std::memcpy(raw.data(), e.embedding.data(), raw.size());  // (memcpy of nothing from null is undefined)
  item it{{"id", value(static_cast<std::int64_t>(e.id))},
          {"namespace", value(e.ns)},
          {"query_hash", value(e.query_hash)},
          {"query", value(e.query)},
          {"response", value(e.response)},
          {"embedding", value(std::move(raw))},
          {"metadata", value(e.metadata)},
          {"created_at", value(e.created_at)},
          {"last_accessed_at", value(e.last_accessed_at)},
          {"access_count", value(e.access_count)}};
  if (e.expires_at) {
    std::int64_t ttl = 0;  // a duration; past the 64-bit range (a saturated expiry): the longest
    if (__builtin_sub_overflow(*e.expires_at, e.created_at, &ttl)) ttl = std::numeric_limits<std::int64_t>::max();
    it.insert_or_assign("ttl", value(std::max<std::int64_t>(ttl, 0)));
  }
  return it;
}

}  // namespace

struct mneme_store::impl {
  impl(ddb::client& c, dynamodb_store_options o, bool l)
      : client(c), opt(std::move(o)), legacy(l), rng(std::random_device{}()) {}
  ddb::client& client;
  dynamodb_store_options opt;
  bool legacy;
  std::mt19937_64 rng;
  // (namespace, hash) -> id, learned from what this store has read: spares
  // the gsi_hash query for known prompts (the entry read then confirms it).
  std::map<std::pair<std::string, std::string>, std::uint64_t> known;
  std::set<std::string> namespaces;

  // Mutations of one store take turns: they all go through the one counter,
  // which takes one change per round trip anyway, so writers in this process
  // racing each other would only burn attempts. Other processes still race.
  bool writing = false;
  std::deque<asio::any_completion_handler<void()>> turn_queue;

  asio::awaitable<void> take_turn() {
    if (!writing) {
      writing = true;
      co_return;
    }
    auto wait = [this](auto handler) { turn_queue.emplace_back(std::move(handler)); };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(wait, asio::use_awaitable);
  }
  void end_turn() {
    if (turn_queue.empty()) {
      writing = false;
      return;
    }
    auto next = std::move(turn_queue.front());
    turn_queue.pop_front();
    // Resumed from the loop, not from inside the finishing writer; `writing`
    // stays true: the turn passes on.
    asio::post(client.get_executor(), [h = std::move(next)]() mutable { std::move(h)(); });
  }
  struct turn {
    impl* s;
    ~turn() { s->end_turn(); }
  };

  void learn(const entry& e) {
    known[{e.ns, e.query_hash}] = e.id;
    namespaces.insert(e.ns);
  }
  entry from(const item& it) { return mneme_entry_from_item(it, legacy); }

  // Full jitter, doubling from 10 ms to 320 ms: writers that lost together come back apart.
  asio::awaitable<void> backoff(int attempt) {
    const auto delay = ddb::full_jitter(std::chrono::milliseconds(10), std::chrono::milliseconds(320), attempt + 1,
                                   std::uniform_real_distribution<double>(0.0, 1.0)(rng));
    asio::steady_timer t(co_await asio::this_coro::executor, delay);
    co_await t.async_wait(asio::use_awaitable);
  }

  asio::awaitable<std::optional<item>> get(std::int64_t id, bool consistent) {
    get_item_request r;
    r.table_name = opt.table_name;
    r.key = key_of(id);
    r.consistent_read = consistent;
    get_item_response resp = co_await client.get_item(r);
    if (resp.item.empty()) co_return std::nullopt;
    co_return std::move(resp.item);
  }

  struct counter {
    std::uint64_t next_id = 1, version = 0, seq = 0;
  };
  static counter counter_of(const item& it) {
    return counter{static_cast<std::uint64_t>(num(it, "next_id", 1)), static_cast<std::uint64_t>(num(it, "version_counter", 0)),
                   static_cast<std::uint64_t>(num(it, "recent_seq", 0))};
  }
  asio::awaitable<counter> read_counter() {
    get_item_request r;
    r.table_name = opt.table_name;
    r.key = key_of(0);
    r.consistent_read = true;
    r.projection_expression = "next_id, version_counter, recent_seq";
    get_item_response resp = co_await client.get_item(r);
    if (resp.item.empty())
      throw ddb::error(fail(errc::invalid_config, "table " + opt.table_name + " has no meta item (id 0): open the store first"));
    co_return counter_of(resp.item);
  }

  // The meta update of a mutation: an insert takes next_id (mneme's own
  // condition); a re-put or delete of `changed` records itself in the ring.
  transact_write_item meta_bump(const counter& c, bool new_id, std::uint64_t changed = 0) const {
    transact_update u;
    u.table_name = opt.table_name;
    u.key = key_of(0);
    if (new_id) {
      u.update_expression = "SET next_id = :n1, version_counter = :v1";
      u.condition_expression = "next_id = :n AND version_counter = :v";
      u.expression_attribute_values = item{{":n", value(static_cast<std::int64_t>(c.next_id))},
                                           {":n1", value(static_cast<std::int64_t>(c.next_id + 1))},
                                           {":v", value(static_cast<std::int64_t>(c.version))},
                                           {":v1", value(static_cast<std::int64_t>(c.version + 1))}};
    } else {
      // Every ring write bumps the version, so conditioning on the version
      // alone orders the ring writes too.
      u.update_expression = "SET version_counter = :v1, recent_seq = :s1, recent.#slot = :rec";
      u.condition_expression = "version_counter = :v";
      u.expression_attribute_names = {{"#slot", "s" + std::to_string((c.seq + 1) % ring_size)}};
      u.expression_attribute_values = item{{":v", value(static_cast<std::int64_t>(c.version))},
                                           {":v1", value(static_cast<std::int64_t>(c.version + 1))},
                                           {":s1", value(static_cast<std::int64_t>(c.seq + 1))},
                                           {":rec", value(std::to_string(c.seq + 1) + ":" + std::to_string(changed))}};
    }
    // A lost race returns the counter's current values: the retry needs no read.
    u.return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old;
    transact_write_item w;
    w.update = std::move(u);
    return w;
  }

  struct outcome {
    bool done = false;
    bool entry_failed = false;     // the entry's own condition failed
    std::optional<counter> now;    // the meta condition failed, and this is the counter now
  };
  // Runs one transaction: the entry action first, the counter update last.
  // Throws for anything but failed conditions and conflicts (which say: retry).
  asio::awaitable<outcome> transact(std::vector<transact_write_item> actions) {
    const std::size_t meta_at = actions.size() - 1;
    transact_write_items_request r;
    r.transact_items = std::move(actions);
    auto [ec, resp] = co_await client.transact_write_items(r, tuple_token);
    outcome o;
    if (!ec) {
      o.done = true;
      co_return o;
    }
    if (ec == service_errc::transaction_canceled) {
      const auto& reasons = resp.diag.cancellation_reasons;
      for (const auto& reason : reasons)
        if (reason.code != "None" && reason.code != "ConditionalCheckFailed" && reason.code != "TransactionConflict")
          ddb::detail::throw_operation_error(ec, std::move(resp.diag));  // e.g. a ValidationError: not a race
      if (!reasons.empty() && reasons[0].code == "ConditionalCheckFailed") o.entry_failed = true;
      if (meta_at < reasons.size() && reasons[meta_at].code == "ConditionalCheckFailed")
        o.now = reasons[meta_at].item ? counter_of(*reasons[meta_at].item) : counter{};
      co_return o;
    }
    if (ec == service_errc::transaction_conflict || ec == service_errc::transaction_in_progress) co_return o;
    ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  }

  // Entries by id, read consistently; absent ids are left out.
  asio::awaitable<std::vector<item>> read_ids(const std::set<std::int64_t>& ids) {
    std::vector<item> keys;
    for (std::int64_t id : ids) keys.push_back(key_of(id));
    co_return co_await read_keys(client, opt.table_name, "id", std::move(keys), "reading entries");
  }

  // The prompt's entry id as gsi_hash has it (eventually consistent, like mneme's).
  asio::awaitable<std::optional<item>> by_hash_index(const std::string& ns, const std::string& hash) {
    query_request q;
    q.table_name = opt.table_name;
    q.index_name = "gsi_hash";
    q.key_condition_expression = "#ns = :ns AND query_hash = :h";
    q.expression_attribute_names = {{"#ns", "namespace"}};
    q.expression_attribute_values = item{{":ns", value(ns)}, {":h", value(hash)}};
    q.limit = 1;
    query_response r = co_await client.query(q);
    if (r.items.empty()) co_return std::nullopt;
    co_return std::move(r.items.front());
  }

  // A Query of gsi_lru for one namespace (`extra` narrows the key condition).
  query_request lru_query(const std::string& ns, const std::string& extra = {}) const {
    query_request q;
    q.table_name = opt.table_name;
    q.index_name = "gsi_lru";
    q.key_condition_expression = "#ns = :ns" + extra;
    q.expression_attribute_names = {{"#ns", "namespace"}};
    q.expression_attribute_values = item{{":ns", value(ns)}};
    return q;
  }

  [[noreturn]] void lost(const char* what) const {
    throw ddb::error(fail(errc::write_conflict, std::string(what) + " in table " + opt.table_name + " lost to other writers " +
                                                    std::to_string(opt.max_attempts) +
                                                    " times in a row: retry later, or raise dynamodb_store_options::max_attempts"));
  }
};

mneme_store::mneme_store(ddb::client& c, dynamodb_store_options opt, bool legacy)
    : impl_(std::make_unique<impl>(c, std::move(opt), legacy)) {}
mneme_store::~mneme_store() = default;
std::string mneme_store::opt_table() const { return impl_->opt.table_name; }

asio::awaitable<void> mneme_store::create(ddb::client& c, const dynamodb_store_options& opt) {
  create_table_request r;
  r.table_name = opt.table_name;
  r.attribute_definitions = {{"id", ddb::scalar_attribute_type::n}, {"namespace", ddb::scalar_attribute_type::s}, {"query_hash", ddb::scalar_attribute_type::s}, {"last_accessed_at", ddb::scalar_attribute_type::n}};
  r.key_schema = {{"id", ddb::key_type::hash}};
  r.billing_mode = opt.billing_mode;
  auto gsi = [&](const char* name, const char* range) {
    global_secondary_index g;
    g.index_name = name;
    g.key_schema = {{"namespace", ddb::key_type::hash}, {range, ddb::key_type::range}};
    g.projection.projection_type = ddb::projection_type::all;  // mneme reads entries from the index items
    if (opt.billing_mode == ddb::billing_mode::provisioned)
      g.provisioned_throughput = provisioned_throughput{opt.read_capacity, opt.write_capacity};
    return g;
  };
  r.global_secondary_indexes = {gsi("gsi_hash", "query_hash"), gsi("gsi_lru", "last_accessed_at")};
  if (opt.billing_mode == ddb::billing_mode::provisioned) r.provisioned_throughput = provisioned_throughput{opt.read_capacity, opt.write_capacity};
  co_await c.create_table(r);
  co_await wait_active(c, opt.table_name);
  // No native TTL: `ttl` is a duration here (see the top of this file).
}

asio::awaitable<void> mneme_store::open(std::string fingerprint, std::size_t dim) {
  impl& s = *impl_;
  put_item_request meta;
  meta.table_name = s.opt.table_name;
  meta.item = item{{"id", value(0)},
                   {"next_id", value(1)},
                   {"version_counter", value(0)},
                   {"embedder_fingerprint", value(fingerprint)},
                   {"embedder_dim", value(static_cast<std::int64_t>(dim))},
                   {"meta", value(item{})},
                   {"quotas", value(item{})},
                   {"recent", value(item{})}};
  meta.condition_expression = "attribute_not_exists(id)";
  auto [put_ec, put_resp] = co_await s.client.put_item(meta, tuple_token);
  if (!put_ec) co_return;
  if (put_ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(put_ec, std::move(put_resp.diag));
  std::optional<item> existing = co_await s.get(0, true);
  check_embedder(s.opt.table_name, existing ? *existing : item{}, fingerprint, dim);
  if (!existing->find("recent") || !existing->find("quotas")) {
    // A meta item mneme wrote: add the maps later writes go into.
    update_item_request add;
    add.table_name = s.opt.table_name;
    add.key = key_of(0);
    add.update_expression = "SET recent = if_not_exists(recent, :empty), quotas = if_not_exists(quotas, :empty)";
    add.expression_attribute_values = item{{":empty", value(item{})}};
    co_await s.client.update_item(add);
  }
}

asio::awaitable<std::optional<entry>> mneme_store::get_by_id(std::uint64_t id) {
  impl& s = *impl_;
  std::optional<item> it = co_await s.get(static_cast<std::int64_t>(id), false);
  // "Not there" from an eventually consistent read may be a write not yet
  // visible: callers forget ids on that answer, so it is confirmed first.
  if (!it) it = co_await s.get(static_cast<std::int64_t>(id), true);
  if (!it) co_return std::nullopt;
  entry e = s.from(*it);
  s.learn(e);
  co_return e;
}

asio::awaitable<std::optional<entry>> mneme_store::get_by_hash(std::string ns, std::string hash) {
  impl& s = *impl_;
  if (auto k = s.known.find({ns, hash}); k != s.known.end()) {
    std::optional<entry> e = co_await get_by_id(k->second);
    if (e && e->ns == ns && e->query_hash == hash) co_return e;
    s.known.erase({ns, hash});
  }
  std::optional<item> found = co_await s.by_hash_index(ns, hash);
  if (!found) co_return std::nullopt;
  entry e = s.from(*found);  // the index projects every attribute
  if (e.ns != ns || e.query_hash != hash) co_return std::nullopt;
  s.learn(e);
  co_return e;
}

asio::awaitable<std::uint64_t> mneme_store::upsert(entry e) {
  impl& s = *impl_;
  co_await s.take_turn();
  impl::turn in_turn{&s};
  e.id = std::uint64_t(1) << 40;
  check_item_size(to_item(e), e.embedding.size() * sizeof(float));
  // The counter first: an insert that lands after this read has an id from
  // `base` on and is checked below; one that landed before is in gsi_hash
  // (once the index has caught up: the same race as mneme's own puts).
  impl::counter c = co_await s.read_counter();
  // Where the prompt lives now, if anywhere (as mneme looks: gsi_hash).
  std::optional<std::uint64_t> existing;
  if (auto k = s.known.find({e.ns, e.query_hash}); k != s.known.end()) {
    std::optional<item> it = co_await s.get(static_cast<std::int64_t>(k->second), true);
    if (it && str(*it, "namespace") == e.ns && str(*it, "query_hash") == e.query_hash) existing = k->second;
  }
  if (!existing) {
    std::optional<item> found = co_await s.by_hash_index(e.ns, e.query_hash);
    if (found) existing = static_cast<std::uint64_t>(num(*found, "id"));
  }
  // Inserts that land while this put runs take the ids from `base` on: one
  // of them may be this very prompt (another process putting it too), so
  // they are read before each new attempt to insert.
  std::uint64_t base = c.next_id;
  bool read_again = false;
  for (int attempt = 0; attempt < s.opt.max_attempts; ++attempt) {
    if (read_again) {
      co_await s.backoff(attempt);
      c = co_await s.read_counter();
    }
    read_again = true;
    if (!existing && c.next_id > base) {
      std::set<std::int64_t> ids;
      for (std::uint64_t id = std::max(base, c.next_id > 100 ? c.next_id - 100 : 1); id < c.next_id; ++id)
        ids.insert(static_cast<std::int64_t>(id));
      for (const item& it : co_await s.read_ids(ids))
        if (str(it, "namespace") == e.ns && str(it, "query_hash") == e.query_hash)
          existing = static_cast<std::uint64_t>(num(it, "id"));
      base = c.next_id;
    }
    std::vector<transact_write_item> tx;
    transact_put p;
    p.table_name = s.opt.table_name;
    if (existing) {
      e.id = *existing;
      p.item = to_item(e);
      // The id still holds this prompt (or nothing: re-created in place).
      p.condition_expression = "attribute_not_exists(id) OR (#ns = :ns AND query_hash = :h)";
      p.expression_attribute_names = {{"#ns", "namespace"}};
      p.expression_attribute_values = item{{":ns", value(e.ns)}, {":h", value(e.query_hash)}};
    } else {
      e.id = c.next_id;
      p.item = to_item(e);
      p.condition_expression = "attribute_not_exists(id)";
    }
    transact_write_item pw;
    pw.put = std::move(p);
    tx.push_back(std::move(pw));
    tx.push_back(s.meta_bump(c, !existing, e.id));
    const impl::outcome o = co_await s.transact(std::move(tx));
    if (o.done) {
      s.learn(e);
      co_return e.id;
    }
    if (o.entry_failed && existing) {
      existing.reset();  // another prompt at that id: look again
      continue;
    }
    if (o.now) {
      c = *o.now;
      read_again = attempt > 0;  // the first retry goes at once, with the counter the failure returned
    }
  }
  s.lost("a put");
}

asio::awaitable<bool> mneme_store::remove(std::uint64_t id) {
  const bool removed = co_await remove_entry(id, nullptr);
  co_return removed;
}

asio::awaitable<bool> mneme_store::remove_if_unchanged(const entry& seen) {
  const bool removed = co_await remove_entry(seen.id, &seen);
  co_return removed;
}

// Deletes entry `id`; only while it still has seen's created_at and response when given.
asio::awaitable<bool> mneme_store::remove_entry(std::uint64_t id, const entry* seen) {
  impl& s = *impl_;
  co_await s.take_turn();
  impl::turn in_turn{&s};
  impl::counter c = co_await s.read_counter();
  for (int attempt = 0; attempt < s.opt.max_attempts; ++attempt) {
    if (attempt > 1) {
      co_await s.backoff(attempt);
      c = co_await s.read_counter();
    }
    std::vector<transact_write_item> tx;
    transact_delete del;
    del.table_name = s.opt.table_name;
    del.key = key_of(static_cast<std::int64_t>(id));
    del.condition_expression = "attribute_exists(id)";
    if (seen) {
      del.condition_expression = "attribute_exists(id) AND created_at = :c AND #r = :r";
      del.expression_attribute_names = {{"#r", "response"}};  // a reserved word
      del.expression_attribute_values = item{{":c", value(seen->created_at)}, {":r", value(seen->response)}};
    }
    transact_write_item dw;
    dw.delete_ = std::move(del);
    tx.push_back(std::move(dw));
    tx.push_back(s.meta_bump(c, false, id));
    const impl::outcome o = co_await s.transact(std::move(tx));
    if (o.done) co_return true;
    if (o.entry_failed) co_return false;  // gone, or re-put since it was seen
    if (o.now) c = *o.now;
  }
  s.lost("a delete");
}

asio::awaitable<void> mneme_store::record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) {
  impl& s = *impl_;
  update_item_request u;
  u.table_name = s.opt.table_name;
  u.key = key_of(static_cast<std::int64_t>(id));
  u.update_expression = "SET last_accessed_at = :at ADD access_count :n";
  u.condition_expression = "attribute_exists(id) AND last_accessed_at < :at";
  u.expression_attribute_values = item{{":at", value(at)}, {":n", value(count)}};
  auto [ec, r] = co_await s.client.update_item(u, tuple_token);
  if (ec && ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  // A failed condition: the entry is gone, or a later access is already recorded.
}

asio::awaitable<std::vector<std::uint64_t>> mneme_store::lru_ids(std::optional<std::string> ns, std::size_t n) {
  impl& s = *impl_;
  if (n == 0) co_return std::vector<std::uint64_t>{};
  std::vector<std::string> scopes;
  if (ns)
    scopes.push_back(*ns);
  else
    scopes.assign(s.namespaces.begin(), s.namespaces.end());
  std::vector<std::pair<std::int64_t, std::uint64_t>> order;
  for (const std::string& scope : scopes) {
    query_request q = s.lru_query(scope);
    q.projection_expression = "id, last_accessed_at";
    q.scan_index_forward = true;
    // The 1 MB page limit counts whole index entries before the projection:
    // read on until n or the namespace's end.
    std::size_t got = 0;
    for (;;) {
      q.limit = static_cast<std::int64_t>(n - got);
      query_response r = co_await s.client.query(q);
      got += r.items.size();
      for (const item& it : r.items) order.emplace_back(num(it, "last_accessed_at"), static_cast<std::uint64_t>(num(it, "id")));
      if (got >= n || r.last_evaluated_key.empty()) break;
      q.exclusive_start_key = std::move(r.last_evaluated_key);
    }
  }
  std::sort(order.begin(), order.end());
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < order.size() && i < n; ++i) out.push_back(order[i].second);
  co_return out;
}

asio::awaitable<store_snapshot> mneme_store::load_all() {
  impl& s = *impl_;
  store_snapshot snap;
  const std::int64_t t = server_seconds(s.client);
  const impl::counter before = co_await s.read_counter();
  // Taken before the scan: later changes are re-read, never missed.
  snap.cursor = store_cursor{before.version, before.next_id, before.seq, t};
  scan_request r;
  r.table_name = s.opt.table_name;
  r.filter_expression = "id > :zero";
  r.expression_attribute_values = item{{":zero", value(0)}};
  r.consistent_read = true;
  std::vector<item> items = co_await scan_all(s.client, r, static_cast<std::size_t>(std::max<std::int64_t>(s.opt.scan_segments, 1)));
  s.known.clear();
  for (const item& it : items) {
    entry e = s.from(it);
    s.learn(e);
    snap.entries.push_back(std::move(e));
  }
  co_return snap;
}

asio::awaitable<store_changes> mneme_store::changes_since(store_cursor cursor) {
  impl& s = *impl_;
  store_changes out;
  const std::int64_t t = server_seconds(s.client);
  get_item_request g;
  g.table_name = s.opt.table_name;
  g.key = key_of(0);
  g.consistent_read = true;
  g.projection_expression = "next_id, version_counter, recent_seq, recent";
  get_item_response meta = co_await s.client.get_item(g);
  const impl::counter now = impl::counter_of(meta.item);
  out.cursor = store_cursor{now.version, now.next_id, now.seq, t};
  if (now.version == cursor.version) co_return out;
  if (now.version < cursor.version || now.next_id < cursor.next_id || now.seq < cursor.log ||
      now.next_id - cursor.next_id > max_new_ids || now.seq - cursor.log > ring_size) {
    out.full_reload = true;
    co_return out;
  }
  std::set<std::int64_t> ids;
  for (std::uint64_t id = cursor.next_id; id < now.next_id; ++id) ids.insert(static_cast<std::int64_t>(id));
  std::uint64_t recorded = 0;
  if (const value* ring = meta.item.find("recent"); ring && ring->kind() == ddb::type::map) {
    for (const auto& [slot, rec] : ring->as_map()) {
      if (rec.kind() != ddb::type::string) continue;
      const std::string& text = rec.as_string();
      const std::size_t colon = text.find(':');
      if (colon == std::string::npos) continue;
      const std::uint64_t seq = std::strtoull(text.c_str(), nullptr, 10);
      if (seq > cursor.log && seq <= now.seq) {
        ++recorded;
        ids.insert(std::strtoll(text.c_str() + colon + 1, nullptr, 10));
      }
    }
  }
  if (recorded != now.seq - cursor.log) {  // a ring slot was reused before it was read
    out.full_reload = true;
    co_return out;
  }
  std::map<std::uint64_t, entry> changed;
  const std::uint64_t explained = (now.next_id - cursor.next_id) + recorded;
  if (now.version - cursor.version > explained) {
    // Bumps no ddb record explains: mneme's re-puts, deletes and hits. Its
    // re-puts and hits stamp last_accessed_at, so gsi_lru has them.
    const std::int64_t since = cursor.time - std::max<std::int64_t>(s.opt.sync_window.count() / 1000, 1);
    const std::set<std::string> scopes = s.namespaces;
    for (const std::string& ns : scopes) {
      query_request q = s.lru_query(ns, " AND last_accessed_at >= :since");
      q.expression_attribute_values.insert_or_assign(":since", value(since));
      std::vector<item> touched = co_await query_all(s.client, q);
      for (const item& it : touched) {
        entry e = s.from(it);
        ids.erase(static_cast<std::int64_t>(e.id));  // the index has it (a key read below would only repeat it)
        changed[e.id] = std::move(e);
      }
    }
  }
  std::set<std::int64_t> present;
  for (const item& it : co_await s.read_ids(ids)) {
    entry e = s.from(it);
    present.insert(static_cast<std::int64_t>(e.id));
    changed[e.id] = std::move(e);
  }
  for (auto& [id, e] : changed) {
    s.learn(e);
    out.changed.push_back(std::move(e));
  }
  for (std::int64_t id : ids)
    if (id >= 1 && !present.count(id)) out.removed.push_back(static_cast<std::uint64_t>(id));
  co_return out;
}

asio::awaitable<void> mneme_store::import_entries(std::vector<entry> entries) {
  impl& s = *impl_;
  const impl::counter c = co_await s.read_counter();
  if (c.next_id != 1 || c.version != 0)
    throw ddb::error(fail(errc::invalid_config, "import_entries needs an empty table; " + s.opt.table_name + " has had " +
                                                    std::to_string(c.version) + " changes"));
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<write_request> writes;
  writes.reserve(entries.size());
  std::uint64_t id = 0;
  for (entry& e : entries) {
    if (!seen.emplace(e.ns, e.query_hash).second)
      throw ddb::error(fail(errc::duplicate_key, "import_entries: the prompt " + e.query_hash + " twice in namespace " + e.ns));
    e.id = ++id;
    write_request w;
    w.put_request = put_request{to_item(e)};
    writes.push_back(std::move(w));
  }
  co_await write_all(s.client, s.opt.table_name, "id", std::move(writes), "import_entries");
  update_item_request u;
  u.table_name = s.opt.table_name;
  u.key = key_of(0);
  u.update_expression = "SET next_id = :n, version_counter = :v";
  u.condition_expression = "next_id = :one AND version_counter = :zero";
  u.expression_attribute_values = item{{":n", value(static_cast<std::int64_t>(id + 1))},
                                       {":v", value(static_cast<std::int64_t>(id))},
                                       {":one", value(1)},
                                       {":zero", value(0)}};
  co_await s.client.update_item(u);
  for (const entry& e : entries) s.learn(e);
}

void mneme_store::learn_namespace(const std::string& ns) { impl_->namespaces.insert(ns); }

asio::awaitable<std::optional<std::size_t>> mneme_store::quota(std::string ns) {
  auto q = co_await read_quota(impl_->client, impl_->opt.table_name, key_of(0), std::move(ns));
  co_return q;
}

asio::awaitable<void> mneme_store::set_quota(std::string ns, std::optional<std::size_t> max_entries) {
  co_await write_quota(impl_->client, impl_->opt.table_name, key_of(0), std::move(ns), max_entries);
}

}  // namespace ddb::cache::detail
