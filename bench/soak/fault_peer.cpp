// The soak's loopback fault server: answers DynamoDB-shaped requests on an
// already listening socket, playing the fault each request's key names
// (soak.hpp) and throttling everything while a storm blows. One thread, one
// coroutine per connection, requests on a connection answered in order.
// Keeps no state beyond the connections, so it can run for hours.
#include "fault_peer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/crc.hpp>

#include <cctype>
#include <random>
#include <string>
#include <string_view>

namespace soak {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string response(unsigned status, std::string_view body) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  std::string r = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                  "\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: SOAK\r\nx-amz-crc32: " +
                  std::to_string(crc.checksum()) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  r.append(body);
  return r;
}

std::string service_error(unsigned status, std::string_view type) {
  std::string body = R"({"__type":"com.amazonaws.dynamodb.v20120810#)";
  body.append(type).append(R"(","message":"soak"})");
  return response(status, body);
}

// Content-Length of a request head, any case; 0 when absent.
std::size_t content_length(std::string_view head) {
  constexpr std::string_view name = "\r\ncontent-length:";
  for (std::size_t i = 0; i + name.size() <= head.size(); ++i) {
    std::size_t k = 0;
    while (k < name.size() && std::tolower(static_cast<unsigned char>(head[i + k])) == name[k]) ++k;
    if (k < name.size()) continue;
    std::size_t at = i + k, n = 0;
    while (at < head.size() && head[at] == ' ') ++at;
    while (at < head.size() && head[at] >= '0' && head[at] <= '9') n = n * 10 + std::size_t(head[at++] - '0');
    return n;
  }
  return 0;
}

// The key of a GetItem body: the string after "pk":{"S":".
std::string_view key_of(std::string_view body) {
  constexpr std::string_view tag = R"("pk":{"S":")";
  const auto at = body.find(tag);
  if (at == std::string_view::npos) return {};
  const auto from = at + tag.size(), to = body.find('"', from);
  return to == std::string_view::npos ? std::string_view{} : body.substr(from, to - from);
}

enum class play { answer, reset, close_after, stall };

struct peer {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  storms weather;
  std::minstd_rand rng{12345};

  play decide(std::string_view key, std::string& out) {
    if (weather.blowing(std::chrono::system_clock::now())) {
      out = service_error(400, "ThrottlingException");
      return play::answer;
    }
    mode m = mode::ok;
    parse_mode(key.substr(0, key.find('/')), m);
    if (m == mode::flaky) {
      constexpr mode pick[] = {mode::ok, mode::ok, mode::ok, mode::ok, mode::reset, mode::trunc, mode::e500, mode::e503};
      m = pick[rng() % 8];
    }
    switch (m) {
      case mode::ok: {
        std::string body = R"({"Item":{"pk":{"S":")";
        body.append(key).append(R"("},"v":{"N":"1"}}})");
        out = response(200, body);
        return play::answer;
      }
      case mode::reset: return play::reset;
      case mode::trunc:
        out = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{\"Item\":";
        return play::close_after;
      case mode::e500: out = service_error(500, "InternalServerError"); return play::answer;
      case mode::e503: out = service_error(503, "ServiceUnavailable"); return play::answer;
      case mode::stall: return play::stall;
      case mode::badjson: out = response(200, R"({"Item":n})"); return play::answer;
      case mode::flaky: break;
    }
    return play::reset;
  }

  asio::awaitable<void> serve(tcp::socket sock) {
    std::string buf, out;
    char chunk[65536];
    bool stalled = false;
    for (;;) {
      while (!stalled) {
        const auto end = buf.find("\r\n\r\n");
        if (end == std::string::npos) break;
        const std::size_t length = content_length(std::string_view(buf).substr(0, end + 2));
        if (buf.size() < end + 4 + length) break;
        const play p = decide(key_of(std::string_view(buf).substr(end + 4, length)), out);
        buf.erase(0, end + 4 + length);
        boost::system::error_code ignored;
        if (p == play::reset) {
          sock.set_option(asio::socket_base::linger(true, 0), ignored);
          sock.close(ignored);
          co_return;
        }
        if (p == play::stall) {  // read on (and drop) until the client closes
          stalled = true;
          break;
        }
        auto [ec, n] = co_await asio::async_write(sock, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) co_return;
        if (p == play::close_after) {
          sock.shutdown(tcp::socket::shutdown_send, ignored);
          sock.close(ignored);
          co_return;
        }
      }
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      if (!stalled) buf.append(chunk, n);
    }
  }

  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // EMFILE and the like: try again
      asio::co_spawn(io, serve(std::move(sock)), asio::detached);
    }
  }
};

}  // namespace

void run_fault_peer(int listening_fd, storms weather) {
  peer p;
  p.weather = weather;
  p.acceptor.assign(tcp::v4(), listening_fd);
  asio::co_spawn(p.io, p.accept(), asio::detached);
  p.io.run();
}

}  // namespace soak
