#pragma once
// The rule DynamoDB holds sets to: non-empty, distinct elements (numbers
// compared by value: "1" and "1.0" are one element). The writer refuses a
// set that breaks it, and the reader refuses to decode one, so whatever ddb
// reads it can write back.
#include "core/json_path.hpp"
#include "ddb/core/value.hpp"

namespace ddb::json::detail {

located check_set(const string_set& s);
located check_set(const number_set& s);
located check_set(const binary_set& s);

}  // namespace ddb::json::detail
