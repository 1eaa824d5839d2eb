#include "core/http_response.hpp"

#include "core/byte_scan.hpp"

#include <algorithm>

#include <charconv>
#include <cstring>
#include <limits>

namespace ddb::detail {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::uint64_t load8(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Eight bytes lowercased at once (ASCII letters only, every other byte kept).
std::uint64_t lower8(std::uint64_t x) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101;
  const std::uint64_t low7 = x & (0x7f * ones);
  const std::uint64_t above_z = low7 + (0x7f - 'Z') * ones;  // high bit set where the byte is > 'Z'
  const std::uint64_t from_a = low7 + (0x80 - 'A') * ones;   // high bit set where the byte is >= 'A'
  const std::uint64_t upper = ~x & (from_a ^ above_z) & (0x80 * ones);
  return x | (upper >> 2);
}

// a equals the lowercase text, ignoring the case of a's letters.
bool iequals(std::string_view a, std::string_view lowercase) {
  const std::size_t n = a.size();
  if (n != lowercase.size()) return false;
  if (n >= 8) {  // eight at a time, the last eight overlapping
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (lower8(load8(a.data() + i)) != load8(lowercase.data() + i)) return false;
    return lower8(load8(a.data() + n - 8)) == load8(lowercase.data() + n - 8);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (lower(a[i]) != lowercase[i]) return false;
  return true;
}

// Does the comma-separated header value hold `token` (case-insensitive)?
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

template <class T>
bool parse_number(std::string_view v, T& out, int base = 10) {
  if (v.empty()) return false;
  if (base == 10 && v.size() <= 19) {  // 19 digits cannot overflow 64 bits: a plain digit loop
    std::uint64_t n = 0;
    for (char c : v) {
      const auto d = static_cast<unsigned char>(c - '0');
      if (d > 9) return false;
      n = n * 10 + d;
    }
    if (n > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(n);
    return true;
  }
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out, base);
  return r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

response_parser::result response_parser::fail(std::string why) {
  state_ = state::failed;
  error_ = std::move(why);
  return result::error;
}

// Reads the status line and the header lines from the start of `data`, each
// line scanned once (its name up to ':', then its value up to CR, 16 bytes a
// step); the blank line that ends the block is found on the way. A line is
// read only once its CR LF is there. When the block is not complete yet, the
// parser remembers where it got to (the next line, and how far into it the
// search went), so a header arriving a few bytes at a time costs a linear
// scan, not one of the whole block per read. `data` starts at the response
// each time (the caller keeps what was not consumed).
// head_bytes: the length of the block with its blank line, when complete.
response_parser::result response_parser::parse_head(std::string_view data, std::size_t& head_bytes) {
  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* p = begin + line_start_;          // the line being read
  const char* resume = begin + scan_from_;      // where the search in it resumes
  const char* known_name_end = name_end_ != 0 ? begin + name_end_ : nullptr;
  // Not complete: remember where to go on from (kept in locals until then,
  // so a block that comes whole costs no stores per line). A block already
  // past the limit can only end past it.
  auto incomplete = [&](const char* at, const char* name_end) {
    line_start_ = static_cast<std::size_t>(p - begin);
    scan_from_ = static_cast<std::size_t>(at - begin);
    name_end_ = name_end ? static_cast<std::size_t>(name_end - begin) : 0;
    if (data.size() > header_limit_) return fail("response header larger than " + std::to_string(header_limit_) + " bytes");
    return result::need_more;
  };

  if (line_start_ == 0) {  // Status line: HTTP/1.x SP 3DIGIT SP reason
    const char* eol = find_cr(resume, end);
    if (end - eol < 2) return incomplete(eol, nullptr);
    if (eol[1] != '\n') return fail("a bare CR in the status line");
    const std::string_view line(begin, static_cast<std::size_t>(eol - begin));
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
      return fail("not an HTTP/1.x status line");
    unsigned status = 0;
    if (!parse_number(line.substr(9, 3), status) || status < 100 || status > 599 || (line.size() > 12 && line[12] != ' '))
      return fail("invalid status code");
    res_.status = status;
    head_.keep_alive = line[7] == '1';  // HTTP/1.1 keeps the connection by default, 1.0 does not
    p = resume = eol + 2;
  }
  const unsigned status = res_.status;

  for (;;) {
    if (end - p < 2) return incomplete(p, nullptr);
    if (*p == '\r') {
      if (p[1] != '\n') return fail("header line without a name");
      p += 2;  // the blank line: the block is complete
      break;
    }
    if (*p == ' ' || *p == '\t') return fail("obsolete folded header line");
    const char* name_end = known_name_end;
    if (!name_end) {
      name_end = find_name_end(resume, end);
      if (name_end == end) return incomplete(end, nullptr);
      if (*name_end == ' ' || *name_end == '\t') return fail("white space in a header name");
      if (*name_end != ':' || name_end == p) return fail("header line without a name");
    }
    const char* const line_end = find_cr(std::max(name_end + 1, resume), end);
    if (end - line_end < 2) return incomplete(line_end, name_end);
    if (line_end[1] != '\n') return fail("a bare CR in a header line");
    const std::string_view name(p, static_cast<std::size_t>(name_end - p));
    const std::string_view value = trim(std::string_view(name_end + 1, static_cast<std::size_t>(line_end - name_end - 1)));
    p = resume = line_end + 2;
    known_name_end = nullptr;
    switch (lower(name[0])) {  // only a few names matter: dispatch on the first letter
      case 'c':
        if (iequals(name, "content-length")) {
          std::uint64_t n = 0;
          if (!parse_number(value, n) || (head_.length && *head_.length != n)) return fail("invalid Content-Length");
          head_.length = n;
        } else if (iequals(name, "connection")) {
          if (iequals(value, "keep-alive")) {  // what servers send: no token list to split
            head_.keep_alive = true;
            break;
          }
          if (has_token(value, "close")) head_.keep_alive = false;
          if (has_token(value, "keep-alive")) head_.keep_alive = true;
        }
        break;
      case 'd':
        // Kept for errors only (clock-skew correction): a 200 pays nothing for it.
        if (status >= 400 && iequals(name, "date")) {
          const std::size_t n = std::min(value.size(), sizeof res_.date - 1);
          value.copy(res_.date, n);
          res_.date[n] = '\0';
        }
        break;
      case 't':
        if (iequals(name, "transfer-encoding")) {
          if (!has_token(value, "chunked")) return fail("unsupported Transfer-Encoding '" + std::string(value) + "'");
          head_.chunked = true;
        }
        break;
      case 'x':
        if (iequals(name, "x-amzn-requestid")) {
          res_.request_id.assign(value);
        } else if (iequals(name, "x-amz-crc32")) {
          std::uint32_t crc = 0;
          res_.crc32_malformed = !parse_number(value, crc);
          if (!res_.crc32_malformed) res_.crc32 = crc;
        } else if (iequals(name, "x-amz-retry-after")) {
          std::uint64_t ms = 0;
          if (parse_number(value, ms)) res_.retry_after = std::chrono::milliseconds(ms);
        }
        break;
      default: break;
    }
  }
  const bool keep_alive = head_.keep_alive, chunked = head_.chunked;
  const std::optional<std::uint64_t> length = head_.length;
  head_bytes = static_cast<std::size_t>(p - begin);
  scan_from_ = 0;  // from here on, offsets into the lines of the body's framing
  if (head_bytes > header_limit_) return fail("response header larger than " + std::to_string(header_limit_) + " bytes");
  res_.keep_alive = keep_alive;
  if (chunked && length) return fail("both Content-Length and chunked Transfer-Encoding");  // a smuggling shape
  if (status < 200 || status == 204 || status == 304) {
    if (status < 200) return fail("unexpected informational response");
    state_ = state::done;
    return result::done;
  }
  if (chunked) {
    state_ = state::chunk_size;
  } else if (length) {
    if (*length > body_limit_) return result::body_too_large;
    // The JSON reader parses the body in place when this padding is there.
    res_.body.reserve(static_cast<std::size_t>(*length) + 64);
    remaining_ = *length;
    state_ = remaining_ == 0 ? state::done : state::body_length;
  } else {
    res_.keep_alive = false;  // the body ends with the connection
    state_ = state::body_to_eof;
  }
  return state_ == state::done ? result::done : result::need_more;
}

// The CR LF ending the line at the start of `rest`, searched from where the
// last search of the same line stopped (a line trickling in is scanned once).
std::size_t response_parser::find_line_end(std::string_view rest) {
  const std::size_t eol = rest.find("\r\n", scan_from_);
  if (eol == std::string_view::npos) {
    scan_from_ = rest.empty() ? 0 : rest.size() - 1;  // its last byte may be the CR
  } else {
    scan_from_ = 0;  // the next line starts after this one
  }
  return eol;
}

response_parser::result response_parser::append_body(std::string_view piece) {
  if (res_.body.size() + piece.size() > body_limit_) {
    state_ = state::failed;
    return result::body_too_large;
  }
  res_.body.append(piece);
  return result::need_more;
}

bool response_parser::take_counted(std::string_view rest, std::size_t& used, result& r) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
  r = append_body(rest.substr(0, n));
  used += n;
  remaining_ -= n;
  return remaining_ == 0;
}

response_parser::result response_parser::feed(std::string_view data, std::size_t& used) {
  used = 0;
  for (;;) {
    const std::string_view rest = data.substr(used);
    switch (state_) {
      case state::header: {
        std::size_t head_bytes = 0;
        const result r = parse_head(rest, head_bytes);
        if (r == result::error || r == result::body_too_large) return r;
        if (head_bytes == 0) return result::need_more;  // the block is not complete yet
        used += head_bytes;
        if (r == result::done) return r;
        break;
      }
      case state::body_length: {
        result r;
        if (!take_counted(rest, used, r) || r == result::body_too_large) return r;
        state_ = state::done;
        return result::done;
      }
      case state::chunk_size: {
        // The same limit however the line arrives: once whole, and while its
        // CR LF is missing (rest then holds at most the line and its CR).
        const std::size_t eol = find_line_end(rest);
        if (eol == std::string_view::npos) {
          if (rest.size() > max_chunk_line + 1) return fail("chunk-size line too long");
          return result::need_more;
        }
        if (eol > max_chunk_line) return fail("chunk-size line too long");
        std::string_view size = rest.substr(0, eol);
        if (const std::size_t semi = size.find(';'); semi != std::string_view::npos) size = size.substr(0, semi);  // extensions
        std::uint64_t n = 0;
        if (!parse_number(trim(size), n, 16)) return fail("invalid chunk size");
        used += eol + 2;
        if (n == 0) {
          state_ = state::trailer;
        } else {
          if (res_.body.size() + n > body_limit_) return result::body_too_large;
          remaining_ = n;
          state_ = state::chunk_data;
        }
        break;
      }
      case state::chunk_data: {
        result r;
        if (!take_counted(rest, used, r) || r == result::body_too_large) return r;
        state_ = state::chunk_data_end;
        break;
      }
      case state::chunk_data_end:
        if (rest.size() < 2) return result::need_more;
        if (rest.substr(0, 2) != "\r\n") return fail("chunk data not followed by CRLF");
        used += 2;
        state_ = state::chunk_size;
        break;
      case state::trailer: {
        // Trailer fields (ignored), then an empty line: all of it within the
        // header limit, however it arrives.
        const std::size_t eol = find_line_end(rest);
        if (eol == std::string_view::npos) {
          if (trailer_bytes_ + rest.size() > header_limit_) return fail("trailer too long");
          return result::need_more;
        }
        trailer_bytes_ += eol + 2;
        if (trailer_bytes_ > header_limit_) return fail("trailer too long");
        used += eol + 2;
        if (eol == 0) {
          state_ = state::done;
          return result::done;
        }
        break;
      }
      case state::body_to_eof:
        if (append_body(rest) == result::body_too_large) return result::body_too_large;
        used += rest.size();
        return result::need_more;
      case state::done: return result::done;
      case state::failed: return result::error;
    }
  }
}

response_parser::result response_parser::feed_eof() {
  if (state_ == state::body_to_eof) {
    state_ = state::done;
    return result::done;
  }
  if (state_ == state::done) return result::done;
  return fail("the connection closed before the response was complete");
}

}  // namespace ddb::detail
