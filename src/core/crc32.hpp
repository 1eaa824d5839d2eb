#pragma once
// CRC-32 (IEEE 802.3, the zlib polynomial), as DynamoDB's x-amz-crc32 header
// carries it: carry-less multiplication folding 16 bytes a step where the CPU
// has it (PCLMULQDQ) and the input is 64 bytes or more, slicing-by-8 tables
// for the rest.
#include <cstddef>
#include <cstdint>

namespace ddb::crc32 {

std::uint32_t compute(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept;

}  // namespace ddb::crc32
