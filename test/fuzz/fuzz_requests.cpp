// The CLI's request intake (`ddb get-item --cli-input-json ...`, `ddb bench
// transact-write-items`, every subcommand): any JSON decodes into the typed
// request or fails with an error, never throws; a decoded request encodes
// (or is refused with an error: values DynamoDB would refuse), and what it
// encodes to decodes and encodes to the same text, so what the CLI sends is
// what the user wrote. The first byte picks the operation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ddb/detail/operations.hpp"
#include "model/codec.hpp"

namespace {

template <class Request>
void check(const std::string& body) {
  auto r = ddb::detail::decode<Request>(body);
  if (!r) return;
  auto json = ddb::detail::encode(*r);
  if (!json) return;  // refused by the writer, with an error
  auto again = ddb::detail::decode<Request>(*json);
  if (!again) __builtin_trap();
  auto json2 = ddb::detail::encode(*again);
  if (!json2 || *json2 != *json) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  int which = data[0] % 27;
  try {
#define DDB_OPERATION(name, cli, fn) \
  if (which-- == 0) check<ddb::fn##_request>(body);
#include "model/generated/operations.inc"
#undef DDB_OPERATION
  } catch (...) {
    __builtin_trap();  // the CLI would die on a user's typo
  }
  return 0;
}
