#pragma once
// One HTTP request on a connection of its own, for the credential providers
// (instance metadata, container agent, STS): the transport's connection code
// (TCP or TLS with verification), a deadline for the whole exchange, and
// terminal cancellation. Not for DynamoDB traffic: that goes through the pool.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_response.hpp"
#include "ddb/config.hpp"
#include "ddb/error.hpp"

namespace ddb::detail {

struct fetch_request {
  std::string method = "GET";
  std::string url;  // http(s)://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{1000};
  bool verify_tls = true;
  std::string ca_file, ca_pem;
};

struct fetch_result {
  boost::system::error_code ec;
  std::string detail;  // why ec, in words
  http_response response;
};

// Never throws for network trouble: ec says what happened. Invalid URLs and
// header values (CR/LF) are errors before anything is sent.
boost::asio::awaitable<fetch_result> http_fetch(fetch_request req);

class pool;
// The same on a pool of kept-alive connections to req.url's endpoint (the
// pool's), for clients that call one service many times.
boost::asio::awaitable<fetch_result> http_fetch(pool& p, fetch_request req);

// Splits "http(s)://authority/path?q" into the endpoint and "/path?q".
result<std::pair<endpoint, std::string>> split_url(std::string_view url);

}  // namespace ddb::detail
