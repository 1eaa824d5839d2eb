#pragma once
// One HTTP/1.1 response, parsed from bytes already in a buffer (sans-io).
//
// The client needs little of HTTP: the status, the body (by Content-Length,
// chunked, or until the connection closes), keep-alive, and four headers
// (x-amzn-RequestId, x-amz-crc32, x-amz-retry-after). This parser reads
// exactly that and rejects what it cannot frame safely, so a response costs a
// scan of its bytes and no allocation beyond its body and request id.
//
//   response_parser p(limit);
//   std::size_t used = 0;
//   switch (p.feed(bytes, used)) { ... }   // consume `used` bytes; feed the rest again later
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ddb::detail {

struct http_response {
  unsigned status = 0;
  std::string body;
  std::string request_id;                                 // x-amzn-RequestId
  std::optional<std::uint32_t> crc32;                     // x-amz-crc32
  bool crc32_malformed = false;                           // present but not a number
  std::optional<std::chrono::milliseconds> retry_after;  // x-amz-retry-after (milliseconds)
  bool keep_alive = true;
  char date[32] = {};  // the Date header of an error response, NUL-terminated (to correct clock skew)

  // Back to a response not yet parsed, keeping the buffers' capacity for the
  // next one.
  void clear() noexcept {
    status = 0;
    body.clear();
    request_id.clear();
    crc32.reset();
    crc32_malformed = false;
    retry_after.reset();
    keep_alive = true;
    date[0] = '\0';
  }
};

class response_parser {
 public:
  enum class result { need_more, done, error, body_too_large };

  explicit response_parser(std::size_t body_limit, std::size_t header_limit = 16 * 1024)
      : response_parser(own_, body_limit, header_limit) {}
  // Parses into `out` (cleared first, and kept alive by the caller while the
  // parser is used): the client parses straight into the exchange waiting for
  // the response, whose buffers are reused request after request.
  response_parser(http_response& out, std::size_t body_limit, std::size_t header_limit = 16 * 1024)
      : res_(out), body_limit_(body_limit), header_limit_(header_limit) {
    res_.clear();
  }
  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  // Parses from `data`; `used` is how many bytes were consumed (the caller
  // drops them and feeds what follows, plus anything new, next time).
  result feed(std::string_view data, std::size_t& used);
  // The peer closed the connection: completes a body framed by the close.
  result feed_eof();
  // True when the body ends with the connection (no length, not chunked).
  bool needs_eof() const noexcept { return state_ == state::body_to_eof; }

  http_response& get() noexcept { return res_; }
  const std::string& error() const noexcept { return error_; }

 private:
  enum class state { header, body_length, chunk_size, chunk_data, chunk_data_end, trailer, body_to_eof, done, failed };
  result fail(std::string why);
  result parse_head(std::string_view data, std::size_t& head_bytes);
  result append_body(std::string_view piece);
  // Takes up to remaining_ bytes of body from rest; true when none remain.
  bool take_counted(std::string_view rest, std::size_t& used, result& r);

  std::size_t find_line_end(std::string_view rest);

  static constexpr std::size_t max_chunk_line = 1024;  // a chunk's size and extensions, without CR LF

  http_response own_;
  http_response& res_;
  state state_ = state::header;
  // Where parsing got to in a block or line not complete yet (offsets from
  // the start of what feed() is given again): the line to read next (0: the
  // status line), where the search in it resumes, where its name ends (0: not
  // found yet).
  std::size_t line_start_ = 0;
  std::size_t scan_from_ = 0;
  std::size_t name_end_ = 0;
  std::size_t trailer_bytes_ = 0;
  struct {
    bool keep_alive = true;
    bool chunked = false;
    std::optional<std::uint64_t> length;
  } head_;
  std::uint64_t remaining_ = 0;  // of the body, or of the current chunk
  std::size_t body_limit_;
  std::size_t header_limit_;
  std::string error_;
};

}  // namespace ddb::detail
