// CRC-32 as x-amz-crc32 carries it: the folding path (64 bytes and more, on
// CPUs with carry-less multiplication) and the table path agree with a
// bit-by-bit reference (and Boost's CRC) at every length, offset and start.
#include <boost/crc.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "core/crc32.hpp"

namespace {
// Bit by bit, continuing from `start` as zlib's crc32(start, p, n) does.
std::uint32_t reference(const unsigned char* p, std::size_t n, std::uint32_t start) {
  std::uint32_t c = ~start;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}
}  // namespace

TEST_CASE("CRC-32: the check value and the empty input", "[crc32]") {
  CHECK(ddb::crc32::compute("123456789", 9) == 0xCBF43926u);
  CHECK(ddb::crc32::compute("", 0) == 0u);
  const std::string body = R"({"TableNames":[]})";
  CHECK(ddb::crc32::compute(body.data(), body.size()) == 1315925753u);
}

TEST_CASE("CRC-32 agrees with a bit-by-bit reference at every length and offset", "[crc32]") {
  std::mt19937 rng(7);
  std::vector<unsigned char> data(1200);
  for (auto& b : data) b = static_cast<unsigned char>(rng());
  for (std::size_t offset : {0, 1, 7, 15}) {
    for (std::size_t n = 0; n <= 700; ++n) {
      const std::uint32_t start = n % 3 == 0 ? 0u : static_cast<std::uint32_t>(rng());
      INFO("offset " << offset << ", length " << n << ", start " << start);
      REQUIRE(ddb::crc32::compute(data.data() + offset, n, start) == reference(data.data() + offset, n, start));
    }
  }
  boost::crc_32_type boost_crc;
  boost_crc.process_bytes(data.data(), data.size());
  CHECK(ddb::crc32::compute(data.data(), data.size()) == boost_crc.checksum());
  // Chained: the CRC of a whole equals the CRC continued piece by piece.
  const std::uint32_t whole = ddb::crc32::compute(data.data(), data.size());
  std::uint32_t pieces = 0;
  for (std::size_t at = 0; at < data.size(); at += 97)
    pieces = ddb::crc32::compute(data.data() + at, std::min<std::size_t>(97, data.size() - at), pieces);
  CHECK(pieces == whole);
}
