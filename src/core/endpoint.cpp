#include "core/endpoint.hpp"

#include <algorithm>
#include <cctype>

namespace ddb::detail {
namespace {

bool host_char_ok(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == ':';
}

}  // namespace

result<endpoint> parse_endpoint(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return fail(errc::invalid_endpoint, "endpoint '" + std::string(url) + "': " + why +
                                            " (expected e.g. https://dynamodb.us-east-1.amazonaws.com or http://127.0.0.1:8000)");
  };
  endpoint ep;
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    ep.tls = false;
    rest = url.substr(7);
  } else {
    return bad("the scheme must be http:// or https://");
  }
  const std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") return bad("a path is not supported");
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos) return bad("user information is not supported");
  std::string_view host = rest, port;
  if (!rest.empty() && rest[0] == '[') {  // [::1]:8000
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad("the host is empty");
  if (!std::all_of(host.begin(), host.end(), host_char_ok)) return bad("the host holds a character not allowed in host names");
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("the port must be a number");
    if (std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) return bad("the port must be 1 to 65535");
  }
  ep.host = std::string(host);
  const std::string_view default_port = ep.tls ? "443" : "80";
  ep.port = port.empty() ? std::string(default_port) : std::string(port);
  const bool v6 = ep.host.find(':') != std::string::npos;
  ep.host_header = v6 ? "[" + ep.host + "]" : ep.host;
  if (ep.port != default_port) ep.host_header += ":" + ep.port;
  return ep;
}

}  // namespace ddb::detail
