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

/// One stream, as ListStreams lists it.
struct stream {
  std::string stream_arn;  ///< the stream's ARN: what describe_stream() and get_shard_iterator() take
  std::string table_name;  ///< the table whose changes it carries
  std::string stream_label;  ///< the stream's creation time, e.g. "2026-12-06T20:31:07.123"
};
/// ListStreams: the streams of one table, or of the account and region.
struct list_streams_request {
  std::string table_name;  ///< empty: every stream of the account and region
  int limit = 0;           ///< 0: the service's default (100)
  /// The previous page's last_evaluated_stream_arn: list from after it; empty: from the first.
  std::string exclusive_start_stream_arn;
};
/// One page of ListStreams.
struct list_streams_response {
  std::vector<stream> streams;  ///< this page's streams
  std::string last_evaluated_stream_arn;  ///< empty: no more pages
  /// HTTP status, request id...; with as_tuple or callbacks, the failure's message.
  diagnostics diag;
};

/// One shard of a stream: a sequence of records, split into child shards over time.
struct shard {
  std::string shard_id;  ///< unique within the stream, e.g. "shardId-00000001700000000000-abcdef12"
  std::string parent_shard_id;            ///< empty for a shard without a parent in the stream
  std::string starting_sequence_number;  ///< the sequence number of the shard's first record
  std::string ending_sequence_number;     ///< empty while the shard is open
  /// True once the shard has an ending sequence number: it takes no new records.
  bool closed() const noexcept { return !ending_sequence_number.empty(); }
};
/// One attribute of the table's primary key.
struct key_element {
  std::string attribute_name;  ///< the key attribute's name
  std::string key_type;  ///< "HASH" or "RANGE"
};
/// A stream and one page of its shards (DescribeStream's StreamDescription).
struct description {
  std::string stream_arn;  ///< the stream's ARN
  std::string stream_label;  ///< the stream's creation time, e.g. "2026-12-06T20:31:07.123"
  std::string stream_status;     ///< ENABLING, ENABLED, DISABLING, DISABLED
  std::string stream_view_type;  ///< KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
  std::string table_name;  ///< the table whose changes the stream carries
  double creation_request_date_time = 0;  ///< epoch seconds
  std::vector<key_element> key_schema;  ///< the table's primary key
  std::vector<shard> shards;  ///< this page's shards
  std::string last_evaluated_shard_id;  ///< empty: every shard was listed
};
/// DescribeStream: a stream's status, key schema and one page of its shards.
struct describe_stream_request {
  std::string stream_arn;  ///< required: the stream to describe
  int limit = 0;  ///< shards per page; 0: the service's default (100)
  /// The previous page's last_evaluated_shard_id: list from after it; empty: from the first shard.
  std::string exclusive_start_shard_id;
};
/// DescribeStream's answer.
struct describe_stream_response {
  description stream_description;  ///< the stream and this page of its shards
  /// HTTP status, request id...; with as_tuple or callbacks, the failure's message.
  diagnostics diag;
};

/// Where a shard iterator starts reading (GetShardIterator's ShardIteratorType).
/// trim_horizon: at the oldest record still kept (24-hour retention); latest:
/// after the newest record (only records added from then on); at_ /
/// after_sequence_number: at or just after get_shard_iterator_request::sequence_number.
enum class iterator_type { trim_horizon, latest, at_sequence_number, after_sequence_number };
/// GetShardIterator: a position in one shard to read records from.
struct get_shard_iterator_request {
  std::string stream_arn;  ///< required: the stream of the shard
  std::string shard_id;  ///< required: the shard to read
  iterator_type type = iterator_type::trim_horizon;  ///< where to start
  std::string sequence_number;  ///< for at_ / after_sequence_number
};
/// GetShardIterator's answer.
struct get_shard_iterator_response {
  /// Pass to get_records(); AWS expires an iterator 15 minutes after it was issued.
  std::string shard_iterator;
  /// HTTP status, request id...; with as_tuple or callbacks, the failure's message.
  diagnostics diag;
};

/// One change to one item.
struct record {
  std::string event_id;  ///< unique id of this record
  std::string event_name;  ///< INSERT, MODIFY or REMOVE
  std::string event_version;  ///< version of the record format, e.g. "1.1"
  std::string event_source;  ///< "aws:dynamodb"
  std::string aws_region;  ///< the region of the table, e.g. "eu-west-1"
  std::string sequence_number;  ///< orders records within a shard
  std::uint64_t size_bytes = 0;  ///< size of the stream record (keys and images), in bytes
  std::string stream_view_type;  ///< KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
  double approximate_creation_date_time = 0;  ///< epoch seconds
  ddb::item keys;  ///< the changed item's primary key attributes
  std::optional<ddb::item> new_image;  ///< with NEW_IMAGE / NEW_AND_OLD_IMAGES, absent for REMOVE
  std::optional<ddb::item> old_image;  ///< with OLD_IMAGE / NEW_AND_OLD_IMAGES, absent for INSERT
  /// Set for deletions by TTL: principal "dynamodb.amazonaws.com", type "Service".
  std::string user_identity_principal_id;
  std::string user_identity_type;  ///< "Service" for a deletion by TTL; empty otherwise
};
/// GetRecords: the records of one shard from an iterator's position.
struct get_records_request {
  /// Required: from get_shard_iterator() or the previous next_shard_iterator.
  std::string shard_iterator;
  int limit = 0;  ///< up to 1000; 0: the service's default (1000)
};
/// GetRecords' answer.
struct get_records_response {
  std::vector<record> records;  ///< in sequence order; may be empty while the shard is open
  std::string next_shard_iterator;  ///< empty: the shard is closed and read to its end
  /// HTTP status, request id...; with as_tuple or callbacks, the failure's message.
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

/// The DynamoDB Streams client: ListStreams, DescribeStream, GetShardIterator
/// and GetRecords, one request each (retried by the client's rules: every one
/// only reads). Completion tokens as ddb::client's, with the signature
/// void(boost::system::error_code, Response); the default throws ddb::error.
/// Copies share one connection pool.
class client {
 public:
  using executor_type = boost::asio::any_io_executor;  ///< the executor operations run on
  using default_token = boost::asio::use_awaitable_t<>;  ///< asio::use_awaitable: failures throw ddb::error

  /// With a default client_config (region, endpoint and credentials from the
  /// environment and profile). Throws ddb::error as ddb::client's constructor does.
  explicit client(executor_type ex);
  /// cfg.service is set to service_api::streams (config_like() makes cfg from a
  /// DynamoDB client). Throws ddb::error as ddb::client's constructor does:
  /// naming the setting to fix when region, endpoint or credentials cannot be resolved.
  client(executor_type ex, client_config cfg);

  executor_type get_executor() const noexcept { return db_->get_executor(); }  ///< the executor given at construction
  const ddb::endpoint& endpoint() const noexcept { return db_->endpoint(); }  ///< the resolved Streams endpoint
  /// Profile, region, endpoint and credentials provider, with where each came from.
  const resolved_settings& settings() const noexcept { return db_->settings(); }
  /// Closes the connections: calls in flight and later ones fail with errc::client_closed.
  void close() { db_->close(); }

  /// One page of streams (ListStreams). Errors: errc::invalid_config (limit
  /// not 0 to 100), errc::invalid_utf8, the service's errors.
  template <class Token = default_token>
  auto list_streams(const list_streams_request& r, Token&& token = {}) {
    return run<list_streams_response>("ListStreams", detail::encode(r), std::forward<Token>(token));
  }
  /// The stream and one page of its shards (DescribeStream). Errors:
  /// errc::invalid_config (empty stream_arn, limit not 0 to 100),
  /// service_errc::resource_not_found, the service's other errors.
  template <class Token = default_token>
  auto describe_stream(const describe_stream_request& r, Token&& token = {}) {
    return run<describe_stream_response>("DescribeStream", detail::encode(r), std::forward<Token>(token));
  }
  /// An iterator into one shard (GetShardIterator). Errors: errc::invalid_config
  /// (empty ARN or shard id; a sequence number missing for at_ / after_, or given
  /// with another type), service_errc::trimmed_data_access (a position past the
  /// retention), service_errc::resource_not_found, the service's other errors.
  template <class Token = default_token>
  auto get_shard_iterator(const get_shard_iterator_request& r, Token&& token = {}) {
    return run<get_shard_iterator_response>("GetShardIterator", detail::encode(r), std::forward<Token>(token));
  }
  /// Up to r.limit records from the iterator's position, and the iterator to go
  /// on with (GetRecords). Errors: errc::invalid_config (empty iterator, limit
  /// not 0 to 1000), service_errc::expired_iterator (get a new iterator),
  /// service_errc::trimmed_data_access, the service's other errors.
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
