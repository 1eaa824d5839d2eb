#pragma once
// Session memory as items (pure: no client, no sockets): keys, what an
// append refuses, contents compressed and split, items read back.
// src/agent/memory.cpp writes and reads them; test/unit/test_agent_memory.cpp
// checks them alone.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/agent/memory.hpp"
#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb::agent::detail {

inline constexpr std::size_t max_body = 350'000;          // content kept in the message's own item up to this
inline constexpr std::size_t max_message = 3'800'000;     // what one transaction carries (after compression)
inline constexpr std::size_t max_page_bytes = 16'000'000;  // last() stops a page here (then `next`)
inline constexpr std::size_t max_conversation_id = 256;
inline constexpr std::size_t max_role = 64;
inline constexpr std::size_t max_run_id = 1024;
inline constexpr const char* run_index = "ddb_run_id";    // the sparse index on run_id (KEYS_ONLY)

result<void> check_conversation(std::string_view conversation);
result<void> check_message(std::string_view role, std::string_view content, std::string_view run_id);
// first_id..last_id of summarize(): both the conversation's, in order.
result<void> check_range(std::string_view conversation, std::string_view first_id, std::string_view last_id);

std::string message_sk(std::string_view conversation, std::int64_t at_ms, std::string_view suffix);
std::string conversation_sk(std::string_view conversation);   // "#conv#" + id
std::string message_prefix(std::string_view conversation);    // conversation + "#"
std::string part_sk(std::string_view message_sk, std::size_t i);
std::string part_prefix(std::string_view message_sk);
// Where a summary of messages ending at last_id sorts: right after it, before
// anything newer.
std::string summary_sk(std::string_view last_id);

// The content as stored: zlib-compressed when longer than compress_above
// (not 0) and smaller that way.
struct stored_body {
  std::string data;
  bool compressed = false;
};
stored_body encode_body(std::string_view content, std::size_t compress_above);
// Back to the content; `size` is the original length recorded with it.
result<std::string> decode_body(std::string_view data, bool compressed, std::size_t size);

// The message's item (the body in it, or `parts` when split) and its part items.
item message_item(const std::string& pk_value, const std::string& sk_value, std::string_view role,
                  const stored_body& body, std::size_t size, std::string_view run_id, std::int64_t at_ms,
                  std::int64_t expires_at);
std::vector<item> message_parts(const std::string& pk_value, const std::string& sk_value, const stored_body& body,
                                std::int64_t expires_at);

struct stored_message {
  message m;
  std::string body;        // as stored (compressed or not), when in the item
  std::size_t size = 0;    // the content's length
  std::int64_t parts = 0;  // the body is in this many part items
};
result<stored_message> read_message(const item& it);

}  // namespace ddb::agent::detail
