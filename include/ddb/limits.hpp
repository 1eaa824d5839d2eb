#pragma once
// DynamoDB's limits that a client can check before sending, as pure
// functions: each failure names the limit and what to do.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb::limits {

/// Largest item, names and values as item_size() counts them (400 KB).
inline constexpr std::size_t max_item_bytes = 400 * 1024;
/// Largest partition key value, in bytes.
inline constexpr std::size_t max_partition_key_bytes = 2048;
/// Largest sort key value, in bytes.
inline constexpr std::size_t max_sort_key_bytes = 1024;
/// Most puts and deletes in one BatchWriteItem call.
inline constexpr std::size_t max_batch_write_requests = 25;
/// Most keys in one BatchGetItem call.
inline constexpr std::size_t max_batch_get_keys = 100;
/// Largest BatchWriteItem request (16 MB).
inline constexpr std::size_t max_batch_request_bytes = 16 * 1024 * 1024;
/// Most actions in one transaction.
inline constexpr std::size_t max_transaction_actions = 100;
/// Largest transaction (4 MB).
inline constexpr std::size_t max_transaction_bytes = 4 * 1024 * 1024;
/// Longest expression, in bytes (4 KB).
inline constexpr std::size_t max_expression_bytes = 4096;
/// Longest attribute name, in bytes.
inline constexpr std::size_t max_attribute_name_bytes = 65535;

/// The size DynamoDB charges for a value / an item: names and values in
/// UTF-8 bytes, numbers about one byte per two digits plus one, one byte per
/// boolean or null, three bytes per map or list plus one per element.
std::size_t value_size(const value& v) noexcept;
/// The size DynamoDB charges for an item: each name's bytes plus value_size() of its value.
std::size_t item_size(const item& it) noexcept;

/// A key as canonical text: the attributes named (all of them when `names`
/// is empty) in name order, values as DynamoDB JSON, absent ones as null.
/// Equal keys give equal text whatever the attribute order. Throws
/// ddb::error when a value cannot be written (invalid UTF-8, a bad set, ...).
std::string key_text(const item& it, std::vector<std::string> names = {});

/// 3 to 255 characters of a-z A-Z 0-9 _ - . (else errc::invalid_name).
result<void> check_table_name(std::string_view name);
/// The same rule for an index name: 3 to 255 characters of a-z A-Z 0-9 _ - . (else errc::invalid_name).
result<void> check_index_name(std::string_view name);
/// The item is at most 400 KB, as item_size() counts (else errc::item_too_large).
/// `what` names it in the message ("item 3 of table T").
result<void> check_item(const item& it, std::string_view what);

}  // namespace ddb::limits
