// Run checkpoints as items (src/agent/checkpoint_layout.hpp): pure functions.
#include "agent/checkpoint_layout.hpp"

#include "agent/protocol.hpp"

namespace ddb::agent::detail {

std::string checkpoint_sk(std::int64_t id) { return "cp#" + padded(id); }
std::string part_prefix(std::int64_t id) { return "cpdata#" + padded(id) + "#"; }
std::string part_sk(std::int64_t id, std::size_t part) {
  return part_prefix(id) + padded(static_cast<std::int64_t>(part), 6);
}

result<void> check_save(std::string_view thread, std::int64_t parent, std::string_view payload,
                        std::string_view metadata) {
  if (auto pk_value = checkpoint_pk(thread); !pk_value) return pk_value.error();
  if (parent < 0)
    return fail(errc::invalid_config, "a checkpoint's parent must be 0 (the thread's first) or the id of a saved "
                                      "checkpoint; got " + std::to_string(parent));
  if (parent >= std::int64_t{999'999'999'999'999'999})
    return fail(errc::invalid_config, "the parent id " + std::to_string(parent) + " is out of range");
  if (metadata.size() > max_metadata)
    return fail(errc::invalid_config, "checkpoint metadata is " + std::to_string(metadata.size()) +
                                          " bytes; at most " + std::to_string(max_metadata) +
                                          " (put large state in the payload)");
  if (payload.size() > max_payload)
    return fail(errc::result_too_large, "a checkpoint payload of " + std::to_string(payload.size()) +
                                            " bytes is over the " + std::to_string(max_payload) +
                                            " that one transaction can write; store it elsewhere (S3) and "
                                            "checkpoint its address");
  return {};
}

item checkpoint_item(const std::string& pk_value, std::int64_t id, std::int64_t parent, std::int64_t created_ms,
                     std::string_view payload, std::string_view metadata, std::int64_t expires_at) {
  item it{{pk, pk_value},
          {sk, checkpoint_sk(id)},
          {"id", id},
          {"parent", parent},
          {"created_ms", created_ms},
          {"size", static_cast<std::int64_t>(payload.size())},
          {"metadata", std::string(metadata)}};
  if (payload.size() <= inline_payload) {
    it.insert_or_assign("payload", bytes(payload.begin(), payload.end()));
  } else {
    it.insert_or_assign("parts", static_cast<std::int64_t>((payload.size() + part_bytes - 1) / part_bytes));
    it.insert_or_assign("payload_hash", payload_hash(payload));
  }
  if (expires_at != 0) it.insert_or_assign(ttl_attribute, expires_at);
  return it;
}

std::vector<item> part_items(const std::string& pk_value, std::int64_t id, std::string_view payload,
                             std::int64_t expires_at) {
  std::vector<item> out;
  if (payload.size() <= inline_payload) return out;
  for (std::size_t i = 0, at = 0; at < payload.size(); ++i, at += part_bytes) {
    const std::string_view piece = payload.substr(at, part_bytes);
    item it{{pk, pk_value}, {sk, part_sk(id, i)}, {"data", bytes(piece.begin(), piece.end())}};
    if (expires_at != 0) it.insert_or_assign(ttl_attribute, expires_at);
    out.push_back(std::move(it));
  }
  return out;
}

result<stored_checkpoint> read_checkpoint(const item& it, const std::string& thread, bool with_payload) {
  stored_checkpoint s;
  s.cp.thread = thread;
  for (auto [name, out] : {std::pair{"id", &s.cp.id}, std::pair{"parent", &s.cp.parent}, std::pair{"created_ms", &s.cp.created_ms}}) {
    auto v = integer_at(it, name);
    if (!v) return v.error();
    *out = *v;
  }
  auto size = integer_at(it, "size");
  if (!size || *size < 0) return fail(errc::unexpected_json, "the checkpoint item has no valid 'size'");
  s.cp.payload_size = static_cast<std::size_t>(*size);
  if (const std::string* m = string_at(it, "metadata")) s.cp.metadata = *m;
  if (!with_payload) return s;
  if (const value* p = it.find("payload")) {
    const bytes* b = p->get_if<bytes>();
    if (!b) return fail(errc::unexpected_json, "the checkpoint item's 'payload' is not binary");
    s.cp.payload.assign(b->begin(), b->end());
    return s;
  }
  auto parts = integer_at(it, "parts");
  if (!parts || *parts < 1) return fail(errc::unexpected_json, "the checkpoint item has neither 'payload' nor 'parts'");
  s.parts = *parts;
  const std::string* h = string_at(it, "payload_hash");
  if (!h) return fail(errc::unexpected_json, "the checkpoint item has parts but no 'payload_hash'");
  s.hash = *h;
  return s;
}

}  // namespace ddb::agent::detail
