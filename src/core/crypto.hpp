#pragma once
// SHA-256 and HMAC-SHA256 on OpenSSL 3's EVP interface (internal).
// hmac_key keeps the keyed inner/outer digest states, so an HMAC with a cached
// key costs two digest-state copies instead of re-keying: this is what makes
// signing with the cached SigV4 key cheap.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace ddb::crypto {

using digest = std::array<std::uint8_t, 32>;

digest sha256(std::string_view data);

// Appends the lowercase hex of bytes to out.
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n);
inline void append_hex(std::string& out, const digest& d) { append_hex(out, d.data(), d.size()); }
std::string hex(const digest& d);

class hmac_key {
 public:
  hmac_key() = default;
  explicit hmac_key(std::string_view key);
  hmac_key(const hmac_key&) = delete;
  hmac_key& operator=(const hmac_key&) = delete;
  hmac_key(hmac_key&& o) noexcept;
  hmac_key& operator=(hmac_key&& o) noexcept;
  ~hmac_key();

  bool valid() const noexcept { return inner_ != nullptr; }
  digest sign(std::string_view data) const;

 private:
  void reset() noexcept;
  evp_md_ctx_st* inner_ = nullptr;  // keyed with key ^ ipad
  evp_md_ctx_st* outer_ = nullptr;  // keyed with key ^ opad
};

// One-shot HMAC-SHA256 (key derivation).
digest hmac_sha256(std::string_view key, std::string_view data);

inline std::string_view as_view(const digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace ddb::crypto
