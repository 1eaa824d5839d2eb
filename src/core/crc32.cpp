#include "core/crc32.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DDB_CRC32_CLMUL 1
#endif

namespace ddb::crc32 {
namespace {

using tables_t = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr tables_t make_tables() {
  tables_t t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

constexpr tables_t tables = make_tables();

// The register (already inverted) over n bytes, 8 at a time.
std::uint32_t by_tables(const unsigned char* p, std::size_t n, std::uint32_t crc) noexcept {
  while (n >= 8) {  // little-endian x86-64 / ARM64
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^ tables[4][lo >> 24] ^
          tables[3][hi & 0xFF] ^ tables[2][(hi >> 8) & 0xFF] ^ tables[1][(hi >> 16) & 0xFF] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = tables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#ifdef DDB_CRC32_CLMUL
// Carry-less multiplication folding (Intel's "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ", bit-reflected form). The constants are
// x^k mod P(x) for the fold distances (512+64/512, 128+64/128 bits, 64 and 32)
// and the Barrett pair (P(x), floor(x^64 / P(x))), all bit-reflected, for
// P(x) = 0x104C11DB7. n is a multiple of 16, at least 64.
#define DDB_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
DDB_CLMUL_TARGET inline __m128i load(const unsigned char* q) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}
// x's two halves multiplied by k's, summed: x moved 128 (or 512) bits on.
DDB_CLMUL_TARGET inline __m128i fold(__m128i x, __m128i k) noexcept {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

DDB_CLMUL_TARGET std::uint32_t by_folding(const unsigned char* p, std::size_t n, std::uint32_t crc) noexcept {
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
  for (; n >= 64; p += 64, n -= 64) {  // four lanes, 64 bytes a step
    x1 = _mm_xor_si128(fold(x1, k1k2), load(p));
    x2 = _mm_xor_si128(fold(x2, k1k2), load(p + 16));
    x3 = _mm_xor_si128(fold(x3, k1k2), load(p + 32));
    x4 = _mm_xor_si128(fold(x4, k1k2), load(p + 48));
  }
  const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
  x1 = _mm_xor_si128(fold(x1, k3k4), x2);  // the four lanes into one
  x1 = _mm_xor_si128(fold(x1, k3k4), x3);
  x1 = _mm_xor_si128(fold(x1, k3k4), x4);
  for (; n >= 16; p += 16, n -= 16) x1 = _mm_xor_si128(fold(x1, k3k4), load(p));

  // 128 -> 64 bits (adding the 32 zero bits a CRC appends), then 64 -> 32.
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x10), _mm_srli_si128(x1, 8));
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5, 0x00), _mm_srli_si128(x1, 4));
  // Barrett reduction, 64 -> 32 bits.
  const __m128i poly_mu = _mm_set_epi64x(0x1f7011641, 0x1db710641);
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), poly_mu, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly_mu, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
}

// Read while static objects are built: the CPU model must be filled in first.
const bool has_clmul = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}();
#endif

}  // namespace

std::uint32_t compute(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#ifdef DDB_CRC32_CLMUL
  if (n >= 64 && has_clmul) {
    const std::size_t folded = n & ~std::size_t{15};
    crc = by_folding(p, folded, crc);
    p += folded;
    n -= folded;
  }
#endif
  return ~by_tables(p, n, crc);
}

}  // namespace ddb::crc32
