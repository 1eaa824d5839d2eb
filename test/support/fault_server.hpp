#pragma once
// A loopback HTTP/1.1 server for fault tests, on its own thread and
// io_context. A behaviour function decides, request by request, what the
// server does: answer, answer late, answer with broken bytes, close, reset or
// hang. Requests on one connection are answered in order (pipelining works).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/crc.hpp>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "ddb/config.hpp"
#include "support/test_cert.hpp"

namespace ddb::test {

struct request_info {
  int connection = 0;  // 0-based, in accept order
  int on_connection = 0;  // 0-based index of the request on its connection
  int index = 0;       // 0-based over the server's life
  std::string head;    // request line and headers
  std::string body;
  int read = 0;        // 0-based index, on its connection, of the read that completed it
};

struct action {
  enum kind { reply, close, reset, hang } what = reply;
  std::string bytes;  // written before closing/resetting too
  std::chrono::milliseconds delay{0};
  bool close_after = false;
  std::size_t piece = 0;                // > 0: bytes written `piece` at a time,
  std::chrono::milliseconds piece_gap{0};  // this far apart

  static std::string crc(const std::string& body) {
    boost::crc_32_type c;
    c.process_bytes(body.data(), body.size());
    return std::to_string(c.checksum());
  }
  // A DynamoDB-like response.
  static action status(unsigned code, const std::string& body, std::string extra_headers = {}) {
    action a;
    a.bytes = "HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Type: application/x-amz-json-1.0\r\n" +
              "x-amzn-RequestId: REQ" + std::to_string(code) + "\r\nx-amz-crc32: " + crc(body) + "\r\n" + extra_headers +
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return a;
  }
  static action ok(const std::string& body = R"({"Item":{"pk":{"S":"a"}}})") { return status(200, body); }
  static action error(unsigned code, const std::string& type, const std::string& message = "m") {
    return status(code, R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":")" + message + R"("})");
  }
  static action raw(std::string bytes, kind then = reply) {
    action a;
    a.bytes = std::move(bytes);
    a.what = then;
    return a;
  }
  action& after(std::chrono::milliseconds d) {
    delay = d;
    return *this;
  }
  action& in_pieces(std::size_t n, std::chrono::milliseconds gap) {
    piece = n;
    piece_gap = gap;
    return *this;
  }
  static action hang_up() { return raw({}, close); }
  static action never() { return raw({}, hang); }
};

class fault_server {
 public:
  using behaviour = std::function<action(const request_info&)>;

  // With tls_cert_pem/tls_key_pem set, the server speaks TLS. Without them it
  // speaks TLS too when DDB_FAULT_TLS=1 (the suite's fault.client_tls runs
  // every client fault test that way), with a certificate for 127.0.0.1 that
  // config_for trusts.
  explicit fault_server(behaviour b, std::string tls_cert_pem = {}, std::string tls_key_pem = {})
      : behaviour_(std::move(b)), acceptor_(io_) {
    if (tls_cert_pem.empty() && tls_everywhere()) {
      static const test_identity id = make_self_signed("ddb fault server", "IP:127.0.0.1,DNS:localhost");
      tls_cert_pem = id.cert_pem;
      tls_key_pem = id.key_pem;
      implicit_ca_ = id.cert_pem;
    }
    if (!tls_cert_pem.empty()) {
      tls_.emplace(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain(boost::asio::buffer(tls_cert_pem));
      tls_->use_private_key(boost::asio::buffer(tls_key_pem), boost::asio::ssl::context::pem);
    }
    namespace asio = boost::asio;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fault_server() {
    io_.stop();
    thread_.join();
  }

  std::string url(const std::string& host = "127.0.0.1") const {
    return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
  }
  int handshakes_failed() const { return handshakes_failed_.load(); }
  int handshakes_resumed() const { return handshakes_resumed_.load(); }
  int handshakes_done() const { return handshakes_done_.load(); }  // resumed or not
  // The certificate to trust when the server speaks TLS because of DDB_FAULT_TLS.
  const std::string& implicit_ca() const { return implicit_ca_; }
  static bool tls_everywhere() {
    const char* v = std::getenv("DDB_FAULT_TLS");
    return v && std::string(v) == "1";
  }
  unsigned short port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  std::vector<request_info> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  using tcp = boost::asio::ip::tcp;

  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      if (tls_)
        boost::asio::co_spawn(io_, serve_tls(std::move(sock), connections_++), boost::asio::detached);
      else
        boost::asio::co_spawn(io_, serve(std::move(sock), connections_++), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve_tls(tcp::socket sock, int conn) {
    namespace asio = boost::asio;
    asio::ssl::stream<tcp::socket> s(std::move(sock), *tls_);
    auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      ++handshakes_failed_;
      co_return;
    }
    if (SSL_session_reused(s.native_handle())) ++handshakes_resumed_;
    ++handshakes_done_;
    co_await serve_stream(s, conn);
  }

  boost::asio::awaitable<void> serve(tcp::socket sock, int conn) { co_await serve_stream(sock, conn); }

  template <class Stream>
  boost::asio::awaitable<void> serve_stream(Stream& sock, int conn) {
    namespace asio = boost::asio;
    auto& lowest = sock.lowest_layer();
    std::string buf;
    int on_conn = 0;
    int reads = 0;
    char chunk[65536];
    for (;;) {
      // Take every complete request already buffered.
      for (;;) {
        const auto end = buf.find("\r\n\r\n");
        if (end == std::string::npos) break;
        std::size_t length = 0;
        const auto cl = buf.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buf.substr(cl + 16));
        if (buf.size() < end + 4 + length) break;
        request_info r{conn, on_conn++, requests_++, buf.substr(0, end + 4), buf.substr(end + 4, length), reads - 1};
        buf.erase(0, end + 4 + length);
        {
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(r);
        }
        action a = behaviour_(r);
        if (a.delay.count() > 0) {
          asio::steady_timer t(io_, a.delay);
          co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        for (std::size_t at = 0; at < a.bytes.size();) {
          const std::size_t n = a.piece ? std::min(a.piece, a.bytes.size() - at) : a.bytes.size();
          if (at > 0 && a.piece_gap.count() > 0) {
            asio::steady_timer t(io_, a.piece_gap);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
          }
          auto [ec, written] =
              co_await asio::async_write(sock, asio::buffer(a.bytes.data() + at, n), asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          at += n;
        }
        if (a.what == action::hang) {
          asio::steady_timer t(io_, std::chrono::hours(1));
          co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
          co_return;
        }
        if (a.what == action::reset) {
          boost::system::error_code ignored;
          lowest.set_option(asio::socket_base::linger(true, 0), ignored);
          lowest.close(ignored);
          co_return;
        }
        if (a.what == action::close || a.close_after) {
          if constexpr (!std::is_same_v<Stream, tcp::socket>) {
            // After a reply, TLS ends as servers end it: close_notify first
            // (an abrupt end makes OpenSSL drop the connection's session).
            if (a.close_after) co_await sock.async_shutdown(asio::as_tuple(asio::use_awaitable));
          }
          boost::system::error_code ignored;
          lowest.shutdown(tcp::socket::shutdown_send, ignored);
          lowest.close(ignored);
          co_return;
        }
      }
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++reads;
      buf.append(chunk, n);
    }
  }

  behaviour behaviour_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> handshakes_failed_{0};
  std::atomic<int> handshakes_resumed_{0};
  std::atomic<int> handshakes_done_{0};
  std::optional<boost::asio::ssl::context> tls_;
  std::string implicit_ca_;
  std::mutex mu_;
  std::vector<request_info> seen_;
};

// A client configuration for talking to `s`: test credentials, fast retries.
inline client_config config_for(const fault_server& s) {
  using namespace std::chrono_literals;
  client_config c;
  c.endpoint = s.url();
  c.ca_pem = s.implicit_ca();
  c.region = "us-east-1";
  c.credentials = credentials{"AKIDTEST", secret_string("secret"), {}};
  c.retry.transient_base = 1ms;  // keep retries fast in tests
  c.retry.throttling_base = 2ms;
  c.connect_timeout = 2000ms;
  c.attempt_timeout = 2000ms;
  return c;
}

}  // namespace ddb::test
