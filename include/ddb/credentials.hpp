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
#include <optional>
#include <string>

#include "ddb/core/credentials.hpp"

namespace ddb {

/// Refresh timing and timeouts of the credential providers
/// (client_config::credential_settings).
struct credentials_options {
  /// Refresh when less than this remains before the credentials expire.
  std::chrono::seconds refresh_before{300};
  /// After a failed refresh while the old credentials still work: wait this
  /// long, doubling up to refresh_retry_max, before trying again.
  std::chrono::milliseconds refresh_retry_min{1000};
  /// The ceiling of that doubling wait.
  std::chrono::milliseconds refresh_retry_max{60000};

  /// Per HTTP request to the instance metadata service (AWS_METADATA_SERVICE_TIMEOUT
  /// in seconds and AWS_METADATA_SERVICE_NUM_ATTEMPTS override these, as in the SDKs).
  std::chrono::milliseconds imds_timeout{1000};
  /// Tries of the IMDSv2 sequence (token, role name, credentials) before the
  /// provider fails; AWS_METADATA_SERVICE_NUM_ATTEMPTS (1 to 10) overrides it.
  int imds_attempts = 1;
  /// Per HTTP request to the container credentials endpoint (a transient failure
  /// is tried once more); AWS_METADATA_SERVICE_TIMEOUT overrides it too.
  std::chrono::milliseconds container_timeout{2000};
  /// Per HTTP request to STS (AssumeRole, AssumeRoleWithWebIdentity; up to 3
  /// tries on network errors, 5xx and 429).
  std::chrono::milliseconds sts_timeout{5000};
  /// A credential_process that has not finished by then is killed.
  std::chrono::milliseconds process_timeout{30000};
};

/// What a provider completes with: credentials, or an error code with a
/// message that names the provider and the fix (never a secret).
using credentials_handler =
    boost::asio::any_completion_handler<void(boost::system::error_code, credentials, std::string)>;

/// A source of credentials. Implement it to supply keys your own way
/// (client_config::credentials_provider); the client calls async_fetch() when
/// it has none or they near expiry, and caches what comes back. Empty
/// credentials count as errc::credentials_unavailable, expired ones as
/// errc::credentials_expired; a failure should use one of those codes too.
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

/// A provider that always returns the same credentials (no I/O; it completes
/// through a post). `name` is what name() reports in messages.
std::shared_ptr<credentials_provider> static_credentials(credentials c, std::string name = "static");

/// Settings resolved the AWS way (see config.hpp), each with where it came from.
struct resolved_settings {
  std::string profile;         ///< the profile in use (also when no file has it)
  std::string profile_source;  ///< "client_config::profile", "AWS_PROFILE" or "default"
  /// The region requests are signed for: client_config::region, else AWS_REGION,
  /// else AWS_DEFAULT_REGION, else the profile's region (never empty).
  std::string region;
  std::string region_source;   ///< e.g. "AWS_REGION" or "profile dev in /home/u/.aws/config"
  /// The endpoint URL in use: client_config::endpoint, else AWS_ENDPOINT_URL_DYNAMODB
  /// (or _STREAMS), else AWS_ENDPOINT_URL, else the profile's endpoint_url, else
  /// the region's public endpoint.
  std::string endpoint_url;
  /// Where endpoint_url came from: e.g. "AWS_ENDPOINT_URL" or "default for region eu-west-1".
  std::string endpoint_source;
  std::string ca_file;    ///< extra trusted CAs (PEM): client_config::ca_file, else AWS_CA_BUNDLE, else the profile's ca_bundle
  /// Where ca_file came from (empty when ca_file is).
  std::string ca_source;
  /// What the client gets credentials from (never null): client_config::credentials
  /// as static_credentials(), else client_config::credentials_provider, else the
  /// chain's first configured source.
  std::shared_ptr<credentials_provider> provider;
};

/// What settings resolution starts from: what the caller set itself (empty:
/// not set, resolved the AWS way). The credentials' own settings, so they do
/// not depend on the client; a client_config gives them (settings_of() in
/// ddb/config.hpp). Messages name a field as "<origin>::<field>".
struct settings_input {
  std::string profile;   ///< empty: AWS_PROFILE, else "default"
  std::string region;    ///< empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  std::string endpoint;  ///< empty: the endpoint variables, the profile's endpoint_url, the region's
  std::string ca_file;   ///< empty: AWS_CA_BUNDLE, else the profile's ca_bundle
  /// DynamoDB Streams: AWS_ENDPOINT_URL_DYNAMODB_STREAMS and the streams endpoint of the region.
  bool streams = false;
  std::optional<ddb::credentials> credentials;  ///< fixed keys: no chain is planned
  std::shared_ptr<ddb::credentials_provider> credentials_provider;  ///< a provider of the caller's: no chain either
  credentials_options credential_settings;  ///< the chain's providers' timing
  std::string origin = "client_config";  ///< how messages name these settings
};

/// Reads the environment and the shared files. Throws ddb::error (naming the
/// setting, file and line to fix) when they are malformed or incomplete:
/// errc::invalid_config for an unreadable or malformed file and a missing or
/// bad region, errc::invalid_credentials for a credential source set up wrong
/// or none found. Blocking file reads (none when `in` has a region and
/// credentials or a provider and no profile); no network I/O.
resolved_settings resolve_settings(const settings_input& in);

/// co_await ddb::fetch_credentials(provider, ex, asio::use_awaitable): one fetch,
/// uncached, completing with (error_code, credentials, message). `p` must outlive it.
template <class Token>
auto fetch_credentials(credentials_provider& p, boost::asio::any_io_executor ex, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, credentials, std::string)>(
      [&p, ex](auto handler) { p.async_fetch(ex, std::move(handler)); }, token);
}

}  // namespace ddb
