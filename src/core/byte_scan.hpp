#pragma once
// Byte searches on the request and response hot paths, 16 bytes a step with
// SSE2 (every x86-64 has it) and a plain loop for the tail or elsewhere.
// The header lines and JSON strings they run over are mostly 10-60 bytes:
// a library call per search (memchr, find_first_of) costs more than the scan.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ddb::detail {

#ifdef __SSE2__
inline unsigned sse2_mask(__m128i hits) noexcept { return static_cast<unsigned>(_mm_movemask_epi8(hits)); }
inline __m128i sse2_load(const char* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
#endif

// The first CR in [p, end), or end.
inline const char* find_cr(const char* p, const char* end) noexcept {
#ifdef __SSE2__
  const __m128i cr = _mm_set1_epi8('\r');
  for (; end - p >= 16; p += 16)
    if (const unsigned m = sse2_mask(_mm_cmpeq_epi8(sse2_load(p), cr))) return p + __builtin_ctz(m);
#endif
  while (p < end && *p != '\r') ++p;
  return p;
}

// The end of a header name: the first ':', CR, space or tab in [p, end), or end.
inline const char* find_name_end(const char* p, const char* end) noexcept {
#ifdef __SSE2__
  const __m128i colon = _mm_set1_epi8(':'), cr = _mm_set1_epi8('\r'), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  for (; end - p >= 16; p += 16) {
    const __m128i v = sse2_load(p);
    const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, colon), _mm_cmpeq_epi8(v, cr)),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
    if (const unsigned m = sse2_mask(hits)) return p + __builtin_ctz(m);
  }
#endif
  while (p < end && *p != ':' && *p != '\r' && *p != ' ' && *p != '\t') ++p;
  return p;
}

// The offset of the first byte a JSON string must escape (a control
// character, '"' or '\'), or n when there is none.
inline std::size_t find_json_escape(const char* s, std::size_t n) noexcept {
  std::size_t i = 0;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), max_control = _mm_set1_epi8(0x1f);
  for (; n - i >= 16; i += 16) {
    const __m128i v = sse2_load(s + i);
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v);  // v <= 0x1f, unsigned
    const __m128i hits = _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (const unsigned m = sse2_mask(hits)) return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
#endif
  // Eight bytes a step for what is left (short keys and values: most of
  // them), the last step padded with bytes that need no escape. In each
  // test a byte's high bit is set where it hits; a borrow can mark bytes
  // above a hit falsely, never below, so the lowest mark is exact.
  constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  static_assert(std::endian::native == std::endian::little, "the lowest mark must be the first byte");
  for (; i < n; i += 8) {
    std::uint64_t x = ones * 'a';
    std::memcpy(&x, s + i, n - i < 8 ? n - i : 8);
    const std::uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    const std::uint64_t hits =
        (((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs;
    if (hits) return i + static_cast<std::size_t>(__builtin_ctzll(hits)) / 8;  // little-endian: lowest byte first
  }
  return n;
}

}  // namespace ddb::detail
