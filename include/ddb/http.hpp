#pragma once
// ddb::http: plain HTTP/1.1 requests over ddb's own transport (kept-alive
// connections, TLS verified by default, a deadline per request), for the
// services a ddb program calls beside DynamoDB: an embeddings endpoint
// (ddb::cache::http_embedder is built on it), a webhook. Nothing is signed:
// add what the service needs as headers.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace ddb::http {

/// One request, sent on one of the pool's connections.
struct request {
  std::string method = "GET";  ///< GET, POST, ... (POST and PUT always carry a Content-Length)
  /// Path and query, appended to the path of the pool's base URL; starts with '/'.
  std::string path = "/";
  /// Extra headers (Host, Content-Length and Connection are the pool's). A value holding CR, LF or NUL fails the
  /// request with errc::invalid_header before anything is sent. Values are wiped once copied.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                          ///< wiped once copied
  std::chrono::milliseconds timeout{10000};  ///< for the whole exchange, connecting included
};

/// What came back: an answer (any status), or the error that stopped the request.
struct response {
  /// Empty when an answer arrived; otherwise connect_failed, connection_closed, invalid_response,
  /// body_too_large, attempt_timeout (no answer within the timeout), invalid_header, client_closed, or
  /// operation_aborted (cancelled).
  std::error_code ec;
  std::string detail;  ///< why ec, in words (empty when an answer arrived)
  unsigned status = 0;  ///< the HTTP status, when an answer arrived
  std::string body;     ///< the answer's body
};

/// How the pool connects.
struct pool_options {
  std::size_t pool_size = 16;                       ///< connections at most
  std::chrono::milliseconds connect_timeout{3000};  ///< DNS, TCP and TLS set-up
  std::size_t max_response_bytes = 8 * 1024 * 1024;  ///< a larger body fails with body_too_large
  bool verify_tls = true;  ///< verify the server's certificate and name (https)
  std::string ca_file;     ///< extra trusted CAs (PEM file); the system store is always loaded
};

/// Kept-alive connections to one endpoint, shared by the requests made
/// through it. The connections are made on the executor of the first fetch;
/// every fetch must run on that executor (nothing here is thread-safe).
/// Cost per request: one HTTP/1.1 exchange on a kept-alive connection, no
/// allocation beyond the request's bytes and the answer's body.
class pool {
 public:
  /// base_url: http(s)://host[:port][/path]. Throws ddb::error (errc::invalid_endpoint) for a URL that is
  /// not one.
  explicit pool(std::string_view base_url, pool_options opt = {});
  /// Closes the connections: a fetch still waiting completes with client_closed.
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// Sends req and waits for its answer or its timeout. Never throws for network trouble: the response's ec
  /// says what happened. Cancellable (terminal cancellation of the awaiting coroutine).
  boost::asio::awaitable<response> fetch(request req);

  /// The base URL, normalised (scheme, host, the port when not the scheme's, the path without a trailing '/').
  const std::string& base_url() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace ddb::http
