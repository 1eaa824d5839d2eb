#pragma once
// A plain signed HTTP/1.1 exchange with DynamoDB Local over one keep-alive
// connection: enough for integration tests of the sans-io core until the
// client exists. The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB and must be
// a loopback http:// URL: tests never talk to anything else.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "ddb/core/sigv4.hpp"

namespace ddb::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct local_endpoint {
  std::string host;  // "127.0.0.1"
  std::string port;  // "18000"
  std::string host_header() const { return host + ":" + port; }

  static local_endpoint from_env() {
    const char* url = std::getenv("AWS_ENDPOINT_URL_DYNAMODB");
    if (!url) throw std::runtime_error("AWS_ENDPOINT_URL_DYNAMODB is not set; run the tests through ctest");
    std::string u = url;
    const std::string prefix = "http://127.0.0.1:";
    if (u.rfind(prefix, 0) != 0)
      throw std::runtime_error("integration tests talk only to http://127.0.0.1:PORT, got " + u);
    std::string port = u.substr(prefix.size());
    while (!port.empty() && port.back() == '/') port.pop_back();
    return {"127.0.0.1", port};
  }
};

struct reply {
  unsigned status = 0;
  std::string body;
  std::string crc32;  // x-amz-crc32, when sent
};

class local_connection {
 public:
  local_connection(asio::any_io_executor ex, local_endpoint ep, sigv4::signer& s)
      : socket_(ex), endpoint_(std::move(ep)), signer_(s) {}

  asio::awaitable<void> connect() {
    asio::ip::tcp::resolver resolver(socket_.get_executor());
    auto results = co_await resolver.async_resolve(endpoint_.host, endpoint_.port, asio::use_awaitable);
    co_await asio::async_connect(socket_, results, asio::use_awaitable);
  }

  asio::awaitable<reply> call(std::string_view operation, std::string_view body) {
    request_.clear();
    signer_.write_dynamodb_request(request_, endpoint_.host_header(), operation, body,
                                   std::chrono::system_clock::now());
    co_await asio::async_write(socket_, asio::buffer(request_), asio::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    co_await http::async_read(socket_, buffer_, parser, asio::use_awaitable);
    auto& msg = parser.get();
    co_return reply{msg.result_int(), std::move(msg.body()), std::string(msg["x-amz-crc32"])};
  }

 private:
  asio::ip::tcp::socket socket_;
  local_endpoint endpoint_;
  sigv4::signer& signer_;
  boost::beast::flat_buffer buffer_;
  std::string request_;
};

}  // namespace ddb::test
