// Portable kernels: the reference the AVX2 ones are tested against, and the
// path for CPUs without AVX2 (or DDB_VEC_KERNEL=scalar).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "vec/kernels.hpp"

namespace ddb::vec::detail {
namespace {

// Eight partial sums, so the compiler may use whatever vector unit the
// baseline target has without changing the result between builds.
float dot(const float* a, const float* b, std::size_t n) {
  float acc[8] = {};
  for (std::size_t i = 0; i < n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::uint16_t to_half(float f) {
  const std::uint32_t x = bits_of(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // quiet NaN
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to infinity (or is)
  if (a < 0x38800000u) {
    // Subnormal half (or zero): the value in units of 2^-24, rounded to even.
    const float units = std::nearbyint(float_of(a) * 16777216.0f);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(units));
  }
  // Normal: rebias the exponent, round the dropped 13 bits to nearest even
  // (a carry into the exponent is the right result).
  const std::uint32_t r = (a - (112u << 23) + 0xfffu + ((a >> 13) & 1u)) >> 13;
  return static_cast<std::uint16_t>(sign | r);
}

float from_half(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1fu;
  const std::uint32_t m = h & 0x3ffu;
  if (e == 0) {
    const float v = static_cast<float>(m) * (1.0f / 16777216.0f);  // exact
    return float_of(sign | bits_of(v));
  }
  if (e == 31) return float_of(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u));
  return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

void dot_f32(const float* q, const float* rows, std::size_t stride, std::size_t n, std::size_t padded, float* out) {
  for (std::size_t r = 0; r < n; ++r) out[r] = dot(q, rows + r * stride, padded);
}

void dot_f16(const float* q, const std::uint16_t* rows, std::size_t stride, std::size_t n, std::size_t padded,
             float* out) {
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint16_t* row = rows + r * stride;
    float acc[8] = {};
    for (std::size_t i = 0; i < padded; i += 8)
      for (std::size_t j = 0; j < 8; ++j) acc[j] += q[i + j] * from_half(row[i + j]);
    out[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
}

void dot_i8(const std::int8_t* q, const std::uint8_t*, const std::int8_t* rows, std::size_t stride, std::size_t n,
            std::size_t padded, std::int32_t* out) {
  for (std::size_t r = 0; r < n; ++r) {
    const std::int8_t* row = rows + r * stride;
    std::int32_t acc = 0;
    for (std::size_t i = 0; i < padded; ++i) acc += static_cast<std::int32_t>(q[i]) * row[i];
    out[r] = acc;
  }
}

void dot_f32_batch(const float* qs, std::size_t nq, const float* rows, std::size_t stride, std::size_t n,
                   std::size_t padded, float* out) {
  for (std::size_t j = 0; j < nq; ++j) dot_f32(qs + j * padded, rows, stride, n, padded, out + j * n);
}

void to_f16(const float* in, std::uint16_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = to_half(in[i]);
}
void from_f16(const std::uint16_t* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = from_half(in[i]);
}

}  // namespace

const kernel_table scalar_kernels{"scalar", dot_f32, dot_f16, dot_i8, dot_f32_batch, to_f16, from_f16};

const kernel_table& kernels() noexcept {
  static const kernel_table* chosen = [] {
    const char* force = std::getenv("DDB_VEC_KERNEL");
    if (force && std::string_view(force) == "scalar") return &scalar_kernels;
    const kernel_table* avx2 = avx2_kernels();
    return avx2 ? avx2 : &scalar_kernels;
  }();
  return *chosen;
}

}  // namespace ddb::vec::detail
