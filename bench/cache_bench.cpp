// The semantic cache's figures (bench/README.md has the commands):
//
//   cache_bench capacity N [BYTES [DIM]]  capacity units per put / exact hit / semantic hit /
//                                     sync on DynamoDB Local: the lean layout against mneme's as
//                                     mneme's DynamoDBStore writes it (all-attribute GSIs, counter
//                                     transactions, transactional access updates with a bump)
//   cache_bench latency N [TABLE]     get latency p50/p99, exact and semantic, with N entries of
//                                     d = 384: in memory, or on DynamoDB (TABLE, created and dropped)
//   cache_bench create TABLE LAYOUT   a cache table (lean or mneme)
//   cache_bench writer TABLE W N      one of the concurrency check's writers: N distinct puts
//   cache_bench putter TABLE W N      the same items as plain PutItems: DynamoDB Local's ceiling
//   cache_bench verify TABLE TOTAL    the check: every entry once (mneme: ids unique and dense,
//                                     counter = inserts)
//
// DynamoDB is found the AWS way (bench/cache-concurrency sets the variables
// for DynamoDB Local on 127.0.0.1).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <set>

#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/paginate.hpp"
#include "ddb/waiters.hpp"

namespace asio = boost::asio;
using namespace ddb;
using namespace ddb::cache;
using clk = std::chrono::steady_clock;

namespace {

std::string prompt(std::size_t i) { return "benchmark question number " + std::to_string(i) + " about topic " + std::to_string(i * 7919 % 1000); }
std::size_t answer_bytes = 400;  // cache_bench capacity N [ANSWER_BYTES [DIM]]
std::size_t dim = 384;
bool full_precision = false;  // cache_bench capacity N BYTES DIM f32
// An answer of exactly answer_bytes bytes (text, then filler).
std::string answer(std::size_t i) {
  std::string a = "A typical answer of a few sentences for question " + std::to_string(i) + ". ";
  a.resize(std::max<std::size_t>(answer_bytes, 1), 'x');
  return a;
}

// A unit vector near `base` (cosine about 0.95): a paraphrase's embedding.
std::vector<float> nudge(std::vector<float> base, std::mt19937& rng) {
  std::normal_distribution<float> g(0.0f, 0.012f);
  for (float& x : base) x += g(rng);
  return base;
}

template <class F>
int run(F f) {
  asio::io_context io;
  int rc = 0;
  asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << "cache_bench: " << x.what() << "\n";
      rc = 1;
    }
  });
  io.run();
  return rc;
}

asio::awaitable<void> drop_table(client& c, std::string table) {
  delete_table_request d;
  d.table_name = std::move(table);
  auto [ec, r] = co_await c.delete_table(d, asio::as_tuple(asio::use_awaitable));
  (void)ec;
}

double per(double units, std::size_t n) { return n ? units / double(n) : 0; }

// ---- mneme's layout, done the way mneme's DynamoDBStore does it ------------

struct mneme_table {
  client& c;
  std::string table;

  asio::awaitable<void> create() {
    create_table_request r;
    r.table_name = table;
    r.attribute_definitions = {{"id", ddb::scalar_attribute_type::n}, {"namespace", ddb::scalar_attribute_type::s}, {"query_hash", ddb::scalar_attribute_type::s}, {"last_accessed_at", ddb::scalar_attribute_type::n}};
    r.key_schema = {{"id", ddb::key_type::hash}};
    r.billing_mode = ddb::billing_mode::pay_per_request;
    for (auto [name, range] : {std::pair{"gsi_hash", "query_hash"}, std::pair{"gsi_lru", "last_accessed_at"}}) {
      global_secondary_index g;
      g.index_name = name;
      g.key_schema = {{"namespace", ddb::key_type::hash}, {range, ddb::key_type::range}};
      g.projection.projection_type = ddb::projection_type::all;
      r.global_secondary_indexes.push_back(std::move(g));
    }
    co_await c.create_table(r);
    co_await wait_table_exists(c, table);
    put_item_request meta;
    meta.table_name = table;
    meta.item = item{{"id", value(0)}, {"next_id", value(1)}, {"version_counter", value(0)}};
    co_await c.put_item(meta);
  }
  asio::awaitable<std::optional<item>> by_hash(const std::string& hash) {
    query_request q;
    q.table_name = table;
    q.index_name = "gsi_hash";
    q.key_condition_expression = "#ns = :ns AND query_hash = :h";
    q.expression_attribute_names = {{"#ns", "namespace"}};
    q.expression_attribute_values = item{{":ns", value("default")}, {":h", value(hash)}};
    q.limit = 1;
    query_response r = co_await c.query(q);
    if (r.items.empty()) co_return std::nullopt;
    co_return r.items[0];
  }
  asio::awaitable<void> put(std::size_t i, const std::vector<float>& v) {
    const std::string hash = query_hash(normalize(prompt(i)));
    std::optional<item> existing = co_await by_hash(hash);  // mneme's insert upserts by hash
    (void)existing;
    get_item_request g;
    g.table_name = table;
    g.key = item{{"id", value(0)}};
    g.consistent_read = true;
    get_item_response meta = co_await c.get_item(g);
    const auto next = meta.item.at("next_id").as_number().to<std::int64_t>().value();
    const auto ver = meta.item.at("version_counter").as_number().to<std::int64_t>().value();
    bytes raw(v.size() * 4);
    std::memcpy(raw.data(), v.data(), raw.size());
    transact_put p;
    p.table_name = table;
    p.item = item{{"id", value(next)},           {"namespace", value("default")}, {"query_hash", value(hash)},
                  {"query", value(prompt(i))},   {"response", value(answer(i))},  {"embedding", value(std::move(raw))},
                  {"metadata", value("{}")},     {"created_at", value(1)},        {"last_accessed_at", value(1)},
                  {"access_count", value(0)}};
    p.condition_expression = "attribute_not_exists(id)";
    transact_update u;
    u.table_name = table;
    u.key = item{{"id", value(0)}};
    u.update_expression = "SET next_id = :n1, version_counter = :v1";
    u.condition_expression = "next_id = :n AND version_counter = :v";
    u.expression_attribute_values = item{{":n", value(next)}, {":n1", value(next + 1)}, {":v", value(ver)}, {":v1", value(ver + 1)}};
    transact_write_item a, b;
    a.put = std::move(p);
    b.update = std::move(u);
    co_await transact(std::move(a), std::move(b));
  }
  asio::awaitable<void> transact(transact_write_item a, transact_write_item b) {
    transact_write_items_request t;
    t.transact_items.push_back(std::move(a));
    t.transact_items.push_back(std::move(b));
    co_await c.transact_write_items(t);
  }
  asio::awaitable<void> touch(std::int64_t id, std::int64_t now) {
    transact_update e;
    e.table_name = table;
    e.key = item{{"id", value(id)}};
    e.update_expression = "SET last_accessed_at = :now ADD access_count :one";
    e.condition_expression = "attribute_exists(id)";
    e.expression_attribute_values = item{{":now", value(now)}, {":one", value(1)}};
    transact_update m;
    m.table_name = table;
    m.key = item{{"id", value(0)}};
    m.update_expression = "ADD version_counter :one";
    m.expression_attribute_values = item{{":one", value(1)}};
    transact_write_item a, b;
    a.update = std::move(e);
    b.update = std::move(m);
    co_await transact(std::move(a), std::move(b));
  }
  asio::awaitable<void> exact_hit(std::size_t i, std::int64_t now) {
    std::optional<item> e = co_await by_hash(query_hash(normalize(prompt(i))));
    co_await touch(e->at("id").as_number().to<std::int64_t>().value(), now);
  }
  asio::awaitable<void> semantic_hit(std::int64_t id, std::int64_t now) {
    co_await by_hash(query_hash("a paraphrase"));  // mneme's exact layer first: a miss
    get_item_request g;
    g.table_name = table;
    g.key = item{{"id", value(id)}};
    co_await c.get_item(g);  // mneme's get_by_id of the candidate
    co_await touch(id, now);
  }
};

int capacity_figures(std::size_t n) {
  return run([n](asio::any_io_executor ex) -> asio::awaitable<void> {
    client_config cfg;
    cfg.track_capacity = true;
    client c(ex, cfg);
    hash_embedder embedder(dim);
    std::mt19937 rng(5);
    std::vector<std::vector<float>> vecs;
    for (std::size_t i = 0; i < n; ++i) vecs.push_back(embedder.embed(normalize(prompt(i))));
    struct row {
      const char* what;
      double ours_read, ours_write, mneme_read, mneme_write;
    };
    std::vector<row> rows = {{"put", 0, 0, 0, 0},
                             {"exact hit (each entry once)", 0, 0, 0, 0},
                             {"semantic hit (each entry once)", 0, 0, 0, 0},
                             {"exact hit (10 hot entries x 10)", 0, 0, 0, 0},
                             {"sync, nothing changed (per sync)", 0, 0, 0, 0}};
    const std::string suffix = std::to_string(std::random_device{}() % 100000);

    // The lean layout through the cache. The cache's clock ticks a second per
    // reading, so every access is recorded (none skipped as "not newer"); the
    // cache looks for others' changes only when asked (measured on its own).
    {
      dynamodb_store_options so;
      so.table_name = "bench_lean_" + suffix;
      so.create_table = true;
      so.half_precision = !full_precision;
      so.sync_window = std::chrono::milliseconds(1000);
      cache_options co;
      co.sync_interval = std::chrono::hours(1);
      auto ticks = std::make_shared<std::int64_t>(1'800'000'000);
      co.clock = [ticks] { return std::chrono::system_clock::time_point(std::chrono::seconds(++*ticks)); };
      auto store = std::make_shared<dynamodb_store>(c, so);
      semantic_cache cache(ex, store, std::make_shared<hash_embedder>(dim), co);
      co_await cache.open();
      auto measure = [&](row& r, std::size_t ops) {
        r.ours_read = per(c.capacity().total.read, ops);
        r.ours_write = per(c.capacity().total.write, ops);
        c.reset_capacity();
      };
      c.reset_capacity();
      for (std::size_t i = 0; i < n; ++i) {
        put_options p;
        p.embedding = vecs[i];
        co_await cache.put(prompt(i), answer(i), std::move(p));
      }
      measure(rows[0], n);
      for (std::size_t i = 0; i < n; ++i) co_await cache.get(prompt(i));
      co_await cache.flush();
      measure(rows[1], n);
      for (std::size_t i = 0; i < n; ++i) {
        get_options g;
        g.embedding = nudge(vecs[i], rng);
        lookup l = co_await cache.get("a paraphrase", std::move(g));
        if (!l.hit || l.hit->layer != "semantic") throw std::runtime_error("expected a semantic hit");
      }
      co_await cache.flush();
      measure(rows[2], n);
      for (int round = 0; round < 10; ++round)
        for (std::size_t i = 0; i < 10; ++i) co_await cache.get(prompt(i));
      co_await cache.flush();
      measure(rows[3], 100);
      // A sync re-reads the last sync_window of the feed (1 s here): measured
      // once that has passed, as in a steady state with nothing changing.
      asio::steady_timer quiet(ex, std::chrono::milliseconds(2500));
      co_await quiet.async_wait(asio::use_awaitable);
      store_snapshot snap = co_await store->load_all();
      c.reset_capacity();
      store_changes none = co_await store->changes_since(snap.cursor);
      if (!none.changed.empty() || !none.removed.empty() || none.full_reload) throw std::runtime_error("expected no changes");
      measure(rows[4], 1);
      co_await drop_table(c, so.table_name);
    }
    // mneme's layout.
    {
      mneme_table m{c, "bench_mneme_" + suffix};
      co_await m.create();
      c.reset_capacity();
      for (std::size_t i = 0; i < n; ++i) co_await m.put(i, vecs[i]);
      rows[0].mneme_read = per(c.capacity().total.read, n);
      rows[0].mneme_write = per(c.capacity().total.write, n);
      c.reset_capacity();
      for (std::size_t i = 0; i < n; ++i) co_await m.exact_hit(i, 2);
      rows[1].mneme_read = per(c.capacity().total.read, n);
      rows[1].mneme_write = per(c.capacity().total.write, n);
      c.reset_capacity();
      for (std::size_t i = 0; i < n; ++i) co_await m.semantic_hit(static_cast<std::int64_t>(i + 1), 3);
      rows[2].mneme_read = per(c.capacity().total.read, n);
      rows[2].mneme_write = per(c.capacity().total.write, n);
      c.reset_capacity();
      for (int round = 0; round < 10; ++round)
        for (std::size_t i = 0; i < 10; ++i) co_await m.exact_hit(i, 4 + round);
      rows[3].mneme_read = per(c.capacity().total.read, 100);
      rows[3].mneme_write = per(c.capacity().total.write, 100);
      c.reset_capacity();
      get_item_request counter;  // mneme's coordinator: read_version_counter, a consistent read
      counter.table_name = m.table;
      counter.key = item{{"id", value(0)}};
      counter.consistent_read = true;
      co_await c.get_item(counter);
      rows[4].mneme_read = per(c.capacity().total.read, 1);
      rows[4].mneme_write = per(c.capacity().total.write, 1);
      co_await drop_table(c, m.table);
    }
    std::printf("capacity units per operation, %zu operations each, d = %zu, answers of %zu bytes, lean embeddings %s "
                "(DynamoDB Local)\n",
                n, dim, answer(0).size(), full_precision ? "f32" : "f16");
    std::printf("%-38s %9s %9s %9s %9s %8s %8s\n", "", "lean RCU", "lean WCU", "mneme RCU", "mneme WCU", "WCU x", "RCU x");
    for (const row& r : rows)
      std::printf("%-38s %9.2f %9.2f %9.2f %9.2f %8.2f %8.2f\n", r.what, r.ours_read, r.ours_write, r.mneme_read,
                  r.mneme_write, r.mneme_write ? r.ours_write / r.mneme_write : 0, r.mneme_read ? r.ours_read / r.mneme_read : 0);
    c.close();
  });
}

struct percentiles {
  double p50, p99;
};
percentiles of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 99 / 100]};
}

int latency(std::size_t n, std::optional<std::string> table) {
  return run([n, table](asio::any_io_executor ex) -> asio::awaitable<void> {
    std::optional<client> c;
    std::shared_ptr<store> st;
    if (table) {
      c.emplace(ex);
      dynamodb_store_options so;
      so.table_name = *table;
      so.create_table = true;
      st = std::make_shared<dynamodb_store>(*c, so);
    } else {
      st = std::make_shared<memory_store>();
    }
    auto embedder = std::make_shared<hash_embedder>(384);
    std::mt19937 rng(9);
    std::vector<std::vector<float>> vecs;
    vecs.reserve(n);
    std::normal_distribution<float> g;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<float> v(384);
      for (float& x : v) x = g(rng);
      vecs.push_back(std::move(v));
    }
    cache_options co;
    co.scorer_threads = 1;
    const auto t0 = clk::now();
    if (table) {
      // Bulk load (BatchWriteItem), then open: the cache reads it all by parallel Scan.
      co_await st->open(embedder->fingerprint(), embedder->dim());
      std::vector<entry> all;
      all.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        entry e;
        e.ns = "default";
        e.query = prompt(i);
        e.query_hash = query_hash(normalize(e.query));
        e.response = answer(i);
        e.embedding = vecs[i];
        float norm = 0;
        for (float x : e.embedding) norm += x * x;
        for (float& x : e.embedding) x /= std::sqrt(norm);
        e.created_at = e.last_accessed_at = 1'800'000'000;
        all.push_back(std::move(e));
      }
      co_await std::static_pointer_cast<dynamodb_store>(st)->import_entries(std::move(all));
    }
    semantic_cache cache(ex, st, embedder, co);
    co_await cache.open();
    if (!table) {
      for (std::size_t i = 0; i < n; ++i) {
        put_options p;
        p.embedding = vecs[i];
        co_await cache.put(prompt(i), answer(i), std::move(p));
      }
    }
    const double load_s = std::chrono::duration<double>(clk::now() - t0).count();
    std::vector<double> exact, semantic;
    const std::size_t samples = std::min<std::size_t>(n, 1000);
    for (std::size_t s = 0; s < samples; ++s) {
      const std::size_t i = (s * 7919) % n;
      auto a = clk::now();
      lookup l = co_await cache.get(prompt(i));
      exact.push_back(std::chrono::duration<double, std::milli>(clk::now() - a).count());
      if (!l.hit) throw std::runtime_error("expected an exact hit");
      get_options go;
      go.embedding = nudge(vecs[i], rng);
      a = clk::now();
      lookup sl = co_await cache.get("a paraphrase", std::move(go));
      semantic.push_back(std::chrono::duration<double, std::milli>(clk::now() - a).count());
      if (!sl.hit) throw std::runtime_error("expected a semantic hit");
    }
    co_await cache.flush();
    const percentiles e = of(exact), sm = of(semantic);
    std::printf("%s, %zu entries of d = 384 (loaded in %.1f s): exact p50 %.3f ms p99 %.3f ms; semantic p50 %.3f ms "
                "p99 %.3f ms (%zu gets each, one at a time)\n",
                st->name().c_str(), n, load_s, e.p50, e.p99, sm.p50, sm.p99, samples);
    if (table) {
      co_await drop_table(*c, *table);
      c->close();
    }
  });
}

// Runs f(0..width-1) at once on this executor; rethrows the first failure.
asio::awaitable<void> in_parallel(std::size_t width, std::function<asio::awaitable<void>(std::size_t)> f) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t left = width;
  std::exception_ptr first;
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  for (std::size_t k = 0; k < width; ++k)
    asio::co_spawn(ex, f(k), [&](std::exception_ptr e) {
      if (e && !first) first = e;
      if (--left == 0) all_done.cancel();
    });
  co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));  // the workers start later: no lost wake-up
  if (first) std::rethrow_exception(first);
}

std::size_t in_flight = 1;  // writer/putter TABLE W N [IN_FLIGHT]: puts each process keeps in flight

int writer(const std::string& table, int w, std::size_t n) {
  return run([table, w, n](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex);
    dynamodb_store_options so;
    so.table_name = table;
    auto st = std::make_shared<dynamodb_store>(c, so);
    cache_options co;
    co.sync_interval = std::chrono::seconds(3600);  // writers only: no need to follow the others
    semantic_cache cache(ex, st, std::make_shared<hash_embedder>(384), co);
    co_await cache.open();
    std::size_t conflicts = 0, next = 0;
    const auto t0 = clk::now();
    co_await in_parallel(in_flight, [&](std::size_t) -> asio::awaitable<void> {
      while (next < n) {
        const std::size_t i = next++;
        for (;;) {
          try {
            co_await cache.put("writer " + std::to_string(w) + ": " + prompt(i), answer(i));
            break;
          } catch (const ddb::error& e) {
            if (e.code() != errc::write_conflict) throw;
            ++conflicts;  // the store's 5 attempts all lost: the put is idempotent, so put again
          }
        }
      }
    });
    const double s = std::chrono::duration<double>(clk::now() - t0).count();
    std::printf("writer %d: %zu puts in %.1f s (%.0f puts/s), %zu puts failed (write_conflict: lost every race) and were put again\n", w, n, s,
                double(n) / s, conflicts);
    c.close();
  });
}

// DynamoDB Local's own ceiling beside the writers: the same items a lean put
// writes (prompt, answer, 384 halves, feed keys), as plain PutItems from a
// client that does nothing else.
int putter(const std::string& table, int w, std::size_t n) {
  return run([table, w, n](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex);
    std::mt19937_64 rng(static_cast<std::uint64_t>(w));
    const auto t0 = clk::now();
    std::size_t next = 0;
    co_await in_parallel(in_flight, [&](std::size_t) -> asio::awaitable<void> {
    while (next < n) {
      const std::size_t i = next++;
      bytes e(768), h(32);
      for (auto& b : e) b = static_cast<std::uint8_t>(rng());
      for (auto& b : h) b = static_cast<std::uint8_t>(rng());
      put_item_request p;
      p.table_name = table;
      p.item = item{{"k", value(static_cast<std::int64_t>(rng() >> 2) + 1)},
                    {"n", value("default")},
                    {"h", value(std::move(h))},
                    {"q", value("writer " + std::to_string(w) + ": " + prompt(i))},
                    {"r", value(answer(i))},
                    {"e", value(std::move(e))},
                    {"c", value(1'800'000'000)},
                    {"p", value(0)},
                    {"u", value(static_cast<std::int64_t>(1'800'000'000'000'000) + static_cast<std::int64_t>(i))},
                    {"f", value(1)}};
      if (std::getenv("PUTTER_CONDITION")) {  // the lean put's collision guard, to see what it costs DynamoDB Local
        p.condition_expression = "attribute_not_exists(k) OR (#n = :n AND #h = :h)";
        p.expression_attribute_names = {{"#n", "n"}, {"#h", "h"}};
        p.expression_attribute_values = item{{":n", p.item.at("n")}, {":h", p.item.at("h")}};
      }
      co_await c.put_item(p);
    }
    });
    const double s = std::chrono::duration<double>(clk::now() - t0).count();
    std::printf("putter %d: %zu PutItems in %.1f s (%.0f/s)\n", w, n, s, double(n) / s);
    c.close();
  });
}

// The lean layout: every prompt once, as one live entry.
bool verify_lean(const std::string& table, const std::vector<item>& items, std::size_t total) {
  std::size_t entries = 0, other = 0;
  std::set<std::int64_t> keys;
  std::set<std::string> prompts;
  for (const item& it : items) {
    const auto k = it.at("k").as_number().to<std::int64_t>().value();
    if (k <= 0 || it.contains("t")) {
      ++other;
      continue;
    }
    ++entries;
    keys.insert(k);
    prompts.insert(it.at("q").as_string());
  }
  const bool ok = entries == total && keys.size() == total && prompts.size() == total;
  std::printf("%s (lean): %zu entries, %zu distinct keys, %zu distinct prompts, %zu other items (meta, hit logs): %s\n",
              table.c_str(), entries, keys.size(), prompts.size(), other, ok ? "OK" : "MISMATCH");
  return ok;
}

int verify(const std::string& table, std::size_t total) {
  return run([table, total](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex);
    scan_request r;
    r.table_name = table;
    r.consistent_read = true;
    std::vector<item> items = co_await scan_all(c, r, 4);
    if (!items.empty() && items.front().contains("k")) {
      const bool lean_ok = verify_lean(table, items, total);
      co_await drop_table(c, table);
      c.close();
      if (!lean_ok) throw std::runtime_error("the concurrency check failed");
      co_return;
    }
    std::size_t entries = 0;
    std::set<std::int64_t> ids;
    std::set<std::pair<std::string, std::string>> keys;
    std::int64_t version = -1, next_id = -1;
    for (const item& it : items) {
      const auto id = it.at("id").as_number().to<std::int64_t>().value();
      if (id == 0) {
        version = it.at("version_counter").as_number().to<std::int64_t>().value();
        next_id = it.at("next_id").as_number().to<std::int64_t>().value();
      } else if (id > 0) {
        ++entries;
        ids.insert(id);
        keys.emplace(it.at("namespace").as_string(), it.at("query_hash").as_string());
      }
    }
    const bool ok = entries == total && ids.size() == total && keys.size() == total &&
                    version == static_cast<std::int64_t>(total) && next_id == static_cast<std::int64_t>(total) + 1 &&
                    *ids.begin() == 1 && *ids.rbegin() == static_cast<std::int64_t>(total);
    std::printf("%s: %zu entries (%zu distinct ids 1..%lld, %zu distinct prompts), version_counter %lld, next_id %lld: %s\n",
                table.c_str(), entries, ids.size(), ids.empty() ? 0LL : static_cast<long long>(*ids.rbegin()), keys.size(),
                static_cast<long long>(version), static_cast<long long>(next_id), ok ? "OK" : "MISMATCH");
    co_await drop_table(c, table);
    c.close();
    if (!ok) throw std::runtime_error("the concurrency check failed");
  });
}

int create(const std::string& table, const std::string& layout) {
  return run([table, layout](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex);
    dynamodb_store_options so;
    so.table_name = table;
    so.create_table = true;
    so.layout = layout == "mneme" ? table_layout::mneme : table_layout::lean;
    auto st = std::make_shared<dynamodb_store>(c, so);
    semantic_cache cache(ex, st, std::make_shared<hash_embedder>(384), cache_options{});
    co_await cache.open();
    c.close();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "capacity" && argc >= 3 && argc <= 6) {
    if (argc >= 4) answer_bytes = std::stoul(argv[3]);
    if (argc >= 5) dim = std::stoul(argv[4]);
    if (argc == 6) full_precision = std::string(argv[5]) == "f32";
    return capacity_figures(std::stoul(argv[2]));
  }
  if (cmd == "latency" && (argc == 3 || argc == 4))
    return latency(std::stoul(argv[2]), argc == 4 ? std::optional<std::string>(argv[3]) : std::nullopt);
  if (cmd == "create" && argc == 4) return create(argv[2], argv[3]);
  if ((cmd == "writer" || cmd == "putter") && argc == 6) in_flight = std::max<std::size_t>(std::stoul(argv[5]), 1);
  if (cmd == "writer" && (argc == 5 || argc == 6)) return writer(argv[2], std::stoi(argv[3]), std::stoul(argv[4]));
  if (cmd == "verify" && argc == 4) return verify(argv[2], std::stoul(argv[3]));
  if (cmd == "putter" && (argc == 5 || argc == 6)) return putter(argv[2], std::stoi(argv[3]), std::stoul(argv[4]));
  std::cerr << "usage: cache_bench capacity N [BYTES [DIM [f32]]] | latency N [TABLE] | create TABLE LAYOUT | writer TABLE W N | verify TABLE TOTAL\n";
  return 2;
}
