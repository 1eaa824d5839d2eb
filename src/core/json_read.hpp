#pragma once
// Reading DynamoDB JSON with simdjson's on-demand API (internal: simdjson
// types never reach a public header). Response decoders of the client build
// on these.
#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/json_path.hpp"
#include "ddb/core/value.hpp"

namespace ddb::json::detail {

// A reusable parser plus a padded copy of the input (simdjson reads up to
// SIMDJSON_PADDING bytes past the end). One per thread.
struct reader_state {
  simdjson::ondemand::parser parser;
  std::string buffer;
  simdjson::padded_string_view pad(std::string_view json);
  // In place when the string has the padding as spare capacity.
  simdjson::padded_string_view pad(const std::string& json);
};
reader_state& thread_reader();

// Maps a simdjson error to ours, naming the problem.
located from_simdjson(simdjson::error_code ec, std::string_view expected);

located read_value(simdjson::ondemand::value v, int depth, value& out);
// An object of name -> AttributeValue (an item, or the members of an M).
located read_item(simdjson::ondemand::object o, int depth, item& out);
located read_string(simdjson::ondemand::value v, std::string& out);

}  // namespace ddb::json::detail
