// The DynamoDB JSON reader and writer: an item that parses must print, and
// the printed JSON must parse to an equal item (the reader accepts nothing
// the writer refuses); nothing may crash or throw out. The same input as
// plain JSON: a value that parses prints, and reads back equal.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ddb/core/json.hpp"

namespace {
void plain_round_trip(const std::string& json) {
  auto v = ddb::json::parse_plain_value(json);
  if (!v) return;
  std::string printed;
  try {
    printed = ddb::json::to_plain_json(*v);
  } catch (const ddb::error&) {
    __builtin_trap();
  }
  auto again = ddb::json::parse_plain_value(printed);
  if (!again || !(*again == *v)) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  plain_round_trip(json);
  auto it = ddb::json::parse_item(json);
  if (!it) return 0;
  std::string printed;
  try {
    printed = ddb::json::to_json(*it);
  } catch (const ddb::error&) {
    __builtin_trap();  // read but cannot be written back
  }
  auto again = ddb::json::parse_item(printed);
  if (!again || !(*again == *it)) __builtin_trap();
  if (ddb::json::to_json(*again) != printed) __builtin_trap();
  return 0;
}
