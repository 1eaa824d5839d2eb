#pragma once
// AWS Signature Version 4 (AWS4-HMAC-SHA256), pure code: no clock, no I/O.
//
// Signing runs in three deterministic stages, each a function of its inputs
// and the time the caller passes in:
//   1. canonical request   (method, path, query, sorted headers, payload hash)
//   2. string to sign      (algorithm, timestamp, scope, hash of stage 1)
//   3. signature           (HMAC with the signing key derived for the scope)
// The derived signing key is cached per (date, region, service) and rebuilt
// only when the UTC date changes. A signer is not thread-safe: use one per
// executor or strand.

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/credentials.hpp"
#include "ddb/error.hpp"

namespace ddb::sigv4 {

/// The signing time (UTC, from the system clock).
using time_point = std::chrono::system_clock::time_point;

/// One HTTP header.
struct header {
  std::string name;   ///< as sent; signed in lowercase
  std::string value;  ///< signed trimmed, runs of blanks collapsed to one space
};

/// A request to sign, as the caller will send it. path and query are raw (the
/// query may hold %-escapes; it is decoded and re-encoded canonically).
struct request {
  std::string_view method;      ///< "GET", "POST", ...
  std::string_view path = "/";  ///< the raw path; "" counts as "/"
  std::string_view query;       ///< the raw query string, without '?'
  std::vector<header> headers;  ///< must include Host
  std::string_view body;        ///< the payload, whose SHA-256 is signed
};

/// Variations of the algorithm, for sign().
struct options {
  bool normalize_path = true;       ///< remove dot segments and empty segments (all services but S3)
  bool add_content_sha256 = false;  ///< add and sign x-amz-content-sha256
  bool sign_session_token = true;   ///< false: add X-Amz-Security-Token after signing (a few services want this)
};

/// What sign() made: the intermediate stages (for tests and debugging), the
/// signature, and the headers the caller adds to the request.
struct signed_parts {
  std::string canonical_request;  ///< stage 1
  std::string string_to_sign;     ///< stage 2
  std::string signature;       ///< lowercase hex
  std::string authorization;   ///< value of the Authorization header
  std::vector<header> headers_to_add;  ///< X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256
};

/// The X-Amz-Date form of `t`: "20150830T123600Z" (UTC, whole seconds).
std::string format_amz_date(time_point t);

/// Signs requests with one set of credentials for one region and service,
/// keeping the derived key for the current UTC date. Not thread-safe.
class signer {
 public:
  /// Throws ddb::error (errc::invalid_credentials) when the credentials are
  /// empty(), the access key id holds anything but letters, digits, '_' and
  /// '-', the session token holds CR, LF or NUL, or the region or service
  /// anything but letters, digits and '-'.
  signer(credentials creds, std::string region, std::string service);
  /// Takes the signer over; the moved-from one may only be destroyed or assigned to.
  signer(signer&&) noexcept;
  /// Takes the signer over; the moved-from one may only be destroyed or assigned to.
  signer& operator=(signer&&) noexcept;
  /// Wipes the scratch buffer (and, with the caches, the keyed state).
  ~signer();

  /// The region signed for, e.g. "us-east-1".
  const std::string& region() const noexcept { return region_; }
  /// The service signed for, e.g. "dynamodb".
  const std::string& service() const noexcept { return service_; }
  /// The credentials it signs with.
  const credentials& creds() const noexcept { return creds_; }

  /// General signing (test vectors, STS and other query-protocol services).
  /// Fails with errc::invalid_header when a header is refused by check_header().
  /// Allocates every string of the result.
  result<signed_parts> sign(const request& req, time_point now, const options& opt = {});

  /// The hot path for DynamoDB: appends the whole HTTP/1.1 request (request
  /// line, headers, body) to out, with no intermediate allocation once the
  /// buffers have grown. target is the operation, e.g. "GetItem"; host is the
  /// Host header value (with ":port" when not the scheme's default).
  /// Signed headers: content-type;host;x-amz-date[;x-amz-security-token];x-amz-target.
  /// Throws ddb::error (errc::invalid_header) when host is empty or holds
  /// anything but visible ASCII (a space, tab, CR, LF, NUL...), or target is
  /// empty or anything but letters and digits.
  void write_dynamodb_request(std::string& out, std::string_view host, std::string_view target,
                              std::string_view body, time_point now);

  /// The X-Amz-Target prefix, "DynamoDB_20120810." unless changed (DynamoDB
  /// Streams: "DynamoDBStreams_20120810."). Letters, digits, '_' and a final '.';
  /// anything else throws ddb::error (errc::invalid_header).
  void set_target_prefix(std::string prefix);
  /// The X-Amz-Target prefix in use.
  const std::string& target_prefix() const noexcept { return target_prefix_; }

  /// Stage 3 on its own (exposed for tests): hex HMAC of string_to_sign with
  /// the key for date (YYYYMMDD), region and service.
  std::string signature_for(std::string_view date, std::string_view string_to_sign);

  /// How many times the signing key was derived (tests prove the cache works).
  std::uint64_t key_derivations() const noexcept { return key_derivations_; }

 private:
  struct key_cache;
  struct request_template;
  key_cache& key_for(std::string_view date);
  const request_template& template_for(std::string_view host, std::string_view target, std::string_view amz_date,
                                       std::int64_t second);

  credentials creds_;
  std::string region_;
  std::string service_;
  std::string target_prefix_ = "DynamoDB_20120810.";
  std::unique_ptr<key_cache> key_;
  std::uint64_t key_derivations_ = 0;
  std::string scratch_;  ///< canonical request / string to sign, reused, wiped after use
  /// The X-Amz-Date of the last request: it changes once a second.
  std::int64_t date_second_ = std::numeric_limits<std::int64_t>::min();
  char date_[16] = {};
};

/// Rejects header names and values that could split or smuggle a request:
/// CR, LF, NUL, and (in names) anything but a token character; an empty
/// name too. Fails with errc::invalid_header.
result<void> check_header(std::string_view name, std::string_view value);

}  // namespace ddb::sigv4
