#pragma once
// Errors of ddb: two enums, each with its own std::error_category:
//   errc          failures on the client's side (codec, signing, transport)
//   service_errc  DynamoDB's own errors, mapped from the response's __type
// Both also work as boost::system::error_code (what Asio completes with), and
// compare equal to their enumerators either way. result<T> carries a code
// plus a message naming the problem and its fix.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace ddb {

/// Failures found on the client's side, in client_category() ("ddb.client"):
/// values and the JSON codec, signing, configuration, transport, time and
/// capacity limits, credentials, the semantic cache, agent state and
/// pagination. Converts to std::error_code and boost::system::error_code;
/// is_retryable() tells which ones the client retries.
enum class errc {
  // Values and the JSON codec.
  invalid_json = 1,      ///< malformed or truncated JSON
  unexpected_json,       ///< well-formed JSON of the wrong shape or type
  invalid_attribute,     ///< an attribute value with no type, two types or an unknown type
  wrong_value_type,      ///< value::as_xxx() on a value of another type
  invalid_number,        ///< not a decimal number
  number_out_of_range,   ///< outside DynamoDB's range or the target type's
  number_too_precise,    ///< more than 38 significant digits
  /// a binary (B/BS) value that is not padded base64
  invalid_base64,
  /// a string (in a request, a response or a prompt) that is not valid UTF-8
  invalid_utf8,
  empty_set,             ///< SS/NS/BS with no element (DynamoDB rejects them)
  /// the same element twice in an SS/NS/BS
  duplicate_in_set,
  nesting_too_deep,      ///< more than max_nesting_depth levels
  // Signing and request building.
  /// keys that cannot sign (missing, bad characters), or a credential source set up wrong or not found
  invalid_credentials,
  invalid_header,        ///< a header name or value that would break the request
  // Configuration.
  invalid_endpoint,      ///< an endpoint URL that cannot be used
  /// a setting or option that cannot be used (client_config, the AWS shared files, a helper's options)
  invalid_config,
  // Transport: a retryable failure unless said otherwise.
  connect_failed,        ///< DNS, TCP or TLS set-up failed
  connection_closed,     ///< the server closed or reset the connection before answering
  invalid_response,      ///< not a valid HTTP/1.1 response
  crc32_mismatch,        ///< x-amz-crc32 does not match the body
  body_too_large,        ///< response body over client_config::max_response_bytes (not retried)
  http_error,            ///< an HTTP error status without a DynamoDB error body
  // Time and capacity (not retried).
  pool_timeout,          ///< no connection became free within pool_wait_timeout
  attempt_timeout,       ///< one attempt took longer than attempt_timeout (retried)
  operation_timeout,     ///< the whole operation took longer than operation_timeout
  /// reported in retry_decision::stop_reason only: the operation then fails with its last attempt's error
  retry_quota_exhausted, ///< the client's retry token bucket is empty
  client_closed,         ///< the client was closed or destroyed with the operation pending
  item_too_large,        ///< an item over DynamoDB's 400 KB, or a key attribute over its limit
  duplicate_key,         ///< the same key twice where DynamoDB refuses it (a batch, a transaction)
  unprocessed,           ///< a batch item still unprocessed when the retry budget ran out
  too_many_actions,      ///< over 25 batch writes / 100 batch keys / 100 transaction actions, or 4 MB
  invalid_name,          ///< a table or index name outside DynamoDB's rules
  expression_too_long,   ///< an expression over 4 KB, or too many placeholders
  // Credentials (the message names the provider and the fix).
  credentials_unavailable,  ///< a configured provider could not supply credentials
  credentials_expired,      ///< the credentials expired and could not be refreshed
  // The semantic cache.
  embedder_failed,          ///< the embedder could not embed the text
  dimension_mismatch,       ///< a vector whose length is not the embedder's / store's
  write_conflict,           ///< a conditional write kept losing to other writers
  // Agent state (ddb::agent).
  already_in_progress,      ///< another caller holds the idempotency key and has not finished
  payload_mismatch,         ///< the idempotency key was first used with another request payload
  ownership_lost,           ///< our record or lease was taken over (its window passed): our write was refused
  recorded_failure,         ///< the key's first run failed and the failure was recorded: it is not run again
  result_too_large,         ///< a result over what one transaction can write (4 MB)
  lease_busy,               ///< the lease is held by another holder and did not come free in time
  lease_lost,               ///< a held lease could not be renewed before its deadline, or was taken over
  function_failed,          ///< the function given to ddb::agent threw something other than a system_error
  version_conflict,         ///< an optimistic update lost: the item's version moved since it was read
  invalid_transition,       ///< a run status change the ledger does not allow (out of a final status)
  checkpoint_conflict,      ///< the parent checkpoint has a child already: another writer saved first (a fork refused)
  // Pagination.
  invalid_cursor,           ///< a page cursor that is damaged, or belongs to another query
  unexpected_exception,     ///< an exception that is not a system_error left a ddb operation (e.g. std::bad_alloc)
};

/// DynamoDB's errors: every error shape of the service model plus the errors
/// of the AWS JSON protocol that any service returns.
enum class service_errc {
  unknown = 1,  ///< a __type this version of ddb does not know; the diagnostics hold its name
  access_denied,                               ///< AccessDeniedException
  backup_in_use,                               ///< BackupInUseException
  backup_not_found,                            ///< BackupNotFoundException
  conditional_check_failed,                    ///< ConditionalCheckFailedException
  continuous_backups_unavailable,              ///< ContinuousBackupsUnavailableException
  duplicate_item,                              ///< DuplicateItemException
  expired_token,                               ///< ExpiredTokenException
  export_conflict,                             ///< ExportConflictException
  export_not_found,                            ///< ExportNotFoundException
  global_table_already_exists,                 ///< GlobalTableAlreadyExistsException
  global_table_not_found,                      ///< GlobalTableNotFoundException
  idempotent_parameter_mismatch,               ///< IdempotentParameterMismatchException
  import_conflict,                             ///< ImportConflictException
  import_not_found,                            ///< ImportNotFoundException
  incomplete_signature,                        ///< IncompleteSignatureException
  index_not_found,                             ///< IndexNotFoundException
  internal_server_error,                       ///< InternalServerError
  invalid_client_token_id,                     ///< InvalidClientTokenId
  invalid_export_time,                         ///< InvalidExportTimeException
  invalid_restore_time,                        ///< InvalidRestoreTimeException
  invalid_signature,                           ///< InvalidSignatureException
  item_collection_size_limit_exceeded,         ///< ItemCollectionSizeLimitExceededException
  limit_exceeded,                              ///< LimitExceededException
  missing_authentication_token,                ///< MissingAuthenticationTokenException
  point_in_time_recovery_unavailable,          ///< PointInTimeRecoveryUnavailableException
  policy_not_found,                            ///< PolicyNotFoundException
  provisioned_throughput_exceeded,             ///< ProvisionedThroughputExceededException
  replica_already_exists,                      ///< ReplicaAlreadyExistsException
  replica_not_found,                           ///< ReplicaNotFoundException
  replicated_write_conflict,                   ///< ReplicatedWriteConflictException
  request_expired,                             ///< RequestExpired
  request_limit_exceeded,                      ///< RequestLimitExceeded
  resource_in_use,                             ///< ResourceInUseException
  resource_not_found,                          ///< ResourceNotFoundException
  serialization,                               ///< SerializationException
  service_unavailable,                         ///< ServiceUnavailable
  signature_does_not_match,                    ///< SignatureDoesNotMatch
  table_already_exists,                        ///< TableAlreadyExistsException
  table_in_use,                                ///< TableInUseException
  table_not_found,                             ///< TableNotFoundException
  throttling,                                  ///< ThrottlingException
  transaction_canceled,                        ///< TransactionCanceledException
  transaction_conflict,                        ///< TransactionConflictException
  transaction_in_progress,                     ///< TransactionInProgressException
  unknown_operation,                           ///< UnknownOperationException
  unrecognized_client,                         ///< UnrecognizedClientException
  validation,                                  ///< ValidationException
  // DynamoDB Streams (ddb::streams):
  expired_iterator,                            ///< ExpiredIteratorException: a shard iterator older than 15 minutes
  trimmed_data_access,                         ///< TrimmedDataAccessException: records past the 24-hour retention
};

/// The category of service_errc codes ("ddb.service"); a code's message is its __type name.
const std::error_category& service_category() noexcept;
/// Makes service_errc usable as std::error_code (found by argument-dependent lookup).
std::error_code make_error_code(service_errc e) noexcept;
/// Maps a __type name to its code: "ConditionalCheckFailedException" gives
/// service_errc::conditional_check_failed, a name it does not know gives unknown.
service_errc service_errc_from_type(std::string_view type) noexcept;

/// Throttling: ThrottlingException, ProvisionedThroughputExceededException,
/// RequestLimitExceeded, TransactionInProgressException, LimitExceededException.
bool is_throttling(const std::error_code& ec) noexcept;
/// Whether the default retry rules retry this code: throttling (is_throttling()),
/// InternalServerError, ServiceUnavailable, the transport failures connect_failed,
/// connection_closed and invalid_response, crc32_mismatch and attempt_timeout.
/// (errc::http_error is false here: classify() retries it by status, 500, 502, 503 and 504.)
bool is_retryable(const std::error_code& ec) noexcept;

/// The category of errc codes ("ddb.client").
const std::error_category& client_category() noexcept;
/// Makes errc usable as std::error_code (found by argument-dependent lookup).
std::error_code make_error_code(errc e) noexcept;

/// What went wrong, for humans: the code for programs, the message for people.
struct failure {
  /// What kind of failure: an errc, a service_errc, or another category's code
  /// (e.g. Asio's operation_aborted after a cancellation).
  std::error_code code;
  /// What happened, naming the value, setting or file at fault and, where known, the fix.
  std::string message;
};

struct diagnostics;  ///< ddb/diagnostics.hpp

/// Thrown by the throwing conveniences (value::as_string(), result::value())
/// and by operations awaited with the default token; for those, diag() holds
/// the operation's diagnostics (HTTP status, service message, request id...).
class error : public std::system_error {
 public:
  /// An error with the failure's code and message and no diagnostics (diag() is null).
  explicit error(failure f) : std::system_error(f.code, f.message), failure_(std::move(f)) {}
  /// An error with the failure's code and message and an operation's diagnostics.
  error(failure f, std::shared_ptr<const diagnostics> d)
      : std::system_error(f.code, f.message), failure_(std::move(f)), diag_(std::move(d)) {}
  /// The code and message it was made from.
  const failure& details() const noexcept { return failure_; }
  /// The operation's diagnostics; null when thrown without them (e.g. by result::value()).
  const diagnostics* diag() const noexcept { return diag_.get(); }
  /// The message alone (std::system_error would append the code's message again).
  const char* what() const noexcept override { return failure_.message.c_str(); }

 private:
  failure failure_;
  std::shared_ptr<const diagnostics> diag_;
};

/// Makes a failure from a client-side code and a message: `return fail(errc::invalid_config, "...");`.
inline failure fail(errc code, std::string message) { return failure{make_error_code(code), std::move(message)}; }

/// Either a T or a failure. Deliberately small: C++20 has no std::expected.
template <class T>
class [[nodiscard]] result {
 public:
  /// A success holding `v` (implicit, so a function can return its value).
  result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  /// A failure (implicit, so a function can return fail(...)).
  result(failure f) : v_(std::in_place_index<1>, std::move(f)) {}

  /// True when it holds a value, false when it holds a failure.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws ddb::error (the failure's code and message) when it holds a failure.
  T& value() & { check(); return std::get<0>(v_); }
  /// The value; throws ddb::error when it holds a failure.
  const T& value() const& { check(); return std::get<0>(v_); }
  /// The value, moved out; throws ddb::error when it holds a failure.
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  /// Same as value(): throws ddb::error on a failure (unlike std::optional).
  T& operator*() & { return value(); }
  /// Same as value(): throws ddb::error on a failure.
  const T& operator*() const& { return value(); }
  /// The value's address; throws ddb::error on a failure.
  T* operator->() { return &value(); }
  /// The value's address; throws ddb::error on a failure.
  const T* operator->() const { return &value(); }

  /// The failure. Precondition: !has_value() (else std::bad_variant_access).
  const failure& error() const& { return std::get<1>(v_); }
  /// The failure, moved out. Precondition: !has_value() (else std::bad_variant_access).
  failure&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (v_.index() != 0) throw ddb::error(std::get<1>(v_));
  }
  std::variant<T, failure> v_;
};

/// result<void>: success or a failure.
template <>
class [[nodiscard]] result<void> {
 public:
  /// Success.
  result() = default;
  /// A failure (implicit, so a function can return fail(...)).
  result(failure f) : f_(std::move(f)), ok_(false) {}
  /// True on success.
  bool has_value() const noexcept { return ok_; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return ok_; }
  /// Does nothing on success; throws ddb::error (the failure's code and message) on a failure.
  void value() const {
    if (!ok_) throw ddb::error(f_);
  }
  /// The failure; an empty code and message on success.
  const failure& error() const& { return f_; }
  /// The failure, moved out; an empty code and message on success.
  failure&& error() && { return std::move(f_); }

 private:
  failure f_;
  bool ok_ = true;
};

}  // namespace ddb

/// \cond
template <>
struct std::is_error_code_enum<ddb::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<ddb::service_errc> : std::true_type {};
/// \endcond

// The same codes as boost::system::error_code, which Asio completes with.
namespace boost::system {
template <class T>
struct is_error_code_enum;
/// Lets ddb::errc convert to boost::system::error_code (and compare with one).
template <>
struct is_error_code_enum<ddb::errc> {
  /// Always true.
  static constexpr bool value = true;
};
/// Lets ddb::service_errc convert to boost::system::error_code (and compare with one).
template <>
struct is_error_code_enum<ddb::service_errc> {
  /// Always true.
  static constexpr bool value = true;
};
}  // namespace boost::system
