#pragma once
// ddb::endpoint: a service endpoint URL taken apart (the client's, an
// embeddings endpoint's). Plain data: no Asio, so the sans-io core can use it.
#include <string>

namespace ddb {

/// An endpoint URL taken apart.
struct endpoint {
  /// True for https:// (port 443 unless given), false for http:// (port 80 unless given).
  bool tls = true;
  std::string host;         ///< without brackets for IPv6
  std::string port;         ///< always set ("443" / "80" by default)
  std::string host_header;  ///< Host header value: host, plus ":port" when not the scheme's default

  /// The URL again, normalised: scheme plus host_header, e.g. "https://dynamodb.us-east-1.amazonaws.com".
  std::string url() const { return (tls ? "https://" : "http://") + host_header; }
};

}  // namespace ddb
