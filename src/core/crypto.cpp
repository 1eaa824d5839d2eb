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

struct hmac_key::states {
  SHA256_CTX inner;
  SHA256_CTX outer;
  ~states() { sodium_memzero(this, sizeof *this); }
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
  SHA256_Init(&state_->inner);
  SHA256_Update(&state_->inner, pad, block);
  for (std::size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&state_->outer);
  SHA256_Update(&state_->outer, pad, block);
  sodium_memzero(k, sizeof k);
  sodium_memzero(pad, sizeof pad);
}

digest hmac_key::sign(std::string_view data) const {
  digest inner_hash;
  digest out;
  SHA256_CTX ctx = state_->inner;
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner_hash.data(), &ctx);
  ctx = state_->outer;
  SHA256_Update(&ctx, inner_hash.data(), inner_hash.size());
  SHA256_Final(out.data(), &ctx);
  sodium_memzero(&ctx, sizeof ctx);
  sodium_memzero(inner_hash.data(), inner_hash.size());
  return out;
}

digest hmac_sha256(std::string_view key, std::string_view data) { return hmac_key(key).sign(data); }

}  // namespace crypto
}  // namespace ddb
