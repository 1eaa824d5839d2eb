// Quick start: the sans-io core of ddb driving a Beast connection with
// co_await. It signs DynamoDB requests with ddb::sigv4, writes items with the
// JSON codec and reads them back, against the endpoint in
// AWS_ENDPOINT_URL_DYNAMODB (scripts/demo starts DynamoDB Local for it).
//
// (The full asynchronous client, with a connection pool, pipelining and
// retries, is built on exactly these pieces.)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "ddb/core/json.hpp"
#include "ddb/core/sigv4.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::use_awaitable;

namespace {

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

struct endpoint {
  std::string host, port;
};

// Accepts http://HOST:PORT only: the demo runs against DynamoDB Local.
endpoint parse_endpoint(std::string url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("the demo needs an http:// endpoint, got " + url);
  url.erase(0, scheme.size());
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto colon = url.rfind(':');
  if (colon == std::string::npos) return {url, "80"};
  return {url.substr(0, colon), url.substr(colon + 1)};
}

// One request/response on a keep-alive connection.
struct session {
  asio::ip::tcp::socket socket;
  endpoint ep;
  ddb::sigv4::signer signer;
  boost::beast::flat_buffer buffer;
  std::string request;

  asio::awaitable<std::string> call(std::string_view operation, std::string_view body) {
    request.clear();
    signer.write_dynamodb_request(request, ep.host + ":" + ep.port, operation, body, std::chrono::system_clock::now());
    co_await asio::async_write(socket, asio::buffer(request), use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(socket, buffer, res, use_awaitable);
    if (res.result() != http::status::ok) {
      auto err = ddb::json::parse_error(res.body());
      throw std::runtime_error(std::string(operation) + " failed: " +
                               (err ? err->type + ": " + err->message : res.body()));
    }
    co_return std::move(res.body());
  }
};

asio::awaitable<void> demo() {
  auto ex = co_await asio::this_coro::executor;
  const endpoint ep = parse_endpoint(env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"));
  ddb::credentials creds{env("AWS_ACCESS_KEY_ID", ""), ddb::secret_string(env("AWS_SECRET_ACCESS_KEY", "")), {}};
  session s{asio::ip::tcp::socket(ex), ep, ddb::sigv4::signer(std::move(creds), env("AWS_REGION", "us-east-1"), "dynamodb"),
            {}, {}};
  asio::ip::tcp::resolver resolver(ex);
  co_await asio::async_connect(s.socket, co_await resolver.async_resolve(ep.host, ep.port, use_awaitable), use_awaitable);

  const std::string table = "ddb_quickstart";
  co_await s.call("CreateTable", R"({"TableName":")" + table + R"(",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})");
  std::cout << "created table " << table << "\n";

  ddb::item user{{"pk", "user#1"}, {"name", "Ada Lovelace"}, {"born", 1815}, {"languages", ddb::string_set{"en", "fr"}}};
  user["notes"] = ddb::list{"first programmer", ddb::item{{"machine", "Analytical Engine"}}};
  std::string put;
  ddb::json::writer w(put);
  w.begin_object();
  w.key("TableName");
  w.string(table);
  w.key("Item");
  ddb::json::write_item(w, user).value();
  w.end_object();
  co_await s.call("PutItem", put);
  std::cout << "put    " << ddb::json::to_json(user) << "\n";

  const std::string got =
      co_await s.call("GetItem", R"({"TableName":")" + table + R"(","Key":{"pk":{"S":"user#1"}},"ConsistentRead":true})");
  // {"Item":{...}}: the codec reads the item inside.
  const std::string_view inner = std::string_view(got).substr(8, got.size() - 9);
  const ddb::item back = ddb::json::parse_item(inner).value();
  std::cout << "got    " << ddb::json::to_json(back) << "\n";
  std::cout << "born   " << back.at("born").as_number().to<int>().value() << "\n";
  std::cout << (back == user ? "round trip: identical\n" : "round trip: DIFFERENT\n");

  co_await s.call("DeleteTable", R"({"TableName":")" + table + R"("})");
  std::cout << "deleted table " << table << "\n";
}

}  // namespace

int main() {
  asio::io_context io;
  int rc = 0;
  asio::co_spawn(io, demo(), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "quickstart: " << ex.what() << "\n";
      rc = 1;
    }
  });
  io.run();
  return rc;
}
