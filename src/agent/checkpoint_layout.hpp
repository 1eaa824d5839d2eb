#pragma once
// Run checkpoints as items (pure: no client, no sockets): keys, the
// checkpoint's item and its parts, what save() refuses before writing, and
// a stored item read back. src/agent/checkpoint.cpp writes and reads them;
// test/unit/test_agent_checkpoints.cpp checks them alone.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/agent/checkpoint.hpp"
#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb::agent::detail {

inline constexpr std::size_t inline_payload = 16 * 1024;   // kept in the checkpoint's item up to this
inline constexpr std::size_t part_bytes = 380'000;         // one part item's share of a larger payload
inline constexpr std::size_t max_payload = 3'800'000;      // what one transaction carries beside the rest
inline constexpr std::size_t max_metadata = 16 * 1024;

std::string checkpoint_sk(std::int64_t id);                    // "cp#" + 19 digits
std::string part_sk(std::int64_t id, std::size_t part);       // "cpdata#" + 19 digits + "#" + 6 digits
std::string part_prefix(std::int64_t id);                      // "cpdata#" + 19 digits + "#"

// What save() refuses before writing anything (errors name the fix).
result<void> check_save(std::string_view thread, std::int64_t parent, std::string_view payload,
                        std::string_view metadata);

// The checkpoint's item: the payload inline when small, else its part count
// and hash. expires_at (epoch seconds) when not 0.
item checkpoint_item(const std::string& pk_value, std::int64_t id, std::int64_t parent, std::int64_t created_ms,
                     std::string_view payload, std::string_view metadata, std::int64_t expires_at);
// The part items of a large payload (none for an inline one).
std::vector<item> part_items(const std::string& pk_value, std::int64_t id, std::string_view payload,
                             std::int64_t expires_at);

// A stored checkpoint item read back (payload inline or not yet read; not
// looked for without with_payload: list()'s projection); errors name the
// attribute.
struct stored_checkpoint {
  checkpoint cp;
  std::int64_t parts = 0;  // the payload is in this many part items
  std::string hash;        // of the whole payload, when in parts
};
result<stored_checkpoint> read_checkpoint(const item& it, const std::string& thread, bool with_payload);

}  // namespace ddb::agent::detail
