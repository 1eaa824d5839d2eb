// The cache's mneme layout against DynamoDB Local: ddb's items are mneme's
// attribute by attribute, and ddb shares a table with a mneme process (its
// writes reproduced as its DynamoDBStore sends them, support/cache_tables.hpp)
// in both directions: reads, re-puts in place, deletes, TTL as a duration,
// following mneme's writes without reloading, racing writers.
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <atomic>

#include "support/cache_tables.hpp"
#include "support/vectors.hpp"

using namespace ddb;
using namespace ddb::cache;
using namespace ddb::test;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

dynamodb_store_options mneme_opts(const std::string& table) {
  dynamodb_store_options o;
  o.table_name = table;
  o.layout = table_layout::mneme;
  o.create_table = true;
  return o;
}

std::vector<item> entries_only(const std::vector<item>& all) {
  std::vector<item> out;
  for (const item& it : all)
    if (int_of(it, "id") >= 1) out.push_back(it);
  return out;
}

}  // namespace

TEST_CASE("mneme layout: ddb creates mneme's table and writes mneme's items", "[cache-local]") {
  const std::string table = fresh_table("mneme_items");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(32);
    auto store = std::make_shared<dynamodb_store>(c, mneme_opts(table));
    semantic_cache cache(ex, store, embed, fast_sync());
    co_await cache.open();
    CHECK(store->layout() == table_layout::mneme);
    CHECK(store->name() == "dynamodb:" + table + " (mneme layout)");

    describe_table_request d;
    d.table_name = table;
    describe_table_response desc = co_await c.describe_table(d);
    REQUIRE(desc.table);
    REQUIRE(desc.table->global_secondary_indexes.size() == 2);
    for (const auto& g : desc.table->global_secondary_indexes) CHECK(g.projection->projection_type == ddb::projection_type::all);
    describe_time_to_live_request dt;
    dt.table_name = table;
    describe_time_to_live_response ttl_desc = co_await c.describe_time_to_live(dt);
    const bool ttl_on = ttl_desc.time_to_live_description && ttl_desc.time_to_live_description->time_to_live_status &&
                        *ttl_desc.time_to_live_description->time_to_live_status == ddb::time_to_live_status::enabled;
    CHECK_FALSE(ttl_on);  // `ttl` is a duration: native TTL would delete every entry at once

    put_options p;
    p.embedding = unit(32, 3);
    p.ttl = std::chrono::hours(1);
    co_await cache.put("What is DynamoDB?", "A key-value database", p);
    std::vector<item> all = co_await scan_table(c, table);
    std::vector<item> items = entries_only(all);
    REQUIRE(items.size() == 1);
    REQUIRE(all.size() == 2);  // the meta item and the entry: no items of ddb's own
    const item& e = items[0];
    CHECK(names_of(e) == std::set<std::string>{"id", "namespace", "query_hash", "query", "response", "embedding",
                                               "metadata", "created_at", "last_accessed_at", "access_count", "ttl"});
    CHECK(int_of(e, "id") == 1);
    CHECK(e.at("namespace").as_string() == "default");
    CHECK(e.at("query_hash").as_string() == query_hash(normalize("What is DynamoDB?")));
    CHECK(e.at("embedding").as_binary().size() == 32 * 4);
    CHECK(e.at("metadata").as_string() == "{}");
    CHECK(int_of(e, "ttl") == 3600);  // a duration, as mneme reads it
    CHECK(int_of(e, "last_accessed_at") == int_of(e, "created_at"));
    CHECK(int_of(e, "access_count") == 0);

    // mneme's own read path (gsi_hash, the entry built from the index item) finds it.
    mneme_writer m{c, table};
    std::optional<item> via_index = co_await m.get_by_hash("default", "what is dynamodb?");
    REQUIRE(via_index);
    CHECK(via_index->at("response").as_string() == "A key-value database");

    // A re-put keeps the id; a delete works; the counter counts every mutation.
    co_await cache.put("what is  DynamoDB?", "Amazon's key-value database");
    items = entries_only(co_await scan_table(c, table));
    REQUIRE(items.size() == 1);
    CHECK(int_of(items[0], "id") == 1);
    CHECK_FALSE(items[0].contains("ttl"));
    const bool removed = co_await cache.remove("What is DynamoDB?");
    CHECK(removed);
    item meta = co_await m.counter();
    CHECK(int_of(meta, "version_counter") == 3);
    CHECK(int_of(meta, "next_id") == 2);
    co_await drop_table(c, table);
  });
}

TEST_CASE("mneme layout: a table mneme wrote, shared with a running mneme process", "[cache-local]") {
  const std::string table = fresh_table("mneme_shared");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    mneme_writer m{c, table};
    co_await m.create_table();
    co_await m.open("hash-ngram:v1:16", 16);
    const std::int64_t now = epoch_now();
    const std::int64_t paris = co_await m.insert("default", "Capital of France?", "Paris", unit(16, 1), now - 100);
    const std::int64_t old = co_await m.insert("default", "Old question", "stale", unit(16, 2), now - 7200, 3600);
    const std::int64_t rome = co_await m.insert("default", "Capital of Italy?", "Rome", unit(16, 3), now - 100);

    auto embed = std::make_shared<hash_embedder>(16);
    dynamodb_store_options so;
    so.table_name = table;  // layout detected
    auto store = std::make_shared<dynamodb_store>(c, so);
    semantic_cache cache(ex, store, embed, fast_sync());
    co_await cache.open();
    CHECK(store->layout() == table_layout::mneme);

    // Both layers read mneme's entries; its TTL is a duration: created 2 h ago with 1 h is expired.
    lookup exact = co_await cache.get("capital of france?");
    REQUIRE(exact.hit);
    CHECK(exact.hit->response == "Paris");
    get_options near;
    near.embedding = unit(16, 3, 4, 0.95f);
    lookup sem = co_await cache.get("the capital of italy", near);
    REQUIRE(sem.hit);
    CHECK(sem.hit->response == "Rome");
    lookup expired = co_await cache.get("Old question");
    CHECK_FALSE(expired.hit);
    CHECK(cache.stats().total.expirations == 1);
    std::vector<item> items = entries_only(co_await scan_table(c, table));
    CHECK(items.size() == 2);  // the expired one was removed

    // A ddb put of mneme's prompt replaces it in place: no second entry.
    co_await cache.put("capital of FRANCE?", "Paris, France");
    items = entries_only(co_await scan_table(c, table));
    CHECK(items.size() == 2);
    std::optional<item> via_index = co_await m.get_by_hash("default", "Capital of France?");
    REQUIRE(via_index);
    CHECK(int_of(*via_index, "id") == paris);
    CHECK(via_index->at("response").as_string() == "Paris, France");

    // mneme's writes reach the running cache without a reload: an insert (new
    // id), a re-put (the item replaced, a bump), hits (bumps), a delete.
    const std::int64_t berlin = co_await m.insert("default", "Capital of Germany?", "Berlin", unit(16, 5), epoch_now());
    get_options de;
    de.embedding = unit(16, 5, 6, 0.95f);
    lookup seen = co_await cache.get("germany's capital", de);
    REQUIRE(seen.hit);
    CHECK(seen.hit->response == "Berlin");
    co_await m.reput(berlin, "default", "Capital of Germany?", "Berlin (since 1990)", unit(16, 7), epoch_now());
    get_options moved;
    moved.embedding = unit(16, 7, 8, 0.95f);
    lookup follow = co_await cache.get("where does germany govern from", moved);
    REQUIRE(follow.hit);
    CHECK(follow.hit->response == "Berlin (since 1990)");
    lookup old_vector = co_await cache.get("germany's capital", de);
    CHECK_FALSE(old_vector.hit);  // the old embedding is gone from the index
    co_await m.access(rome, epoch_now());
    co_await m.access(rome, epoch_now());
    lookup after_hits = co_await cache.get("capital of italy?");
    CHECK(after_hits.hit);
    co_await m.remove(rome);
    lookup deleted = co_await cache.get("capital of italy?");
    CHECK_FALSE(deleted.hit);
    lookup deleted_sem = co_await cache.get("the capital of italy", near);
    CHECK_FALSE(deleted_sem.hit);
    CHECK(cache.stats().full_reloads == 0);
    CHECK(cache.stats().syncs > 5);

    // ddb deletes what mneme wrote and re-put (no `version` needed).
    const bool gone = co_await cache.remove("Capital of Germany?");
    CHECK(gone);
    const bool gone_too = co_await cache.remove("capital of france?");
    CHECK(gone_too);
    items = entries_only(co_await scan_table(c, table));
    CHECK(items.empty());
    (void)old;

    // A mneme process with another embedder is refused, and so is ddb with one.
    semantic_cache other(ex, std::make_shared<dynamodb_store>(c, so), std::make_shared<hash_embedder>(64), fast_sync());
    bool mismatch = false;
    try {
      co_await other.open();
    } catch (const ddb::error& x) {
      mismatch = std::string(x.what()).find("hash-ngram:v1:16") != std::string::npos;
    }
    CHECK(mismatch);
    co_await drop_table(c, table);
  });
}

TEST_CASE("mneme layout: racing puts of one prompt, concurrent writers, a clear conflict, eviction", "[cache-local]") {
  const std::string table = fresh_table("mneme_race");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(16);
    dynamodb_store_options so = mneme_opts(table);
    semantic_cache a(ex, std::make_shared<dynamodb_store>(c, so), embed, fast_sync());
    semantic_cache b(ex, std::make_shared<dynamodb_store>(c, so), embed, fast_sync());
    co_await a.open();
    co_await b.open();

    // The same new prompt put by two processes at once: one entry (the loser
    // of the counter race finds the winner's insert among the new ids).
    const int failures = co_await race_same_prompt(a, b, 5);
    CHECK(failures == 0);
    CHECK(entries_only(co_await scan_table(c, table)).size() == 5);

    // Distinct prompts from four writers: each present once, ids unique.
    const int writers = 4, each = 10;
    dynamodb_store_options patient = so;
    patient.max_attempts = 30;
    co_await ddb::detail::run_all(writers, [&](std::size_t w) -> asio::awaitable<void> {
      semantic_cache mine(ex, std::make_shared<dynamodb_store>(c, patient), embed, fast_sync());
      co_await mine.open();
      for (int i = 0; i < each; ++i) co_await mine.put("writer " + std::to_string(w) + " prompt " + std::to_string(i), "r");
    });
    std::vector<item> items = entries_only(co_await scan_table(c, table));
    CHECK(items.size() == 5 + writers * each);
    std::set<std::int64_t> ids;
    for (const item& it : items) ids.insert(int_of(it, "id"));
    CHECK(ids.size() == items.size());

    // With one attempt, a writer that loses the counter race gets a clear error.
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

    // A namespace quota: least recently used out, through gsi_lru.
    cache_options limited = fast_sync();
    limited.namespace_quotas["tiny"] = 3;
    semantic_cache q(ex, std::make_shared<dynamodb_store>(c, so), embed, limited);
    co_await q.open();
    put_options in_tiny;
    in_tiny.ns = "tiny";
    for (int i = 0; i < 5; ++i) co_await q.put("tiny " + std::to_string(i), "r", in_tiny);
    CHECK(q.stats().namespaces.at("tiny").entries == 3);
    CHECK(q.stats().namespaces.at("tiny").evictions == 2);
    table_check report = co_await check_table(c, table);
    for (const std::string& p : report.problems) INFO(p);
    CHECK(report.ok());
    CHECK(report.entries == static_cast<std::size_t>(5 + writers * each + stored + 3));
    co_await drop_table(c, table);
  });
}

TEST_CASE("mneme layout: eviction reads past DynamoDB's 1 MB Query page on gsi_lru", "[cache-local]") {
  // gsi_lru projects whole entries: six of 300 KB are 1.8 MB, three to a
  // Query page. A quota cut from none to one must evict all six oldest, not the
  // three of the first page.
  const std::string table = fresh_table("mneme_evict_big");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(16);
    dynamodb_store_options so = mneme_opts(table);
    put_options in_big;
    in_big.ns = "big";
    {
      semantic_cache a(ex, std::make_shared<dynamodb_store>(c, so), embed, fast_sync());
      co_await a.open();
      for (int i = 0; i < 6; ++i) co_await a.put("big " + std::to_string(i), std::string(300'000, 'r'), in_big);
    }
    cache_options limited = fast_sync();
    limited.namespace_quotas["big"] = 1;
    semantic_cache b(ex, std::make_shared<dynamodb_store>(c, so), embed, limited);
    co_await b.open();
    co_await b.put("big 6", "small", in_big);
    CHECK(b.stats().namespaces.at("big").entries == 1);
    CHECK(b.stats().namespaces.at("big").evictions == 6);
    CHECK(entries_only(co_await scan_table(c, table)).size() == 1);
    co_await drop_table(c, table);
  });
}
