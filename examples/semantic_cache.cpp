// The semantic cache for LLM answers (ddb::cache), co_await end to end.
//
//   build/examples/semantic_cache                       in memory (no server needed)
//   build/examples/semantic_cache --dynamodb TABLE      on DynamoDB (creates TABLE if missing),
//                                                        region/endpoint/keys from the AWS chain
//
// A stand-in "LLM" answers slowly; the cache answers repeats and paraphrases
// from memory: exact hits for the same prompt however it is spaced or cased,
// semantic hits for close wording, misses (with the reason) for the rest.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "run.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// What the cache saves us from: a model call that takes a while.
asio::awaitable<std::string> ask_the_model(const std::string& prompt) {
  asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
  co_await t.async_wait(asio::use_awaitable);
  co_return "(model answer to: " + prompt + ")";
}

asio::awaitable<void> answer(ddb::cache::semantic_cache& cache, const std::string& prompt) {
  const auto t0 = std::chrono::steady_clock::now();
  ddb::cache::lookup l = co_await cache.get(prompt);
  std::string reply;
  if (l.hit) {
    reply = l.hit->response;
  } else {
    reply = co_await ask_the_model(prompt);
    co_await cache.put(prompt, reply);
  }
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (l.hit)
    std::printf("%-48s %-8s hit  similarity %.3f  %7.2f ms\n", ("\"" + prompt + "\"").c_str(), l.hit->layer.c_str(),
                l.hit->similarity, ms);
  else
    std::printf("%-48s miss (%s): asked the model  %7.2f ms\n", ("\"" + prompt + "\"").c_str(),
                ddb::cache::to_string(l.reason), ms);
}

asio::awaitable<void> run(std::optional<std::string> table) {
  auto ex = co_await asio::this_coro::executor;
  std::optional<ddb::client> client;
  std::shared_ptr<ddb::cache::store> store;
  if (table) {
    client.emplace(ex);
    ddb::cache::dynamodb_store_options o;
    o.table_name = *table;
    o.create_table = true;
    store = std::make_shared<ddb::cache::dynamodb_store>(*client, o);
  } else {
    store = std::make_shared<ddb::cache::memory_store>();
  }
  auto embedder = std::make_shared<ddb::cache::hash_embedder>(384);  // a model-free stand-in embedder
  {
    ddb::cache::semantic_cache cache(ex, store, embedder, ddb::cache::cache_options{});
    co_await cache.open();
    std::printf("semantic cache on %s, embedder %s\n\n", store->name().c_str(), embedder->fingerprint().c_str());
    for (const char* prompt : {"What is the capital of France?", "what is the capital of   FRANCE?",
                               "What is the capital of France", "How do I reverse a list in Python?",
                               "how do i reverse a list in python", "What is the tallest mountain on Earth?",
                               "What is the capital of France?"})
      co_await answer(cache, prompt);
    co_await cache.flush();
    const ddb::cache::cache_stats s = cache.stats();
    std::printf("\n%zu entries, %llu exact hits, %llu semantic hits, %llu scans for %llu semantic lookups\n",
                s.total.entries, static_cast<unsigned long long>(s.total.exact_hits),
                static_cast<unsigned long long>(s.total.semantic_hits), static_cast<unsigned long long>(s.scan_passes),
                static_cast<unsigned long long>(s.queries_scored));
    if (table) co_await cache.clear();
  }
  if (client) client->close();
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> table;
  if (argc == 3 && std::strcmp(argv[1], "--dynamodb") == 0) {
    table = argv[2];
  } else if (argc != 1) {
    std::cerr << "usage: semantic_cache [--dynamodb TABLE]\n";
    return 2;
  }
  return examples::run("semantic_cache", run(table));
}
