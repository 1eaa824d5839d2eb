#include "core/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <new>
#include <stdexcept>

#include "ddb/core/secret.hpp"

namespace ddb {

void secure_wipe(void* p, std::size_t n) noexcept { sodium_memzero(p, n); }

namespace crypto {
namespace {

// Fetched once: EVP_sha256() on every call costs a provider look-up in OpenSSL 3.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL: SHA256 is not available");
    return m;
  }();
  return md;
}

struct ctx_ptr {
  EVP_MD_CTX* p = EVP_MD_CTX_new();
  ~ctx_ptr() { EVP_MD_CTX_free(p); }
};

EVP_MD_CTX* new_ctx() {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  if (!c) throw std::bad_alloc();
  return c;
}

void check(int ok) {
  if (ok != 1) throw std::runtime_error("OpenSSL digest failure");
}

}  // namespace

digest sha256(std::string_view data) {
  digest out;
  unsigned int len = 0;
  check(EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr));
  return out;
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  char* w = out.data() + at;
  for (std::size_t i = 0; i < n; ++i) {
    *w++ = digits[bytes[i] >> 4];
    *w++ = digits[bytes[i] & 15];
  }
}

std::string hex(const digest& d) {
  std::string s;
  append_hex(s, d);
  return s;
}

hmac_key::hmac_key(std::string_view key) {
  constexpr std::size_t block = 64;
  std::uint8_t k[block] = {};
  if (key.size() > block) {
    const digest d = sha256(key);
    std::memcpy(k, d.data(), d.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  std::uint8_t pad[block];
  inner_ = new_ctx();
  outer_ = new_ctx();
  for (std::size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
  check(EVP_DigestInit_ex2(inner_, sha256_md(), nullptr));
  check(EVP_DigestUpdate(inner_, pad, block));
  for (std::size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  check(EVP_DigestInit_ex2(outer_, sha256_md(), nullptr));
  check(EVP_DigestUpdate(outer_, pad, block));
  sodium_memzero(k, sizeof k);
  sodium_memzero(pad, sizeof pad);
}

hmac_key::hmac_key(hmac_key&& o) noexcept : inner_(o.inner_), outer_(o.outer_) {
  o.inner_ = o.outer_ = nullptr;
}

hmac_key& hmac_key::operator=(hmac_key&& o) noexcept {
  if (this != &o) {
    reset();
    inner_ = o.inner_;
    outer_ = o.outer_;
    o.inner_ = o.outer_ = nullptr;
  }
  return *this;
}

hmac_key::~hmac_key() { reset(); }

// EVP_MD_CTX_free cleanses the digest state, which holds key-derived bytes.
void hmac_key::reset() noexcept {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
  inner_ = outer_ = nullptr;
}

digest hmac_key::sign(std::string_view data) const {
  thread_local ctx_ptr work;
  if (!work.p) throw std::bad_alloc();
  digest inner_hash;
  digest out;
  unsigned int len = 0;
  check(EVP_MD_CTX_copy_ex(work.p, inner_));
  check(EVP_DigestUpdate(work.p, data.data(), data.size()));
  check(EVP_DigestFinal_ex(work.p, inner_hash.data(), &len));
  check(EVP_MD_CTX_copy_ex(work.p, outer_));
  check(EVP_DigestUpdate(work.p, inner_hash.data(), inner_hash.size()));
  check(EVP_DigestFinal_ex(work.p, out.data(), &len));
  sodium_memzero(inner_hash.data(), inner_hash.size());
  return out;
}

digest hmac_sha256(std::string_view key, std::string_view data) { return hmac_key(key).sign(data); }

}  // namespace crypto
}  // namespace ddb
