#include "load/hdr_log.hpp"

#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/base64.hpp"

namespace ddb::load {

namespace {

constexpr std::uint32_t v2_cookie = 0x1c849303 | 0x10;
constexpr std::uint32_t v2_compressed_cookie = 0x1c849304 | 0x10;
constexpr std::size_t header_bytes = 40;

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void put64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
std::uint64_t get(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// HdrHistogram's ZigZagEncoding: LEB128 of the zigzagged value, at most 9
// bytes (the ninth carries 8 bits).
void put_zigzag(std::string& out, std::int64_t signed_value) {
  std::uint64_t v = (static_cast<std::uint64_t>(signed_value) << 1) ^ static_cast<std::uint64_t>(signed_value >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((v >> 7) == 0) {
      out += static_cast<char>(v);
      return;
    }
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v & 0xff);
}

bool get_zigzag(const std::uint8_t*& p, const std::uint8_t* end, std::int64_t& out) {
  std::uint64_t v = 0;
  for (int i = 0; i < 9; ++i) {
    if (p == end) return false;
    const std::uint8_t b = *p++;
    if (i == 8) {
      v |= static_cast<std::uint64_t>(b) << 56;
      break;
    }
    v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) break;
  }
  out = static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  return true;
}

failure bad(const std::string& what) {
  return fail(errc::invalid_config, "not an HdrHistogram V2 compressed histogram: " + what);
}

}  // namespace

std::string encode_histogram(const histogram& h) {
  std::string payload;
  if (h.count() > 0) {
    const std::size_t limit = h.index_of(h.max()) + 1;
    const auto& counts = h.counts();
    for (std::size_t i = 0; i < limit;) {
      const std::int64_t c = counts[i++];
      if (c != 0) {
        put_zigzag(payload, c);
        continue;
      }
      std::int64_t zeros = 1;
      while (i < limit && counts[i] == 0) {
        ++zeros;
        ++i;
      }
      put_zigzag(payload, zeros > 1 ? -zeros : 0);
    }
  }
  std::string plain;
  put32(plain, v2_cookie);
  put32(plain, static_cast<std::uint32_t>(payload.size()));
  put32(plain, 0);  // normalizing index offset
  put32(plain, static_cast<std::uint32_t>(h.digits()));
  put64(plain, 1);  // lowest discernible value
  put64(plain, static_cast<std::uint64_t>(h.highest()));
  double ratio = 1.0;
  std::uint64_t ratio_bits = 0;
  std::memcpy(&ratio_bits, &ratio, sizeof ratio);
  put64(plain, ratio_bits);
  plain += payload;

  uLongf deflated_size = compressBound(static_cast<uLong>(plain.size()));
  std::string deflated(deflated_size, '\0');
  compress2(reinterpret_cast<Bytef*>(deflated.data()), &deflated_size, reinterpret_cast<const Bytef*>(plain.data()),
            static_cast<uLong>(plain.size()), Z_DEFAULT_COMPRESSION);
  deflated.resize(deflated_size);
  std::string blob;
  put32(blob, v2_compressed_cookie);
  put32(blob, static_cast<std::uint32_t>(deflated.size()));
  blob += deflated;
  std::string out;
  base64::append_encoded(out, reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size());
  return out;
}

result<histogram> decode_histogram(std::string_view text) {
  bytes blob;
  if (!base64::decode(text, blob)) return bad("not base64");
  if (blob.size() < 8 || get(blob.data(), 4) != v2_compressed_cookie) return bad("the compressed cookie is missing");
  const std::uint64_t deflated = get(blob.data() + 4, 4);
  if (deflated != blob.size() - 8) return bad("the compressed length does not match");
  // Inflate in steps: the encoding's size is not stored outside it.
  std::string plain;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return bad("zlib could not start");
  z.next_in = const_cast<Bytef*>(blob.data() + 8);
  z.avail_in = static_cast<uInt>(deflated);
  int rc = Z_OK;
  constexpr std::size_t max_plain = 64 * 1024 * 1024;
  while (rc == Z_OK) {
    char chunk[16384];
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    plain.append(chunk, sizeof chunk - z.avail_out);
    if (plain.size() > max_plain) rc = Z_MEM_ERROR;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return bad("the deflated data is damaged");
  if (plain.size() < header_bytes) return bad("the header is short");
  const auto* p = reinterpret_cast<const std::uint8_t*>(plain.data());
  if (get(p, 4) != v2_cookie) return bad("the cookie is not V2's");
  const std::uint64_t payload = get(p + 4, 4);
  const auto digits = static_cast<int>(get(p + 12, 4));
  const auto highest = static_cast<std::int64_t>(get(p + 24, 8));
  if (get(p + 8, 4) != 0 || get(p + 16, 8) != 1) return bad("only offset 0 and lowest value 1 are read");
  if (payload != plain.size() - header_bytes) return bad("the payload length does not match");
  if (digits < 1 || digits > 5 || highest < 2) return bad("its range or precision is out of bounds");
  histogram h(highest, digits);
  const std::uint8_t* at = p + header_bytes;
  const std::uint8_t* end = p + plain.size();
  std::size_t index = 0;
  while (at < end) {
    std::int64_t word = 0;
    if (!get_zigzag(at, end, word)) return bad("a count is cut short");
    if (word < 0) {
      index += static_cast<std::size_t>(-word);
      continue;
    }
    if (index >= h.counts_length()) return bad("counts run past the histogram's range");
    h.add_at_index(index++, word);
  }
  return h;
}

std::string log_header(double start_epoch_seconds) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "#[Histogram log format version 1.3]\n#[StartTime: %.3f (seconds since epoch)]\n"
                "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
                start_epoch_seconds);
  return buf;
}

std::string log_line(double start_s, double length_s, const histogram& h, double max_ratio) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f,%.3f,%.3f,", start_s, length_s, static_cast<double>(h.max()) / max_ratio);
  return buf + encode_histogram(h) + "\n";
}

result<std::vector<log_interval>> read_log(std::string_view text) {
  std::vector<log_interval> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == '"') continue;
    std::string_view fields[4];
    for (int i = 0; i < 3; ++i) {
      const std::size_t comma = line.find(',');
      if (comma == std::string_view::npos)
        return fail(errc::invalid_config, "histogram log line " + std::to_string(line_no) + ": expected 4 fields");
      fields[i] = line.substr(0, comma);
      line = line.substr(comma + 1);
    }
    fields[3] = line;
    log_interval iv;
    for (int i = 0; i < 2; ++i) {
      double& target = i == 0 ? iv.start_s : iv.length_s;
      const auto [ptr, ec] = std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), target);
      if (ec != std::errc() || ptr != fields[i].data() + fields[i].size())
        return fail(errc::invalid_config, "histogram log line " + std::to_string(line_no) + ": a bad timestamp");
    }
    auto h = decode_histogram(fields[3]);
    if (!h) {
      failure f = std::move(h).error();
      f.message = "histogram log line " + std::to_string(line_no) + ": " + f.message;
      return f;
    }
    iv.h = std::move(*h);
    out.push_back(std::move(iv));
  }
  return out;
}

}  // namespace ddb::load
