// Seeded mutation tests for the two parsers that read bytes from the network:
// thousands of corrupted variants of valid inputs must end in a result or a
// clean error, never a crash, a hang or undefined behaviour (the sanitizer
// build runs these too). Deterministic: the seed is fixed.
#include <catch2/catch.hpp>

#include <random>

#include "core/http_response.hpp"
#include "ddb/core/json.hpp"

using namespace ddb;

namespace {

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 4), byte(0, 255);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (op(rng)) {
      case 0: s[at] = static_cast<char>(byte(rng)); break;                    // flip a byte
      case 1: s.erase(at, 1 + rng() % 8); break;                               // drop a few
      case 2: s.insert(at, 1, static_cast<char>(byte(rng))); break;            // insert one
      case 3: s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 16)); break;  // duplicate a piece
      default: s.resize(at); break;                                            // truncate
    }
  }
  return s;
}

}  // namespace

TEST_CASE("mutated HTTP responses never break the parser", "[mutation]") {
  const std::string seeds[] = {
      "HTTP/1.1 200 OK\r\nx-amzn-RequestId: R\r\nx-amz-crc32: 12\r\nContent-Length: 17\r\n\r\n{\"TableNames\":[]}",
      "HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x\r\nabc\r\n0\r\nT: v\r\n\r\n",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\n\r\nbody until the connection closes",
  };
  std::mt19937 rng(20261121);
  int done = 0, errors = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string input = mutate(seeds[i % 4], rng);
    detail::response_parser p(256);
    std::size_t used = 0;
    const auto r = p.feed(input, used);
    REQUIRE(used <= input.size());
    if (r == detail::response_parser::result::done) {
      ++done;
      CHECK(p.get().body.size() <= 256);
    } else if (r == detail::response_parser::result::error) {
      ++errors;
      CHECK_FALSE(p.error().empty());
    } else if (r == detail::response_parser::result::need_more) {
      (void)p.feed_eof();  // the peer closes: must also end cleanly
    }
  }
  CHECK(done > 0);
  CHECK(errors > 0);
}

TEST_CASE("mutated DynamoDB JSON never breaks the reader", "[mutation]") {
  const std::string seeds[] = {
      json::to_json(item{{"pk", "user#1"}, {"n", number("-12.5E3")}, {"b", bytes{1, 2, 3}}, {"ok", true}, {"z", null},
                         {"m", item{{"l", list{1, "x", item{}}}}}, {"ss", string_set{"a", "b"}},
                         {"ns", number_set{1, 2}}, {"bs", binary_set{bytes{9}}}}),
      R"({"__type":"x#TransactionCanceledException","Message":"m","CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Item":{"a":{"S":"b"}}}]})",
  };
  std::mt19937 rng(42);
  int parsed = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string input = mutate(seeds[i % 2], rng);
    auto it = json::parse_item(input);
    auto err = json::parse_error(input);
    if (it) {
      ++parsed;
      // Whatever was read can be written back and read again to the same value,
      // unless writing refuses it for a reason DynamoDB would refuse it too.
      std::string again;
      json::writer w(again);
      if (json::write_item(w, *it)) {
        auto back = json::parse_item(again);
        REQUIRE(back);
        CHECK(*back == *it);
      }
    } else {
      ++failed;
      CHECK_FALSE(it.error().message.empty());
    }
    if (!err) CHECK_FALSE(err.error().message.empty());
  }
  CHECK(parsed > 0);
  CHECK(failed > 0);
}
