#pragma once
// ddb::streams: DynamoDB Streams, the change log of a table (README "Streams").
//
//   ddb::streams::client s(ex, cfg);   // cfg.endpoint: the Streams endpoint
//   const ddb::streams::list_streams_request ls{.table_name = "orders"};
//   auto streams = co_await s.list_streams(ls);
//   const ddb::streams::describe_stream_request ds{.stream_arn = streams.streams.at(0).stream_arn};
//   auto d = co_await s.describe_stream(ds);
//
// Streams is a service of its own (endpoint streams.dynamodb.<region>.
// amazonaws.com, X-Amz-Target prefix DynamoDBStreams_20120810, signed as
// "dynamodb"); the client speaks it with the DynamoDB client's transport,
// retry rules and credential chain (client_config::service is set to
// service_api::streams for you). Endpoint: client_config::endpoint, else
// AWS_ENDPOINT_URL_DYNAMODB_STREAMS, else AWS_ENDPOINT_URL, else the profile's
// endpoint_url, else the region's. DynamoDB Local serves Streams on its one
// endpoint: give the streams client the same URL.
//
// Operations take completion tokens like ddb::client's; failures are
// ddb::error with the diagnostics (expired iterators: service_errc::
// expired_iterator; positions past the 24-hour retention: trimmed_data_access).
// For following a whole stream, shard lineage and a saved position, use
// ddb::streams::consumer (ddb/streams/consumer.hpp).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/client.hpp"

namespace ddb::streams {

struct stream {
  std::string stream_arn;
  std::string table_name;
  std::string stream_label;  ///< the stream's creation time, e.g. "2026-12-06T20:31:07.123"
};
struct list_streams_request {
  std::string table_name;  ///< empty: every stream of the account and region
  int limit = 0;           ///< 0: the service's default (100)
  std::string exclusive_start_stream_arn;
};
struct list_streams_response {
  std::vector<stream> streams;
  std::string last_evaluated_stream_arn;  ///< empty: no more pages
  diagnostics diag;
};

struct shard {
  std::string shard_id;
  std::string parent_shard_id;            ///< empty for a shard without a parent in the stream
  std::string starting_sequence_number;
  std::string ending_sequence_number;     ///< empty while the shard is open
  bool closed() const noexcept { return !ending_sequence_number.empty(); }
};
struct key_element {
  std::string attribute_name;
  std::string key_type;  ///< "HASH" or "RANGE"
};
struct description {
  std::string stream_arn;
  std::string stream_label;
  std::string stream_status;     ///< ENABLING, ENABLED, DISABLING, DISABLED
  std::string stream_view_type;  ///< KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
  std::string table_name;
  double creation_request_date_time = 0;  ///< epoch seconds
  std::vector<key_element> key_schema;
  std::vector<shard> shards;
  std::string last_evaluated_shard_id;  ///< empty: every shard was listed
};
struct describe_stream_request {
  std::string stream_arn;
  int limit = 0;  ///< shards per page; 0: the service's default (100)
  std::string exclusive_start_shard_id;
};
struct describe_stream_response {
  description stream_description;
  diagnostics diag;
};

enum class iterator_type { trim_horizon, latest, at_sequence_number, after_sequence_number };
struct get_shard_iterator_request {
  std::string stream_arn;
  std::string shard_id;
  iterator_type type = iterator_type::trim_horizon;
  std::string sequence_number;  ///< for at_ / after_sequence_number
};
struct get_shard_iterator_response {
  std::string shard_iterator;
  diagnostics diag;
};

/// One change to one item.
struct record {
  std::string event_id;
  std::string event_name;  ///< INSERT, MODIFY or REMOVE
  std::string event_version;
  std::string event_source;  ///< "aws:dynamodb"
  std::string aws_region;
  std::string sequence_number;  ///< orders records within a shard
  std::uint64_t size_bytes = 0;
  std::string stream_view_type;
  double approximate_creation_date_time = 0;  ///< epoch seconds
  ddb::item keys;
  std::optional<ddb::item> new_image;  ///< with NEW_IMAGE / NEW_AND_OLD_IMAGES, absent for REMOVE
  std::optional<ddb::item> old_image;  ///< with OLD_IMAGE / NEW_AND_OLD_IMAGES, absent for INSERT
  /// Set for deletions by TTL: principal "dynamodb.amazonaws.com", type "Service".
  std::string user_identity_principal_id;
  std::string user_identity_type;
};
struct get_records_request {
  std::string shard_iterator;
  int limit = 0;  ///< up to 1000; 0: the service's default (1000)
};
struct get_records_response {
  std::vector<record> records;
  std::string next_shard_iterator;  ///< empty: the shard is closed and read to its end
  diagnostics diag;
};

/// One record as one line of JSON (what `ddb streams tail` prints):
/// {"eventName":"MODIFY","sequenceNumber":"...","keys":{...},"newImage":{...},"oldImage":{...},...},
/// images as DynamoDB JSON. Throws ddb::error only for invalid UTF-8 in the record.
std::string to_json_line(const record& r, std::string_view shard_id = {});

/// A configuration for the Streams client of the same account as `db`: its
/// region, and (unless base.endpoint or AWS_ENDPOINT_URL_DYNAMODB_STREAMS
/// says otherwise) its endpoint when that is not an AWS one: DynamoDB Local
/// and other emulators serve Streams on their one endpoint; AWS's own
/// DynamoDB endpoints do not, and Streams then resolves the usual way.
client_config config_like(const ddb::client& db, client_config base = {});

namespace detail {
template <class Response>
void start(ddb::client& db, const char* operation, result<std::string> body, ddb::detail::handler_t<Response> handler);
result<std::string> encode(const list_streams_request& r);
result<std::string> encode(const describe_stream_request& r);
result<std::string> encode(const get_shard_iterator_request& r);
result<std::string> encode(const get_records_request& r);
}  // namespace detail

class client {
 public:
  using executor_type = boost::asio::any_io_executor;
  using default_token = boost::asio::use_awaitable_t<>;

  /// cfg.service is set to service_api::streams. Throws ddb::error as
  /// ddb::client's constructor does.
  explicit client(executor_type ex);
  client(executor_type ex, client_config cfg);

  executor_type get_executor() const noexcept { return db_->get_executor(); }
  const ddb::endpoint& endpoint() const noexcept { return db_->endpoint(); }
  const resolved_settings& settings() const noexcept { return db_->settings(); }
  void close() { db_->close(); }

  template <class Token = default_token>
  auto list_streams(const list_streams_request& r, Token&& token = {}) {
    return run<list_streams_response>("ListStreams", detail::encode(r), std::forward<Token>(token));
  }
  template <class Token = default_token>
  auto describe_stream(const describe_stream_request& r, Token&& token = {}) {
    return run<describe_stream_response>("DescribeStream", detail::encode(r), std::forward<Token>(token));
  }
  template <class Token = default_token>
  auto get_shard_iterator(const get_shard_iterator_request& r, Token&& token = {}) {
    return run<get_shard_iterator_response>("GetShardIterator", detail::encode(r), std::forward<Token>(token));
  }
  template <class Token = default_token>
  auto get_records(const get_records_request& r, Token&& token = {}) {
    return run<get_records_response>("GetRecords", detail::encode(r), std::forward<Token>(token));
  }

 private:
  template <class Response, class Token>
  auto run(const char* operation, result<std::string> body, Token&& token) {
    return ddb::detail::async_op<Response>(
        db_->get_executor(), std::forward<Token>(token),
        [db = db_, operation, b = std::move(body)](auto handler) mutable {
          detail::start<Response>(*db, operation, std::move(b), ddb::detail::handler_t<Response>(std::move(handler)));
        });
  }

  std::shared_ptr<ddb::client> db_;  ///< shared with operations in flight
};

}  // namespace ddb::streams
