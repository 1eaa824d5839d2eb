#pragma once
// The scoring kernels: dot products of one query (or a few) against a block
// of stored rows, written into a score buffer. Selection (top-k, filters) is
// the caller's, so each kernel is one tight loop. Two implementations: AVX2 +
// FMA + F16C, and a portable scalar one; kernels() picks one at run time.
//
// Every row and query is padded with zeros to `padded` elements: a multiple
// of 8 (f32), 16 (f16) or 32 (i8), i.e. 32 bytes, so the loops need no tails.
#include <cstddef>
#include <cstdint>

namespace ddb::vec::detail {

struct kernel_table {
  const char* name;
  // out[r] = dot(q, rows + r * stride) for r in [0, n)
  void (*dot_f32)(const float* q, const float* rows, std::size_t stride, std::size_t n, std::size_t padded, float* out);
  void (*dot_f16)(const float* q, const std::uint16_t* rows, std::size_t stride, std::size_t n, std::size_t padded,
                  float* out);
  // Integer dot products of an int8 query (q, and |q| as bytes) against
  // int8 rows, all values in [-127, 127]: exact, no overflow up to 4096.
  void (*dot_i8)(const std::int8_t* q, const std::uint8_t* q_abs, const std::int8_t* rows, std::size_t stride,
                 std::size_t n, std::size_t padded, std::int32_t* out);
  // out[r * nq + j] = dot(qs + j * padded, rows + r * stride): several queries
  // per loaded row (register-blocked).
  void (*dot_f32_batch)(const float* qs, std::size_t nq, const float* rows, std::size_t stride, std::size_t n,
                        std::size_t padded, float* out);
  // IEEE binary16 conversions, round to nearest even (bit-identical in both tables).
  void (*to_f16)(const float* in, std::uint16_t* out, std::size_t n);
  void (*from_f16)(const std::uint16_t* in, float* out, std::size_t n);
};

extern const kernel_table scalar_kernels;
// nullptr when this build has no AVX2 kernels (not x86-64).
const kernel_table* avx2_kernels() noexcept;
// AVX2 when the CPU has AVX2, FMA and F16C and DDB_VEC_KERNEL is not "scalar".
const kernel_table& kernels() noexcept;

}  // namespace ddb::vec::detail
