// The HTTP embedder against a loopback server that speaks the OpenAI
// embeddings protocol: the request it sends, the vector it reads, and the
// errors of a refusing, wrong or silent server.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <mutex>

#include "ddb/cache.hpp"
#include "support/aws_env.hpp"
#include "support/credential_stubs.hpp"

using namespace ddb;
using namespace ddb::cache;
using ddb::test::action;
using ddb::test::fault_server;
using ddb::test::header_value;
using ddb::test::request_info;
using ddb::test::stubs::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string vector_json(std::size_t dim, float first) {
  std::string s = "[" + std::to_string(first);
  for (std::size_t i = 1; i < dim; ++i) s += ",0.5";
  return s + "]";
}

// The embedder keeps its connections on the executor of its first call: one
// io_context for the whole test, stopped when each embedding is in.
asio::io_context io;

// Embeds `text` once; returns the vector or the error's text.
std::pair<std::vector<float>, std::string> embed_once(http_embedder& e, std::string text) {
  std::pair<std::vector<float>, std::string> out;
  io.restart();
  e.async_embed(io.get_executor(), std::move(text), [&](std::exception_ptr ex, std::vector<float> v) {
    io.stop();
    out.first = std::move(v);
    if (ex) {
      try {
        std::rethrow_exception(ex);
      } catch (const std::exception& x) {
        out.second = x.what();
      }
    }
  });
  io.run_for(10s);
  return out;
}

}  // namespace

TEST_CASE("http embedder: OpenAI-compatible /v1/embeddings", "[cache-http]") {
  std::mutex m;
  std::string last_head, last_body;
  fault_server server([&](const request_info& r) {
    std::lock_guard lock(m);
    last_head = r.head;
    last_body = r.body;
    if (header_value(r.head, "Authorization") != "Bearer sk-test")
      return http(401, R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})");
    if (r.body.find("\"model\":\"tiny\"") == std::string::npos) return http(404, R"({"error":{"message":"no such model"}})");
    return http(200, R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":)" + vector_json(4, 0.25f) +
                         R"(}],"model":"tiny","usage":{"prompt_tokens":3,"total_tokens":3}})",
                "Content-Type: application/json\r\n");
  });
  http_embedder_options o;
  o.url = server.url() + "/";
  o.model = "tiny";
  o.dim = 4;
  o.api_key = "sk-test";
  o.send_dimensions = true;
  http_embedder e(o);
  CHECK(e.fingerprint() == "openai-compatible:tiny:dim4");
  auto [v, err] = embed_once(e, "hello \"world\"");
  INFO(err);
  REQUIRE(v.size() == 4);
  CHECK(v[0] == 0.25f);
  CHECK(last_head.rfind("POST /v1/embeddings HTTP/1.1", 0) == 0);
  CHECK(last_body == R"({"model":"tiny","input":"hello \"world\"","dimensions":4})");
  auto [v2, err2] = embed_once(e, "again");
  CHECK(v2.size() == 4);

  SECTION("a wrong key: the server's message") {
    http_embedder_options bad = o;
    bad.api_key = "sk-wrong";
    http_embedder eb(bad);
    auto [none, why] = embed_once(eb, "x");
    CHECK(none.empty());
    CHECK(why == "embeddings endpoint: HTTP 401: Incorrect API key provided");
    CHECK(why.find("sk-wrong") == std::string::npos);
  }
  SECTION("a dimension other than configured") {
    http_embedder_options wrong = o;
    wrong.dim = 8;
    http_embedder ew(wrong);
    auto [none, why] = embed_once(ew, "x");
    CHECK(why.find("returned 4 dimensions, not the configured 8") != std::string::npos);
  }
  CHECK_THROWS_AS(http_embedder(http_embedder_options{.url = "ftp://x"}), ddb::error);
}

TEST_CASE("http embedder: a silent server times out; a cache get counts it as embedder_failure", "[cache-http]") {
  fault_server silent([](const request_info&) { return action::never(); });
  http_embedder_options o;
  o.url = silent.url();
  o.model = "m";
  o.dim = 4;
  o.timeout = 300ms;
  auto e = std::make_shared<http_embedder>(o);
  asio::io_context io;
  lookup result;
  bool put_failed = false;
  // Named: the coroutine refers to the lambda's captures, so the lambda must outlive it.
  auto body = [&]() -> asio::awaitable<void> {
    semantic_cache c(co_await asio::this_coro::executor, std::make_shared<memory_store>(), e, cache_options{});
    co_await c.open();
    result = co_await c.get("anything");
    try {
      co_await c.put("q", "r");
    } catch (const ddb::error& x) {
      put_failed = x.code() == errc::embedder_failed;
    }
  };
  asio::co_spawn(io, body(), asio::detached);
  io.run_for(30s);
  CHECK(result.reason == miss_reason::embedder_failure);
  CHECK(result.detail.find("no answer within 300 ms") != std::string::npos);
  CHECK(put_failed);
}
