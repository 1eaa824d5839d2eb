// OpenSSL 3 deprecates the low-level SHA256_* functions in favour of EVP, but
// EVP cannot copy a digest state without allocating, and a precomputed HMAC
// state copied per request is the point here. The functions remain in every
// OpenSSL 3 release and run the same assembly as EVP's SHA-256.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>

#include "ddb/core/secret.hpp"

namespace ddb {

void secure_wipe(void* p, std::size_t n) noexcept { sodium_memzero(p, n); }

namespace crypto {

digest sha256(std::string_view data) {
  digest out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  write_hex(out.data() + at, bytes, n);
}

std::string hex(const digest& d) {
  std::string s;
  append_hex(s, d);
  return s;
}

static_assert(sizeof(SHA256_CTX) == 112 && alignof(SHA256_CTX) <= 8, "sha256_state holds a SHA256_CTX");

sha256_state::sha256_state() noexcept { SHA256_Init(reinterpret_cast<SHA256_CTX*>(ctx_)); }
sha256_state::~sha256_state() { sodium_memzero(ctx_, sizeof ctx_); }

void sha256_state::update(const void* data, std::size_t n) noexcept {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(ctx_), data, n);
}

digest sha256_state::finish() noexcept {
  digest out;
  SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(ctx_));  // cleanses the context
  return out;
}

struct hmac_key::states {
  sha256_state inner;
  sha256_state outer;
};

hmac_key::hmac_key() = default;
hmac_key::hmac_key(hmac_key&& o) noexcept = default;
hmac_key& hmac_key::operator=(hmac_key&& o) noexcept = default;
hmac_key::~hmac_key() = default;

hmac_key::hmac_key(std::string_view key) : state_(std::make_unique<states>()) {
  constexpr std::size_t block = 64;
  std::uint8_t k[block] = {};
  if (key.size() > block) {
    const digest d = sha256(key);
    std::memcpy(k, d.data(), d.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  std::uint8_t pad[block];
  for (std::size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
  state_->inner.update(pad, block);
  for (std::size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  state_->outer.update(pad, block);
  sodium_memzero(k, sizeof k);
  sodium_memzero(pad, sizeof pad);
}

sha256_state hmac_key::inner() const noexcept { return state_->inner; }

digest hmac_key::finish(sha256_state& inner) const noexcept {
  digest inner_hash = inner.finish();
  sha256_state outer = state_->outer;
  outer.update(inner_hash.data(), inner_hash.size());
  sodium_memzero(inner_hash.data(), inner_hash.size());
  return outer.finish();
}

digest hmac_key::sign(std::string_view data) const {
  sha256_state s = inner();
  s.update(data);
  return finish(s);
}

digest hmac_sha256(std::string_view key, std::string_view data) { return hmac_key(key).sign(data); }

}  // namespace crypto
}  // namespace ddb
