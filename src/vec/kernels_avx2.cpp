// AVX2 + FMA + F16C kernels. This file alone is compiled with those
// instruction sets; kernels() calls into it only after checking the CPU.
#include "vec/kernels.hpp"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <cpuid.h>
#include <immintrin.h>

#include <cstdint>

namespace ddb::vec::detail {
namespace {

// No standard-library templates in this file: their instantiations, compiled
// with AVX2 here, could be the copies the linker keeps for the whole program.
inline std::size_t min_size(std::size_t a, std::size_t b) { return a < b ? a : b; }

// A prefetch address that may lie past the rows (prefetches never fault;
// integer arithmetic avoids forming an out-of-range pointer).
inline const char* ahead(const void* p, std::size_t bytes) {
  return reinterpret_cast<const char*>(reinterpret_cast<std::uintptr_t>(p) + bytes);
}

// The lanes of v summed in the order hsum4 uses, so that a row's score does
// not depend on whether it was computed alone or in a group of four.
float hsum(__m256 v) {
  const __m256 t = _mm256_hadd_ps(v, v);
  const __m256 u = _mm256_hadd_ps(t, t);
  return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1)));
}

// Four sums of four vectors at once: [sum(a) sum(b) sum(c) sum(d)].
__m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// How far ahead the f16 and int8 kernels request rows. They do more work
// per byte than the f32 one, so fewer of their own loads are in flight;
// without the prefetch they reached ~75% of the read bandwidth, with it
// 83-92% (4 KiB ahead beat 2 KiB and 8 KiB for int8).
constexpr std::size_t prefetch_bytes = 4096;

void dot_f16(const float* q, const std::uint16_t* rows, std::size_t stride, std::size_t n, std::size_t padded,
             float* out) {
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint16_t* row = rows + r * stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= padded; i += 32) {
      _mm_prefetch(ahead(row + i, prefetch_bytes), _MM_HINT_T0);
      const __m256i h01 = _mm256_load_si256(reinterpret_cast<const __m256i*>(row + i));
      const __m256i h23 = _mm256_load_si256(reinterpret_cast<const __m256i*>(row + i + 16));
      a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h01)), _mm256_loadu_ps(q + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(h01, 1)), _mm256_loadu_ps(q + i + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h23)), _mm256_loadu_ps(q + i + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(h23, 1)), _mm256_loadu_ps(q + i + 24), a3);
    }
    for (; i < padded; i += 8)
      a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(row + i))),
                           _mm256_loadu_ps(q + i), a0);
    out[r] = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  }
}


// int8 x int8 with vpmaddubsw, which multiplies unsigned by signed bytes:
// |q| (unsigned) times x carrying q's sign (vpsignb). Pairs of products fit
// int16 without saturating (2 * 127 * 127 < 32767); vpmaddwd by ones widens
// them to int32. Exact integer arithmetic: the scalar kernel's result to the bit.
void dot_i8(const std::int8_t* q, const std::uint8_t* q_abs, const std::int8_t* rows, std::size_t stride,
            std::size_t n, std::size_t padded, std::int32_t* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (std::size_t r = 0; r < n; ++r) {
    const std::int8_t* row = rows + r * stride;
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    std::size_t i = 0;
    for (; i + 64 <= padded; i += 64) {
      _mm_prefetch(ahead(row + i, prefetch_bytes), _MM_HINT_T0);
      const __m256i x0 = _mm256_sign_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(row + i)),
                                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)));
      const __m256i x1 = _mm256_sign_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(row + i + 32)),
                                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i + 32)));
      const __m256i p0 = _mm256_maddubs_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_abs + i)), x0);
      const __m256i p1 = _mm256_maddubs_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_abs + i + 32)), x1);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p0, ones));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(p1, ones));
    }
    if (i < padded) {
      const __m256i x0 = _mm256_sign_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(row + i)),
                                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)));
      const __m256i p0 = _mm256_maddubs_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q_abs + i)), x0);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p0, ones));
    }
    const __m256i s = _mm256_add_epi32(a0, a1);
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
    out[r] = _mm_cvtsi128_si32(t);
  }
}

// R rows x Q queries per pass over the dimensions: R*Q accumulators and Q
// query vectors in registers (4 x 3: 12 + 3 of the 16 ymm registers), each
// row vector loaded once per step and used Q times.
template <int R, int Q>
void block(const float* qs, std::size_t nq_stride, const float* rows, std::size_t stride, std::size_t padded,
           float* out, std::size_t n_out) {
  __m256 acc[R][Q];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < Q; ++j) acc[r][j] = _mm256_setzero_ps();
  for (std::size_t i = 0; i < padded; i += 8) {
    __m256 qv[Q];
    for (int j = 0; j < Q; ++j) qv[j] = _mm256_loadu_ps(qs + j * nq_stride + i);
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_load_ps(rows + r * stride + i);
      for (int j = 0; j < Q; ++j) acc[r][j] = _mm256_fmadd_ps(x, qv[j], acc[r][j]);
    }
  }
  if constexpr (R == 4) {
    for (int j = 0; j < Q; ++j) _mm_storeu_ps(out + j * n_out, hsum4(acc[0][j], acc[1][j], acc[2][j], acc[3][j]));
  } else {
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < Q; ++j) out[j * n_out + r] = hsum(acc[r][j]);
  }
}

// All queries against R rows. While they run, the next rows are requested
// a few lines per query block: those rows are read from memory once per
// batch, and four interleaved row streams are ones the hardware prefetcher
// follows poorly (without this, the first pass over each group of rows
// cost as much as the other ten).
template <int R>
void rows_block(const float* qs, std::size_t nq, std::size_t padded, const float* rows, std::size_t stride,
                float* out, std::size_t n_out, const char* next, std::size_t next_bytes) {
  const std::size_t blocks = (nq + 2) / 3;
  const std::size_t lines = (next_bytes + 63) / 64, per_block = (lines + blocks - 1) / blocks;
  std::size_t line = 0;
  auto prefetch_some = [&] {
    for (std::size_t e = min_size(lines, line + per_block); line < e; ++line) _mm_prefetch(next + line * 64, _MM_HINT_T0);
  };
  std::size_t j = 0;
  for (; j + 3 <= nq; j += 3) {
    prefetch_some();
    block<R, 3>(qs + j * padded, padded, rows, stride, padded, out + j * n_out, n_out);
  }
  prefetch_some();
  if (nq - j == 2) block<R, 2>(qs + j * padded, padded, rows, stride, padded, out + j * n_out, n_out);
  if (nq - j == 1) block<R, 1>(qs + j * padded, padded, rows, stride, padded, out + j * n_out, n_out);
}

void dot_f32_batch(const float* qs, std::size_t nq, const float* rows, std::size_t stride, std::size_t n,
                   std::size_t padded, float* out) {
  std::size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const std::size_t next = r + 4;  // the group after this one, if any
    const std::size_t bytes = next < n ? min_size(4, n - next) * stride * sizeof(float) : 0;
    rows_block<4>(qs, nq, padded, rows + r * stride, stride, out + r, n, ahead(rows, next * stride * sizeof(float)),
                  bytes);
  }
  for (; r < n; ++r) rows_block<1>(qs, nq, padded, rows + r * stride, stride, out + r, n, nullptr, 0);
}

// One query, one row at a time: rows are read strictly in address order,
// which keeps the hardware prefetcher streaming (four rows interleaved, to
// share query loads, measured 30% slower from DRAM); four accumulators hide
// the FMA latency. Software prefetching measured no gain.
void dot_f32(const float* q, const float* rows, std::size_t stride, std::size_t n, std::size_t padded, float* out) {
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = rows + r * stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= padded; i += 32) {
      a0 = _mm256_fmadd_ps(_mm256_load_ps(row + i), _mm256_loadu_ps(q + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 8), _mm256_loadu_ps(q + i + 8), a1);
      a2 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 16), _mm256_loadu_ps(q + i + 16), a2);
      a3 = _mm256_fmadd_ps(_mm256_load_ps(row + i + 24), _mm256_loadu_ps(q + i + 24), a3);
    }
    for (; i < padded; i += 8) a0 = _mm256_fmadd_ps(_mm256_load_ps(row + i), _mm256_loadu_ps(q + i), a0);
    out[r] = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  }
}

void to_f16(const float* in, std::uint16_t* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if (i < n) scalar_kernels.to_f16(in + i, out + i, n - i);
}

void from_f16(const std::uint16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  if (i < n) scalar_kernels.from_f16(in + i, out + i, n - i);
}

bool cpu_has_avx2_fma_f16c() noexcept {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
  if (!(fma && osxsave && avx && f16c)) return false;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6u) != 6u) return false;  // the OS saves XMM and YMM state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return b & (1u << 5);  // AVX2
}

const kernel_table avx2_table{"avx2", dot_f32, dot_f16, dot_i8, dot_f32_batch, to_f16, from_f16};

}  // namespace

const kernel_table* avx2_kernels() noexcept {
  static const bool usable = cpu_has_avx2_fma_f16c();
  return usable ? &avx2_table : nullptr;
}

}  // namespace ddb::vec::detail

#else

namespace ddb::vec::detail {
const kernel_table* avx2_kernels() noexcept { return nullptr; }
}  // namespace ddb::vec::detail

#endif
