#pragma once
// One HTTP/1.1 response, parsed from bytes already in a buffer (sans-io).
// Beast's basic_parser does the HTTP; this keeps only what the client uses
// (status, body, request id, CRC32, retry-after, keep-alive), so a response
// costs no allocation beyond its body.
#include <boost/beast/http/basic_parser.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ddb::detail {

struct http_response {
  unsigned status = 0;
  std::string body;
  std::string request_id;                              // x-amzn-RequestId
  std::optional<std::uint32_t> crc32;                  // x-amz-crc32
  bool crc32_malformed = false;                        // present but not a number
  std::optional<std::chrono::milliseconds> retry_after;  // x-amz-retry-after (milliseconds)
  std::string date;                                    // Date (clock-skew correction)
  bool keep_alive = true;
};

class response_parser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit response_parser(std::size_t body_limit) {
    this->body_limit(body_limit);
    this->eager(true);
  }
  http_response& get() noexcept { return res_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { res_.status = static_cast<unsigned>(code); }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code& ec) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) res_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(string_view s, error_code&) override {
    res_.body.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
    res_.body.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(error_code&) override { res_.keep_alive = this->keep_alive(); }

  http_response res_;
};

}  // namespace ddb::detail
