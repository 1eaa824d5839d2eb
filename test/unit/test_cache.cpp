// The semantic cache on the in-memory store: mneme's semantics (normalized
// keys equal to Python's, the two layers, misses by reason, TTL, validator,
// confidence, LRU eviction and quotas), the coalesced scoring, and the
// errors of bad input.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <future>
#include <limits>
#include <random>

#include "cache/dynamodb_common.hpp"
#include "ddb/cache.hpp"
#include "support/vectors.hpp"
#include "ddb/error.hpp"

using namespace ddb;
using namespace ddb::cache;
using ddb::test::unit;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Runs f() on a fresh io_context to completion and rethrows what it threw.
template <class F>
void run(F f) {
  asio::io_context io;
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  io.run_for(std::chrono::seconds(60));
  REQUIRE(done);
  if (failure) std::rethrow_exception(failure);
}

class failing_embedder final : public embedder {
 public:
  std::size_t dim() const override { return 8; }
  std::string fingerprint() const override { return "failing:v1"; }
  void async_embed(asio::any_io_executor ex, std::string, embed_handler h) override {
    asio::post(ex, [h = std::move(h)]() mutable {
      std::move(h)(std::make_exception_ptr(std::runtime_error("model server down")), std::vector<float>{});
    });
  }
};

struct fixture {
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  std::shared_ptr<hash_embedder> embed = std::make_shared<hash_embedder>(64);
  std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'800'000'000);
  cache_options options() {
    cache_options o;
    o.scorer_threads = 1;
    o.clock = [n = now] { return std::chrono::system_clock::time_point(std::chrono::seconds(n->load())); };
    return o;
  }
};

template <class T, class E>
bool throws_code(E expected, const std::function<void()>& f) {
  try {
    f();
  } catch (const ddb::error& e) {
    return e.code() == expected;
  }
  return false;
}

// One get, counted (a function, not a lambda: the coroutine outlives the call).
asio::awaitable<void> one_get(semantic_cache& c, int i, std::shared_ptr<std::atomic<int>> hits,
                              std::shared_ptr<std::atomic<int>> finished) {
  lookup l = co_await c.get("paraphrase of entry " + std::to_string(i));
  if (l.hit) ++*hits;
  ++*finished;
}

}  // namespace

TEST_CASE("normalization and keys match mneme (Python) byte for byte", "[cache]") {
  // Expected values printed by Python 3.11: s.strip(); re.sub(r"\s+", " ", s); s.casefold(); sha256 hex.
  CHECK(normalize("  Hello\t\tWORLD\n ") == "hello world");
  CHECK(query_hash("hello world") == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  CHECK(normalize("Stra\xC3\x9F" "e") == "strasse");
  CHECK(normalize("\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3") ==
        "\xcf\x83\xce\xaf\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83");  // ΣΊΣΥΦΟΣ -> σίσυφοσ (no final-sigma rule)
  CHECK(normalize("\xC2\xA0x\xE3\x80\x80 y\xE2\x80\xA8") == "x y");  // NBSP, ideographic space, line separator
  CHECK(normalize("\xEF\xAC\x81 \xC4\xB0stanbul") == "fi i\xCC\x87stanbul");  // ﬁ -> fi, İ -> i + combining dot
  CHECK(normalize("\x1c" "A\x1f" "B\xC2\x85") == "a b");  // Python counts \x1c-\x1f and U+0085 as white space
  CHECK(query_hash(normalize("What is the capital of France?")) ==
        "c990cc06e5e77570e5f03360426d2b7f947cbb5a67daa8af8164bfe0b3e24fe3");
  CHECK(query_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (const char* bad : {"\xFF", "a\xC3", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80"}) {
    try {
      normalize(bad);
      FAIL("accepted invalid UTF-8");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::invalid_utf8);
    }
  }
}

TEST_CASE("hash embedder: deterministic unit vectors, similar text closer", "[cache]") {
  hash_embedder e(384);
  CHECK(e.fingerprint() == "hash-ngram:v1:384");
  const auto a = e.embed("what is the capital of france?");
  CHECK(a == e.embed("what is the capital of france?"));
  double n = 0;
  for (float x : a) n += double(x) * x;
  CHECK(n == Approx(1.0).epsilon(1e-5));
  auto cos = [](const std::vector<float>& x, const std::vector<float>& y) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += double(x[i]) * y[i];
    return s;
  };
  const double close = cos(a, e.embed("what is the capital of france"));
  const double far = cos(a, e.embed("how do i bake sourdough bread at home"));
  CHECK(close > 0.9);
  CHECK(far < 0.3);
  CHECK(e.embed("").size() == 384);
  CHECK_THROWS_AS(hash_embedder(0), ddb::error);
}

TEST_CASE("cache: exact and semantic layers, misses by reason", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    semantic_cache c(ex, f.store, f.embed, f.options());
    co_await c.open();
    put_options meta;
    meta.metadata = R"({"model":"m1"})";
    co_await c.put("What is the capital of France?", "Paris", meta);

    lookup exact = co_await c.get("  what IS the capital of   france? ");
    REQUIRE(exact.hit);
    CHECK(exact.hit->layer == "exact");
    CHECK(exact.hit->similarity == 1.0f);
    CHECK(exact.hit->response == "Paris");
    CHECK(exact.hit->metadata == R"({"model":"m1"})");
    CHECK(exact.hit->ns == "default");

    lookup para = co_await c.get("what is the capital of france");  // no '?': another key, a close vector
    REQUIRE(para.hit);
    CHECK(para.hit->layer == "semantic");
    CHECK(para.hit->similarity > 0.85f);
    CHECK(para.hit->similarity < 1.0f);

    lookup far = co_await c.get("how do I bake sourdough bread at home");
    CHECK_FALSE(far.hit);
    CHECK(far.reason == miss_reason::below_threshold);
    get_options in_other;
    in_other.ns = "other";
    lookup other_ns = co_await c.get("What is the capital of France?", in_other);
    CHECK(other_ns.reason == miss_reason::no_match);
    get_options by;
    by.bypass = true;
    auto r1 = co_await c.get("What is the capital of France?", by);
    CHECK(r1.reason == miss_reason::bypass);
    get_options wrong_dim;
    wrong_dim.embedding = std::vector<float>(3, 1.0f);
    lookup dm = co_await c.get("something new", wrong_dim);
    CHECK(dm.reason == miss_reason::dim_mismatch);
    CHECK(dm.detail.find("3 dimensions") != std::string::npos);

    const cache_stats s = c.stats();
    const namespace_stats& d = s.namespaces.at("default");
    CHECK(d.entries == 1);
    CHECK(d.exact_hits == 1);
    CHECK(d.semantic_hits == 1);
    CHECK(d.misses.at("below_threshold") == 1);
    CHECK(d.misses.at("bypass") == 1);
    CHECK(d.misses.at("dim_mismatch") == 1);
    CHECK(s.namespaces.at("other").misses.at("no_match") == 1);
    CHECK(s.total.exact_hits == 1);
    CHECK(s.embedder_fingerprint == "hash-ngram:v1:64");
  });
}

TEST_CASE("cache: embedder failures, bad input, another embedder", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    // No embedder, or no store: the cache's own error, not the index's "dimension 0".
    for (bool no_store : {false, true}) {
      try {
        semantic_cache none(ex, no_store ? nullptr : f.store, no_store ? f.embed : nullptr, f.options());
        FAIL("constructed without " << (no_store ? "a store" : "an embedder"));
      } catch (const ddb::error& e) {
        CHECK(e.code() == errc::invalid_config);
        CHECK_THAT(e.what(), Catch::Contains("needs a store and an embedder"));
      }
    }
    semantic_cache c(ex, f.store, std::make_shared<failing_embedder>(), f.options());
    co_await c.open();
    lookup l = co_await c.get("anything");
    CHECK(l.reason == miss_reason::embedder_failure);
    CHECK(l.detail == "model server down");
    bool threw = false;
    try {
      co_await c.put("q", "r");
    } catch (const ddb::error& e) {
      threw = e.code() == errc::embedder_failed && std::string(e.what()).find("model server down") != std::string::npos;
    }
    CHECK(threw);
    // A store keeps the embedder it was opened with.
    semantic_cache other(ex, f.store, std::make_shared<hash_embedder>(64), f.options());
    threw = false;
    try {
      co_await other.open();
    } catch (const ddb::error& e) {
      threw = std::string(e.what()).find("failing:v1") != std::string::npos;
    }
    CHECK(threw);
  });
  fixture g;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cache_options o = g.options();
    o.max_query_bytes = 10;
    o.max_response_bytes = 10;
    semantic_cache c(ex, g.store, g.embed, o);
    co_await c.open();
    auto code_of = [&](std::string q, std::string r, put_options p) -> asio::awaitable<std::error_code> {
      try {
        co_await c.put(std::move(q), std::move(r), std::move(p));
      } catch (const ddb::error& e) {
        co_return e.code();
      }
      co_return std::error_code();
    };
    const put_options no_options;
    auto r2 = co_await code_of("0123456789x", "r", no_options);
    CHECK(r2 == errc::item_too_large);
    auto r3 = co_await code_of("q", "0123456789x", no_options);
    CHECK(r3 == errc::item_too_large);
    put_options not_object;
    not_object.metadata = "[1,2]";
    auto r4 = co_await code_of("q", "r", not_object);
    CHECK(r4 == errc::invalid_json);
    put_options zero;
    zero.embedding = std::vector<float>(64, 0.0f);
    auto r5 = co_await code_of("q", "r", zero);
    CHECK(r5 == errc::embedder_failed);
    put_options short_vec;
    short_vec.embedding = std::vector<float>(5, 1.0f);
    auto r6 = co_await code_of("q", "r", short_vec);
    CHECK(r6 == errc::dimension_mismatch);
    auto r7 = co_await code_of("\xFF", "r", no_options);
    CHECK(r7 == errc::invalid_utf8);
    CHECK_THROWS_AS(c.set_similarity_threshold(1.5f), ddb::error);
    c.set_similarity_threshold(0.5f);
    CHECK(c.similarity_threshold() == 0.5f);
  });
}

TEST_CASE("cache: TTL, validator, confidence decay, access records", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cache_options o = f.options();
    o.half_life = std::chrono::hours(1);
    o.confidence_cutoff = 0.5f;
    o.access_write_interval = std::chrono::seconds(3600);
    semantic_cache c(ex, f.store, f.embed, o);
    co_await c.open();
    put_options ttl;
    ttl.ttl = std::chrono::seconds(60);
    ttl.embedding = unit(64, 1);
    co_await c.put("short lived", "r1", ttl);
    *f.now += 61;
    lookup gone = co_await c.get("short lived");
    CHECK(gone.reason == miss_reason::expired);
    CHECK(c.stats().namespaces.at("default").expirations == 1);
    CHECK(c.stats().namespaces.at("default").entries == 0);

    // The validator removes answers that are errors.
    put_options p;
    p.embedding = unit(64, 2);
    co_await c.put("broken", "[LLM Error] timeout", p);
    get_options near;
    near.embedding = unit(64, 2, 3, 0.95f);
    auto r8 = co_await c.get("a paraphrase of broken", near);
    CHECK(r8.reason == miss_reason::no_match);
    CHECK(c.stats().namespaces.at("default").entries == 0);

    // Confidence halves every half-life: a 0.95 match stops at about 55 minutes.
    p.embedding = unit(64, 4);
    co_await c.put("old answer", "42", p);
    near.embedding = unit(64, 4, 5, 0.95f);
    *f.now += 30 * 60;
    lookup young = co_await c.get("a paraphrase", near);
    REQUIRE(young.hit);
    CHECK(young.hit->confidence == Approx(0.95 * std::pow(0.5, 0.5)).epsilon(1e-4));
    CHECK(young.hit->age == std::chrono::seconds(1800));
    *f.now += 30 * 60;
    auto r9 = co_await c.get("a paraphrase", near);
    CHECK(r9.reason == miss_reason::no_match);
    // ... but an exact hit has no cutoff.
    auto r10 = co_await c.get("old answer");
    CHECK(r10.hit);

    // Accesses are written when flushed (or after the interval), not per hit.
    auto before = co_await f.store->get_by_hash("default", query_hash("old answer"));
    CHECK(before->access_count == 0);
    co_await c.flush();
    auto after = co_await f.store->get_by_hash("default", query_hash("old answer"));
    CHECK(after->access_count == 2);
    CHECK(after->last_accessed_at == *f.now);
  });
}

TEST_CASE("cache: re-put keeps the id, LRU eviction by quota and by max_entries", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cache_options o = f.options();
    o.namespace_quotas["small"] = 10;
    o.max_entries = 40;
    semantic_cache c(ex, f.store, f.embed, o);
    co_await c.open();
    put_options in_small;
    in_small.ns = "small";
    co_await c.put("first", "v1", in_small);
    const auto id1 = (co_await f.store->get_by_hash("small", query_hash("first")))->id;
    co_await c.put("First ", "v2", in_small);  // the same key: replaced in place
    auto again = co_await f.store->get_by_hash("small", query_hash("first"));
    CHECK(again->id == id1);
    CHECK(again->response == "v2");
    CHECK(c.stats().namespaces.at("small").entries == 1);

    // Fill "small" past its quota of 10: the least recently used go first.
    for (int i = 0; i < 10; ++i) {
      *f.now += 1;
      co_await c.put("question " + std::to_string(i), "a", in_small);
    }
    // 11 > 10: evict max(1, 10% of 10) = 1, the oldest ("first").
    CHECK(c.stats().namespaces.at("small").entries == 10);
    CHECK(c.stats().namespaces.at("small").evictions == 1);
    get_options from_small;
    from_small.ns = "small";
    auto r11 = co_await c.get("first", from_small);
    CHECK_FALSE(r11.hit);

    // The global cap: 40 in total, evicting 10% (4) at a time.
    for (int i = 0; i < 31; ++i) {
      *f.now += 1;
      co_await c.put("other " + std::to_string(i), "a");
    }
    const auto s = c.stats();
    CHECK(s.total.entries <= 40);
    CHECK(s.total.entries >= 36);
    CHECK(s.total.evictions >= 5);
    auto r12 = co_await c.remove("other 30");
    CHECK(r12);
    auto r13 = co_await c.remove("other 30");
    CHECK_FALSE(r13);
    auto names = co_await c.list_namespaces();
    CHECK(names == std::vector<std::string>{"default", "small"});
    // The global cap evicts across namespaces, oldest first: some of "small" went too.
    const std::size_t small_left = c.stats().namespaces.at("small").entries;
    CHECK(small_left < 10);
    auto r14 = co_await c.clear_namespace("small");
    CHECK(r14 == small_left);
    auto r15 = co_await c.list_namespaces();
    CHECK(r15 == std::vector<std::string>{"default"});
    auto r16 = co_await c.clear();
    CHECK(r16 > 0);
    CHECK(c.stats().total.entries == 0);
  });
}

TEST_CASE("cache: two caches on one store see each other's changes", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cache_options o = f.options();
    o.sync_interval = 0ms;
    semantic_cache a(ex, f.store, f.embed, o);
    semantic_cache b(ex, f.store, f.embed, o);
    co_await a.open();
    co_await b.open();
    put_options p;
    p.embedding = unit(64, 7);
    co_await a.put("shared question", "from a", p);
    get_options near;
    near.embedding = unit(64, 7, 8, 0.9f);
    lookup seen = co_await b.get("a paraphrase", near);  // semantic: b must have synced a's vector
    REQUIRE(seen.hit);
    CHECK(seen.hit->layer == "semantic");
    CHECK(seen.hit->response == "from a");
    auto r17 = co_await a.remove("shared question");
    CHECK(r17);
    auto r18 = co_await b.get("a paraphrase", near);
    CHECK_FALSE(r18.hit);
    CHECK(b.stats().total.entries == 0);
    put_options short_ttl;
    short_ttl.ttl = std::chrono::seconds(5);
    co_await a.put("expiring", "x", short_ttl);
    *f.now += 10;
    auto r19 = co_await b.vacuum();
    CHECK(r19 == 1);
    health_report h = co_await b.health();
    CHECK(h.healthy);
    CHECK(h.store == "memory");
  });
}

TEST_CASE("cache: concurrent gets are scored together", "[cache]") {
  fixture f;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    cache_options o = f.options();
    semantic_cache c(ex, f.store, f.embed, o);
    co_await c.open();
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    for (int i = 0; i < 2000; ++i) {
      put_options p;
      p.embedding = std::vector<float>(64);
      for (float& x : *p.embedding) x = g(rng);
      co_await c.put("entry " + std::to_string(i), "answer " + std::to_string(i), p);
    }
    auto hits = std::make_shared<std::atomic<int>>(0);
    auto finished = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < 64; ++i) asio::co_spawn(ex, one_get(c, i, hits, finished), asio::detached);
    while (*finished < 64) {
      asio::steady_timer t(ex, 1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    const cache_stats s = c.stats();
    CHECK(s.queries_scored == 64);
    CHECK(s.scan_passes < 64);  // coalesced: most waited for a pass shared with others
  });
}

namespace {

struct lag_probe {
  bool running = true;
  std::vector<double> lag_ms;
  int gets = 0;
};

// A 1 ms ticker on the loop, recording how late each tick fires.
asio::awaitable<void> tick(std::shared_ptr<lag_probe> p) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (p->running) {
    const auto due = std::chrono::steady_clock::now() + 1ms;
    t.expires_at(due);
    co_await t.async_wait(asio::use_awaitable);
    p->lag_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - due).count());
  }
}

// Gets (semantic misses: every one is a full scan) until the probe stops.
asio::awaitable<void> keep_getting(semantic_cache& c, std::shared_ptr<lag_probe> p, int worker) {
  get_options o;
  o.embedding = std::vector<float>(64, 0.0f);
  int i = 0;
  while (p->running) {
    (*o.embedding)[static_cast<std::size_t>((worker + i++) % 64)] = 1.0f;
    lookup l = co_await c.get("probe " + std::to_string(worker), o);
    ++p->gets;
  }
}

}  // namespace

// Gets on a million entries while a 1 ms timer runs: the scans are on the
// scorer's pool, the loop stays free. Separate CTest entry (cache.loop_lag).
TEST_CASE("cache: gets on 1M entries never block the event loop", "[cache-lag]") {
  const std::size_t n = std::getenv("DDB_CACHE_LAG_ROWS") ? std::strtoull(std::getenv("DDB_CACHE_LAG_ROWS"), nullptr, 10)
                                                         : 1000000;
  auto st = std::make_shared<memory_store>();
  fixture f;
  std::vector<double> p99s;
  double scan_ms = 0;
  auto bound = [](double scan) { return std::max(2.0, scan / 4); };
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    co_await st->open("hash-ngram:v1:64", 64);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1, 1);
    for (std::size_t i = 0; i < n; ++i) {
      entry e;
      e.ns = "default";
      e.query_hash = std::to_string(i);
      e.response = "r";
      e.embedding.resize(64);
      for (float& x : e.embedding) x = u(rng);
      co_await st->upsert(std::move(e));
    }
    cache_options o = f.options();
    o.scorer_threads = 1;  // one core scores, the other runs the loop
    semantic_cache c(ex, st, f.embed, o);
    co_await c.open();
    {  // one get alone: one full scan of the million entries
      get_options alone;
      alone.embedding = std::vector<float>(64, 0.5f);
      const auto started = std::chrono::steady_clock::now();
      (void)co_await c.get("alone", alone);
      scan_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    }
    for (int round = 0; round < 6; ++round) {  // stops at the first clean round
      auto probe = std::make_shared<lag_probe>();
      asio::co_spawn(ex, tick(probe), asio::detached);
      for (int w = 0; w < 16; ++w) asio::co_spawn(ex, keep_getting(c, probe, w), asio::detached);
      asio::steady_timer t(ex, 1500ms);
      co_await t.async_wait(asio::use_awaitable);
      probe->running = false;
      asio::steady_timer drain(ex, 300ms);  // let the last gets finish
      co_await drain.async_wait(asio::use_awaitable);
      std::sort(probe->lag_ms.begin(), probe->lag_ms.end());
      REQUIRE(probe->lag_ms.size() > 100);
      const double p99 = probe->lag_ms[probe->lag_ms.size() * 99 / 100];
      std::printf("cache loop lag round %d: %d gets, %llu scans so far, lag p99 %.3f ms, max %.3f ms; a scan %.1f ms\n",
                  round, probe->gets, static_cast<unsigned long long>(c.stats().scan_passes), p99, probe->lag_ms.back(),
                  scan_ms);
      CHECK(probe->gets > 16);
      p99s.push_back(p99);
      if (p99 < bound(scan_ms)) break;
    }
  });
  // Scans run back to back through every round, so a loop that ran them would
  // lag by about a whole scan at p99. A shared machine can stall any one round
  // for a few ms (seen in CI under the sanitizers: six rounds in a row at
  // 2.2 ms): one round under a quarter of a scan (and at least 2 ms) proves
  // the loop is free.
  INFO("a scan " << scan_ms << " ms");
  CHECK(*std::min_element(p99s.begin(), p99s.end()) < bound(scan_ms));
}

// Every asynchronous call of the cache takes a completion token (issue 23
// item 1): as_tuple, callbacks, cancel_after; failures arrive as the code of
// the ddb::error the default token throws.
TEST_CASE("cache: completion tokens on every call", "[cache]") {
  fixture f;
  cache_options o = f.options();
  o.max_query_bytes = 10;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    semantic_cache c(ex, f.store, f.embed, o);
    const auto tuple = asio::as_tuple(asio::use_awaitable);
    auto [open_ec] = co_await c.open(tuple);
    CHECK_FALSE(open_ec);
    auto [put_ec] = co_await c.put("capital?", "Paris", tuple);
    CHECK_FALSE(put_ec);
    auto [too_long] = co_await c.put("0123456789x", "r", tuple);  // a failure: the code, no exception
    CHECK(too_long == errc::item_too_large);
    auto [get_ec, hit] = co_await c.get("capital?", tuple);
    CHECK_FALSE(get_ec);
    CHECK(hit.hit);
    get_options exact;
    exact.ns = "default";
    auto [get_ec2, hit2] = co_await c.get("capital?", exact, ddb::cancel_after(60s, tuple));
    CHECK_FALSE(get_ec2);
    CHECK(hit2.hit);
    lookup timed = co_await c.get("capital?", ddb::cancel_after(60s));  // around the default token
    CHECK(timed.hit);
    auto [ns_ec, names] = co_await c.list_namespaces(tuple);
    CHECK_FALSE(ns_ec);
    CHECK(names == std::vector<std::string>{"default"});
    auto [vac_ec, expired] = co_await c.vacuum(tuple);
    CHECK_FALSE(vac_ec);
    CHECK(expired == 0);
    auto [health_ec, h] = co_await c.health(tuple);
    CHECK_FALSE(health_ec);
    CHECK(h.healthy);
    auto [flush_ec] = co_await c.flush(tuple);
    CHECK_FALSE(flush_ec);
    // A callback, completed on the cache's executor.
    bool called = false;
    bool removed = false;
    c.remove("capital?", [&](boost::system::error_code ec, bool r) {
      CHECK_FALSE(ec);
      removed = r;
      called = true;
    });
    asio::steady_timer settle(ex);
    while (!called) {  // the callback runs on this loop: yield until it has
      settle.expires_after(1ms);
      co_await settle.async_wait(asio::use_awaitable);
    }
    CHECK(removed);
    auto [clear_ec, cleared] = co_await c.clear(tuple);
    CHECK_FALSE(clear_ec);
    CHECK(cleared == 0);
  });
}

// The loop is never blocked by a get's scan, shown without a clock (issue
// 20: the timed cache.loop_lag is a measurement now, not a test). The
// scorer's pool (cache_options::scorer_pool) is held on a gate; a get that
// misses exactly must scan 4,096 entries (1 MB, over the scorer's inline
// bound); the loop then runs 100 turns, each seeing the get still pending,
// and only then opens the gate.
TEST_CASE("cache: a get's scan waits on the pool while the loop runs on (no clock)", "[cache]") {
  fixture f;
  asio::thread_pool pool(1);
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  cache_options o = f.options();
  o.scorer_pool = &pool;
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto st = std::make_shared<memory_store>();
    co_await st->open("hash-ngram:v1:64", 64);
    for (int i = 0; i < 4096; ++i) {
      entry e;
      e.ns = "default";
      e.query_hash = std::to_string(i);
      e.response = "r";
      e.embedding.assign(64, 0.0f);
      e.embedding[static_cast<std::size_t>(i % 64)] = 1.0f;
      co_await st->upsert(std::move(e));
    }
    semantic_cache c(ex, st, f.embed, o);
    co_await c.open();
    const auto scans_before = c.stats().scan_passes;
    asio::post(pool, [opened] { opened.wait(); });  // holds the pool's only thread
    bool got = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          lookup l = co_await c.get("a prompt stored nowhere");
          CHECK_FALSE(l.hit);
          got = true;
        },
        asio::detached);
    for (int turn = 0; turn < 100; ++turn) {
      co_await asio::post(ex, asio::use_awaitable);  // one turn of the loop
      CHECK_FALSE(got);
    }
    gate.set_value();
    while (!got) co_await asio::post(ex, asio::use_awaitable);
    CHECK(c.stats().scan_passes == scans_before + 1);  // it did scan, on the pool
  });
  pool.join();
}

TEST_CASE("mneme entries: a TTL past the 64-bit range saturates instead of overflowing (found by fuzz_items)", "[cache]") {
  using ddb::cache::detail::mneme_entry_from_item;
  const ddb::item huge{{"id", ddb::value(42)},
                       {"created_at", ddb::value(std::int64_t{1796602765})},
                       {"ttl", ddb::value(std::numeric_limits<std::int64_t>::max())}};
  CHECK(mneme_entry_from_item(huge, false).expires_at == std::numeric_limits<std::int64_t>::max());
  CHECK(mneme_entry_from_item(huge, true).expires_at == std::numeric_limits<std::int64_t>::max());  // legacy: absolute
  const ddb::item below{{"id", ddb::value(42)},
                        {"created_at", ddb::value(std::int64_t{-5})},
                        {"ttl", ddb::value(std::numeric_limits<std::int64_t>::min())}};
  CHECK(mneme_entry_from_item(below, false).expires_at == std::numeric_limits<std::int64_t>::min());
  const ddb::item usual{{"id", ddb::value(42)}, {"created_at", ddb::value(std::int64_t{1000})}, {"ttl", ddb::value(60)}};
  CHECK(mneme_entry_from_item(usual, false).expires_at == 1060);
  // An embedding shorter than one float (the second finding: memcpy from a null pointer) reads as none.
  const ddb::item short_embedding{{"id", ddb::value(42)}, {"embedding", ddb::value(ddb::bytes{1, 2})}};
  CHECK(mneme_entry_from_item(short_embedding, false).embedding.empty());
}
