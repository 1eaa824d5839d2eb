#pragma once
// Where credentials come from: the AWS default provider chain, asynchronous.
//
// A client left without client_config::credentials resolves, when it is
// made, the first provider configured in this order (as the AWS SDKs do):
//   1. env                            AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. the profile (AWS_PROFILE, else "default") in ~/.aws/credentials and ~/.aws/config
//      (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE):
//        assume-role                  role_arn + source_profile | credential_source (STS AssumeRole)
//        assume-role-with-web-identity role_arn + web_identity_token_file
//        shared-credentials-file / config-file   aws_access_key_id + aws_secret_access_key
//        custom-process               credential_process (run without blocking the loop)
//   3. assume-role-with-web-identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//   4. container-role                 AWS_CONTAINER_CREDENTIALS_RELATIVE_URI | _FULL_URI
//   5. iam-role                       instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true
// Local settings (env, files) are read when the client is made; a provider
// that needs I/O runs on the first request. A configured provider that fails
// is an error naming it and the fix: the chain does not skip to the next one.
//
// The client caches what the provider returns and refreshes it in the
// background when less than credentials_options::refresh_before remains;
// concurrent requests share one refresh, and a request waits only when the
// credentials have expired (or none were fetched yet).
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "ddb/core/credentials.hpp"

namespace ddb {

struct client_config;

struct credentials_options {
  /// Refresh when less than this remains before the credentials expire.
  std::chrono::seconds refresh_before{300};
  /// After a failed refresh while the old credentials still work: wait this
  /// long, doubling up to refresh_retry_max, before trying again.
  std::chrono::milliseconds refresh_retry_min{1000};
  std::chrono::milliseconds refresh_retry_max{60000};

  /// Per HTTP request to the instance metadata service (AWS_METADATA_SERVICE_TIMEOUT
  /// in seconds and AWS_METADATA_SERVICE_NUM_ATTEMPTS override these, as in the SDKs).
  std::chrono::milliseconds imds_timeout{1000};
  int imds_attempts = 1;
  std::chrono::milliseconds container_timeout{2000};
  std::chrono::milliseconds sts_timeout{5000};
  /// A credential_process that has not finished by then is killed.
  std::chrono::milliseconds process_timeout{30000};
};

/// What a provider completes with: credentials, or an error code with a
/// message that names the provider and the fix (never a secret).
using credentials_handler =
    boost::asio::any_completion_handler<void(boost::system::error_code, credentials, std::string)>;

class credentials_provider {
 public:
  virtual ~credentials_provider() = default;
  /// The AWS CLI's name for the source: "env", "shared-credentials-file",
  /// "custom-process", "assume-role", "container-role", "iam-role", ...
  virtual std::string name() const = 0;
  /// Where it came from, for messages: e.g. "profile dev in /home/u/.aws/config".
  virtual std::string location() const { return {}; }
  /// Fetches credentials. Never blocks; completes through the handler's
  /// associated executor; honours terminal cancellation.
  virtual void async_fetch(boost::asio::any_io_executor ex, credentials_handler handler) = 0;
};

/// A provider that always returns the same credentials.
std::shared_ptr<credentials_provider> static_credentials(credentials c, std::string name = "static");

/// Settings resolved the AWS way (see config.hpp), each with where it came from.
struct resolved_settings {
  std::string profile;         ///< the profile in use (also when no file has it)
  std::string profile_source;  ///< "client_config::profile", "AWS_PROFILE" or "default"
  std::string region;
  std::string region_source;   ///< e.g. "AWS_REGION" or "profile dev in /home/u/.aws/config"
  std::string endpoint_url;
  std::string endpoint_source;
  std::string ca_file;    ///< extra trusted CAs (PEM): client_config::ca_file, else AWS_CA_BUNDLE, else the profile's ca_bundle
  std::string ca_source;
  std::shared_ptr<credentials_provider> provider;
};

/// Reads the environment and the shared files. Throws ddb::error (naming the
/// setting, file and line to fix) when they are malformed or incomplete.
resolved_settings resolve_settings(const client_config& cfg);

/// co_await ddb::fetch_credentials(provider, ex): one fetch, uncached.
template <class Token>
auto fetch_credentials(credentials_provider& p, boost::asio::any_io_executor ex, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, credentials, std::string)>(
      [&p, ex](auto handler) { p.async_fetch(ex, std::move(handler)); }, token);
}

}  // namespace ddb
