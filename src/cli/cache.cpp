// ddb-cache: the semantic cache from the command line, run by `ddb cache`
// (or directly: `ddb-cache put QUERY RESPONSE`).
//
//   ddb cache put --table-name T [--namespace N] QUERY RESPONSE
//   ddb cache get --table-name T [--namespace N] QUERY
//   ddb cache delete ... | stats ...
//
// JSON on stdout; a miss prints its reason and exits 0.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>

#include "cli/common.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"

namespace asio = boost::asio;

namespace {

using namespace ddb::cli;

constexpr const char* usage_text = R"(usage: ddb cache <put QUERY RESPONSE | get QUERY | delete QUERY | stats | migrate | check> [options]

the semantic cache (ddb::cache):
  [--table-name T] [--create-table [--layout lean|mneme]] [--namespace N] [--embedder hash:384 | openai:MODEL:DIM
  --embedder-url URL (key: OPENAI_API_KEY)] [--threshold 0.85] [--metadata JSON] [--ttl-seconds S]
  without --table-name the cache is in memory and lives only for that one command
  an existing table's layout is detected (stats names it); --layout refuses a table of the other layout
ddb cache migrate --table-name SRC --to-table DST [--layout lean|mneme] [--segments 4] [--concurrency 16]
  [--max-items N]: copies a mneme-layout table (mneme's, or ddb's from before layouts) into DST (created
  if missing, lean by default) while both stay in use; progress on stderr; run it again to resume
  after a stop, or to copy what changed since it completed
ddb cache check --table-name T: reads the whole table and checks every item against its layout (JSON;
  exit 1 when something is wrong: incomplete entries, a prompt twice, keys or counters out of step)
  --endpoint-url URL, --region REGION, --profile NAME: as for every ddb command
)";

std::shared_ptr<ddb::cache::embedder> embedder_from(const args& a) {
  const std::string spec = a.get("embedder", "hash:384");
  auto positive = [&](const std::string& text) {
    try {
      std::size_t used = 0;
      const long v = std::stol(text, &used);
      if (used == text.size() && v >= 1 && v <= 4096) return static_cast<std::size_t>(v);
    } catch (const std::exception&) {
    }
    throw usage_error("--embedder " + spec + ": the dimension must be 1 to 4096");
  };
  if (spec.rfind("hash:", 0) == 0) return std::make_shared<ddb::cache::hash_embedder>(positive(spec.substr(5)));
  if (spec.rfind("openai:", 0) == 0) {
    const std::size_t colon = spec.rfind(':');
    if (colon <= 7) throw usage_error("--embedder openai:MODEL:DIM, e.g. openai:text-embedding-3-small:1536");
    ddb::cache::http_embedder_options o;
    o.model = spec.substr(7, colon - 7);
    o.dim = positive(spec.substr(colon + 1));
    o.url = a.get("embedder-url", "https://api.openai.com");
    if (const char* key = std::getenv("OPENAI_API_KEY")) o.api_key = key;
    return std::make_shared<ddb::cache::http_embedder>(std::move(o));
  }
  throw usage_error("--embedder must be hash:DIM or openai:MODEL:DIM, not '" + spec + "'");
}

void print_stats(const ddb::cache::cache_stats& s, const std::string& store) {
  std::string out;
  ddb::json::writer w(out);
  auto count = [&](const std::string& name, std::uint64_t v) {
    w.key(name);
    w.integer(static_cast<long long>(v));
  };
  auto one = [&](const ddb::cache::namespace_stats& n) {
    w.begin_object();
    count("entries", n.entries);
    count("exact_hits", n.exact_hits);
    count("semantic_hits", n.semantic_hits);
    w.key("misses");
    w.begin_object();
    for (const auto& [reason, c] : n.misses) count(reason, c);
    w.end_object();
    count("evictions", n.evictions);
    count("expirations", n.expirations);
    count("memory_bytes", n.memory_bytes);
    w.end_object();
  };
  w.begin_object();
  w.key("store");
  w.string(store);
  w.key("embedder");
  w.string(s.embedder_fingerprint);
  w.key("total");
  one(s.total);
  w.key("namespaces");
  w.begin_object();
  for (const auto& [ns, n] : s.namespaces) {
    w.key(ns);
    one(n);
  }
  w.end_object();
  w.end_object();
  std::cout << out << "\n";
}

// `ddb cache put|get|delete|stats`: JSON on stdout; a miss is not an error.
ddb::cache::table_layout layout_from(const args& a) {
  const std::string l = a.get("layout", "detect");
  if (l == "detect") return ddb::cache::table_layout::detect;
  if (l == "lean") return ddb::cache::table_layout::lean;
  if (l == "mneme") return ddb::cache::table_layout::mneme;
  throw usage_error("--layout must be lean or mneme, not '" + l + "'");
}

// Runs body(client) on a fresh loop; a ddb::error becomes its message on
// stderr and the exit code for its kind. body returns the exit code.
int with_client(const args& a, std::function<asio::awaitable<int>(ddb::client&)> body) {
  asio::io_context io;
  ddb::client client(io.get_executor(), config_from(a));
  int rc = 0;
  auto run = [&]() -> asio::awaitable<void> {
    try {
      rc = co_await body(client);
    } catch (const ddb::error& e) {
      std::cerr << "\nddb: " << e.what() << "\n";
      rc = e.code().category() == ddb::service_category() ? exit_service : exit_client;
    }
    client.close();
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  return rc;
}

// `ddb cache migrate`: progress on stderr, the totals as JSON on stdout.
int migrate_command(const args& a) {
  namespace dc = ddb::cache;
  if (a.positional.size() != 2) throw usage_error("cache migrate takes no arguments (--table-name SRC --to-table DST)");
  dc::migrate_options mo;
  mo.from_table = a.get("table-name");
  mo.to.table_name = a.get("to-table");
  if (mo.from_table.empty() || mo.to.table_name.empty())
    throw usage_error("cache migrate needs --table-name SRC and --to-table DST");
  mo.to.layout = layout_from(a);
  mo.to.create_table = true;
  mo.segments = a.number("segments", 4);
  mo.concurrency = a.number("concurrency", 16);
  if (a.options.count("max-items")) mo.max_items = static_cast<std::uint64_t>(a.number("max-items", 1));
  mo.progress = [](const dc::migrate_progress& p) {
    std::cerr << "\rddb: " << (p.catching_up ? "catching up" : "scanning") << ": " << p.scanned << " read, " << p.copied
              << " copied, " << p.skipped << " skipped, segments " << p.segments_done << "/" << p.segments << std::flush;
  };
  return with_client(a, [&](ddb::client& client) -> asio::awaitable<int> {
    dc::migrate_result r = co_await dc::migrate(client, mo);
    std::cerr << "\n";
    std::string out;
    ddb::json::writer w(out);
    w.begin_object();
    w.key("complete");
    w.boolean(r.complete);
    w.key("from_layout");
    w.string(r.from_layout);
    w.key("read");
    w.integer(static_cast<long long>(r.totals.scanned));
    w.key("copied");
    w.integer(static_cast<long long>(r.totals.copied));
    w.key("skipped");
    w.integer(static_cast<long long>(r.totals.skipped));
    w.end_object();
    std::cout << out << "\n";
    if (!r.complete) std::cerr << "ddb: stopped at --max-items: run the same command again to continue\n";
    co_return 0;
  });
}

// `ddb cache check`: the table's invariants; exit 1 when any is broken.
int check_command(const args& a) {
  namespace dc = ddb::cache;
  if (a.positional.size() != 2) throw usage_error("cache check takes no arguments (--table-name T)");
  const std::string table = a.get("table-name");
  if (table.empty()) throw usage_error("cache check needs --table-name T");
  return with_client(a, [&](ddb::client& client) -> asio::awaitable<int> {
    dc::table_check r = co_await dc::check_table(client, table);
    std::string out;
    ddb::json::writer w(out);
    w.begin_object();
    w.key("layout");
    w.string(dc::to_string(r.layout));
    w.key("entries");
    w.integer(static_cast<long long>(r.entries));
    w.key("tombstones");
    w.integer(static_cast<long long>(r.tombstones));
    w.key("hit_logs");
    w.integer(static_cast<long long>(r.hit_logs));
    w.key("problems");
    w.begin_array();
    for (const std::string& p : r.problems) w.string(p);
    w.end_array();
    w.end_object();
    std::cout << out << "\n";
    co_return r.ok() ? 0 : 1;
  });
}

int cache_command(const args& a) {
  namespace dc = ddb::cache;
  if (a.positional.size() < 2) throw usage_error("cache needs put, get, delete, stats, migrate or check");
  const std::string sub = a.positional[1];
  if (sub == "migrate") return migrate_command(a);
  if (sub == "check") return check_command(a);
  const std::size_t want = sub == "put" ? 4 : sub == "stats" ? 2 : 3;
  if (sub != "put" && sub != "get" && sub != "delete" && sub != "stats")
    throw usage_error("cache supports put, get, delete, stats, migrate and check, not '" + sub + "'");
  if (a.positional.size() != want)
    throw usage_error(sub == "put" ? "cache put takes QUERY and RESPONSE" : sub == "stats" ? "cache stats takes no arguments"
                                                                                          : "cache " + sub + " takes QUERY");
  auto emb = embedder_from(a);
  dc::cache_options opt;
  if (a.options.count("threshold")) {
    try {
      opt.similarity_threshold = std::stof(a.get("threshold"));
    } catch (const std::exception&) {
      throw usage_error("--threshold must be a number from -1 to 1");
    }
  }
  const std::string ns = a.get("namespace", "default");
  const std::string table = a.get("table-name");
  asio::io_context io;
  std::optional<ddb::client> client;
  std::shared_ptr<dc::store> st;
  if (table.empty()) {
    std::cerr << "ddb: no --table-name: the cache is in memory and lives only for this command\n";
    st = std::make_shared<dc::memory_store>();
  } else {
    client.emplace(io.get_executor(), config_from(a));
    dc::dynamodb_store_options so;
    so.table_name = table;
    so.create_table = a.options.count("create-table") != 0;
    so.layout = layout_from(a);
    st = std::make_shared<dc::dynamodb_store>(*client, so);
  }
  int rc = 0;
  auto body = [&]() -> asio::awaitable<void> {
    try {
      dc::semantic_cache cache(io.get_executor(), st, emb, opt);
      co_await cache.open();
      std::string out;
      ddb::json::writer w(out);
      w.begin_object();
      if (sub == "put") {
        dc::put_options p;
        p.ns = ns;
        p.metadata = a.get("metadata", "{}");
        if (a.options.count("ttl-seconds")) p.ttl = std::chrono::seconds(a.number("ttl-seconds", 1));
        co_await cache.put(a.positional[2], a.positional[3], std::move(p));
        w.key("stored");
        w.boolean(true);
        w.key("namespace");
        w.string(ns);
      } else if (sub == "get") {
        dc::get_options g;
        g.ns = ns;
        dc::lookup l = co_await cache.get(a.positional[2], std::move(g));
        w.key("hit");
        w.boolean(l.hit.has_value());
        if (l.hit) {
          w.key("response");
          w.string(l.hit->response);
          w.key("similarity");
          w.raw(std::to_string(l.hit->similarity));
          w.key("confidence");
          w.raw(std::to_string(l.hit->confidence));
          w.key("age_seconds");
          w.integer(l.hit->age.count());
          w.key("layer");
          w.string(l.hit->layer);
          w.key("namespace");
          w.string(l.hit->ns);
          w.key("metadata");
          w.raw(l.hit->metadata);
        } else {
          w.key("reason");
          w.string(dc::to_string(l.reason));
          if (!l.detail.empty()) {
            w.key("detail");
            w.string(l.detail);
          }
        }
      } else if (sub == "delete") {
        const bool removed = co_await cache.remove(a.positional[2], ns);
        w.key("deleted");
        w.boolean(removed);
      }
      w.end_object();
      if (sub == "stats")
        print_stats(cache.stats(), st->name());
      else
        std::cout << out << "\n";
      co_await cache.flush();
    } catch (const ddb::error& e) {
      std::cerr << "ddb: " << e.what() << "\n";
      rc = e.code().category() == ddb::service_category() ? exit_service : exit_client;
    }
    if (client) client->close();
  };
  asio::co_spawn(io, body(), asio::detached);
  io.run();
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return run_tool(argc, argv, "cache", usage_text, cache_command); }
