// The semantic cache on its DynamoDB store, against DynamoDB Local: the
// table layout, both layers, re-puts, removal, TTL as an absolute time, the
// embedder check, two caches seeing each other's changes, racing puts of the
// same new prompt, concurrent distinct puts, and eviction through gsi_lru.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "ddb/cache.hpp"
#include "support/vectors.hpp"
#include "ddb/client.hpp"
#include "ddb/paginate.hpp"
#include "helpers/run_all.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using namespace ddb::cache;
using ddb::test::unit;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string fresh_table(const char* what) {
  static std::mt19937 rng(std::random_device{}());
  return std::string("cache_") + what + "_" + std::to_string(rng() % 1000000);
}

// A client for DynamoDB Local (found through the environment).
template <class F>
void with_local(F f) {
  ddb::test::with_client(client_config{}, std::move(f), std::chrono::seconds(120));
}

cache_options fast_sync() {
  cache_options o;
  o.sync_interval = 0ms;
  o.scorer_threads = 1;
  return o;
}

// Every entry item (id >= 1) in the table.
asio::awaitable<std::vector<item>> entries_in(client& c, const std::string& table) {
  scan_request r;
  r.table_name = table;
  r.filter_expression = "id > :z";
  r.expression_attribute_values = item{{":z", value(0)}};
  r.consistent_read = true;
  co_return co_await scan_all(c, r);
}

asio::awaitable<item> meta_of(client& c, const std::string& table) {
  get_item_request g;
  g.table_name = table;
  g.key = item{{"id", value(0)}};
  g.consistent_read = true;
  get_item_response r = co_await c.get_item(g);
  co_return r.item;
}

asio::awaitable<void> drop(client& c, const std::string& table) {
  delete_table_request d;
  d.table_name = table;
  co_await c.delete_table(d);
}

}  // namespace

TEST_CASE("dynamodb store: layout, layers, re-put, remove, TTL, embedder check", "[cache-local]") {
  const std::string table = fresh_table("basic");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(32);
    dynamodb_store_options missing_opt;
    missing_opt.table_name = table;
    auto missing = std::make_shared<dynamodb_store>(c, missing_opt);
    semantic_cache refused(ex, missing, embed, fast_sync());
    bool said = false;
    try {
      co_await refused.open();
    } catch (const ddb::error& e) {
      said = std::string(e.what()).find("create_table = true") != std::string::npos;
    }
    CHECK(said);

    dynamodb_store_options so;
    so.table_name = table;
    so.create_table = true;
    auto store = std::make_shared<dynamodb_store>(c, so);
    semantic_cache cache(ex, store, embed, fast_sync());
    co_await cache.open();

    describe_table_request d;
    d.table_name = table;
    describe_table_response desc = co_await c.describe_table(d);
    REQUIRE(desc.table);
    CHECK(desc.table->global_secondary_indexes.size() == 2);
    for (const auto& g : desc.table->global_secondary_indexes) CHECK(g.projection->projection_type == "KEYS_ONLY");
    item meta = co_await meta_of(c, table);
    CHECK(meta.at("embedder_fingerprint").as_string() == "hash-ngram:v1:32");
    CHECK(meta.at("embedder_dim").as_number().to<int>().value() == 32);
    CHECK(meta.at("next_id").as_number().to<int>().value() == 1);

    put_options p;
    p.embedding = unit(32, 3);
    p.metadata = R"({"model":"m"})";
    p.ttl = std::chrono::hours(1);
    co_await cache.put("What is DynamoDB?", "A key-value database", p);
    lookup exact = co_await cache.get("what is dynamodb?");
    REQUIRE(exact.hit);
    CHECK(exact.hit->layer == "exact");
    CHECK(exact.hit->metadata == R"({"model":"m"})");
    get_options near;
    near.embedding = unit(32, 3, 4, 0.9f);
    lookup sem = co_await cache.get("tell me about dynamodb", near);
    REQUIRE(sem.hit);
    CHECK(sem.hit->layer == "semantic");

    std::vector<item> items = co_await entries_in(c, table);
    REQUIRE(items.size() == 1);
    const item& e = items[0];
    CHECK(e.at("id").as_number().to<int>().value() == 1);
    CHECK(e.at("query").as_string() == "What is DynamoDB?");
    CHECK(e.at("embedding").as_binary().size() == 32 * 4);
    const auto created = e.at("created_at").as_number().to<std::int64_t>().value();
    CHECK(e.at("ttl").as_number().to<std::int64_t>().value() == created + 3600);  // absolute, for native TTL

    put_options again = p;
    again.ttl.reset();
    co_await cache.put("  WHAT is dynamodb? ", "Amazon's key-value database", again);
    items = co_await entries_in(c, table);
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("id").as_number().to<int>().value() == 1);  // same id
    CHECK(items[0].at("response").as_string() == "Amazon's key-value database");
    CHECK_FALSE(items[0].contains("ttl"));

    bool removed = co_await cache.remove("What is DynamoDB?");
    CHECK(removed);
    items = co_await entries_in(c, table);
    CHECK(items.empty());
    lookup after = co_await cache.get("What is DynamoDB?");
    CHECK_FALSE(after.hit);
    meta = co_await meta_of(c, table);
    CHECK(meta.at("version_counter").as_number().to<int>().value() == 3);  // insert, re-put, remove

    // An entry over DynamoDB's 400 KB is refused before sending.
    bool too_big = false;
    try {
      co_await cache.put("big", std::string(401 * 1024, 'x'));
    } catch (const ddb::error& x) {
      too_big = x.code() == errc::item_too_large && std::string(x.what()).find("400 KB") != std::string::npos;
    }
    CHECK(too_big);

    // Another embedder cannot open this table.
    semantic_cache other(ex, std::make_shared<dynamodb_store>(c, so), std::make_shared<hash_embedder>(64), fast_sync());
    bool mismatch = false;
    try {
      co_await other.open();
    } catch (const ddb::error& x) {
      mismatch = std::string(x.what()).find("hash-ngram:v1:32") != std::string::npos;
    }
    CHECK(mismatch);
    co_await drop(c, table);
  });
}

TEST_CASE("dynamodb store: two caches, racing puts, concurrent writers, eviction", "[cache-local]") {
  const std::string table = fresh_table("shared");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(16);
    dynamodb_store_options so;
    so.table_name = table;
    so.create_table = true;
    auto store_a = std::make_shared<dynamodb_store>(c, so);
    auto store_b = std::make_shared<dynamodb_store>(c, so);
    semantic_cache a(ex, store_a, embed, fast_sync());
    semantic_cache b(ex, store_b, embed, fast_sync());
    co_await a.open();
    co_await b.open();

    // b sees a's new entry (semantic layer: the vector came through sync) and its removal.
    put_options p;
    p.embedding = unit(16, 1);
    co_await a.put("shared", "from a", p);
    get_options near;
    near.embedding = unit(16, 1, 2, 0.9f);
    lookup seen = co_await b.get("paraphrase", near);
    REQUIRE(seen.hit);
    CHECK(seen.hit->response == "from a");
    bool removed = co_await a.remove("shared");
    CHECK(removed);
    lookup gone = co_await b.get("paraphrase", near);
    CHECK_FALSE(gone.hit);

    // A cache that falls more than 16 re-puts/deletes behind reloads (the
    // ring no longer holds them) and still ends up right.
    cache_options slow = fast_sync();
    slow.sync_interval = std::chrono::hours(1);
    semantic_cache late(ex, std::make_shared<dynamodb_store>(c, so), embed, slow);
    co_await late.open();
    co_await a.put("kept", "v0");
    co_await a.put("dropped", "x");
    std::size_t forced = co_await late.vacuum();  // vacuum syncs first
    CHECK(forced == 0);
    CHECK(late.stats().total.entries == 2);
    bool dropped = co_await a.remove("dropped");
    CHECK(dropped);
    for (int i = 1; i <= 20; ++i) co_await a.put("kept", "v" + std::to_string(i));
    forced = co_await late.vacuum();
    CHECK(late.stats().total.entries == 1);
    // ... and one that is only a few changes behind follows the ring.
    bool gone_again = co_await a.remove("kept");
    CHECK(gone_again);
    forced = co_await late.vacuum();
    CHECK(late.stats().total.entries == 0);

    // The same new prompt put by both at once: one entry.
    std::atomic<int> failures{0};
    co_await ddb::detail::run_all(2, [&](std::size_t i) -> asio::awaitable<void> {
      try {
        put_options q;
        q.embedding = unit(16, 5);
        semantic_cache& who = i == 0 ? a : b;
        std::string answer = i == 0 ? "a" : "b";
        co_await who.put("Same prompt", std::move(answer), std::move(q));
      } catch (const std::exception&) {
        ++failures;
      }
    });
    CHECK(failures == 0);
    std::vector<item> items = co_await entries_in(c, table);
    CHECK(items.size() == 1);

    // Distinct prompts from four writers at once: every one present once, ids unique,
    // the version counter counting every mutation. (What is checked is exactly-once
    // under contention, so the writers may retry more than the default 5 times:
    // four writers hammering one counter can make one of them lose 5 races in a row.)
    const int writers = 4, each = 10;
    dynamodb_store_options patient = so;
    patient.max_attempts = 30;
    co_await ddb::detail::run_all(writers, [&](std::size_t w) -> asio::awaitable<void> {
      auto st = std::make_shared<dynamodb_store>(c, patient);
      semantic_cache mine(ex, st, embed, fast_sync());
      co_await mine.open();
      for (int i = 0; i < each; ++i) co_await mine.put("writer " + std::to_string(w) + " prompt " + std::to_string(i), "r");
    });
    items = co_await entries_in(c, table);
    CHECK(items.size() == 1 + writers * each);
    std::set<std::int64_t> ids;
    for (const item& it : items) ids.insert(it.at("id").as_number().to<std::int64_t>().value());
    CHECK(ids.size() == items.size());
    item meta = co_await meta_of(c, table);
    // 1 put + 1 remove, 2 puts + 1 remove + 20 re-puts + 1 remove, (1 put that won
    // the race; the other re-put in place = 2), 40 puts.
    CHECK(meta.at("version_counter").as_number().to<int>().value() == 2 + 24 + 2 + writers * each);
    CHECK(meta.at("next_id").as_number().to<int>().value() == 1 + 1 + 2 + 1 + writers * each);

    // With one attempt, the writer that loses the counter race gets a clear error.
    dynamodb_store_options impatient = so;
    impatient.max_attempts = 1;
    std::atomic<int> conflicts{0}, stored{0};
    co_await ddb::detail::run_all(2, [&](std::size_t w) -> asio::awaitable<void> {
      semantic_cache mine(ex, std::make_shared<dynamodb_store>(c, impatient), embed, fast_sync());
      co_await mine.open();
      try {
        co_await mine.put("racer " + std::to_string(w), "r");
        ++stored;
      } catch (const ddb::error& x) {
        if (x.code() == errc::write_conflict && std::string(x.what()).find("lost to other writers 1 times") != std::string::npos)
          ++conflicts;
      }
    });
    CHECK(stored + conflicts == 2);
    CHECK(stored >= 1);

    // Writers sharing one store take turns: 20 concurrent puts, one attempt
    // each, none lost to the others.
    auto shared = std::make_shared<dynamodb_store>(c, impatient);
    semantic_cache one(ex, shared, embed, fast_sync());
    co_await one.open();
    std::atomic<int> lost{0};
    co_await ddb::detail::run_all(20, [&](std::size_t i) -> asio::awaitable<void> {
      try {
        co_await one.put("shared store prompt " + std::to_string(i), "r");
      } catch (const ddb::error&) {
        ++lost;
      }
    });
    CHECK(lost == 0);
    CHECK(one.stats().total.entries >= 20);

    // A namespace quota on DynamoDB: least recently used out, through gsi_lru.
    cache_options limited = fast_sync();
    limited.namespace_quotas["tiny"] = 3;
    semantic_cache q(ex, std::make_shared<dynamodb_store>(c, so), embed, limited);
    co_await q.open();
    put_options in_tiny;
    in_tiny.ns = "tiny";
    for (int i = 0; i < 5; ++i) co_await q.put("tiny " + std::to_string(i), "r", in_tiny);
    CHECK(q.stats().namespaces.at("tiny").entries == 3);
    CHECK(q.stats().namespaces.at("tiny").evictions == 2);
    co_await drop(c, table);
  });
}
