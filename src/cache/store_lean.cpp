// The lean layout: ddb's own table design for the semantic cache, built for
// cost and for many writers. No counter item, no transaction anywhere.
//
// One table, partition key `k` (N):
//   k >= 1   an entry, keyed by its prompt: k = 63 bits of
//            SHA-256(namespace "\n" query_hash), so every process computes
//            the same key and two puts of one prompt land on one item.
//            n namespace (S), h query hash (B, 32 bytes), q query (S),
//            r response (S), e embedding (B: IEEE halves when f = 1, else
//            float32), m metadata (S, only when not "{}"), c created_at,
//            x expires_at (epoch seconds: native TTL deletes it), and the
//            feed keys p (shard) and u (change stamp).
//            A delete turns the item into a tombstone: the content goes, t = 1
//            is set, u moves, x = now + retention (TTL removes it later).
//   k < 0    a hit log: the hits one process recorded in one flush, packed in
//            a (B: 20 bytes per hit: id u64, time i64, count i32, little
//            endian), with p, u, and x = now + retention.
//   k = 0    meta: embedder_fingerprint, embedder_dim, layout "lean", half,
//            shards, retention, quotas (M).
// One GSI, `feed` (p, u), projecting only t and a: every change (put,
// delete, hit log) appears there in stamp order, as a small index item.
//
// Costs: a put is one PutItem (its size in units) plus one index unit; a hit
// writes nothing itself: a flush writes one log item per 45 hits; a delete is
// one UpdateItem. Nothing is conditioned on shared state, so no put fails
// under contention; the put's only condition (the key holds this prompt or
// nothing) fails on a 63-bit collision between two prompts, reported as such.
//
// Following other processes: Query the feed (each shard) for stamps after
// the last sync minus sync_window (index lag and writers' clock skew), skip
// what this process already has (same stamp), read changed entries by key
// (consistent), apply tombstones and hit logs from the index items
// themselves. With nothing changed, a sync is one empty Query per shard
// (0.5 read units each). A process that has not synced for longer than
// retention (tombstones and logs are gone by then) reloads by parallel Scan.
// Knowing every entry, a loaded store reads nothing for a prompt it has not
// seen: the exact layer's miss is free.
#include <boost/asio/this_coro.hpp>

#include <bit>
#include <cstring>
#include <set>
#include <unordered_map>

#include "cache/dynamodb_common.hpp"
#include "core/crypto.hpp"
#include "ddb/limits.hpp"
#include "ddb/paginate.hpp"
#include "ddb/vec/index.hpp"

namespace ddb::cache::detail {
namespace asio = boost::asio;

static_assert(std::endian::native == std::endian::little, "embeddings and hit logs are stored little-endian");

namespace {

constexpr std::size_t hits_per_log = 45;  // 900 bytes of records: the log item stays under 1 KB
constexpr std::size_t hit_bytes = 20;

item key_of(std::int64_t k) { return item{{"k", value(k)}}; }

bytes raw_hash(const std::string& hex) {
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
  };
  bytes out;
  if (hex.size() != 64) return out;
  out.resize(32);
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return bytes();
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

bool is_tombstone(const item& it) { return it.find("t") != nullptr; }

}  // namespace

std::uint64_t lean_id(const std::string& ns, const std::string& hash) {
  const auto d = crypto::sha256(ns + "\n" + hash);
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | d[static_cast<std::size_t>(i)];
  h >>= 1;  // 63 bits: a positive int64
  return h ? h : 1;
}

struct lean_store::impl {
  impl(ddb::client& c, dynamodb_store_options o) : client(c), opt(std::move(o)), rng(std::random_device{}()) {}
  ddb::client& client;
  dynamodb_store_options opt;
  std::mt19937_64 rng;
  bool half = true;
  std::int64_t shards = 1;
  std::int64_t retention_s = 86400;
  std::size_t dim = 0;

  // What this process knows of each entry: its stamp (a feed row with the
  // same stamp is already here) and its hits (from every process's logs).
  struct known_entry {
    std::string ns;
    std::int64_t stamp = 0;
    epoch_seconds created_at = 0, last_accessed_at = 0;
    std::int64_t access_count = 0;
  };
  std::unordered_map<std::uint64_t, known_entry> known;
  std::unordered_map<std::int64_t, std::int64_t> seen_logs;  // log key -> stamp, within the window
  bool loaded = false;  // load_all has run: `known` holds every entry (as of the last sync)

  std::int64_t stamp() { return server_millis(client) * 1000 + static_cast<std::int64_t>(rng() % 1000); }
  std::int64_t window() const { return static_cast<std::int64_t>(opt.sync_window.count()) * 1000; }
  std::int64_t shard_of(std::uint64_t id) const { return static_cast<std::int64_t>(id % static_cast<std::uint64_t>(shards)); }

  item to_item(const entry& e, std::int64_t u) const {
    bytes emb;
    if (half) {
      std::vector<std::uint16_t> h(e.embedding.size());
      vec::to_f16(e.embedding, h);
      emb.resize(h.size() * 2);
      if (!emb.empty()) std::memcpy(emb.data(), h.data(), emb.size());  // (memcpy of nothing from null is undefined)
    } else {
      emb.resize(e.embedding.size() * sizeof(float));
      if (!emb.empty()) std::memcpy(emb.data(), e.embedding.data(), emb.size());
    }
    item it{{"k", value(static_cast<std::int64_t>(e.id))},
            {"n", value(e.ns)},
            {"h", value(raw_hash(e.query_hash))},
            {"q", value(e.query)},
            {"r", value(e.response)},
            {"e", value(std::move(emb))},
            {"c", value(e.created_at)},
            {"p", value(shard_of(e.id))},
            {"u", value(u)}};
    if (half) it.insert_or_assign("f", value(1));
    if (e.metadata != "{}") it.insert_or_assign("m", value(e.metadata));
    if (e.expires_at) it.insert_or_assign("x", value(*e.expires_at));
    return it;
  }

  entry from_item(const item& it) const { return lean_entry_from_item(it); }

  // Notes an entry read or written; hits known for it go into e.
  void learn(entry& e) {
    known_entry& k = known[e.id];
    if (k.created_at != e.created_at) k.access_count = 0;  // another write of the prompt: mneme resets its hits
    k.last_accessed_at = std::max(k.last_accessed_at, e.last_accessed_at);
    k.ns = e.ns;
    k.stamp = static_cast<std::int64_t>(e.version);
    k.created_at = e.created_at;
    e.last_accessed_at = std::max(k.last_accessed_at, e.created_at);
    e.access_count = k.access_count;
  }

  void apply_log(const item& it) {
    const value* a = it.find("a");
    if (!a || a->kind() != ddb::type::binary) return;
    const bytes& raw = a->as_binary();
    for (std::size_t off = 0; off + hit_bytes <= raw.size(); off += hit_bytes) {
      std::uint64_t id = 0;
      std::int64_t at = 0;
      std::int32_t count = 0;
      std::memcpy(&id, raw.data() + off, 8);
      std::memcpy(&at, raw.data() + off + 8, 8);
      std::memcpy(&count, raw.data() + off + 16, 4);
      auto k = known.find(id);
      if (k == known.end()) continue;  // gone, or not known yet (its load will bring the hits logged after it)
      k->second.last_accessed_at = std::max(k->second.last_accessed_at, at);
      k->second.access_count += count;
    }
  }

  asio::awaitable<std::optional<item>> get(std::uint64_t id, bool consistent) {
    get_item_request r;
    r.table_name = opt.table_name;
    r.key = key_of(static_cast<std::int64_t>(id));
    r.consistent_read = consistent;
    get_item_response resp = co_await client.get_item(r);
    if (resp.item.empty()) co_return std::nullopt;
    co_return std::move(resp.item);
  }

  asio::awaitable<std::vector<item>> read_ids(const std::set<std::uint64_t>& ids) {
    std::vector<item> keys;
    for (std::uint64_t id : ids) keys.push_back(key_of(static_cast<std::int64_t>(id)));
    co_return co_await read_keys(client, opt.table_name, "k", std::move(keys), "reading changes");
  }

  // The PutItem of entry e (its id set from its prompt), with `condition`
  // over #n = namespace and #h = query hash (:n, :h).
  put_item_request put_of(entry& e, std::string condition) {
    bytes h = raw_hash(e.query_hash);
    if (h.empty())
      throw ddb::error(fail(errc::invalid_config, "the entry's query_hash must be 64 lowercase hex digits (cache::query_hash)"));
    e.id = lean_id(e.ns, e.query_hash);
    put_item_request p;
    p.table_name = opt.table_name;
    p.item = to_item(e, stamp());
    check_item_size(p.item, e.embedding.size() * (half ? 2 : 4));
    p.condition_expression = std::move(condition);
    p.expression_attribute_names = {{"#n", "n"}, {"#h", "h"}};
    p.expression_attribute_values = item{{":n", value(e.ns)}, {":h", value(std::move(h))}};
    return p;
  }

  // The update that turns entry `id` into a tombstone, when `condition` holds.
  update_item_request tombstone_update(std::uint64_t id, std::string condition) {
    update_item_request u;
    u.table_name = opt.table_name;
    u.key = key_of(static_cast<std::int64_t>(id));
    u.update_expression = "REMOVE #q, #r, #e, #m, #c, #f SET #t = :one, #u = :u, #p = :p, #x = :x";
    u.condition_expression = std::move(condition);
    u.expression_attribute_names = {{"#q", "q"}, {"#r", "r"}, {"#e", "e"}, {"#m", "m"}, {"#c", "c"}, {"#f", "f"},
                                    {"#t", "t"}, {"#u", "u"}, {"#p", "p"}, {"#x", "x"}};
    u.expression_attribute_values = item{{":one", value(1)},
                                         {":u", value(stamp())},
                                         {":p", value(shard_of(id))},
                                         {":x", value(server_seconds(client) + retention_s)}};
    return u;
  }

  void take_settings(const item& meta) {
    half = num(meta, "half", 1) == 1;
    shards = std::max<std::int64_t>(num(meta, "shards", 1), 1);
    retention_s = std::max<std::int64_t>(num(meta, "retention", 86400), 60);
  }
};

lean_store::lean_store(ddb::client& c, dynamodb_store_options opt) : impl_(std::make_unique<impl>(c, std::move(opt))) {}
lean_store::~lean_store() = default;
std::string lean_store::opt_table() const { return impl_->opt.table_name; }

asio::awaitable<void> lean_store::create(ddb::client& c, const dynamodb_store_options& opt) {
  create_table_request r;
  r.table_name = opt.table_name;
  r.attribute_definitions = {{"k", ddb::scalar_attribute_type::n}, {"p", ddb::scalar_attribute_type::n}, {"u", ddb::scalar_attribute_type::n}};
  r.key_schema = {{"k", ddb::key_type::hash}};
  r.billing_mode = opt.billing_mode;
  global_secondary_index g;
  g.index_name = "feed";
  g.key_schema = {{"p", ddb::key_type::hash}, {"u", ddb::key_type::range}};
  g.projection.projection_type = ddb::projection_type::include;  // what a sync reads: tombstone marks and hit logs
  g.projection.non_key_attributes = {"t", "a"};
  if (opt.billing_mode == ddb::billing_mode::provisioned) {
    g.provisioned_throughput = provisioned_throughput{opt.read_capacity, opt.write_capacity};
    r.provisioned_throughput = provisioned_throughput{opt.read_capacity, opt.write_capacity};
  }
  r.global_secondary_indexes = {std::move(g)};
  co_await c.create_table(r);
  co_await wait_active(c, opt.table_name);
  update_time_to_live_request ttl;
  ttl.table_name = opt.table_name;
  ttl.time_to_live_specification.attribute_name = "x";
  ttl.time_to_live_specification.enabled = true;
  co_await c.update_time_to_live(ttl);
}

asio::awaitable<void> lean_store::open(std::string fingerprint, std::size_t dim) {
  impl& s = *impl_;
  s.dim = dim;
  put_item_request meta;
  meta.table_name = s.opt.table_name;
  meta.item = item{{"k", value(0)},
                   {"layout", value("lean")},
                   {"embedder_fingerprint", value(fingerprint)},
                   {"embedder_dim", value(static_cast<std::int64_t>(dim))},
                   {"half", value(s.opt.half_precision ? 1 : 0)},
                   {"shards", value(s.opt.feed_shards)},
                   {"retention", value(static_cast<std::int64_t>(s.opt.retention.count()))},
                   {"quotas", value(item{})}};
  meta.condition_expression = "attribute_not_exists(k)";
  auto [ec, resp] = co_await s.client.put_item(meta, tuple_token);
  if (!ec) {
    s.take_settings(meta.item);
    co_return;
  }
  if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  item existing = co_await this->meta();
  check_embedder(s.opt.table_name, existing, fingerprint, dim);
  s.take_settings(existing);  // the table's settings, whatever this process's options say
}

asio::awaitable<item> lean_store::meta() {
  std::optional<item> m = co_await impl_->get(0, true);
  co_return m ? std::move(*m) : item{};
}

asio::awaitable<void> lean_store::update_meta(update_item_request u) {
  u.table_name = impl_->opt.table_name;
  u.key = key_of(0);
  co_await impl_->client.update_item(u);
}

asio::awaitable<std::optional<entry>> lean_store::get_by_id(std::uint64_t id) {
  impl& s = *impl_;
  std::optional<item> it = co_await s.get(id, false);
  // "Not there" from an eventually consistent read may be a write not yet
  // visible: callers forget ids on that answer, so it is confirmed first.
  if (!it) it = co_await s.get(id, true);
  if (!it || is_tombstone(*it)) co_return std::nullopt;
  entry e = s.from_item(*it);
  s.learn(e);
  co_return e;
}

asio::awaitable<std::optional<entry>> lean_store::get_by_hash(std::string ns, std::string hash) {
  impl& s = *impl_;
  const std::uint64_t id = lean_id(ns, hash);
  // Once loaded, this store knows every entry up to its last sync: a prompt
  // it does not know costs no read (the semantic layer's usual case). One
  // written elsewhere since is found after the next sync, like an index's lag.
  if (s.loaded && !s.known.count(id)) co_return std::nullopt;
  std::optional<item> it = co_await s.get(id, false);
  if (!it || is_tombstone(*it)) co_return std::nullopt;
  entry e = s.from_item(*it);
  if (e.ns != ns || e.query_hash != hash) co_return std::nullopt;  // another prompt on the same 63 bits
  s.learn(e);
  co_return e;
}

asio::awaitable<std::uint64_t> lean_store::upsert(entry e) {
  impl& s = *impl_;
  put_item_request p = s.put_of(e, "attribute_not_exists(k) OR (#n = :n AND #h = :h)");
  const auto u = num(p.item, "u");
  auto [ec, resp] = co_await s.client.put_item(p, tuple_token);
  if (ec == service_errc::conditional_check_failed)
    throw ddb::error(fail(errc::write_conflict, "two prompts share the 63-bit key " + std::to_string(e.id) + " in table " +
                                                    s.opt.table_name + " (astronomically rare): change the prompt"));
  if (ec) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  e.version = static_cast<std::uint64_t>(u);
  s.known.erase(e.id);  // a new write: its hits start again
  s.learn(e);
  co_return e.id;
}

asio::awaitable<bool> lean_store::remove(std::uint64_t id) {
  const bool removed = co_await tombstone(id, std::nullopt);
  co_return removed;
}

asio::awaitable<bool> lean_store::remove_if_unchanged(const entry& seen) {
  const bool removed = co_await tombstone(seen.id, static_cast<std::int64_t>(seen.version));
  co_return removed;
}

asio::awaitable<bool> lean_store::tombstone(std::uint64_t id, std::optional<std::int64_t> only_stamp) {
  impl& s = *impl_;
  std::string condition = "attribute_exists(#c) AND attribute_not_exists(#t)";
  if (only_stamp) condition += " AND #u = :seen";
  update_item_request u = s.tombstone_update(id, std::move(condition));
  if (only_stamp) u.expression_attribute_values.insert_or_assign(":seen", value(*only_stamp));
  auto [ec, resp] = co_await s.client.update_item(u, tuple_token);
  if (ec == service_errc::conditional_check_failed) co_return false;  // gone, or written again since
  if (ec) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  s.known.erase(id);
  co_return true;
}

asio::awaitable<void> lean_store::record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) {
  std::vector<access_record> one{access_record{id, at, count}};
  co_await record_accesses(std::move(one));
}

asio::awaitable<void> lean_store::record_accesses(std::vector<access_record> records) {
  impl& s = *impl_;
  for (std::size_t from = 0; from < records.size(); from += hits_per_log) {
    const std::size_t n = std::min(hits_per_log, records.size() - from);
    bytes raw(n * hit_bytes);
    for (std::size_t i = 0; i < n; ++i) {
      const access_record& r = records[from + i];
      const auto count = static_cast<std::int32_t>(std::clamp<std::int64_t>(r.count, 0, INT32_MAX));
      std::memcpy(raw.data() + i * hit_bytes, &r.id, 8);
      std::memcpy(raw.data() + i * hit_bytes + 8, &r.at, 8);
      std::memcpy(raw.data() + i * hit_bytes + 16, &count, 4);
    }
    const auto key = -static_cast<std::int64_t>((s.rng() >> 2) + 1);
    put_item_request p;
    p.table_name = s.opt.table_name;
    p.item = item{{"k", value(key)},
                  {"p", value(static_cast<std::int64_t>(s.rng() % static_cast<std::uint64_t>(s.shards)))},
                  {"u", value(s.stamp())},
                  {"x", value(server_seconds(s.client) + s.retention_s)},
                  {"a", value(raw)}};
    co_await s.client.put_item(p);
    s.seen_logs[key] = num(p.item, "u");
    s.apply_log(p.item);
  }
}

asio::awaitable<std::vector<std::uint64_t>> lean_store::lru_ids(std::optional<std::string> ns, std::size_t n) {
  impl& s = *impl_;
  std::vector<std::pair<std::int64_t, std::uint64_t>> order;
  for (const auto& [id, k] : s.known)
    if (!ns || k.ns == *ns) order.emplace_back(std::max(k.last_accessed_at, k.created_at), id);
  std::sort(order.begin(), order.end());
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < order.size() && i < n; ++i) out.push_back(order[i].second);
  co_return out;
}

asio::awaitable<store_snapshot> lean_store::load_all() {
  impl& s = *impl_;
  store_snapshot snap;
  snap.cursor.time = s.stamp();  // taken before the scan: later changes are re-read, never missed
  scan_request r;
  r.table_name = s.opt.table_name;
  r.consistent_read = true;
  std::vector<item> items = co_await scan_all(s.client, r, static_cast<std::size_t>(std::max<std::int64_t>(s.opt.scan_segments, 1)));
  s.known.clear();
  s.seen_logs.clear();
  std::vector<const item*> logs;
  for (const item& it : items) {
    const std::int64_t k = num(it, "k");
    if (k < 0) {
      logs.push_back(&it);
      s.seen_logs[k] = num(it, "u");
    } else if (k > 0 && !is_tombstone(it)) {
      entry e = s.from_item(it);
      s.learn(e);
      snap.entries.push_back(std::move(e));
    }
  }
  for (const item* log : logs) s.apply_log(*log);
  s.loaded = true;
  for (entry& e : snap.entries) {
    const auto& k = s.known[e.id];
    e.last_accessed_at = std::max(k.last_accessed_at, e.created_at);
    e.access_count = k.access_count;
  }
  co_return snap;
}

asio::awaitable<store_changes> lean_store::changes_since(store_cursor cursor) {
  impl& s = *impl_;
  store_changes out;
  const std::int64_t now = s.stamp();
  out.cursor.time = now;
  // Deletions and hit logs older than retention are gone from the feed.
  if (cursor.time < now - s.retention_s * 1'000'000 + s.window()) {
    out.full_reload = true;
    co_return out;
  }
  const std::int64_t lower = cursor.time - s.window();
  std::set<std::uint64_t> fetch;
  std::set<std::uint64_t> removed;
  std::vector<item> logs;
  for (std::int64_t shard = 0; shard < s.shards; ++shard) {
    query_request q;
    q.table_name = s.opt.table_name;
    q.index_name = "feed";
    q.key_condition_expression = "#p = :p AND #u > :lower";
    q.expression_attribute_names = {{"#p", "p"}, {"#u", "u"}};
    q.expression_attribute_values = item{{":p", value(shard)}, {":lower", value(lower)}};
    std::vector<item> rows = co_await query_all(s.client, q);
    for (const item& row : rows) {
      const std::int64_t k = num(row, "k"), u = num(row, "u");
      if (k < 0) {
        if (s.seen_logs.emplace(k, u).second) logs.push_back(row);  // applied once the entries are in
        continue;
      }
      if (k == 0) continue;
      const auto id = static_cast<std::uint64_t>(k);
      auto known = s.known.find(id);
      if (known != s.known.end() && known->second.stamp >= u) continue;  // already here (or newer)
      if (is_tombstone(row)) {
        if (known != s.known.end()) {
          removed.insert(id);
          s.known.erase(known);
        }
        fetch.erase(id);
      } else {
        fetch.insert(id);
        removed.erase(id);
      }
    }
  }
  std::set<std::uint64_t> present;
  for (const item& it : co_await s.read_ids(fetch)) {
    const auto id = static_cast<std::uint64_t>(num(it, "k"));
    if (is_tombstone(it)) continue;
    entry e = s.from_item(it);
    present.insert(id);
    s.learn(e);
    out.changed.push_back(std::move(e));
  }
  for (std::uint64_t id : fetch)
    if (!present.count(id)) {
      removed.insert(id);
      s.known.erase(id);
    }
  for (const item& log : logs) s.apply_log(log);
  out.removed.assign(removed.begin(), removed.end());
  for (auto it = s.seen_logs.begin(); it != s.seen_logs.end();) it = it->second < lower ? s.seen_logs.erase(it) : std::next(it);
  co_return out;
}

asio::awaitable<void> lean_store::import_entries(std::vector<entry> entries) {
  impl& s = *impl_;
  std::set<std::uint64_t> seen;
  std::vector<write_request> writes;
  writes.reserve(entries.size());
  for (entry& e : entries) {
    e.id = lean_id(e.ns, e.query_hash);
    if (!seen.insert(e.id).second)
      throw ddb::error(fail(errc::duplicate_key, "import_entries: the prompt " + e.query_hash + " twice in namespace " + e.ns));
    e.version = static_cast<std::uint64_t>(s.stamp());
    write_request w;
    w.put_request = put_request{s.to_item(e, static_cast<std::int64_t>(e.version))};
    writes.push_back(std::move(w));
  }
  co_await write_all(s.client, s.opt.table_name, "k", std::move(writes), "import_entries");
  for (entry& e : entries) s.learn(e);
}

asio::awaitable<bool> lean_store::put_if_older(entry e) {
  impl& s = *impl_;
  // Not over a later write of the prompt, nor over its deletion.
  put_item_request p = s.put_of(e, "attribute_not_exists(k) OR (#c < :c AND #n = :n AND #h = :h)");
  p.expression_attribute_names.emplace("#c", "c");
  p.expression_attribute_values.insert_or_assign(":c", value(e.created_at));
  auto [ec, resp] = co_await s.client.put_item(p, tuple_token);
  if (ec == service_errc::conditional_check_failed) co_return false;
  if (ec) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  co_return true;
}

asio::awaitable<void> lean_store::remove_if_older(std::string ns, std::string hash, epoch_seconds created_at) {
  impl& s = *impl_;
  update_item_request u = s.tombstone_update(lean_id(ns, hash), "attribute_not_exists(#t) AND #c <= :c");
  u.expression_attribute_values.insert_or_assign(":c", value(created_at));
  auto [ec, resp] = co_await s.client.update_item(u, tuple_token);
  if (ec && ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
}

asio::awaitable<std::optional<std::size_t>> lean_store::quota(std::string ns) {
  auto q = co_await read_quota(impl_->client, impl_->opt.table_name, key_of(0), std::move(ns));
  co_return q;
}

asio::awaitable<void> lean_store::set_quota(std::string ns, std::optional<std::size_t> max_entries) {
  co_await write_quota(impl_->client, impl_->opt.table_name, key_of(0), std::move(ns), max_entries);
}

}  // namespace ddb::cache::detail
