// The sans-io HTTP response parser: framing by length, chunks and close;
// the headers the client reads; and every way a response can be malformed.
// Each case is also fed split at every byte, as reads may deliver it.
#include <catch2/catch.hpp>

#include "core/http_response.hpp"

using ddb::detail::response_parser;
using result = response_parser::result;

namespace {

struct parsed {
  result r;
  ddb::detail::http_response res;
  std::string error;
  std::size_t leftover;
};

// Feeds text in pieces of `step` bytes (0: all at once), keeping unconsumed bytes.
parsed parse(const std::string& text, std::size_t step = 0, bool eof = false, std::size_t limit = 1 << 20,
             std::size_t header_limit = 16 * 1024) {
  response_parser p(limit, header_limit);
  std::string buffer;
  std::size_t fed = 0;
  result r = result::need_more;
  while (fed < text.size()) {
    const std::size_t n = step == 0 ? text.size() : std::min(step, text.size() - fed);
    buffer.append(text, fed, n);
    fed += n;
    std::size_t used = 0;
    r = p.feed(buffer, used);
    buffer.erase(0, used);
    if (r != result::need_more) break;
  }
  if (r == result::need_more && eof) r = p.feed_eof();
  return {r, p.get(), p.error(), buffer.size() + (text.size() - fed)};
}

// The same answer whichever way the bytes arrive.
parsed parse_every_split(const std::string& text, bool eof = false) {
  const parsed whole = parse(text, 0, eof);
  for (std::size_t step = 1; step < 8; ++step) {
    const parsed split = parse(text, step, eof);
    INFO("step " << step);
    CHECK(split.r == whole.r);
    CHECK(split.res.body == whole.res.body);
    CHECK(split.res.status == whole.res.status);
    CHECK(split.res.request_id == whole.res.request_id);
    CHECK(split.res.crc32 == whole.res.crc32);
    CHECK(split.res.crc32_malformed == whole.res.crc32_malformed);
    CHECK(split.res.retry_after == whole.res.retry_after);
    CHECK(split.res.keep_alive == whole.res.keep_alive);
    CHECK(std::string(split.res.date) == std::string(whole.res.date));
    CHECK(split.leftover == whole.leftover);
  }
  return whole;
}

}  // namespace

TEST_CASE("a DynamoDB response: status, body, the headers the client reads", "[http]") {
  const std::string text =
      "HTTP/1.1 200 OK\r\nServer: Server\r\nDate: Sat, 21 Nov 2026 07:28:26 GMT\r\nContent-Type: application/x-amz-json-1.0\r\n"
      "X-AMZN-RequestId: ABC123\r\nx-amz-crc32: 1315925753\r\nx-amz-retry-after: 250\r\nContent-Length: 17\r\n\r\n"
      "{\"TableNames\":[]}";
  const parsed p = parse_every_split(text);
  REQUIRE(p.r == result::done);
  CHECK(p.res.status == 200);
  CHECK(p.res.body == "{\"TableNames\":[]}");
  CHECK(p.res.request_id == "ABC123");
  REQUIRE(p.res.crc32);
  CHECK(*p.res.crc32 == 1315925753u);
  CHECK_FALSE(p.res.crc32_malformed);
  REQUIRE(p.res.retry_after);
  CHECK(p.res.retry_after->count() == 250);
  CHECK(p.res.keep_alive);
  CHECK(p.leftover == 0);
}

TEST_CASE("header values: empty, padded, names in any case", "[http]") {
  const parsed p = parse_every_split(
      "HTTP/1.1 200 OK\r\nX-Empty:\r\ncontent-LENGTH: \t 2 \t\r\nx-amzn-requestid:R-1\r\nConnection:  Close \r\n\r\n{}");
  REQUIRE(p.r == result::done);
  CHECK(p.res.body == "{}");
  CHECK(p.res.request_id == "R-1");
  CHECK_FALSE(p.res.keep_alive);
}

TEST_CASE("header names match in any case and only when whole", "[http]") {
  // Names of 8 bytes and more are compared eight bytes at a time.
  const parsed p = parse_every_split(
      "HTTP/1.1 200 OK\r\nX-AMZN-REQUESTID: upper\r\nx-amz-CRC32: 7\r\nCONTENT-LENGTH: 2\r\n"
      "Content-Lengths: 9\r\nContent-Lengtg: 9\r\nx-amzn-requestiD2: no\r\nX-Amz-Crc33: 8\r\n"
      "X-Amz-Retry-AfteR: 40\r\nx-amz-retry-afte: 1\r\n\r\n{}");
  REQUIRE(p.r == result::done);
  CHECK(p.res.body == "{}");
  CHECK(p.res.request_id == "upper");
  REQUIRE(p.res.crc32);
  CHECK(*p.res.crc32 == 7u);
  REQUIRE(p.res.retry_after);
  CHECK(p.res.retry_after->count() == 40);
  // Bytes that are not letters are not folded: '@' and '`' are one bit from 'A' and 'a'.
  const parsed q = parse_every_split("HTTP/1.1 200 OK\r\nx-amzn-requestid: a\r\nX-AMZN-REQUESTI@: b\r\n"
                                     "x-amzn-requesti`: c\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(q.r == result::done);
  CHECK(q.res.request_id == "a");
}

TEST_CASE("pipelined responses: the parser stops at the end of the first", "[http]") {
  const std::string two = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 400 Bad\r\nContent-Length: 3\r\n\r\nabc";
  response_parser p(1000);
  std::size_t used = 0;
  REQUIRE(p.feed(two, used) == result::done);
  CHECK(p.get().body == "{}");
  response_parser q(1000);
  std::size_t used2 = 0;
  REQUIRE(q.feed(std::string_view(two).substr(used), used2) == result::done);
  CHECK(q.get().status == 400);
  CHECK(q.get().body == "abc");
  CHECK(used + used2 == two.size());
}

TEST_CASE("chunked bodies, with extensions and trailers", "[http]") {
  const parsed p = parse_every_split(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\nA\r\n:\"0123456\"\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n");
  REQUIRE(p.r == result::done);
  CHECK(p.res.body == "{\"a\":\"0123456\"}");
}

TEST_CASE("keep-alive by version and Connection", "[http]") {
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").res.keep_alive);
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n").res.keep_alive);
  CHECK_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").res.keep_alive);
  CHECK(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").res.keep_alive);
}

TEST_CASE("a body framed by the end of the connection", "[http]") {
  const parsed p = parse("HTTP/1.1 200 OK\r\n\r\nuntil close", 0, true);
  REQUIRE(p.r == result::done);
  CHECK(p.res.body == "until close");
  CHECK_FALSE(p.res.keep_alive);
  // Without the close it is not done.
  CHECK(parse("HTTP/1.1 200 OK\r\n\r\nuntil close").r == result::need_more);
}

TEST_CASE("responses without a body", "[http]") {
  CHECK(parse("HTTP/1.1 204 No Content\r\n\r\n").r == result::done);
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").r == result::done);
}

TEST_CASE("malformed responses are errors that say why", "[http]") {
  struct bad {
    const char* text;
    const char* why;
  };
  for (const bad& b : {
           bad{"SSH-2.0-OpenSSH\r\n\r\n", "status line"},
           bad{"HTTP/1.1 200 OK\rX\r\n\r\n", "bare CR"},
           bad{"HTTP/2 200 OK\r\n\r\n", "status line"},
           bad{"HTTP/1.1 20 OK\r\n\r\n", "status"},
           bad{"HTTP/1.1 2000 OK\r\n\r\n", "status"},
           bad{"HTTP/1.1 700 OK\r\n\r\n", "status"},
           bad{"HTTP/1.1 100 Continue\r\n\r\n", "informational"},
           bad{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length"},
           bad{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"},
           bad{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"},
           bad{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "both"},
           bad{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"},
           bad{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "without a name"},
           bad{"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "white space"},
           bad{"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", "folded"},
           bad{"HTTP/1.1 200 OK\r\nBad\tName: x\r\n\r\n", "white space"},
           bad{"HTTP/1.1 200 OK\r\n: x\r\n\r\n", "without a name"},
           bad{"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", "bare CR"},
           bad{"HTTP/1.1 200 OK\r\nX-A\r\nContent-Length: 0\r\n\r\n", "without a name"},
           bad{"HTTP/1.1 200 OK\r\n\rX: 1\r\nContent-Length: 0\r\n\r\n", "without a name"},  // never skips the rest
           bad{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
           bad{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", "CRLF"},
       }) {
    INFO(b.text);
    const parsed p = parse(b.text);
    CHECK(p.r == result::error);
    CHECK_THAT(p.error, Catch::Contains(b.why));
  }
  // A header that never ends.
  CHECK(parse("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a')).r == result::error);
  // Every truncation of a valid response waits for more, and then fails at the close.
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t n = 0; n < ok.size(); ++n) {
    INFO(n);
    CHECK(parse(ok.substr(0, n)).r == result::need_more);
    const parsed closed = parse(ok.substr(0, n), 0, true);
    CHECK(closed.r != result::done);
  }
}

TEST_CASE("bodies over the limit are refused, by length or as they grow", "[http]") {
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0, false, 10).r == result::body_too_large);
  CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n", 0, false, 10).r == result::body_too_large);
  CHECK(parse("HTTP/1.1 200 OK\r\n\r\n" + std::string(50, 'x'), 0, false, 10).r == result::body_too_large);
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 0, false, 10).r == result::done);
}

TEST_CASE("a malformed CRC32 header is flagged, not ignored", "[http]") {
  const parsed p = parse("HTTP/1.1 200 OK\r\nx-amz-crc32: abc\r\nContent-Length: 0\r\n\r\n");
  CHECK(p.res.crc32_malformed);
  CHECK_FALSE(p.res.crc32);
}

TEST_CASE("numbers in headers: digits only, within their type", "[http]") {
  auto crc_of = [](const std::string& v) {
    return parse("HTTP/1.1 200 OK\r\nx-amz-crc32: " + v + "\r\nContent-Length: 0\r\n\r\n").res;
  };
  CHECK(crc_of("0").crc32 == 0u);
  CHECK(crc_of("123456789").crc32 == 123456789u);
  CHECK(crc_of("4294967295").crc32 == 4294967295u);  // the largest CRC32
  for (const char* bad : {"4294967296", "99999999999", "+1", "-1", "1e3", "12a", "0x10", "18446744073709551616"}) {
    INFO(bad);
    CHECK(crc_of(bad).crc32_malformed);
  }
  auto length_of = [](const std::string& v) {
    return parse("HTTP/1.1 200 OK\r\nContent-Length: " + v + "\r\n\r\n");
  };
  CHECK(length_of("0").r == result::done);
  CHECK(length_of("0000000000000000000").r == result::done);                  // 19 digits, zero
  CHECK(length_of("9999999999999999999").r == result::body_too_large);        // 19 digits: a number, over the limit
  CHECK(length_of("99999999999999999999").r == result::error);                // 20 digits, over 64 bits
  CHECK(length_of("18446744073709551615").r == result::body_too_large);       // the largest, 20 digits
  CHECK(length_of("18446744073709551616").r == result::error);
}

TEST_CASE("limits hold however the bytes arrive: chunk lines, trailers, the header block", "[http]") {
  // Found by fuzzing: a chunk line over its limit passed when it came in one
  // read and failed in small ones (the limit was checked only while its CR LF
  // was missing); trailers shared the pattern.
  auto every_way = [](const std::string& text, std::size_t header_limit) {
    const parsed whole = parse(text, 0, false, 1 << 20, header_limit);
    for (std::size_t step : {1, 2, 3, 5, 7, 16, 100, 1000, 1024, 1025, 1026, 4096}) {
      INFO("step " << step);
      const parsed split = parse(text, step, false, 1 << 20, header_limit);
      CHECK(split.r == whole.r);
      CHECK(split.res.body == whole.res.body);
    }
    return whole.r;
  };
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t line : {1023, 1024, 1025, 1026, 2000}) {
    INFO("chunk line of " << line << " bytes");
    const std::string ext = ";e=" + std::string(line - 4, 'x');  // "5" + ext: `line` bytes
    const std::string text = head + "5" + ext + "\r\nhello\r\n0\r\n\r\n";
    CHECK(every_way(text, 16 * 1024) == (line <= 1024 ? result::done : result::error));
  }
  for (std::size_t total : {100, 511, 512, 513, 1000}) {
    INFO("trailer section of " << total << " bytes with a header limit of 512");
    // Two trailer fields and the blank line make `total` bytes.
    const std::size_t first = total / 2;
    const std::string t1 = "A: " + std::string(first - 5, 'a') + "\r\n";
    const std::string t2 = "B: " + std::string(total - first - 7, 'b') + "\r\n";
    const std::string text = head.substr(0, head.size() - 2) + "Pad: p\r\n\r\n" + "5\r\nhello\r\n0\r\n" + t1 + t2 + "\r\n";
    REQUIRE(t1.size() + t2.size() + 2 == total);
    CHECK(every_way(text, 512) == (total <= 512 ? result::done : result::error));
  }
  for (std::size_t size : {511, 512, 513}) {
    INFO("header block of " << size << " bytes with a limit of 512");
    std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ";
    text += std::string(size - text.size() - 4, 'p') + "\r\n\r\n";
    REQUIRE(text.size() == size);
    CHECK(every_way(text + "{}", 512) == (size <= 512 ? result::done : result::error));
  }
}

TEST_CASE("a header block trickling in is read once, whatever the split", "[http]") {
  // Many lines of every length, fed at every step from 1 to 40 bytes: the
  // parser resumes inside names, values, CRs and the status line.
  std::string text = "HTTP/1.1 503 Service Unavailable\r\nx-amzn-RequestId: R1\r\nDate: Sat, 21 Nov 2026 07:28:26 GMT\r\n";
  for (int i = 0; i < 60; ++i) text += "X-" + std::string(static_cast<std::size_t>(i), 'n') + ": " + std::string(static_cast<std::size_t>(i * 7 % 50), 'v') + "\r\n";
  text += "x-amz-crc32: 42\r\nConnection: close\r\nContent-Length: 3\r\n\r\n{}\n";
  const parsed whole = parse(text);
  REQUIRE(whole.r == result::done);
  CHECK(whole.res.request_id == "R1");
  CHECK(whole.res.crc32 == 42u);
  CHECK_FALSE(whole.res.keep_alive);
  CHECK(std::string(whole.res.date) == "Sat, 21 Nov 2026 07:28:26 GMT");
  for (std::size_t step = 1; step <= 40; ++step) {
    INFO("step " << step);
    const parsed split = parse(text, step);
    CHECK(split.r == result::done);
    CHECK(split.res.body == "{}\n");
    CHECK(split.res.request_id == "R1");
    CHECK(split.res.crc32 == 42u);
    CHECK_FALSE(split.res.keep_alive);
    CHECK(std::string(split.res.date) == std::string(whole.res.date));
  }
}
