#include "ddb/error.hpp"

#include <algorithm>
#include <iterator>

namespace ddb {
namespace {

class client_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ddb.client"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_json: return "malformed JSON";
      case errc::unexpected_json: return "JSON of an unexpected shape";
      case errc::invalid_attribute: return "invalid attribute value";
      case errc::wrong_value_type: return "attribute value of another type";
      case errc::invalid_number: return "invalid number";
      case errc::number_out_of_range: return "number out of range";
      case errc::number_too_precise: return "number has more than 38 significant digits";
      case errc::invalid_base64: return "invalid base64";
      case errc::invalid_utf8: return "invalid UTF-8";
      case errc::empty_set: return "empty set";
      case errc::duplicate_in_set: return "duplicate element in set";
      case errc::nesting_too_deep: return "nesting too deep";
      case errc::invalid_credentials: return "invalid credentials";
      case errc::invalid_header: return "invalid header";
      case errc::invalid_endpoint: return "invalid endpoint";
      case errc::invalid_config: return "invalid client configuration";
      case errc::connect_failed: return "could not connect to the endpoint";
      case errc::connection_closed: return "the connection closed before the response was complete";
      case errc::invalid_response: return "invalid HTTP response";
      case errc::crc32_mismatch: return "response body does not match its x-amz-crc32 checksum";
      case errc::body_too_large: return "response body larger than max_response_bytes";
      case errc::http_error: return "HTTP error status without a DynamoDB error body";
      case errc::pool_timeout: return "no connection became free within pool_wait_timeout";
      case errc::attempt_timeout: return "the attempt timed out";
      case errc::operation_timeout: return "the operation timed out";
      case errc::retry_quota_exhausted: return "the retry quota is exhausted";
      case errc::client_closed: return "the client was closed";
      case errc::item_too_large: return "item or key attribute over DynamoDB's size limit";
      case errc::duplicate_key: return "the same key twice in one batch or transaction";
      case errc::unprocessed: return "still unprocessed when the batch retry budget ran out";
      case errc::too_many_actions: return "over DynamoDB's count or size limit for one request";
      case errc::invalid_name: return "table or index name outside DynamoDB's rules";
      case errc::expression_too_long: return "expression over DynamoDB's length limits";
      case errc::credentials_unavailable: return "no credentials from the configured provider";
      case errc::credentials_expired: return "the credentials expired and could not be refreshed";
      case errc::embedder_failed: return "the embedder failed";
      case errc::dimension_mismatch: return "a vector of the wrong dimension";
      case errc::write_conflict: return "the write kept losing races with other writers";
      case errc::already_in_progress: return "another caller is running this idempotency key";
      case errc::payload_mismatch: return "the idempotency key was used with another payload";
      case errc::ownership_lost: return "the record or lease was taken over by another owner";
      case errc::recorded_failure: return "the first run of this key failed and the failure was recorded";
      case errc::result_too_large: return "the result is larger than one transaction can write (4 MB)";
      case errc::lease_busy: return "the lease is held by another holder";
      case errc::lease_lost: return "the lease was lost";
      case errc::function_failed: return "the function given to ddb::agent failed";
      case errc::version_conflict: return "the item's version changed since it was read";
      case errc::invalid_transition: return "a status change that is not allowed";
      case errc::checkpoint_conflict: return "another writer saved a checkpoint on the same parent first";
      case errc::invalid_cursor: return "the page cursor is damaged or belongs to another query";
      case errc::unexpected_exception: return "an unexpected exception";
    }
    return "unknown ddb client error";
  }
};

struct named_code {
  std::string_view type;
  service_errc code;
};

// Sorted by type name, for binary search.
constexpr named_code service_codes[] = {
    {"AccessDeniedException", service_errc::access_denied},
    {"BackupInUseException", service_errc::backup_in_use},
    {"BackupNotFoundException", service_errc::backup_not_found},
    {"ConditionalCheckFailedException", service_errc::conditional_check_failed},
    {"ContinuousBackupsUnavailableException", service_errc::continuous_backups_unavailable},
    {"DuplicateItemException", service_errc::duplicate_item},
    {"ExpiredIteratorException", service_errc::expired_iterator},
    {"ExpiredTokenException", service_errc::expired_token},
    {"ExportConflictException", service_errc::export_conflict},
    {"ExportNotFoundException", service_errc::export_not_found},
    {"GlobalTableAlreadyExistsException", service_errc::global_table_already_exists},
    {"GlobalTableNotFoundException", service_errc::global_table_not_found},
    {"IdempotentParameterMismatchException", service_errc::idempotent_parameter_mismatch},
    {"ImportConflictException", service_errc::import_conflict},
    {"ImportNotFoundException", service_errc::import_not_found},
    {"IncompleteSignatureException", service_errc::incomplete_signature},
    {"IndexNotFoundException", service_errc::index_not_found},
    {"InternalServerError", service_errc::internal_server_error},
    {"InvalidClientTokenId", service_errc::invalid_client_token_id},
    {"InvalidExportTimeException", service_errc::invalid_export_time},
    {"InvalidRestoreTimeException", service_errc::invalid_restore_time},
    {"InvalidSignatureException", service_errc::invalid_signature},
    {"ItemCollectionSizeLimitExceededException", service_errc::item_collection_size_limit_exceeded},
    {"LimitExceededException", service_errc::limit_exceeded},
    {"MissingAuthenticationTokenException", service_errc::missing_authentication_token},
    {"PointInTimeRecoveryUnavailableException", service_errc::point_in_time_recovery_unavailable},
    {"PolicyNotFoundException", service_errc::policy_not_found},
    {"ProvisionedThroughputExceededException", service_errc::provisioned_throughput_exceeded},
    {"ReplicaAlreadyExistsException", service_errc::replica_already_exists},
    {"ReplicaNotFoundException", service_errc::replica_not_found},
    {"ReplicatedWriteConflictException", service_errc::replicated_write_conflict},
    {"RequestExpired", service_errc::request_expired},
    {"RequestLimitExceeded", service_errc::request_limit_exceeded},
    {"ResourceInUseException", service_errc::resource_in_use},
    {"ResourceNotFoundException", service_errc::resource_not_found},
    {"SerializationException", service_errc::serialization},
    {"ServiceUnavailable", service_errc::service_unavailable},
    {"SignatureDoesNotMatch", service_errc::signature_does_not_match},
    {"TableAlreadyExistsException", service_errc::table_already_exists},
    {"TableInUseException", service_errc::table_in_use},
    {"TableNotFoundException", service_errc::table_not_found},
    {"ThrottlingException", service_errc::throttling},
    {"TransactionCanceledException", service_errc::transaction_canceled},
    {"TransactionConflictException", service_errc::transaction_conflict},
    {"TransactionInProgressException", service_errc::transaction_in_progress},
    {"TrimmedDataAccessException", service_errc::trimmed_data_access},
    {"UnknownOperationException", service_errc::unknown_operation},
    {"UnrecognizedClientException", service_errc::unrecognized_client},
    {"ValidationException", service_errc::validation},
};
static_assert(std::is_sorted(std::begin(service_codes), std::end(service_codes),
                             [](const named_code& a, const named_code& b) { return a.type < b.type; }),
              "service_codes must stay sorted by name (binary search)");

class service_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ddb.service"; }
  std::string message(int ev) const override {
    if (static_cast<service_errc>(ev) == service_errc::unknown) return "DynamoDB error of an unknown type";
    for (const named_code& n : service_codes)
      if (static_cast<int>(n.code) == ev) return std::string(n.type);
    return "unknown DynamoDB error";
  }
};

}  // namespace

const std::error_category& service_category() noexcept {
  static const service_category_impl instance;
  return instance;
}

std::error_code make_error_code(service_errc e) noexcept { return {static_cast<int>(e), service_category()}; }

service_errc service_errc_from_type(std::string_view type) noexcept {
  const auto* end = std::end(service_codes);
  const auto* it = std::lower_bound(std::begin(service_codes), end, type,
                                    [](const named_code& n, std::string_view t) { return n.type < t; });
  return it != end && it->type == type ? it->code : service_errc::unknown;
}

bool is_throttling(const std::error_code& ec) noexcept {
  return ec == service_errc::throttling || ec == service_errc::provisioned_throughput_exceeded ||
         ec == service_errc::request_limit_exceeded || ec == service_errc::transaction_in_progress ||
         ec == service_errc::limit_exceeded;
}

bool is_retryable(const std::error_code& ec) noexcept {
  if (is_throttling(ec)) return true;
  if (ec == service_errc::internal_server_error || ec == service_errc::service_unavailable) return true;
  return ec == errc::connect_failed || ec == errc::connection_closed || ec == errc::invalid_response ||
         ec == errc::crc32_mismatch || ec == errc::attempt_timeout;
}

const std::error_category& client_category() noexcept {
  static const client_category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), client_category()}; }

}  // namespace ddb
