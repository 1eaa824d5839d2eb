// The cache's entry items read back (pure: no client, no I/O), for both
// layouts: whatever another writer left, never throwing, missing or mistyped
// attributes read as empty or 0 (see dynamodb_common.hpp; fuzz_items feeds them).
#include <cstring>
#include <limits>

#include "cache/dynamodb_common.hpp"
#include "core/crypto.hpp"
#include "ddb/vec/index.hpp"

namespace ddb::cache::detail {

std::int64_t num(const item& it, const char* name, std::int64_t fallback) {
  const value* v = it.find(name);
  if (!v || v->kind() != ddb::type::number) return fallback;
  auto n = v->as_number().to<std::int64_t>();
  return n ? *n : fallback;
}

std::string str(const item& it, const char* name) {
  const value* v = it.find(name);
  return v && v->kind() == ddb::type::string ? v->as_string() : std::string();
}

namespace {

std::string hex_of(const item& it) {
  const value* v = it.find("h");
  if (!v || v->kind() != ddb::type::binary) return {};
  std::string out;
  crypto::append_hex(out, v->as_binary().data(), v->as_binary().size());
  return out;
}

}  // namespace

entry mneme_entry_from_item(const item& it, bool legacy) {
  entry e;
  e.id = static_cast<std::uint64_t>(num(it, "id"));
  e.ns = str(it, "namespace");
  e.query_hash = str(it, "query_hash");
  e.query = str(it, "query");
  e.response = str(it, "response");
  e.metadata = str(it, "metadata");
  if (e.metadata.empty()) e.metadata = "{}";
  e.created_at = num(it, "created_at");
  e.last_accessed_at = num(it, "last_accessed_at");
  e.access_count = num(it, "access_count");
  // The version that proves "unchanged": mneme writes none, and a re-put
  // resets created_at; remove_if_unchanged also compares the response.
  e.version = static_cast<std::uint64_t>(e.created_at);
  if (it.find("ttl")) {
    // A duration from created_at (absolute when legacy); a sum past the
    // 64-bit range (another writer's nonsense) saturates: never, or long ago.
    std::int64_t at = 0;
    if (legacy) at = num(it, "ttl");
    else if (__builtin_add_overflow(e.created_at, num(it, "ttl"), &at))
      at = num(it, "ttl") > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    e.expires_at = at;
  }
  if (const value* b = it.find("embedding"); b && b->kind() == ddb::type::binary) {
    const bytes& raw = b->as_binary();
    e.embedding.resize(raw.size() / sizeof(float));
    if (!e.embedding.empty())  // (memcpy of nothing from a null pointer is still undefined)
      std::memcpy(e.embedding.data(), raw.data(), e.embedding.size() * sizeof(float));
  }
  return e;
}

// An entry item as any writer left it: missing or mistyped attributes read as
// empty or 0, an embedding of odd length loses its last byte; never throws.
entry lean_entry_from_item(const item& it) {
  entry e;
  e.id = static_cast<std::uint64_t>(num(it, "k"));
  e.ns = str(it, "n");
  e.query_hash = hex_of(it);
  e.query = str(it, "q");
  e.response = str(it, "r");
  e.metadata = it.find("m") ? str(it, "m") : std::string("{}");
  e.created_at = num(it, "c");
  e.last_accessed_at = e.created_at;
  e.version = static_cast<std::uint64_t>(num(it, "u"));
  if (it.find("x")) e.expires_at = num(it, "x");
  if (const value* b = it.find("e"); b && b->kind() == ddb::type::binary) {
    const bytes& raw = b->as_binary();
    if (num(it, "f") == 1) {
      std::vector<std::uint16_t> h(raw.size() / 2);
      if (!h.empty()) std::memcpy(h.data(), raw.data(), h.size() * 2);
      e.embedding.resize(h.size());
      vec::from_f16(h, e.embedding);
    } else {
      e.embedding.resize(raw.size() / sizeof(float));
      if (!e.embedding.empty()) std::memcpy(e.embedding.data(), raw.data(), e.embedding.size() * sizeof(float));
    }
  }
  return e;
}

}  // namespace ddb::cache::detail
