// Session memory as items (src/agent/memory_layout.hpp): pure functions.
#include "agent/memory_layout.hpp"

#include <zlib.h>

#include "agent/protocol.hpp"
#include "ddb/core/json.hpp"

namespace ddb::agent::detail {

result<void> check_conversation(std::string_view conversation) {
  if (conversation.empty()) return fail(errc::invalid_config, "the conversation id is empty; give it a non-empty string");
  if (conversation.size() > max_conversation_id)
    return fail(errc::invalid_config, "the conversation id has " + std::to_string(conversation.size()) +
                                          " bytes; at most " + std::to_string(max_conversation_id));
  if (conversation.find('#') != std::string_view::npos)
    return fail(errc::invalid_config, "the conversation id '" + std::string(conversation) +
                                          "' contains '#', which separates the parts of a message's key; use "
                                          "another character");
  if (!json::valid_utf8(conversation)) return fail(errc::invalid_config, "the conversation id is not valid UTF-8");
  return {};
}

result<void> check_message(std::string_view role, std::string_view content, std::string_view run_id) {
  if (role.empty() || role.size() > max_role)
    return fail(errc::invalid_config, "a message's role must be 1 to 64 bytes (\"user\", \"assistant\", \"tool\"...)");
  if (!json::valid_utf8(role) || !json::valid_utf8(content) || !json::valid_utf8(run_id))
    return fail(errc::invalid_config, "a message's role, content and run id must be valid UTF-8");
  if (run_id.size() > max_run_id)
    return fail(errc::invalid_config, "the run id has " + std::to_string(run_id.size()) + " bytes; at most " +
                                          std::to_string(max_run_id));
  return {};
}

result<void> check_range(std::string_view conversation, std::string_view first_id, std::string_view last_id) {
  const std::string prefix = message_prefix(conversation);
  if (first_id.rfind(prefix, 0) != 0 || last_id.rfind(prefix, 0) != 0)
    return fail(errc::invalid_config, "summarize takes two message ids of conversation '" + std::string(conversation) +
                                          "' (message::id)");
  if (first_id > last_id)
    return fail(errc::invalid_config, "summarize's first id is newer than its last; give the older one first");
  return {};
}

std::string message_prefix(std::string_view conversation) { return std::string(conversation) + "#"; }
std::string message_sk(std::string_view conversation, std::int64_t at_ms, std::string_view suffix) {
  return message_prefix(conversation) + padded(at_ms, 13) + "#" + std::string(suffix);
}
std::string conversation_sk(std::string_view conversation) { return "#conv#" + std::string(conversation); }
std::string part_prefix(std::string_view message_sk) { return "#part#" + std::string(message_sk) + "#"; }
std::string part_sk(std::string_view message_sk, std::size_t i) {
  return part_prefix(message_sk) + padded(static_cast<std::int64_t>(i), 4);
}
std::string summary_sk(std::string_view last_id) { return std::string(last_id) + "/s"; }

stored_body encode_body(std::string_view content, std::size_t compress_above) {
  stored_body out{std::string(content), false};
  if (compress_above == 0 || content.size() <= compress_above) return out;
  uLongf n = compressBound(static_cast<uLong>(content.size()));
  std::string z(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(content.data()),
                static_cast<uLong>(content.size()), Z_DEFAULT_COMPRESSION) != Z_OK ||
      n >= content.size())
    return out;  // not smaller: kept as it is
  z.resize(n);
  return {std::move(z), true};
}

result<std::string> decode_body(std::string_view data, bool compressed, std::size_t size) {
  if (!compressed) {
    if (data.size() != size) return fail(errc::unexpected_json, "a message's content does not have its recorded size");
    return std::string(data);
  }
  if (size > max_message * 64)
    return fail(errc::unexpected_json, "a compressed message records a size of " + std::to_string(size) + " bytes");
  std::string out(size, '\0');
  uLongf n = static_cast<uLongf>(size);
  if (uncompress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(data.data()),
                 static_cast<uLong>(data.size())) != Z_OK ||
      n != size)
    return fail(errc::unexpected_json, "a compressed message does not decompress to its recorded size");
  return out;
}

item message_item(const std::string& pk_value, const std::string& sk_value, std::string_view role,
                  const stored_body& body, std::size_t size, std::string_view run_id, std::int64_t at_ms,
                  std::int64_t expires_at) {
  item it{{pk, pk_value}, {sk, sk_value}, {"role", std::string(role)}, {"at_ms", at_ms},
          {"size", static_cast<std::int64_t>(size)}};
  if (body.data.size() <= max_body) {
    if (body.compressed)
      it.insert_or_assign("body", bytes(body.data.begin(), body.data.end()));
    else
      it.insert_or_assign("content", body.data);
  } else {
    it.insert_or_assign("parts", static_cast<std::int64_t>((body.data.size() + max_body - 1) / max_body));
  }
  if (body.compressed) it.insert_or_assign("z", 1);
  if (!run_id.empty()) it.insert_or_assign("run_id", std::string(run_id));
  if (expires_at != 0) it.insert_or_assign(ttl_attribute, expires_at);
  return it;
}

std::vector<item> message_parts(const std::string& pk_value, const std::string& sk_value, const stored_body& body,
                                std::int64_t expires_at) {
  std::vector<item> out;
  if (body.data.size() <= max_body) return out;
  const std::string_view data = body.data;
  for (std::size_t i = 0, at = 0; at < data.size(); ++i, at += max_body) {
    const std::string_view piece = data.substr(at, max_body);
    item it{{pk, pk_value}, {sk, part_sk(sk_value, i)}, {"data", bytes(piece.begin(), piece.end())}};
    if (expires_at != 0) it.insert_or_assign(ttl_attribute, expires_at);
    out.push_back(std::move(it));
  }
  return out;
}

result<stored_message> read_message(const item& it) {
  stored_message s;
  const std::string* key = string_at(it, sk);
  const std::string* role = string_at(it, "role");
  if (!key || !role) return fail(errc::unexpected_json, "a memory item has no sort key or no 'role'");
  s.m.id = *key;
  s.m.conversation = key->substr(0, key->find('#'));
  s.m.role = *role;
  auto at = integer_at(it, "at_ms");
  if (!at) return at.error();
  s.m.at_ms = *at;
  auto size = integer_at(it, "size");
  if (!size || *size < 0) return fail(errc::unexpected_json, "a memory item has no valid 'size'");
  s.size = static_cast<std::size_t>(*size);
  if (const std::string* r = string_at(it, "run_id")) s.m.run_id = *r;
  s.m.compressed = it.find("z") != nullptr;
  if (const std::string* c = string_at(it, "content")) {
    s.body = *c;
  } else if (const value* b = it.find("body"); b && b->get_if<bytes>()) {
    s.body.assign(b->get_if<bytes>()->begin(), b->get_if<bytes>()->end());
  } else {
    auto parts = integer_at(it, "parts");
    if (!parts || *parts < 1) return fail(errc::unexpected_json, "a memory item has no content, body or parts");
    s.parts = *parts;
  }
  return s;
}

}  // namespace ddb::agent::detail
