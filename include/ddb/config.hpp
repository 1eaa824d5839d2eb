#pragma once
// Client configuration: a plain struct with the defaults a production client
// wants. Everything left empty is resolved the AWS way when the client starts:
//   profile   config, else AWS_PROFILE, else "default"
//   region    config, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region
//   endpoint  config, else AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL,
//             else the profile's endpoint_url, else https://dynamodb.<region>.amazonaws.com
//             (for service_api::streams: AWS_ENDPOINT_URL_DYNAMODB_STREAMS in place of
//             AWS_ENDPOINT_URL_DYNAMODB, and https://streams.dynamodb.<region>.amazonaws.com)
//   keys      config (credentials, else credentials_provider), else the
//             default provider chain (see ddb/credentials.hpp)
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "ddb/capacity.hpp"
#include "ddb/endpoint.hpp"
#include "ddb/core/credentials.hpp"
#include "ddb/credentials.hpp"
#include "ddb/retry.hpp"

namespace ddb {

/// The JSON API a client speaks: DynamoDB itself, or DynamoDB Streams (a
/// separate service with its own endpoint and X-Amz-Target prefix, signed as
/// "dynamodb"; ddb::streams::client makes such a client for you).
enum class service_api { dynamodb, streams };

/// How a client connects, signs, retries and times out, passed to its
/// constructor. Empty region, endpoint, credentials and profile are resolved
/// then, the AWS way (environment, then the shared files; client::settings()
/// tells what was found); an unusable value makes the constructor throw ddb::error.
struct client_config {
  /// The API the client speaks: DynamoDB (the default) or DynamoDB Streams.
  service_api service = service_api::dynamodb;
  /// The region to sign for and to build the default endpoint from. Empty:
  /// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region (none: errc::invalid_config).
  std::string region;
  std::string endpoint;  ///< "https://host[:port]" or "http://127.0.0.1:8000"
  /// Fixed keys to sign with, never refreshed. Empty: credentials_provider, else the chain.
  std::optional<ddb::credentials> credentials;
  /// A provider of your own (used when credentials is empty); else the chain.
  std::shared_ptr<ddb::credentials_provider> credentials_provider;
  std::string profile;  ///< the shared-files profile; empty: AWS_PROFILE, else "default"
  /// Refresh timing and timeouts of the credential providers.
  credentials_options credential_settings;

  /// Connections kept open to the endpoint, opened lazily and in parallel as
  /// load needs them. No hidden cap: this is the cap. 0 is refused (errc::invalid_config).
  std::size_t pool_size = 64;
  /// Requests written back to back on one connection before its first reply
  /// (HTTP/1.1 pipelining). 1 = no pipelining, the default; 0 counts as 1.
  std::size_t pipeline_depth = 1;
  /// A pipelined connection with replies outstanding writes again only once
  /// this many of its pipeline_depth slots are free, so requests leave in
  /// batches: fewer writes (system calls, segments) for both ends, more
  /// waiting for the requests held back. 0 = half the depth, the default;
  /// pipeline_depth (or more) = only into an empty pipeline, as wrk's
  /// pipelining does: least CPU per request, most waiting (README: Transport).
  std::size_t pipeline_refill = 0;

  std::chrono::milliseconds connect_timeout{3000};    ///< TCP connect + TLS handshake
  std::chrono::milliseconds attempt_timeout{10000};   ///< one attempt, from submit to the full response
  std::chrono::milliseconds operation_timeout{0};     ///< all attempts and backoff together; 0 = no limit
  std::chrono::milliseconds pool_wait_timeout{5000};  ///< waiting for a connection to take the request
  std::chrono::milliseconds idle_timeout{50000};      ///< idle connections older than this are not reused

  /// Largest response body accepted (32 MiB); a larger one fails the operation
  /// with errc::body_too_large (not retried) and closes its connection.
  std::size_t max_response_bytes = 32 * 1024 * 1024;
  bool verify_crc32 = true;  ///< check x-amz-crc32 when the response has it

  /// When and how failed attempts are retried; retry_policy::no_retries() for one attempt each.
  retry_policy retry;

  /// Ask every operation for ReturnConsumedCapacity=INDEXES (requests that set
  /// it keep theirs) and keep running totals: client::capacity().
  bool track_capacity = false;
  /// Prices for capacity_report::estimated_usd (default: US East on-demand).
  capacity_pricing pricing;

  /// TLS: peer and host-name verification are always on unless this is false.
  bool verify_tls = true;
  /// Extra trusted CAs (PEM file; the system store is always loaded). Empty:
  /// AWS_CA_BUNDLE, else the profile's ca_bundle, as the AWS CLI and SDKs do.
  std::string ca_file;
  std::string ca_pem;   ///< extra trusted CAs (PEM text)

  /// The clock used to sign requests (inject for tests). Default: system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// The settings resolution takes from `cfg` (its region, endpoint, profile,
/// CA bundle, service, credentials or provider and the providers' timing).
settings_input settings_of(const client_config& cfg);
/// resolve_settings(settings_of(cfg)): what a client made with `cfg` would use.
resolved_settings resolve_settings(const client_config& cfg);


}  // namespace ddb
