// The item decoders of ddb::agent and ddb::cache: what they read back from
// tables other processes (or people) write. Any DynamoDB JSON item decodes or
// fails with an error naming the attribute, never throws, never overflows.
// The first byte picks: an idempotency/ledger record, a session-memory
// message (and its body, compressed or not), a checkpoint, a rate-limit
// bucket's tat, a mneme-layout cache entry (current and legacy TTL), a
// lean-layout cache entry.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/bucket.hpp"
#include "agent/checkpoint_layout.hpp"
#include "agent/memory_layout.hpp"
#include "agent/protocol.hpp"
#include "cache/dynamodb_common.hpp"
#include "ddb/core/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto it = ddb::json::parse_item(text);
  if (!it) return 0;
  try {
    switch (data[0] % 7) {
      case 0: (void)ddb::agent::detail::read_record(*it); break;
      case 1:
        if (auto m = ddb::agent::detail::read_message(*it); m && m->parts == 0)
          for (bool compressed : {false, true}) (void)ddb::agent::detail::decode_body(m->body, compressed, m->size);
        break;
      case 2: (void)ddb::agent::detail::read_checkpoint(*it, "thread", true); break;
      case 3: (void)ddb::agent::detail::tat_of(*it); break;
      case 4: (void)ddb::cache::detail::mneme_entry_from_item(*it, false); break;
      case 5: (void)ddb::cache::detail::mneme_entry_from_item(*it, true); break;
      default: (void)ddb::cache::detail::lean_entry_from_item(*it); break;
    }
  } catch (...) {
    __builtin_trap();  // a bad item must be an error of the operation, not an exception out of a handler
  }
  return 0;
}
