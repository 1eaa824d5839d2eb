#pragma once
// SHA-256 and HMAC-SHA256 on OpenSSL (internal).
// hmac_key keeps the keyed inner/outer SHA-256 states, so an HMAC with a cached
// key costs two 112-byte state copies instead of re-keying or allocating: this
// is what makes signing with the cached SigV4 key cheap.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ddb::crypto {

using digest = std::array<std::uint8_t, 32>;

digest sha256(std::string_view data);

// Writes the lowercase hex of bytes at p (2 * n characters): 16 bytes at a
// time with SSE2, two characters per byte from a table otherwise; returns the end.
inline char* write_hex(char* p, const std::uint8_t* bytes, std::size_t n) noexcept {
  static constexpr auto pairs = [] {
    std::array<char, 512> t{};
    constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      t[static_cast<std::size_t>(2 * i)] = digits[i >> 4];
      t[static_cast<std::size_t>(2 * i + 1)] = digits[i & 15];
    }
    return t;
  }();
  std::size_t i = 0;
#ifdef __SSE2__
  for (; n - i >= 16; i += 16, p += 32) {  // 16 bytes: split into nibbles, interleave, map 0-15 to '0'-'f'
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), nibble), lo = _mm_and_si128(v, nibble);
    const auto ascii = [](__m128i d) {
      const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(d, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
      return _mm_add_epi8(_mm_add_epi8(d, _mm_set1_epi8('0')), letters);
    };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), ascii(_mm_unpacklo_epi8(hi, lo)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16), ascii(_mm_unpackhi_epi8(hi, lo)));
  }
#endif
  for (; i < n; ++i, p += 2) {
    p[0] = pairs[2u * bytes[i]];
    p[1] = pairs[2u * bytes[i] + 1];
  }
  return p;
}
// Appends the lowercase hex of bytes to out.
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n);
inline void append_hex(std::string& out, const digest& d) { append_hex(out, d.data(), d.size()); }
std::string hex(const digest& d);

// A SHA-256 computation that can be copied midway: a prefix that many
// messages share is hashed once, and each message copies the state and adds
// its own tail. Wiped when destroyed (a keyed HMAC state is a secret).
class sha256_state {
 public:
  sha256_state() noexcept;
  sha256_state(const sha256_state&) noexcept = default;
  sha256_state& operator=(const sha256_state&) noexcept = default;
  ~sha256_state();

  void update(const void* data, std::size_t n) noexcept;
  void update(std::string_view data) noexcept { update(data.data(), data.size()); }
  // The digest of everything added; the state is spent (and wiped).
  digest finish() noexcept;

 private:
  alignas(8) unsigned char ctx_[112];  // OpenSSL's SHA256_CTX (checked where it is used)
};

class hmac_key {
 public:
  hmac_key();
  explicit hmac_key(std::string_view key);
  hmac_key(hmac_key&& o) noexcept;
  hmac_key& operator=(hmac_key&& o) noexcept;
  ~hmac_key();

  bool valid() const noexcept { return state_ != nullptr; }
  digest sign(std::string_view data) const;

  // The same HMAC fed in pieces: sign(m) == finish(inner() updated with m).
  // With a prefix that many messages share added to inner() once, each
  // message pays for its own tail only.
  sha256_state inner() const noexcept;
  digest finish(sha256_state& inner) const noexcept;

 private:
  struct states;                    // keyed inner (key ^ ipad) and outer (key ^ opad) states
  std::unique_ptr<states> state_;   // wiped before it is freed
};

// One-shot HMAC-SHA256 (key derivation).
digest hmac_sha256(std::string_view key, std::string_view data);

inline std::string_view as_view(const digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace ddb::crypto
