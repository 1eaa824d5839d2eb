#include "transport/tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

namespace ddb::detail {

using tcp = boost::asio::ip::tcp;

// The BIO's state: the socket, written to directly (its descriptor read at
// each call), and the ciphertext Asio read from it, waiting for OpenSSL.
struct socket_link {
  explicit socket_link(tcp::socket* s) : socket(s), in(new char[tls_stream::read_buffer_size]) {}
  tcp::socket* socket;
  std::unique_ptr<char[]> in;
  std::size_t begin = 0, end = 0;
  bool eof = false;  // the peer ended the stream (BIO_eof, which OpenSSL asks to tell an unexpected end)
};

namespace {

socket_link& link_of(BIO* b) { return *static_cast<socket_link*>(BIO_get_data(b)); }

int bio_write(BIO* b, const char* data, int size) {
  BIO_clear_retry_flags(b);
  tcp::socket& s = *link_of(b).socket;
  if (!s.is_open()) {
    errno = EBADF;
    return -1;
  }
  const ssize_t n = ::send(s.native_handle(), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

// Hands OpenSSL what Asio has read; nothing there: "retry" (WANT_READ), and
// the connection reads more.
int bio_read(BIO* b, char* data, int size) {
  BIO_clear_retry_flags(b);
  socket_link& l = link_of(b);
  if (l.begin == l.end) {
    if (l.eof) return 0;
    BIO_set_retry_read(b);
    return -1;
  }
  const std::size_t n = std::min(l.end - l.begin, static_cast<std::size_t>(size));
  std::memcpy(data, l.in.get() + l.begin, n);
  l.begin += n;
  if (l.begin == l.end) l.begin = l.end = 0;
  return static_cast<int>(n);
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is held back
    case BIO_CTRL_EOF: return link_of(b).eof && link_of(b).begin == link_of(b).end ? 1 : 0;
    case BIO_CTRL_PENDING: return static_cast<long>(link_of(b).end - link_of(b).begin);
    default: return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int bio_destroy(BIO* b) {
  delete static_cast<socket_link*>(BIO_get_data(b));
  BIO_set_data(b, nullptr);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ddb socket");
    if (!m) throw std::bad_alloc();
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

bool is_ip_literal(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
}

}  // namespace

tls_sessions::~tls_sessions() {
  for (SSL_SESSION* s : kept_) SSL_SESSION_free(s);
}

void tls_sessions::offer(SSL_SESSION* s) {
  if (kept_.size() == keep_) {
    SSL_SESSION_free(kept_.front());
    kept_.erase(kept_.begin());
  }
  kept_.push_back(s);
}

SSL_SESSION* tls_sessions::take() {
  while (!kept_.empty()) {
    SSL_SESSION* s = kept_.back();
    kept_.pop_back();
    if (SSL_SESSION_is_resumable(s)) return s;
    SSL_SESSION_free(s);
  }
  return nullptr;
}

// OpenSSL's new-session callback: 1 keeps the reference it hands over.
int new_session(SSL* ssl, SSL_SESSION* s) {
  auto* self = static_cast<tls_stream*>(SSL_get_app_data(ssl));
  if (!self || !self->sessions_) return 0;
  self->sessions_->offer(s);
  return 1;
}

void enable_session_reuse(SSL_CTX* ctx) {
  // The client's cache is ours (tls_sessions), not OpenSSL's internal store.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, new_session);
}

tls_stream::tls_stream(tcp::socket& socket, SSL_CTX* ctx, std::shared_ptr<tls_sessions> sessions)
    : ssl_(SSL_new(ctx)), sessions_(std::move(sessions)) {
  if (!ssl_) throw std::bad_alloc();
  SSL_set_app_data(ssl_, this);
  BIO* bio = BIO_new(socket_method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  link_ = new socket_link(&socket);
  BIO_set_data(bio, link_);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns it now
  SSL_set_connect_state(ssl_);
  SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);  // so a write never needs to read
  if (sessions_) {
    if (SSL_SESSION* s = sessions_->take()) {
      SSL_set_session(ssl_, s);  // takes its own reference
      SSL_SESSION_free(s);
    }
  }
}


boost::asio::mutable_buffer tls_stream::read_space() {
  if (link_->begin != link_->end && link_->begin > 0) {  // not expected (OpenSSL takes all before wanting more)
    std::memmove(link_->in.get(), link_->in.get() + link_->begin, link_->end - link_->begin);
    link_->end -= link_->begin;
    link_->begin = 0;
  }
  return {link_->in.get() + link_->end, read_buffer_size - link_->end};
}

void tls_stream::received(std::size_t n) {
  link_->end += n;
  starved_ = false;
}

void tls_stream::received_eof() {
  link_->eof = true;
  starved_ = false;
}

tls_stream::~tls_stream() { SSL_free(ssl_); }

void tls_stream::set_peer(const std::string& host, bool verify) {
  const bool ip = is_ip_literal(host);
  if (!ip) SSL_set_tlsext_host_name(ssl_, host.c_str());  // SNI is for names only (RFC 6066)
  if (!verify) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (ip)
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
}

tls_result tls_stream::step(int ret, std::size_t n) {
  if (ret == 1) return {tls_result::done, n, {}};
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return {tls_result::want_read, 0, {}};
    case SSL_ERROR_WANT_WRITE: return {tls_result::want_write, 0, {}};
    case SSL_ERROR_ZERO_RETURN: return {tls_result::eof, 0, {}};
    case SSL_ERROR_SYSCALL: {
      ERR_clear_error();
      // No error queued and no errno: the TCP stream ended without close_notify.
      if (saved_errno == 0) return {tls_result::eof, 0, {}};
      return {tls_result::failed, 0, boost::system::error_code(saved_errno, boost::system::system_category())};
    }
    default: {
      const unsigned long e = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return {tls_result::eof, 0, {}};
      if (e == 0) return {tls_result::failed, 0, boost::asio::error::fault};
      return {tls_result::failed, 0,
              boost::system::error_code(static_cast<int>(e), boost::asio::error::get_ssl_category())};
    }
  }
}

namespace {
// SSL_get_error reads the thread's error queue, which must be empty before
// the call; clearing it costs more than looking (OpenSSL 3).
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace

tls_result tls_stream::handshake() {
  clear_errors();
  errno = 0;
  return step(SSL_do_handshake(ssl_), 0);
}

tls_result tls_stream::read(void* data, std::size_t size) {
  // OpenSSL wanted ciphertext (or had none left) and none came since: it
  // would say want_read again (a reader asks once more after taking a
  // record: SSL_read calls saved per reply).
  if (starved_) return {tls_result::want_read, 0, {}};
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_, data, size, &n);
  tls_result r = step(ret, n);
  // Also starved after a record when nothing is left, neither in ddb's
  // buffer nor in OpenSSL's (a partial record counts as something).
  starved_ = r.what == tls_result::want_read ||
             (r.what == tls_result::done && link_->begin == link_->end && !link_->eof && SSL_has_pending(ssl_) == 0);
  return r;
}

tls_result tls_stream::write(const void* data, std::size_t size) {
  clear_errors();
  errno = 0;
  std::size_t n = 0;
  const int ret = SSL_write_ex(ssl_, data, size, &n);
  return step(ret, n);
}

std::string tls_stream::handshake_failure(const tls_result& r) const {
  const long v = SSL_get_verify_result(ssl_);
  if (v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
      v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
    return std::string(": ") + X509_verify_cert_error_string(v) +
           " (not signed by an authority this client trusts: for a private one, set client_config::ca_file or "
           "ca_pem, or AWS_CA_BUNDLE)";
  if (v != X509_V_OK) return std::string(": ") + X509_verify_cert_error_string(v);
  if (r.what == tls_result::eof) return " (the server closed the connection during the handshake)";
  if (r.ec.category() == boost::asio::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(r.ec.value()));
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
        reason == SSL_R_HTTP_REQUEST)
      return " (the server did not answer in TLS: for a plain-HTTP endpoint, such as DynamoDB Local, use http://)";
  }
  return {};
}

}  // namespace ddb::detail
