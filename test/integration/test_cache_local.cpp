// The cache's lean layout against DynamoDB Local (the default for new
// tables): the table and its items, both layers, re-puts, deletes as
// tombstones, TTL, half-precision vectors, two caches following each other
// through the change feed, racing puts, hit logs and eviction; layout
// detection; and `migrate` from a mneme-layout table, resumed and online.
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <atomic>

#include "cache/dynamodb_common.hpp"
#include "support/cache_tables.hpp"
#include "support/vectors.hpp"

using namespace ddb;
using namespace ddb::cache;
using namespace ddb::test;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

dynamodb_store_options lean_opts(const std::string& table) {
  dynamodb_store_options o;
  o.table_name = table;
  o.create_table = true;
  return o;
}

// Live entries (not tombstones, hit logs or the meta item).
std::vector<item> live(const std::vector<item>& all) {
  std::vector<item> out;
  for (const item& it : all)
    if (int_of(it, "k") >= 1 && !it.contains("t")) out.push_back(it);
  return out;
}

}  // namespace

TEST_CASE("lean layout: the table, its items, both layers, re-put, delete, TTL, embedder check", "[cache-local]") {
  const std::string table = fresh_table("lean_basic");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(32);
    dynamodb_store_options missing_opt;
    missing_opt.table_name = table;
    semantic_cache refused(ex, std::make_shared<dynamodb_store>(c, missing_opt), embed, fast_sync());
    bool said = false;
    try {
      co_await refused.open();
    } catch (const ddb::error& e) {
      said = std::string(e.what()).find("create_table = true") != std::string::npos;
    }
    CHECK(said);

    auto store = std::make_shared<dynamodb_store>(c, lean_opts(table));
    semantic_cache cache(ex, store, embed, fast_sync());
    co_await cache.open();
    CHECK(store->layout() == table_layout::lean);
    CHECK(store->name() == "dynamodb:" + table + " (lean layout)");

    describe_table_request d;
    d.table_name = table;
    describe_table_response desc = co_await c.describe_table(d);
    REQUIRE(desc.table);
    REQUIRE(desc.table->global_secondary_indexes.size() == 1);
    const auto& feed = desc.table->global_secondary_indexes[0];
    CHECK(feed.index_name == "feed");
    CHECK(feed.projection->projection_type == ddb::projection_type::include);
    CHECK(std::set<std::string>(feed.projection->non_key_attributes.begin(), feed.projection->non_key_attributes.end()) ==
          std::set<std::string>{"t", "a"});
    describe_time_to_live_request dt;
    dt.table_name = table;
    describe_time_to_live_response ttl_desc = co_await c.describe_time_to_live(dt);
    REQUIRE(ttl_desc.time_to_live_description);
    CHECK(ttl_desc.time_to_live_description->attribute_name == "x");

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
    CHECK(sem.hit->similarity == Approx(0.9f).margin(2e-3));  // half precision: within ~1e-3

    std::vector<item> items = live(co_await scan_table(c, table));
    REQUIRE(items.size() == 1);
    const item& e = items[0];
    CHECK(names_of(e) == std::set<std::string>{"k", "n", "h", "q", "r", "e", "m", "c", "x", "p", "u", "f"});
    CHECK(static_cast<std::uint64_t>(int_of(e, "k")) ==
          ddb::cache::detail::lean_id("default", query_hash(normalize("What is DynamoDB?"))));
    CHECK(e.at("h").as_binary().size() == 32);
    CHECK(e.at("e").as_binary().size() == 32 * 2);  // halves
    CHECK(int_of(e, "x") == int_of(e, "c") + 3600);  // absolute, for native TTL
    CHECK(int_of(e, "p") == 0);

    // A re-put: the same item (its key is the prompt), the TTL gone.
    put_options again = p;
    again.ttl.reset();
    again.metadata = "{}";
    co_await cache.put("  WHAT is dynamodb? ", "Amazon's key-value database", again);
    items = live(co_await scan_table(c, table));
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("r").as_string() == "Amazon's key-value database");
    CHECK_FALSE(items[0].contains("x"));
    CHECK_FALSE(items[0].contains("m"));

    // A delete leaves a tombstone that expires after the retention.
    const bool removed = co_await cache.remove("What is DynamoDB?");
    CHECK(removed);
    const bool twice = co_await cache.remove("What is DynamoDB?");
    CHECK_FALSE(twice);
    std::vector<item> all = co_await scan_table(c, table);
    CHECK(live(all).empty());
    int tombstones = 0;
    for (const item& it : all)
      if (it.contains("t")) {
        ++tombstones;
        CHECK(names_of(it) == std::set<std::string>{"k", "n", "h", "t", "u", "p", "x"});
        CHECK(int_of(it, "x") >= epoch_now() + 86000);
      }
    CHECK(tombstones == 1);
    lookup after = co_await cache.get("What is DynamoDB?");
    CHECK_FALSE(after.hit);
    // ... and a put over a tombstone brings the prompt back.
    co_await cache.put("What is DynamoDB?", "back");
    lookup back = co_await cache.get("what is dynamodb?");
    REQUIRE(back.hit);
    CHECK(back.hit->response == "back");

    // An entry over DynamoDB's 400 KB is refused before sending.
    bool too_big = false;
    try {
      co_await cache.put("big", std::string(401 * 1024, 'x'));
    } catch (const ddb::error& x) {
      too_big = x.code() == errc::item_too_large && std::string(x.what()).find("400 KB") != std::string::npos;
    }
    CHECK(too_big);

    // Another embedder cannot open this table; asking for the mneme layout is refused by name.
    semantic_cache other(ex, std::make_shared<dynamodb_store>(c, lean_opts(table)), std::make_shared<hash_embedder>(64),
                         fast_sync());
    bool mismatch = false;
    try {
      co_await other.open();
    } catch (const ddb::error& x) {
      mismatch = std::string(x.what()).find("hash-ngram:v1:32") != std::string::npos;
    }
    CHECK(mismatch);
    dynamodb_store_options wrong = lean_opts(table);
    wrong.layout = table_layout::mneme;
    semantic_cache wrong_layout(ex, std::make_shared<dynamodb_store>(c, wrong), embed, fast_sync());
    bool named = false;
    try {
      co_await wrong_layout.open();
    } catch (const ddb::error& x) {
      named = std::string(x.what()).find("has the lean layout, not mneme") != std::string::npos;
    }
    CHECK(named);

    // Full precision when the table is made so.
    const std::string full = fresh_table("lean_f32");
    dynamodb_store_options f32 = lean_opts(full);
    f32.half_precision = false;
    semantic_cache exact_vectors(ex, std::make_shared<dynamodb_store>(c, f32), embed, fast_sync());
    co_await exact_vectors.open();
    co_await exact_vectors.put("q", "r", p);
    lookup s32 = co_await exact_vectors.get("another wording", near);
    REQUIRE(s32.hit);
    CHECK(s32.hit->similarity == Approx(0.9f).margin(1e-5));
    std::vector<item> f32_items = live(co_await scan_table(c, full));
    REQUIRE(f32_items.size() == 1);
    CHECK(f32_items[0].at("e").as_binary().size() == 32 * 4);
    CHECK_FALSE(f32_items[0].contains("f"));
    co_await drop_table(c, full);
    table_check report = co_await check_table(c, table);
    CHECK(report.ok());
    CHECK(report.layout == table_layout::lean);
    CHECK(report.tombstones == 0);  // the put brought the prompt back
    co_await drop_table(c, table);
  });
}

TEST_CASE("lean layout: caches follow each other through the feed; racing puts; hit logs; eviction", "[cache-local]") {
  const std::string table = fresh_table("lean_shared");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto embed = std::make_shared<hash_embedder>(16);
    dynamodb_store_options so = lean_opts(table);
    semantic_cache a(ex, std::make_shared<dynamodb_store>(c, so), embed, fast_sync());
    semantic_cache b(ex, std::make_shared<dynamodb_store>(c, so), embed, fast_sync());
    co_await a.open();
    co_await b.open();

    // b sees a's new entry (its vector came through the feed), a re-put's new vector, and the delete.
    put_options p;
    p.embedding = unit(16, 1);
    co_await a.put("shared", "from a", p);
    get_options near;
    near.embedding = unit(16, 1, 2, 0.9f);
    lookup seen = co_await b.get("paraphrase", near);
    REQUIRE(seen.hit);
    CHECK(seen.hit->response == "from a");
    put_options moved = p;
    moved.embedding = unit(16, 5);
    co_await a.put("shared", "moved", moved);
    get_options near_moved;
    near_moved.embedding = unit(16, 5, 6, 0.9f);
    lookup follow = co_await b.get("paraphrase 2", near_moved);
    REQUIRE(follow.hit);
    CHECK(follow.hit->response == "moved");
    const bool removed = co_await a.remove("shared");
    CHECK(removed);
    lookup gone = co_await b.get("paraphrase 2", near_moved);
    CHECK_FALSE(gone.hit);
    CHECK(b.stats().total.entries == 0);

    // A cache that syncs rarely catches up from the feed, without a reload.
    cache_options slow = fast_sync();
    slow.sync_interval = std::chrono::hours(1);
    semantic_cache late(ex, std::make_shared<dynamodb_store>(c, so), embed, slow);
    co_await late.open();
    co_await a.put("kept", "v0");
    co_await a.put("dropped", "x");
    const bool dropped = co_await a.remove("dropped");
    CHECK(dropped);
    for (int i = 1; i <= 20; ++i) co_await a.put("kept", "v" + std::to_string(i));
    std::size_t expired = co_await late.vacuum();  // vacuum syncs first
    CHECK(expired == 0);
    CHECK(late.stats().total.entries == 1);
    CHECK(late.stats().full_reloads == 0);
    lookup kept = co_await late.get("kept");
    REQUIRE(kept.hit);
    CHECK(kept.hit->response == "v20");

    // The same new prompt put by both at once, five times: one entry each, no failure.
    const int failures = co_await race_same_prompt(a, b, 5);
    CHECK(failures == 0);
    // Distinct prompts from four writers, one attempt each: all there, none failed.
    dynamodb_store_options impatient = so;
    impatient.max_attempts = 1;
    std::atomic<int> failed{0};
    co_await ddb::detail::run_all(4, [&](std::size_t w) -> asio::awaitable<void> {
      semantic_cache mine(ex, std::make_shared<dynamodb_store>(c, impatient), embed, fast_sync());
      co_await mine.open();
      for (int i = 0; i < 10; ++i) {
        try {
          co_await mine.put("writer " + std::to_string(w) + " prompt " + std::to_string(i), "r");
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
    CHECK(failed == 0);
    std::vector<item> items = live(co_await scan_table(c, table));
    CHECK(items.size() == 1 + 5 + 40);

    // Hits go out as logs (one item per 45 hits) that other caches read.
    for (int i = 0; i < 10; ++i) {
      lookup h = co_await a.get("writer 0 prompt " + std::to_string(i));
      CHECK(h.hit);
    }
    co_await a.flush();
    int logs = 0;
    for (const item& it : co_await scan_table(c, table))
      if (int_of(it, "k") < 0) {
        ++logs;
        CHECK(names_of(it) == std::set<std::string>{"k", "p", "u", "x", "a"});
        CHECK(it.at("a").as_binary().size() == 10 * 20);
      }
    CHECK(logs == 1);

    // Eviction by a quota counts hits other caches logged: five entries put
    // long ago, two of them hit since by `a`; a third cache with a quota of 3
    // evicts the three nobody hit.
    const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(1);
    cache_options past = fast_sync();
    past.clock = [long_ago] { return long_ago; };
    semantic_cache w(ex, std::make_shared<dynamodb_store>(c, so), embed, past);
    co_await w.open();
    put_options in_lru;
    in_lru.ns = "lru";
    for (int i = 0; i < 5; ++i) co_await w.put("lru " + std::to_string(i), "r", in_lru);
    get_options from_lru;
    from_lru.ns = "lru";
    for (int i = 0; i < 2; ++i) {
      lookup h = co_await a.get("lru " + std::to_string(i), from_lru);
      CHECK(h.hit);
    }
    co_await a.flush();
    cache_options limited = fast_sync();
    limited.namespace_quotas["lru"] = 3;
    semantic_cache q(ex, std::make_shared<dynamodb_store>(c, so), embed, limited);
    co_await q.open();
    co_await q.put("lru new", "r", in_lru);
    CHECK(q.stats().namespaces.at("lru").entries == 3);
    CHECK(q.stats().namespaces.at("lru").evictions == 3);
    for (const char* survivor : {"lru 0", "lru 1", "lru new"}) {
      lookup h = co_await q.get(survivor, from_lru);
      CHECK(h.hit);
    }
    for (const char* evicted : {"lru 2", "lru 3", "lru 4"}) {
      lookup h = co_await q.get(evicted, from_lru);
      CHECK_FALSE(h.hit);
    }
    CHECK(q.stats().full_reloads == 0);
    table_check report = co_await check_table(c, table);
    for (const std::string& p : report.problems) INFO(p);
    CHECK(report.ok());
    CHECK(report.hit_logs >= 2);
    CHECK(report.tombstones >= 2);
    co_await drop_table(c, table);
  });
}

TEST_CASE("layouts: a table ddb wrote before layouts is refused with the migration to run", "[cache-local]") {
  const std::string table = fresh_table("legacy");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    create_table_request r;
    r.table_name = table;
    r.attribute_definitions = {{"id", ddb::scalar_attribute_type::n}, {"namespace", ddb::scalar_attribute_type::s}, {"query_hash", ddb::scalar_attribute_type::s}};
    r.key_schema = {{"id", ddb::key_type::hash}};
    r.billing_mode = ddb::billing_mode::pay_per_request;
    global_secondary_index h;
    h.index_name = "gsi_hash";
    h.key_schema = {{"namespace", ddb::key_type::hash}, {"query_hash", ddb::key_type::range}};
    h.projection.projection_type = ddb::projection_type::keys_only;
    r.global_secondary_indexes = {h};
    co_await c.create_table(r);
    co_await wait_table_exists(c, table);
    dynamodb_store_options so;
    so.table_name = table;
    semantic_cache cache(ex, std::make_shared<dynamodb_store>(c, so), std::make_shared<hash_embedder>(16), fast_sync());
    std::string said;
    try {
      co_await cache.open();
    } catch (const ddb::error& x) {
      said = x.what();
    }
    CHECK(said.find("written by ddb before table layouts") != std::string::npos);
    CHECK(said.find("ddb cache migrate --table-name " + table) != std::string::npos);
    co_await drop_table(c, table);
  });
}

TEST_CASE("migrate: a mneme table into the lean layout, stopped, resumed, with writes meanwhile", "[cache-local]") {
  const std::string src = fresh_table("mig_src"), dst = fresh_table("mig_dst");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    mneme_writer m{c, src};
    co_await m.create_table();
    co_await m.open("hash-ngram:v1:16", 16);
    const std::int64_t before = epoch_now() - 100;
    for (int i = 0; i < 30; ++i)
      co_await m.insert(i % 2 ? "default" : "other", "prompt " + std::to_string(i), "answer " + std::to_string(i),
                        unit(16, static_cast<std::size_t>(i % 16)), before, i == 7 ? std::optional<std::int64_t>(3600) : std::nullopt);

    migrate_options mo;
    mo.from_table = src;
    mo.to.table_name = dst;
    mo.to.create_table = true;
    mo.segments = 2;
    mo.max_items = 10;
    int reports = 0;
    mo.progress = [&](const migrate_progress&) { ++reports; };
    migrate_result first = co_await migrate(c, mo);
    CHECK_FALSE(first.complete);
    CHECK(first.from_layout == "mneme");
    CHECK(first.totals.scanned >= 10);
    CHECK(first.totals.scanned < 31);
    CHECK(reports > 0);

    // Writes to the source between the runs: a new prompt, a re-put.
    co_await m.insert("default", "prompt new", "answer new", unit(16, 9), epoch_now());
    std::optional<item> p3 = co_await m.get_by_hash("default", "prompt 3");
    REQUIRE(p3);
    co_await m.reput(int_of(*p3, "id"), "default", "prompt 3", "answer 3, revised", unit(16, 3), epoch_now());

    mo.max_items.reset();
    migrate_result second = co_await migrate(c, mo);
    CHECK(second.complete);
    // Run again after it completed: only what changed since is copied.
    co_await m.insert("other", "prompt later", "answer later", unit(16, 10), epoch_now());
    migrate_result third = co_await migrate(c, mo);
    CHECK(third.complete);
    CHECK(third.totals.scanned == 0);
    CHECK(third.totals.copied == 1);

    // The lean table answers every prompt as the source does now.
    dynamodb_store_options lo;
    lo.table_name = dst;
    lo.layout = table_layout::lean;
    semantic_cache lean(ex, std::make_shared<dynamodb_store>(c, lo), std::make_shared<hash_embedder>(16), fast_sync());
    co_await lean.open();
    for (int i = 0; i < 30; ++i) {
      get_options g;
      g.ns = i % 2 ? "default" : "other";
      lookup l = co_await lean.get("prompt " + std::to_string(i), g);
      REQUIRE(l.hit);
      CHECK(l.hit->response == (i == 3 ? std::string("answer 3, revised") : "answer " + std::to_string(i)));
    }
    lookup fresh = co_await lean.get("prompt new");
    REQUIRE(fresh.hit);
    CHECK(fresh.hit->response == "answer new");
    get_options other_ns;
    other_ns.ns = "other";
    lookup later = co_await lean.get("prompt later", other_ns);
    REQUIRE(later.hit);
    std::vector<item> items = live(co_await scan_table(c, dst));
    CHECK(items.size() == 32);
    for (const item& it : items)
      if (it.at("q").as_string() == "prompt 7") CHECK(int_of(it, "x") == before + 3600);  // duration -> epoch
    co_await drop_table(c, src);
    co_await drop_table(c, dst);
  });
}

TEST_CASE("check_table names what is broken in either layout", "[cache-local]") {
  const std::string mt = fresh_table("check_mneme"), lt = fresh_table("check_lean");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    // mneme: the same prompt twice (mneme's own gsi_hash race), an entry
    // without its embedding, next_id left behind.
    mneme_writer m{c, mt};
    co_await m.create_table();
    co_await m.open("hash-ngram:v1:16", 16);
    const std::int64_t now = epoch_now();
    co_await m.insert("default", "twice", "a", unit(16, 1), now);
    co_await m.insert("default", "twice", "b", unit(16, 1), now);
    table_check fine_so_far = co_await check_table(c, mt);
    CHECK(fine_so_far.entries == 2);
    CHECK(fine_so_far.problems.size() == 1);
    put_item_request broken;
    broken.table_name = mt;
    broken.item = mneme_writer::entry_item(9, "default", "no vector", "r", unit(16, 2), now, std::nullopt);
    broken.item.insert_or_assign("embedding", value(bytes(3)));
    co_await c.put_item(broken);
    table_check mr = co_await check_table(c, mt);
    std::string all;
    for (const std::string& p : mr.problems) all += p + "\n";
    CHECK(mr.layout == table_layout::mneme);
    CHECK(all.find("has 2 entries (ids 1, 2)") != std::string::npos);
    CHECK(all.find("entry 9: embedding of 3 bytes, not 64") != std::string::npos);
    CHECK(all.find("next_id 3 is not past the largest id 9") != std::string::npos);

    // lean: an entry under another key, a tombstone that kept content, a torn hit log.
    semantic_cache lean(ex, std::make_shared<dynamodb_store>(c, lean_opts(lt)), std::make_shared<hash_embedder>(16), fast_sync());
    co_await lean.open();
    co_await lean.put("good", "r");
    std::vector<item> items = live(co_await scan_table(c, lt));
    REQUIRE(items.size() == 1);
    item moved = items[0];
    moved.insert_or_assign("k", value(12345));
    item kept = items[0];
    kept.insert_or_assign("t", value(1));
    kept.insert_or_assign("x", value(epoch_now() + 60));
    item torn{{"k", value(-7)}, {"p", value(0)}, {"u", value(1)}, {"x", value(epoch_now() + 60)}, {"a", value(bytes(21))}};
    for (item* it : {&moved, &torn}) {
      put_item_request p;
      p.table_name = lt;
      p.item = *it;
      co_await c.put_item(p);
    }
    put_item_request p;
    p.table_name = lt;
    p.item = kept;
    co_await c.put_item(p);  // over the good entry: now a tombstone with content
    table_check lr = co_await check_table(c, lt);
    all.clear();
    for (const std::string& pr : lr.problems) all += pr + "\n";
    CHECK(lr.layout == table_layout::lean);
    CHECK(all.find("item 12345 is not under its prompt's key") != std::string::npos);
    CHECK(all.find("is a tombstone that kept content") != std::string::npos);
    CHECK(all.find("item -7 (a hit log) holds 21 bytes") != std::string::npos);
    table_check none = co_await check_table(c, "no_such_cache_table");
    CHECK(none.problems.size() == 1);
    co_await drop_table(c, mt);
    co_await drop_table(c, lt);
  });
}
