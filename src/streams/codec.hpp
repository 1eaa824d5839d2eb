#pragma once
// DynamoDB Streams bodies (pure code; src/streams/codec.cpp).
#include <optional>
#include <string>
#include <string_view>

#include "ddb/core/json.hpp"
#include "ddb/streams.hpp"

namespace ddb::streams::detail {

std::string_view iterator_type_name(iterator_type t) noexcept;
void write_double(json::writer& w, double d);

// Reads a response into `out`; the failure, if any, names what was wrong.
std::optional<failure> decode(const std::string& body, list_streams_response& out);
std::optional<failure> decode(const std::string& body, describe_stream_response& out);
std::optional<failure> decode(const std::string& body, get_shard_iterator_response& out);
std::optional<failure> decode(const std::string& body, get_records_response& out);

}  // namespace ddb::streams::detail
