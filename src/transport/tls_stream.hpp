#pragma once
// TLS over a connected TCP socket, without record buffers of Asio's: OpenSSL
// reads and writes the socket itself, through a BIO of ddb's own, and only
// says what it needs next (more bytes, room to write). The connection
// (transport.cpp) waits for that readiness with Asio and calls again.
//
// Why not asio::ssl::stream: it keeps two 17 KB record buffers per
// connection and a BIO pair with two more, and copies every record through
// them; here the only buffers are OpenSSL's own, released while empty
// (SSL_MODE_RELEASE_BUFFERS). The BIO sends with MSG_NOSIGNAL (a peer that
// reset the connection is an error, never SIGPIPE) and reads the socket's
// descriptor at each call, so a socket closed meanwhile reads and writes
// nothing.
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace ddb::detail {

// What one step of TLS did: finished (n bytes moved), or it needs the socket
// readable or writable before it is called again, or the peer closed (eof:
// close_notify, or the TCP stream ended without it), or it failed (ec).
struct tls_result {
  enum kind { done, want_read, want_write, eof, failed } what = done;
  std::size_t n = 0;
  boost::system::error_code ec;
};

class tls_stream {
 public:
  // ctx: shared by the pool's connections, alive longer than this stream.
  // Throws std::bad_alloc when OpenSSL cannot allocate.
  tls_stream(boost::asio::ip::tcp::socket& socket, SSL_CTX* ctx);
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  // Before the handshake: the server name sent (SNI, for names only) and,
  // when verify is set, the name or IP address its certificate must carry.
  void set_peer(const std::string& host, bool verify);

  tls_result handshake();
  tls_result read(void* data, std::size_t size);
  // Writes all of data or needs readiness; called again with the same bytes
  // after a want_* (OpenSSL's rule for non-blocking writes).
  tls_result write(const void* data, std::size_t size);

  // After a failed handshake: why verification refused the peer
  // ("certificate has expired", "hostname mismatch"), or "" when it did not.
  std::string verify_error() const;

 private:
  tls_result step(int ret, std::size_t n);

  SSL* ssl_;
};

// Loads the system's trust store into ctx as OpenSSL's defaults would
// (SSL_CERT_FILE, SSL_CERT_DIR, then the built-in file and directory), but
// prefers a hashed directory, whose certificates are read only when a chain
// needs them, to the bundle file, which is parsed whole (about 1.6 MB of
// memory for Debian's 140 authorities). SSL_CERT_FILE, when set, is loaded
// as given. Returns false when no store could be loaded.
bool load_system_trust(SSL_CTX* ctx);

}  // namespace ddb::detail
