// The semantic cache's DynamoDB store: mneme's table layout, with the
// guarantees its guide promises and a production user needs.
//
// One table, partition key `id` (N):
//   id = 0        meta: next_id, version_counter, embedder_fingerprint,
//                 embedder_dim, meta (M), quotas (M)
//   id >= 1       entries: namespace, query_hash, query, response,
//                 embedding (B, little-endian float32), metadata (JSON text),
//                 created_at, last_accessed_at, ttl (absolute epoch seconds:
//                 native TTL deletes expired entries), access_count, version
//   id < 0        hash guards, one per (namespace, query_hash): the id their
//                 key hashes to (52 bits), holding the entry's id. A put
//                 creates the guard with attribute_not_exists in the same
//                 transaction as the entry, so two processes putting the same
//                 new prompt end with one entry (the GSI is eventually
//                 consistent and cannot be that guard).
// GSIs (KEYS_ONLY, so no GSI write copies the embedding):
//   gsi_hash (namespace, query_hash)  and  gsi_lru (namespace, last_accessed_at)
//
// Every mutation (insert, re-put, delete) is one TransactWriteItems with the
// meta update conditioned on the version it read (and next_id for inserts);
// a re-put or delete also records "version:id" in the meta item's ring of the
// last 16 such changes (free: the meta item stays under 1 KB, so its write
// costs the same). A cancelled transaction is read action by action:
// a lost counter race or a conflict is retried (jittered backoff, up to
// max_attempts), a failed entry or guard condition means "changed or gone"
// and the put re-reads instead of overwriting. Access records are plain
// conditional updates, never transactions, never version bumps.
//
// Other processes' changes: read the meta item; if its version moved, fetch
// the new entries by key (ids are dense: from the next_id seen last to the
// current one) and the entries the ring names. If the ring no longer holds
// every re-put and delete missed (more than 16 of them), reload everything by
// parallel Scan. Entries native TTL removed are found gone when read.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/asio/post.hpp>

#include <bit>
#include <deque>
#include <cstring>
#include <random>
#include <set>
#include <unordered_map>

#include "core/crypto.hpp"
#include "ddb/batch.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/limits.hpp"
#include "ddb/paginate.hpp"
#include "ddb/waiters.hpp"

namespace ddb::cache {
namespace asio = boost::asio;

static_assert(std::endian::native == std::endian::little, "embeddings are stored as little-endian float32");

namespace {

constexpr std::uint64_t ring_size = 16;
constexpr std::uint64_t max_new_ids = 5000;  // new entries behind: beyond this a reload is cheaper
constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

item key_of(std::int64_t id) { return item{{"id", value(id)}}; }

std::int64_t guard_id(const std::string& ns, const std::string& hash) {
  const auto d = crypto::sha256(ns + "\n" + hash);
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | d[static_cast<std::size_t>(i)];
  return -1 - static_cast<std::int64_t>(h >> 12);  // 52 bits: -2^52 .. -1
}

std::int64_t num(const item& it, const char* name, std::int64_t fallback = 0) {
  const value* v = it.find(name);
  if (!v || v->kind() != ddb::type::number) return fallback;
  auto n = v->as_number().to<std::int64_t>();
  return n ? *n : fallback;
}
std::string str(const item& it, const char* name) {
  const value* v = it.find(name);
  return v && v->kind() == ddb::type::string ? v->as_string() : std::string();
}

entry from_item(const item& it) {
  entry e;
  e.id = static_cast<std::uint64_t>(num(it, "id"));
  e.ns = str(it, "namespace");
  e.query_hash = str(it, "query_hash");
  e.query = str(it, "query");
  e.response = str(it, "response");
  e.metadata = str(it, "metadata");
  if (e.metadata.empty()) e.metadata = "{}";
  e.created_at = num(it, "created_at");
  e.last_accessed_at = num(it, "last_accessed_at");
  e.access_count = num(it, "access_count");
  e.version = static_cast<std::uint64_t>(num(it, "version"));
  if (it.find("ttl")) e.expires_at = num(it, "ttl");
  if (const value* b = it.find("embedding"); b && b->kind() == ddb::type::binary) {
    const bytes& raw = b->as_binary();
    e.embedding.resize(raw.size() / sizeof(float));
    std::memcpy(e.embedding.data(), raw.data(), e.embedding.size() * sizeof(float));
  }
  return e;
}

item to_item(const entry& e, std::uint64_t version) {
  bytes raw(e.embedding.size() * sizeof(float));
  std::memcpy(raw.data(), e.embedding.data(), raw.size());
  item it{{"id", value(static_cast<std::int64_t>(e.id))},
          {"namespace", value(e.ns)},
          {"query_hash", value(e.query_hash)},
          {"query", value(e.query)},
          {"response", value(e.response)},
          {"embedding", value(std::move(raw))},
          {"metadata", value(e.metadata)},
          {"created_at", value(e.created_at)},
          {"last_accessed_at", value(e.last_accessed_at)},
          {"access_count", value(e.access_count)},
          {"version", value(static_cast<std::int64_t>(version))}};
  if (e.expires_at) it.insert_or_assign("ttl", value(*e.expires_at));
  return it;
}

bool is_entry_id(std::int64_t id) { return id >= 1; }

}  // namespace

struct dynamodb_store::impl {
  impl(ddb::client& c, dynamodb_store_options o) : client(c), opt(std::move(o)), rng(std::random_device{}()) {}
  ddb::client& client;
  dynamodb_store_options opt;
  std::mt19937_64 rng;
  // (namespace, hash) -> id, learned from what this store has read: spares
  // the guard lookup for known prompts (the entry read then confirms it).
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
    // stays true: the turn passes on. (Boost 1.81's post cannot take the
    // handler's any_completion_executor, hence the wrapper.)
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

  // Full jitter, doubling from 10 ms to 320 ms: writers that lost together
  // come back apart.
  asio::awaitable<void> backoff(int attempt) {
    std::uniform_int_distribution<int> jitter(1, 10 * (1 << std::min(attempt, 5)));
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(jitter(rng)));
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
    std::uint64_t next_id = 1, version = 0;
  };
  struct change {  // a re-put or delete recorded in the ring
    std::uint64_t version = 0, id = 0;
  };
  asio::awaitable<counter> read_counter() {
    get_item_request r;
    r.table_name = opt.table_name;
    r.key = key_of(0);
    r.consistent_read = true;
    r.projection_expression = "next_id, version_counter";
    get_item_response resp = co_await client.get_item(r);
    if (resp.item.empty())
      throw ddb::error(fail(errc::invalid_config, "table " + opt.table_name + " has no meta item (id 0): open the store first"));
    co_return counter{static_cast<std::uint64_t>(num(resp.item, "next_id", 1)),
                      static_cast<std::uint64_t>(num(resp.item, "version_counter", 0))};
  }

  // The meta update of a mutation: an insert takes next_id; a re-put or a
  // delete of `changed` records itself in the ring.
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
      u.update_expression = "SET version_counter = :v1, recent.#slot = :rec";
      u.condition_expression = "version_counter = :v";
      u.expression_attribute_names = {{"#slot", "s" + std::to_string((c.version + 1) % ring_size)}};
      u.expression_attribute_values = item{{":v", value(static_cast<std::int64_t>(c.version))},
                                           {":v1", value(static_cast<std::int64_t>(c.version + 1))},
                                           {":rec", value(std::to_string(c.version + 1) + ":" + std::to_string(changed))}};
    }
    // A lost race returns the counter's current values: the retry needs no read.
    u.return_values_on_condition_check_failure = "ALL_OLD";
    transact_write_item w;
    w.update = std::move(u);
    return w;
  }

  struct outcome {
    bool done = false;
    bool counter_moved = false;        // the meta condition failed ...
    std::optional<counter> now;        // ... and this is the counter now
    std::vector<std::string> codes;    // per action: "None", "ConditionalCheckFailed", ...
  };
  // Runs one transaction whose action `meta_at` is the counter update.
  // Throws for anything but failed conditions and conflicts (which say: retry).
  asio::awaitable<outcome> transact(std::vector<transact_write_item> actions, std::size_t meta_at) {
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
      for (const auto& reason : reasons) {
        o.codes.push_back(reason.code);
        if (reason.code != "None" && reason.code != "ConditionalCheckFailed" && reason.code != "TransactionConflict")
          ddb::detail::throw_operation_error(ec, std::move(resp.diag));  // e.g. a ValidationError: not a race
      }
      if (meta_at < reasons.size() && reasons[meta_at].code == "ConditionalCheckFailed") {
        o.counter_moved = true;
        if (const auto& old = reasons[meta_at].item)
          o.now = counter{static_cast<std::uint64_t>(num(*old, "next_id", 1)),
                          static_cast<std::uint64_t>(num(*old, "version_counter", 0))};
      }
      co_return o;
    }
    if (ec == service_errc::transaction_conflict || ec == service_errc::transaction_in_progress) co_return o;
    ddb::detail::throw_operation_error(ec, std::move(resp.diag));
  }

  [[noreturn]] void lost(const char* what) const {
    throw ddb::error(fail(errc::write_conflict, std::string(what) + " in table " + opt.table_name + " lost to other writers " +
                                                    std::to_string(opt.max_attempts) +
                                                    " times in a row: retry later, or raise dynamodb_store_options::max_attempts"));
  }
};

dynamodb_store::dynamodb_store(ddb::client& c, dynamodb_store_options opt)
    : impl_(std::make_unique<impl>(c, std::move(opt))) {
  if (auto ok = limits::check_table_name(impl_->opt.table_name); !ok) throw ddb::error(std::move(ok).error());
  if (impl_->opt.max_attempts < 1) throw ddb::error(fail(errc::invalid_config, "max_attempts must be at least 1"));
}
dynamodb_store::~dynamodb_store() = default;

std::string dynamodb_store::name() const { return "dynamodb:" + impl_->opt.table_name; }

asio::awaitable<void> dynamodb_store::create_table() {
  impl& s = *impl_;
  create_table_request r;
  r.table_name = s.opt.table_name;
  r.attribute_definitions = {{"id", "N"}, {"namespace", "S"}, {"query_hash", "S"}, {"last_accessed_at", "N"}};
  r.key_schema = {{"id", "HASH"}};
  r.billing_mode = s.opt.billing_mode;
  auto gsi = [&](const char* name, const char* range) {
    global_secondary_index g;
    g.index_name = name;
    g.key_schema = {{"namespace", "HASH"}, {range, "RANGE"}};
    g.projection.projection_type = "KEYS_ONLY";
    if (s.opt.billing_mode == "PROVISIONED")
      g.provisioned_throughput = provisioned_throughput{s.opt.read_capacity, s.opt.write_capacity};
    return g;
  };
  r.global_secondary_indexes = {gsi("gsi_hash", "query_hash"), gsi("gsi_lru", "last_accessed_at")};
  if (s.opt.billing_mode == "PROVISIONED")
    r.provisioned_throughput = provisioned_throughput{s.opt.read_capacity, s.opt.write_capacity};
  co_await s.client.create_table(r);
  waiter_options w;
  w.delay = std::chrono::milliseconds(200);
  w.timeout = std::chrono::seconds(120);
  co_await wait_table_exists(s.client, s.opt.table_name, w);
  update_time_to_live_request ttl;
  ttl.table_name = s.opt.table_name;
  ttl.time_to_live_specification.attribute_name = "ttl";
  ttl.time_to_live_specification.enabled = true;
  co_await s.client.update_time_to_live(ttl);
}

asio::awaitable<void> dynamodb_store::open(std::string fingerprint, std::size_t dim) {
  impl& s = *impl_;
  describe_table_request d;
  d.table_name = s.opt.table_name;
  auto [ec, desc] = co_await s.client.describe_table(d, tuple_token);
  if (ec == service_errc::resource_not_found) {
    if (!s.opt.create_table)
      throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name +
                                                      " does not exist: create it with dynamodb_store_options::create_table "
                                                      "= true (ddb cache ... --create-table), or name an existing cache table"));
    co_await create_table();
  } else if (ec) {
    ddb::detail::throw_operation_error(ec, std::move(desc.diag));
  }
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
  if (existing && (!existing->find("recent") || !existing->find("quotas"))) {
    // A table made by mneme or an older ddb: add the maps later writes go into.
    update_item_request add;
    add.table_name = s.opt.table_name;
    add.key = key_of(0);
    add.update_expression = "SET recent = if_not_exists(recent, :empty), quotas = if_not_exists(quotas, :empty)";
    add.expression_attribute_values = item{{":empty", value(item{})}};
    co_await s.client.update_item(add);
  }
  const std::string have = existing ? str(*existing, "embedder_fingerprint") : std::string();
  const std::int64_t have_dim = existing ? num(*existing, "embedder_dim") : 0;
  if (have != fingerprint || have_dim != static_cast<std::int64_t>(dim))
    throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name + " holds embeddings of '" + have + "' (dim " +
                                                    std::to_string(have_dim) + "), not '" + fingerprint + "' (dim " +
                                                    std::to_string(dim) + "): use another table, or the same embedder"));
}

asio::awaitable<std::optional<entry>> dynamodb_store::get_by_id(std::uint64_t id) {
  impl& s = *impl_;
  std::optional<item> it = co_await s.get(static_cast<std::int64_t>(id), false);
  // "Not there" from an eventually consistent read may be a write not yet
  // visible: callers forget ids on that answer, so it is confirmed first.
  if (!it) it = co_await s.get(static_cast<std::int64_t>(id), true);
  if (!it) co_return std::nullopt;
  entry e = from_item(*it);
  s.learn(e);
  co_return e;
}

asio::awaitable<std::optional<entry>> dynamodb_store::get_by_hash(std::string ns, std::string hash) {
  impl& s = *impl_;
  if (auto k = s.known.find({ns, hash}); k != s.known.end()) {
    std::optional<entry> e = co_await get_by_id(k->second);
    if (e && e->ns == ns && e->query_hash == hash) co_return e;
    s.known.erase({ns, hash});
  }
  std::optional<item> guard = co_await s.get(guard_id(ns, hash), false);
  if (!guard || str(*guard, "g_ns") != ns || str(*guard, "g_hash") != hash) co_return std::nullopt;
  std::optional<entry> e = co_await get_by_id(static_cast<std::uint64_t>(num(*guard, "entry_id")));
  if (e && e->ns == ns && e->query_hash == hash) co_return e;
  co_return std::nullopt;
}

asio::awaitable<std::uint64_t> dynamodb_store::upsert(entry e) {
  impl& s = *impl_;
  co_await s.take_turn();
  impl::turn in_turn{&s};
  {
    item probe = to_item(e, 0);
    probe.insert_or_assign("id", value(std::int64_t(1) << 40));
    const std::size_t size = limits::item_size(probe);
    if (size > limits::max_item_bytes)
      throw ddb::error(fail(errc::item_too_large, "the entry would be a " + std::to_string(size) +
                                                      "-byte item, over DynamoDB's 400 KB: shorten the response or metadata "
                                                      "(the embedding takes " + std::to_string(e.embedding.size() * 4) + ")"));
  }
  const std::int64_t gid = guard_id(e.ns, e.query_hash);
  // A writer that lost only the counter race has the counter the failure
  // returned and the guard it read: its first retry goes at once (one round
  // trip, ahead of the winner's next put, which reads first); later ones back
  // off with jitter so that many writers spread out.
  std::optional<impl::counter> fresh_counter;
  std::optional<item> guard;
  // A prompt this store has not seen is tried as new without reading its
  // guard (the guard's condition catches the case where it exists).
  bool guard_known = s.known.find({e.ns, e.query_hash}) == s.known.end();
  for (int attempt = 0; attempt < s.opt.max_attempts; ++attempt) {
    if (attempt > 1 || (attempt == 1 && !fresh_counter)) co_await s.backoff(attempt);
    if (!guard_known) guard = co_await s.get(gid, true);
    guard_known = false;
    impl::counter c;
    if (fresh_counter)
      c = *fresh_counter;
    else
      c = co_await s.read_counter();
    fresh_counter.reset();
    if (guard && (str(*guard, "g_ns") != e.ns || str(*guard, "g_hash") != e.query_hash))
      throw ddb::error(fail(errc::write_conflict, "a 52-bit guard collision between two prompts in table " +
                                                      s.opt.table_name + " (astronomically rare): change the prompt"));
    std::vector<transact_write_item> tx;
    const bool fresh = !guard;
    if (fresh) {
      e.id = c.next_id;
      transact_put g;
      g.table_name = s.opt.table_name;
      g.item = item{{"id", value(gid)},
                    {"entry_id", value(static_cast<std::int64_t>(e.id))},
                    {"g_ns", value(e.ns)},
                    {"g_hash", value(e.query_hash)}};
      if (e.expires_at) g.item.insert_or_assign("ttl", value(*e.expires_at));  // native TTL takes both together
      g.condition_expression = "attribute_not_exists(id)";
      transact_write_item w;
      w.put = std::move(g);
      tx.push_back(std::move(w));
      transact_put p;
      p.table_name = s.opt.table_name;
      p.item = to_item(e, c.version + 1);
      p.condition_expression = "attribute_not_exists(id)";
      transact_write_item pw;
      pw.put = std::move(p);
      tx.push_back(std::move(pw));
    } else {
      // The prompt is there (or was: TTL may have removed the entry, keeping its id free).
      e.id = static_cast<std::uint64_t>(num(*guard, "entry_id"));
      transact_put p;
      p.table_name = s.opt.table_name;
      p.item = to_item(e, c.version + 1);
      p.condition_expression = "attribute_not_exists(id) OR (#ns = :ns AND query_hash = :h)";
      p.expression_attribute_names = {{"#ns", "namespace"}};
      p.expression_attribute_values = item{{":ns", value(e.ns)}, {":h", value(e.query_hash)}};
      transact_write_item pw;
      pw.put = std::move(p);
      tx.push_back(std::move(pw));
      // The guard must still point here when the transaction lands; it takes
      // the entry's new expiry (same cost as a bare condition check).
      transact_update gu;
      gu.table_name = s.opt.table_name;
      gu.key = key_of(gid);
      gu.condition_expression = "entry_id = :e";
      gu.expression_attribute_values = item{{":e", value(static_cast<std::int64_t>(e.id))}};
      if (e.expires_at) {
        gu.update_expression = "SET #ttl = :ttl";
        gu.expression_attribute_values.insert_or_assign(":ttl", value(*e.expires_at));
      } else {
        gu.update_expression = "REMOVE #ttl";
      }
      gu.expression_attribute_names = {{"#ttl", "ttl"}};
      transact_write_item cw;
      cw.update = std::move(gu);
      tx.push_back(std::move(cw));
    }
    const std::size_t meta_at = tx.size();
    tx.push_back(s.meta_bump(c, fresh, e.id));
    const impl::outcome o = co_await s.transact(std::move(tx), meta_at);
    if (o.done) {
      s.learn(e);
      co_return e.id;
    }
    // A failed condition (guard taken, entry changed, counter moved) or a
    // conflict: nothing was written; try again with what changed.
    const bool guard_taken = !o.codes.empty() && o.codes[0] == "ConditionalCheckFailed";
    const bool guard_held = o.counter_moved && o.now && fresh && !guard_taken;
    fresh_counter = guard_held ? o.now : std::nullopt;
    guard_known = guard_held;
  }
  s.lost("a put");
}

asio::awaitable<bool> dynamodb_store::remove(std::uint64_t id) {
  const bool removed = co_await remove_version(id, std::nullopt);
  co_return removed;
}

asio::awaitable<bool> dynamodb_store::remove_if_unchanged(const entry& seen) {
  const bool removed = co_await remove_version(seen.id, seen.version);
  co_return removed;
}

// Deletes entry `id` (and its guard), only if its version is `only` when given.
asio::awaitable<bool> dynamodb_store::remove_version(std::uint64_t id, std::optional<std::uint64_t> only) {
  impl& s = *impl_;
  co_await s.take_turn();
  impl::turn in_turn{&s};
  for (int attempt = 0; attempt < s.opt.max_attempts; ++attempt) {
    if (attempt) co_await s.backoff(attempt);
    std::optional<item> it = co_await s.get(static_cast<std::int64_t>(id), true);
    if (!it) co_return false;
    if (only && static_cast<std::uint64_t>(num(*it, "version")) != *only) co_return false;  // re-put since
    const std::string ns = str(*it, "namespace"), hash = str(*it, "query_hash");
    const impl::counter c = co_await s.read_counter();
    std::vector<transact_write_item> tx;
    transact_delete del;
    del.table_name = s.opt.table_name;
    del.key = key_of(static_cast<std::int64_t>(id));
    del.condition_expression = "version = :ver";
    del.expression_attribute_values = item{{":ver", value(num(*it, "version"))}};
    transact_write_item dw;
    dw.delete_ = std::move(del);
    tx.push_back(std::move(dw));
    // The guard goes too when it points here (after TTL took an entry's guard
    // first, the prompt may have a new entry whose guard must stay).
    std::optional<item> guard = co_await s.get(guard_id(ns, hash), true);
    if (guard && num(*guard, "entry_id") == static_cast<std::int64_t>(id)) {
      transact_delete g;
      g.table_name = s.opt.table_name;
      g.key = key_of(guard_id(ns, hash));
      g.condition_expression = "entry_id = :e";
      g.expression_attribute_values = item{{":e", value(static_cast<std::int64_t>(id))}};
      transact_write_item gw;
      gw.delete_ = std::move(g);
      tx.push_back(std::move(gw));
    }
    const std::size_t meta_at = tx.size();
    tx.push_back(s.meta_bump(c, false, id));
    const impl::outcome o = co_await s.transact(std::move(tx), meta_at);
    if (o.done) {
      s.known.erase({ns, hash});
      co_return true;
    }
  }
  s.lost("a delete");
}

asio::awaitable<void> dynamodb_store::record_access(std::uint64_t id, epoch_seconds at, std::int64_t count) {
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

asio::awaitable<std::vector<std::uint64_t>> dynamodb_store::lru_ids(std::optional<std::string> ns, std::size_t n) {
  impl& s = *impl_;
  std::vector<std::string> scopes;
  if (ns)
    scopes.push_back(*ns);
  else
    scopes.assign(s.namespaces.begin(), s.namespaces.end());
  std::vector<std::pair<std::int64_t, std::uint64_t>> order;
  for (const std::string& scope : scopes) {
    query_request q;
    q.table_name = s.opt.table_name;
    q.index_name = "gsi_lru";
    q.key_condition_expression = "#ns = :ns";
    q.expression_attribute_names = {{"#ns", "namespace"}};
    q.expression_attribute_values = item{{":ns", value(scope)}};
    q.scan_index_forward = true;
    q.limit = static_cast<std::int64_t>(n);
    query_response r = co_await s.client.query(q);
    for (const item& it : r.items) order.emplace_back(num(it, "last_accessed_at"), static_cast<std::uint64_t>(num(it, "id")));
  }
  std::sort(order.begin(), order.end());
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < order.size() && i < n; ++i) out.push_back(order[i].second);
  co_return out;
}

asio::awaitable<store_snapshot> dynamodb_store::load_all() {
  impl& s = *impl_;
  store_snapshot snap;
  const impl::counter before = co_await s.read_counter();
  snap.cursor = store_cursor{before.version, before.next_id};  // before the scan: later changes are re-read, never missed
  scan_request r;
  r.table_name = s.opt.table_name;
  r.filter_expression = "id > :zero";
  r.expression_attribute_values = item{{":zero", value(0)}};
  r.consistent_read = true;
  std::vector<item> items = co_await scan_all(s.client, r, s.opt.scan_segments);
  s.known.clear();
  for (const item& it : items) {
    entry e = from_item(it);
    s.learn(e);
    snap.entries.push_back(std::move(e));
  }
  co_return snap;
}

asio::awaitable<store_changes> dynamodb_store::changes_since(store_cursor cursor) {
  impl& s = *impl_;
  store_changes out;
  get_item_request g;
  g.table_name = s.opt.table_name;
  g.key = key_of(0);
  g.consistent_read = true;
  g.projection_expression = "next_id, version_counter, recent";
  get_item_response meta = co_await s.client.get_item(g);
  const auto version = static_cast<std::uint64_t>(num(meta.item, "version_counter"));
  const auto next_id = static_cast<std::uint64_t>(num(meta.item, "next_id", 1));
  out.cursor = store_cursor{version, next_id};
  if (version == cursor.version) co_return out;
  if (version < cursor.version || next_id < cursor.next_id || next_id - cursor.next_id > max_new_ids) {
    out.full_reload = true;
    co_return out;
  }
  // Every mutation missed that was not an insert must be in the ring.
  const std::uint64_t missed = version - cursor.version, inserts = next_id - cursor.next_id;
  std::set<std::int64_t> ids;
  std::uint64_t recorded = 0;
  if (const value* ring = meta.item.find("recent"); ring && ring->kind() == ddb::type::map) {
    for (const auto& [slot, rec] : ring->as_map()) {
      if (rec.kind() != ddb::type::string) continue;
      const std::string& text = rec.as_string();
      const std::size_t colon = text.find(':');
      if (colon == std::string::npos) continue;
      const std::uint64_t v = std::strtoull(text.c_str(), nullptr, 10);
      if (v > cursor.version && v <= version) {
        ++recorded;
        ids.insert(std::strtoll(text.c_str() + colon + 1, nullptr, 10));
      }
    }
  }
  if (missed < inserts || recorded != missed - inserts) {  // the ring wrapped past what was missed
    out.full_reload = true;
    co_return out;
  }
  for (std::uint64_t id = cursor.next_id; id < next_id; ++id) ids.insert(static_cast<std::int64_t>(id));
  keys_and_attributes want;
  want.consistent_read = true;
  for (std::int64_t id : ids)
    if (is_entry_id(id)) want.keys.push_back(key_of(id));
  std::set<std::int64_t> present;
  if (!want.keys.empty()) {
    batch_options bo;
    bo.key_attributes[s.opt.table_name] = {"id"};
    std::map<std::string, keys_and_attributes> reads;  // named: GCC 12 mishandles braced lists in co_await
    reads.emplace(s.opt.table_name, std::move(want));
    batch_get_outcome got = co_await batch_get(s.client, std::move(reads), bo);
    if (!got.ok())
      throw ddb::error(fail(errc::unprocessed, "reading changes from " + s.opt.table_name + ": " +
                                                   std::to_string(got.failed.size()) + " keys stayed unprocessed (" +
                                                   got.failed.front().message + ")"));
    for (const item& it : got.items[s.opt.table_name]) {
      entry e = from_item(it);
      present.insert(static_cast<std::int64_t>(e.id));
      s.learn(e);
      out.changed.push_back(std::move(e));
    }
  }
  for (std::int64_t id : ids)
    if (is_entry_id(id) && !present.count(id)) out.removed.push_back(static_cast<std::uint64_t>(id));
  co_return out;
}

asio::awaitable<void> dynamodb_store::import_entries(std::vector<entry> entries) {
  impl& s = *impl_;
  const impl::counter c = co_await s.read_counter();
  if (c.next_id != 1 || c.version != 0)
    throw ddb::error(fail(errc::invalid_config, "import_entries needs an empty table; " + s.opt.table_name + " has had " +
                                                    std::to_string(c.version) + " changes"));
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<write_request> writes;
  writes.reserve(entries.size() * 2);
  std::uint64_t id = 0;
  for (entry& e : entries) {
    if (!seen.emplace(e.ns, e.query_hash).second)
      throw ddb::error(fail(errc::duplicate_key, "import_entries: the prompt " + e.query_hash + " twice in namespace " + e.ns));
    e.id = ++id;
    write_request g, w;
    g.put_request = put_request{item{{"id", value(guard_id(e.ns, e.query_hash))},
                                     {"entry_id", value(static_cast<std::int64_t>(e.id))},
                                     {"g_ns", value(e.ns)},
                                     {"g_hash", value(e.query_hash)}}};
    w.put_request = put_request{to_item(e, e.id)};
    writes.push_back(std::move(g));
    writes.push_back(std::move(w));
  }
  batch_options bo;
  bo.concurrency = 8;
  bo.key_attributes[s.opt.table_name] = {"id"};
  std::map<std::string, std::vector<write_request>> all;
  all[s.opt.table_name] = std::move(writes);
  batch_write_outcome out = co_await batch_write(s.client, std::move(all), bo);
  if (!out.ok())
    throw ddb::error(fail(errc::unprocessed, "import_entries: " + std::to_string(out.failed.size()) +
                                                 " writes did not go through (" + out.failed.front().message + ")"));
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

asio::awaitable<std::optional<std::size_t>> dynamodb_store::quota(std::string ns) {
  impl& s = *impl_;
  get_item_request r;
  r.table_name = s.opt.table_name;
  r.key = key_of(0);
  r.consistent_read = true;
  r.projection_expression = "quotas.#ns";
  r.expression_attribute_names = {{"#ns", ns}};
  get_item_response resp = co_await s.client.get_item(r);
  const value* q = resp.item.find("quotas");
  if (!q || q->kind() != ddb::type::map) co_return std::nullopt;
  const item& m = q->as_map();
  const std::int64_t v = num(m, ns.c_str(), -1);
  if (v < 0) co_return std::nullopt;
  co_return static_cast<std::size_t>(v);
}

asio::awaitable<void> dynamodb_store::set_quota(std::string ns, std::optional<std::size_t> max_entries) {
  impl& s = *impl_;
  update_item_request u;
  u.table_name = s.opt.table_name;
  u.key = key_of(0);
  u.expression_attribute_names = {{"#ns", ns}};
  if (max_entries) {
    u.update_expression = "SET quotas.#ns = :q";
    u.expression_attribute_values = item{{":q", value(static_cast<std::int64_t>(*max_entries))}};
  } else {
    u.update_expression = "REMOVE quotas.#ns";
  }
  // Conditional like every other write: only into an opened cache table.
  u.condition_expression = "attribute_exists(embedder_fingerprint)";
  auto [ec, r] = co_await s.client.update_item(u, tuple_token);
  if (ec == service_errc::conditional_check_failed)
    throw ddb::error(fail(errc::invalid_config, "table " + s.opt.table_name + " has no cache meta item: open the store first"));
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
}

}  // namespace ddb::cache
