#include "agent/protocol.hpp"

#include <sodium.h>

#include <algorithm>

#include "ddb/core/json.hpp"

namespace ddb::agent::detail {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

result<std::string> key_with_prefix(std::string_view prefix, std::string_view what, std::string_view key) {
  if (key.empty()) return fail(errc::invalid_config, std::string(what) + " is empty; give it a non-empty string");
  if (!json::valid_utf8(key)) return fail(errc::invalid_config, std::string(what) + " is not valid UTF-8");
  if (prefix.size() + key.size() > max_partition_key)
    return fail(errc::invalid_config, std::string(what) + " has " + std::to_string(key.size()) + " bytes; at most " +
                                          std::to_string(max_partition_key - prefix.size()) +
                                          " fit DynamoDB's 2,048-byte partition key (hash longer ones first)");
  std::string out;
  out.reserve(prefix.size() + key.size());
  out.append(prefix).append(key);
  return out;
}


}  // namespace

result<std::int64_t> integer_at(const item& it, const char* name) {
  const value* v = it.find(name);
  const number* n = v ? v->get_if<number>() : nullptr;
  if (!n) return fail(errc::unexpected_json, std::string("the item has no number '") + name + "'");
  auto i = n->to<std::int64_t>();
  if (!i) return fail(errc::unexpected_json, std::string("the item's '") + name + "' is not an integer");
  return *i;
}

std::string new_owner_token() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return to_hex(b, sizeof b);
}

std::string payload_hash(std::string_view payload) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  return to_hex(d, sizeof d);
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

result<std::string> idempotency_pk(std::string_view key) { return key_with_prefix("idem#", "the idempotency key", key); }
result<std::string> lease_pk(std::string_view name) { return key_with_prefix("lease#", "the lease name", name); }

item claim_item(const record_location& at, const std::string& owner, std::int64_t now_ms, std::int64_t in_progress_ms,
                const std::optional<std::string>& hash, const std::optional<std::string>& args) {
  const std::int64_t until = now_ms + in_progress_ms;
  item it{{pk, at.pk_value},
          {sk, at.sk_value},
          {"status", std::string(in_progress)},
          {"started_ms", now_ms},
          {"owner", owner},
          {"expires_ms", until},
          // TTL a day after the claim lapses: a crashed claimer's record goes
          // away by itself (the condition, not TTL, decides who may claim).
          {ttl_attribute, until / 1000 + 86400}};
  if (hash) it.insert_or_assign("payload_hash", *hash);
  if (args) it.insert_or_assign("args", *args);
  return it;
}

std::string chunk_prefix(std::string_view record_sk) { return "chunk/" + std::string(record_sk) + "/"; }
std::string chunk_sk(std::string_view record_sk, std::size_t i) {
  std::string n = std::to_string(i);
  return chunk_prefix(record_sk) + std::string(n.size() < 6 ? 6 - n.size() : 0, '0') + n;
}

result<std::string> run_pk(std::string_view run) { return key_with_prefix("run#", "the run id", run); }

const std::string* string_at(const item& it, const char* name) {
  const value* v = it.find(name);
  return v ? v->get_if<std::string>() : nullptr;
}

std::string padded(std::int64_t n, std::size_t width) {
  std::string d = std::to_string(n);
  return std::string(d.size() < width ? width - d.size() : 0, '0') + d;
}

result<std::string> step_sk(std::int64_t step) {
  if (step < 0) return fail(errc::invalid_config, "a step number must not be negative; got " + std::to_string(step));
  return "step#" + padded(step);
}

result<std::string> checkpoint_pk(std::string_view thread) { return key_with_prefix("ckpt#", "the thread id", thread); }
result<std::string> memory_pk(std::string_view user) { return key_with_prefix("mem#", "the user id", user); }
result<std::string> flags_pk(std::string_view set) { return key_with_prefix("flags#", "the flag set's name", set); }
result<std::string> stream_position_pk(std::string_view consumer, std::string_view stream_arn) {
  if (consumer.empty()) return fail(errc::invalid_config, "the consumer's name is empty; give it a non-empty string");
  if (consumer.find('#') != std::string_view::npos)
    return fail(errc::invalid_config, "the consumer's name may not hold '#' (it separates the name from the stream)");
  return key_with_prefix("streampos#", "the consumer's name", std::string(consumer) + "#" + std::string(stream_arn));
}

std::string generation_prefix(std::int64_t generation, std::string_view token) {
  return "gen#" + padded(generation) + "#" + std::string(token) + "#";
}

result<void> check_flag(std::string_view name, std::string_view value) {
  if (name.empty() || name.size() > 255)
    return fail(errc::invalid_config, "a flag's name must be 1 to 255 bytes; got " + std::to_string(name.size()));
  if (!json::valid_utf8(name) || !json::valid_utf8(value))
    return fail(errc::invalid_config, "flag '" + std::string(name) + "': its name and value must be valid UTF-8");
  if (name.size() + value.size() > 350'000)
    return fail(errc::item_too_large, "flag '" + std::string(name) + "' has a value of " + std::to_string(value.size()) +
                                          " bytes; a flag must fit one item (350,000 bytes): store large values "
                                          "elsewhere and flag their address");
  return {};
}

std::optional<std::int64_t> step_of(std::string_view s) {
  if (s.size() != 24 || s.substr(0, 5) != "step#") return std::nullopt;
  std::int64_t v = 0;
  for (char c : s.substr(5)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool known_run_state(std::string_view s) {
  return s == "running" || s == "succeeded" || s == "failed" || s == "cancelled";
}

bool valid_transition(std::string_view from, std::string_view to) {
  return from == "running" && (to == "succeeded" || to == "failed" || to == "cancelled");
}

result<idem_record> read_record(const item& it) {
  idem_record r;
  const std::string* status = string_at(it, "status");
  const std::string* owner = string_at(it, "owner");
  if (!status || !owner) return fail(errc::unexpected_json, "the idempotency record has no status or owner: not a record ddb wrote");
  if (*status != in_progress && *status != completed && *status != failed)
    return fail(errc::unexpected_json, "the idempotency record has an unknown status '" + *status + "'");
  r.status = *status;
  r.owner = *owner;
  auto exp = integer_at(it, "expires_ms");
  if (!exp) return std::move(exp).error();
  r.expires_ms = *exp;
  if (const std::string* h = string_at(it, "payload_hash")) r.payload_hash = *h;
  if (const value* v = it.find("result")) {
    if (const bytes* b = v->get_if<bytes>())
      r.result = std::string(b->begin(), b->end());
    else
      return fail(errc::unexpected_json, "the idempotency record's result is not binary");
  }
  if (it.find("chunks")) {
    auto n = integer_at(it, "chunks");
    if (!n) return std::move(n).error();
    r.chunks = *n;
  }
  if (const std::string* e = string_at(it, "error")) r.error = *e;
  if (const std::string* a = string_at(it, "args")) r.args = *a;
  if (it.find("started_ms")) {
    auto v = integer_at(it, "started_ms");
    if (!v) return std::move(v).error();
    r.started_ms = *v;
  }
  if (it.find("completed_ms")) {
    auto v = integer_at(it, "completed_ms");
    if (!v) return std::move(v).error();
    r.completed_ms = *v;
  }
  if (r.status == completed && !r.result && r.chunks <= 0)
    return fail(errc::unexpected_json, "a completed idempotency record holds no result");
  return r;
}

on_existing decide(const idem_record& r, std::int64_t now_ms, const std::optional<std::string>& hash) {
  if (r.expires_ms < now_ms) return on_existing::claim_again;
  // A payload given now and stored then must agree (a record stored without
  // one accepts any: the first caller did not ask for the check).
  if (hash && r.payload_hash && *hash != *r.payload_hash) return on_existing::mismatch;
  if (r.status == completed) return on_existing::replay;
  if (r.status == failed) return on_existing::replay_failure;
  return on_existing::in_progress;
}

std::chrono::milliseconds poll_delay(int n, std::chrono::milliseconds left) {
  std::chrono::milliseconds d{25};
  for (int i = 0; i < n && d < std::chrono::milliseconds(1000); ++i) d *= 2;
  d = std::min(d, std::chrono::milliseconds(1000));
  return std::max(std::chrono::milliseconds(0), std::min(d, left));
}

std::vector<std::string_view> split_result(std::string_view result) {
  std::vector<std::string_view> out;
  if (result.size() <= chunk_bytes) {
    out.push_back(result);
    return out;
  }
  for (std::size_t i = 0; i < result.size(); i += chunk_bytes) out.push_back(result.substr(i, chunk_bytes));
  return out;
}

std::int64_t fence_base(std::int64_t now_ms) { return now_ms * 1000; }

result<lease_timing> timing_for(std::chrono::milliseconds duration, std::optional<std::chrono::milliseconds> heartbeat) {
  using std::chrono::milliseconds;
  if (duration < milliseconds(1000) || duration > milliseconds(86'400'000))
    return fail(errc::invalid_config, "a lease lasts from 1 s to 1 day; got " + std::to_string(duration.count()) + " ms");
  lease_timing t{duration, duration / 3, duration / 5};
  if (heartbeat) {
    if (*heartbeat <= milliseconds(0) || *heartbeat >= duration - t.safety)
      return fail(errc::invalid_config, "the heartbeat must be positive and shorter than the lease less its safety margin (" +
                                            std::to_string((duration - t.safety).count()) + " ms)");
    t.heartbeat = *heartbeat;
  }
  return t;
}

}  // namespace ddb::agent::detail
