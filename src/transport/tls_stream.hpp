#pragma once
// TLS over a connected TCP socket with one buffer of ddb's own: OpenSSL
// writes to the socket itself, through a BIO of ddb's own, and reads the
// ciphertext that the connection (transport.cpp) read with Asio into
// read_space(). Each call says what it needs next: more bytes (the
// connection reads into read_space() and calls again) or room to write (it
// waits until the socket is writable).
//
// Why not asio::ssl::stream: it keeps two 17 KB record buffers per
// connection and a BIO pair with two more, and copies every record through
// them; here there is one 17 KB buffer for ciphertext read, and OpenSSL's
// own, released while empty (SSL_MODE_RELEASE_BUFFERS). Why not a socket
// BIO: waiting for readability with Asio costs an epoll_ctl per wait, a read
// does not. The BIO sends with MSG_NOSIGNAL (a peer that reset the
// connection is an error, never SIGPIPE) on the socket's descriptor as it is
// at that call, so a socket closed meanwhile writes nothing.
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

namespace ddb::detail {

struct socket_link;

// What one step of TLS did: finished (n bytes moved), or it needs the socket
// readable or writable before it is called again, or the peer closed (eof:
// close_notify, or the TCP stream ended without it), or it failed (ec).
struct tls_result {
  enum kind { done, want_read, want_write, eof, failed } what = done;
  std::size_t n = 0;
  boost::system::error_code ec;
};

// Sessions the server handed out (TLS 1.3 tickets, TLS 1.2 session ids), so
// that a new connection of the pool resumes instead of doing a full handshake
// (no certificate sent and verified again). Each is used once (RFC 8446,
// C.4: a ticket reused links connections); the newest `keep` are kept (the
// pool's size: a whole pool reconnecting at once resumes). One per pool; not
// thread-safe (the pool's executor).
class tls_sessions {
 public:
  explicit tls_sessions(std::size_t keep) : keep_(keep == 0 ? 1 : keep) {}
  ~tls_sessions();
  tls_sessions(const tls_sessions&) = delete;
  tls_sessions& operator=(const tls_sessions&) = delete;

  void offer(SSL_SESSION* s);  // takes the reference
  SSL_SESSION* take();         // the newest, or nullptr; the caller owns the reference
  std::size_t size() const noexcept { return kept_.size(); }

 private:
  std::size_t keep_;
  std::vector<SSL_SESSION*> kept_;
};

// Lets the streams made from ctx hand new sessions to their tls_sessions.
void enable_session_reuse(SSL_CTX* ctx);

class tls_stream {
 public:
  // ctx: shared by the pool's connections, alive longer than this stream.
  // sessions: where new sessions go and a resumed one comes from (may be
  // null: no resumption). Throws std::bad_alloc when OpenSSL cannot allocate.
  tls_stream(boost::asio::ip::tcp::socket& socket, SSL_CTX* ctx, std::shared_ptr<tls_sessions> sessions = nullptr);
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  // Before the handshake: the server name sent (SNI, for names only) and,
  // when verify is set, the name or IP address its certificate must carry.
  void set_peer(const std::string& host, bool verify);

  // One record at most (16 KB of plaintext and its overhead).
  static constexpr std::size_t read_buffer_size = 16 * 1024 + 512;

  // Where the connection reads ciphertext to (after a want_read), and how
  // much it read; received_eof: the socket read ended (eof).
  boost::asio::mutable_buffer read_space();
  void received(std::size_t n);
  void received_eof();

  tls_result handshake();
  tls_result read(void* data, std::size_t size);
  // Writes all of data or needs readiness; called again with the same bytes
  // after a want_* (OpenSSL's rule for non-blocking writes).
  tls_result write(const void* data, std::size_t size);

  // After a failed handshake, what to add to its error: why verification
  // refused the peer ("hostname mismatch", "certificate has expired"), that
  // the server answered in plain text (an http:// endpoint), or "".
  std::string handshake_failure(const tls_result& r) const;

 private:
  tls_result step(int ret, std::size_t n);

  friend int new_session(SSL*, SSL_SESSION*);

  SSL* ssl_;
  socket_link* link_;  // the BIO's, which the SSL owns
  std::shared_ptr<tls_sessions> sessions_;
  bool starved_ = false;  // read() said want_read, and no ciphertext came since
};

}  // namespace ddb::detail
