// The DynamoDB Streams response decoders (src/streams/codec.cpp): any body
// decodes or fails with an error, never throws; every decoded record prints
// as a JSON line (`ddb streams tail`) without throwing anything but ddb::error.
// The first byte picks the operation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "streams/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        ddb::streams::get_records_response r;
        if (ddb::streams::detail::decode(body, r)) break;
        for (const auto& rec : r.records) {
          try {
            (void)ddb::streams::to_json_line(rec, "shard");
          } catch (const ddb::error&) {
          }
        }
        break;
      }
      case 1: {
        ddb::streams::describe_stream_response r;
        (void)ddb::streams::detail::decode(body, r);
        break;
      }
      case 2: {
        ddb::streams::list_streams_response r;
        (void)ddb::streams::detail::decode(body, r);
        break;
      }
      default: {
        ddb::streams::get_shard_iterator_response r;
        (void)ddb::streams::detail::decode(body, r);
        break;
      }
    }
  } catch (...) {
    __builtin_trap();  // an exception would escape a completion handler
  }
  return 0;
}
