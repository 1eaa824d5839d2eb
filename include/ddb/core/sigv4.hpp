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

using time_point = std::chrono::system_clock::time_point;

struct header {
  std::string name;
  std::string value;
};

/// A request to sign, as the caller will send it. path and query are raw (the
/// query may hold %-escapes; it is decoded and re-encoded canonically).
struct request {
  std::string_view method;
  std::string_view path = "/";
  std::string_view query;
  std::vector<header> headers;  ///< must include Host
  std::string_view body;
};

struct options {
  bool normalize_path = true;       ///< remove dot segments and empty segments (all services but S3)
  bool add_content_sha256 = false;  ///< add and sign x-amz-content-sha256
  bool sign_session_token = true;   ///< false: add X-Amz-Security-Token after signing (a few services want this)
};

struct signed_parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       ///< lowercase hex
  std::string authorization;   ///< value of the Authorization header
  std::vector<header> headers_to_add;  ///< X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256
};

/// "20150830T123600Z"
std::string format_amz_date(time_point t);

class signer {
 public:
  signer(credentials creds, std::string region, std::string service);
  signer(signer&&) noexcept;
  signer& operator=(signer&&) noexcept;
  ~signer();

  const std::string& region() const noexcept { return region_; }
  const std::string& service() const noexcept { return service_; }
  const credentials& creds() const noexcept { return creds_; }

  /// General signing (test vectors, STS and other query-protocol services).
  result<signed_parts> sign(const request& req, time_point now, const options& opt = {});

  /// The hot path for DynamoDB: appends the whole HTTP/1.1 request (request
  /// line, headers, body) to out, with no intermediate allocation once the
  /// buffers have grown. target is the operation, e.g. "GetItem"; host is the
  /// Host header value (with ":port" when not the scheme's default).
  /// Signed headers: content-type;host;x-amz-date[;x-amz-security-token];x-amz-target.
  void write_dynamodb_request(std::string& out, std::string_view host, std::string_view target,
                              std::string_view body, time_point now);

  /// The X-Amz-Target prefix, "DynamoDB_20120810." unless changed (DynamoDB
  /// Streams: "DynamoDBStreams_20120810."). Letters, digits, '_' and a final '.'.
  void set_target_prefix(std::string prefix);
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
/// CR, LF, NUL, and (in names) anything but a token character.
result<void> check_header(std::string_view name, std::string_view value);

}  // namespace ddb::sigv4
