#pragma once
// CRC-32 (IEEE 802.3, the zlib polynomial), as DynamoDB's x-amz-crc32 header
// carries it: slicing-by-8, about 1 byte per cycle.
#include <cstddef>
#include <cstdint>

namespace ddb::crc32 {

std::uint32_t compute(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept;

}  // namespace ddb::crc32
