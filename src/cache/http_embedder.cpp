// Embeddings from an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama's
// /v1, llama.cpp server, ...), over ddb::http's kept-alive connections.
//   POST <url>/v1/embeddings  {"model": M, "input": TEXT[, "dimensions": D]}
//   200 {"data": [{"embedding": [floats]}], ...}
//   4xx/5xx {"error": {"message": ...}}
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>


#include <optional>

#include "core/json_read.hpp"
#include "ddb/cache.hpp"
#include "ddb/core/json.hpp"
#include "ddb/core/secret.hpp"
#include "ddb/core/sigv4.hpp"
#include "ddb/error.hpp"
#include "ddb/http.hpp"

namespace ddb::cache {
namespace asio = boost::asio;

struct http_embedder::state {
  std::optional<http::pool> pool;  // connects on the executor of the first embedding
  secret_string key;
};

namespace {

std::runtime_error failure(const std::string& what) { return std::runtime_error("embeddings endpoint: " + what); }

std::vector<float> parse_embedding(const std::string& body, std::size_t dim) {
  auto& reader = json::detail::thread_reader();  // the thread's parser, reused; in place when the body is padded
  simdjson::ondemand::document doc;
  if (reader.parser.iterate(reader.pad(body)).get(doc)) throw failure("the answer is not JSON");
  simdjson::ondemand::array values;
  if (doc["data"].at(0)["embedding"].get_array().get(values))
    throw failure("the answer has no data[0].embedding array");
  std::vector<float> v;
  v.reserve(dim);
  for (auto x : values) {
    double d = 0;
    if (x.get_double().get(d)) throw failure("data[0].embedding holds something other than numbers");
    v.push_back(static_cast<float>(d));
  }
  if (v.size() != dim)
    throw failure("the model returned " + std::to_string(v.size()) + " dimensions, not the configured " +
                  std::to_string(dim) + " (set http_embedder_options::dim, or send_dimensions)");
  return v;
}

std::string error_message(const std::string& body) {
  auto& reader = json::detail::thread_reader();
  simdjson::ondemand::document doc;
  std::string_view msg;
  if (!reader.parser.iterate(reader.pad(body)).get(doc) && !doc["error"]["message"].get_string().get(msg))
    return std::string(msg);
  return body.substr(0, 200);
}

}  // namespace

http_embedder::http_embedder(http_embedder_options opt) : opt_(std::move(opt)), state_(std::make_shared<state>()) {
  if (opt_.dim == 0 || opt_.dim > 4096) throw ddb::error(fail(errc::invalid_config, "http_embedder: dim must be 1 to 4096"));
  if (opt_.model.empty()) throw ddb::error(fail(errc::invalid_config, "http_embedder: the model is empty"));
  http::pool_options p;
  p.connect_timeout = opt_.timeout;
  p.verify_tls = opt_.verify_tls;
  p.ca_file = opt_.ca_file;
  state_->pool.emplace(opt_.url, std::move(p));  // throws for a URL that is not one
  state_->key = secret_string(opt_.api_key);
  secure_wipe(opt_.api_key.data(), opt_.api_key.capacity());
  opt_.api_key.clear();
  if (auto ok = sigv4::check_header("Authorization", state_->key.reveal()); !ok)
    throw ddb::error(fail(errc::invalid_header, "http_embedder: the API key holds CR, LF or NUL"));
}

http_embedder::~http_embedder() = default;

std::string http_embedder::fingerprint() const {
  return "openai-compatible:" + opt_.model + ":dim" + std::to_string(opt_.dim);
}

void http_embedder::async_embed(asio::any_io_executor ex, std::string text, embed_handler handler) {
  http::request req;
  req.method = "POST";
  req.path = "/v1/embeddings";
  req.timeout = opt_.timeout;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!state_->key.empty()) req.headers.emplace_back("Authorization", "Bearer " + std::string(state_->key.reveal()));
  json::writer w(req.body);
  w.begin_object();
  w.key("model");
  w.string(opt_.model);
  w.key("input");
  w.string(text);
  if (opt_.send_dimensions) {
    w.key("dimensions");
    w.integer(static_cast<long long>(opt_.dim));
  }
  w.end_object();
  auto run = [](std::shared_ptr<state> st, http::request r, std::size_t dim) -> asio::awaitable<std::vector<float>> {
    http::response res = co_await st->pool->fetch(std::move(r));
    if (res.ec) throw failure(res.detail.empty() ? res.ec.message() : res.detail);
    if (res.status != 200) throw failure("HTTP " + std::to_string(res.status) + ": " + error_message(res.body));
    co_return parse_embedding(res.body, dim);
  };
  if (!json::valid_utf8(text)) {
    asio::post(ex, [h = std::move(handler)]() mutable {
      std::move(h)(std::make_exception_ptr(failure("the text is not valid UTF-8")), std::vector<float>{});
    });
    return;
  }
  asio::co_spawn(ex, run(state_, std::move(req), opt_.dim), std::move(handler));
}

}  // namespace ddb::cache
