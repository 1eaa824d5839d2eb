// Every typed response decoder of the client: any body decodes or fails with
// an error (never throws); a decoded response re-encodes, and that JSON
// decodes and re-encodes to the same text. The first byte picks the operation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/codec.hpp"

namespace {

template <class Response>
void check(const std::string& body) {
  auto r = ddb::detail::decode<Response>(body);
  if (!r) return;
  auto json = ddb::detail::encode_response(*r);
  if (!json) return;  // values the writer refuses are refused by the reader too (checked in fuzz_json_item)
  auto again = ddb::detail::decode<Response>(*json);
  if (!again) __builtin_trap();
  auto json2 = ddb::detail::encode_response(*again);
  if (!json2 || *json2 != *json) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  int which = data[0] % 27;
  try {
#define DDB_OPERATION(name, cli, fn) \
  if (which-- == 0) check<ddb::fn##_response>(body);
#include "model/generated/operations.inc"
#undef DDB_OPERATION
  } catch (...) {
    __builtin_trap();  // an exception would escape a completion handler
  }
  return 0;
}
