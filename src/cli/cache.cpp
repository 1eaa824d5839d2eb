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
#include <iostream>
#include <optional>

#include "cli/common.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"

namespace asio = boost::asio;

namespace {

using namespace ddb::cli;

constexpr const char* usage_text = R"(usage: ddb cache <put QUERY RESPONSE | get QUERY | delete QUERY | stats> [options]

the semantic cache (ddb::cache):
  [--table-name T] [--create-table] [--namespace N] [--embedder hash:384 | openai:MODEL:DIM
  --embedder-url URL (key: OPENAI_API_KEY)] [--threshold 0.85] [--metadata JSON] [--ttl-seconds S]
  without --table-name the cache is in memory and lives only for that one command
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

void print_stats(const ddb::cache::cache_stats& s) {
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
int cache_command(const args& a) {
  namespace dc = ddb::cache;
  if (a.positional.size() < 2) throw usage_error("cache needs put, get, delete or stats");
  const std::string sub = a.positional[1];
  const std::size_t want = sub == "put" ? 4 : sub == "stats" ? 2 : 3;
  if (sub != "put" && sub != "get" && sub != "delete" && sub != "stats")
    throw usage_error("cache supports put, get, delete and stats, not '" + sub + "'");
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
        print_stats(cache.stats());
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
