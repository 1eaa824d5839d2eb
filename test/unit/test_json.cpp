// The JSON codec: round trips of every type, escaping, the limits DynamoDB
// sets, and bad input of every kind getting a clear error (never a crash or a
// silently wrong value).
#include <catch2/catch.hpp>

#include <cstdio>

#include <sodium.h>

#include <random>

#include "core/base64.hpp"
#include "ddb/core/json.hpp"
#include "support/values.hpp"

using namespace ddb;
using ddb::test::nested;

namespace {

item every_type() {
  return item{
      {"null", null},
      {"yes", true},
      {"no", false},
      {"s", "hello"},
      {"empty_s", ""},
      {"n", number("-12.500E3")},
      {"big", number("12345678901234567890123456789012345678")},
      {"b", bytes{0, 1, 2, 253, 254, 255}},
      {"empty_b", bytes{}},
      {"m", item{{"inner", "x"}, {"deeper", item{{"k", 1}}}}},
      {"empty_m", item{}},
      {"l", list{1, "two", list{}, item{{"z", null}}}},
      {"ss", string_set{"a", "b", "c"}},
      {"ns", number_set{1, number("2.5"), number("-1E-130")}},
      {"bs", binary_set{to_bytes("a"), to_bytes("b")}},
  };
}

std::error_code parse_code(std::string_view json) {
  auto r = json::parse_item(json);
  return r ? std::error_code{} : r.error().code;
}

std::string parse_message(std::string_view json) {
  auto r = json::parse_item(json);
  return r ? std::string{} : r.error().message;
}

}  // namespace

TEST_CASE("every type round-trips through JSON", "[json]") {
  const item it = every_type();
  const std::string text = json::to_json(it);
  auto back = json::parse_item(text);
  REQUIRE(back);
  CHECK(*back == it);
  CHECK(json::to_json(*back) == text);  // and the text is stable
  for (const auto& [name, v] : it) {
    INFO(name);
    auto one = json::parse_value(json::to_json(v));
    REQUIRE(one);
    CHECK(*one == v);
  }
}

TEST_CASE("the writer produces DynamoDB JSON exactly", "[json]") {
  CHECK(json::to_json(item{{"pk", "a"}, {"n", 5}, {"f", false}, {"z", null}}) ==
        R"({"pk":{"S":"a"},"n":{"N":"5"},"f":{"BOOL":false},"z":{"NULL":true}})");
  CHECK(json::to_json(value(bytes{'h', 'i', '!'})) == R"({"B":"aGkh"})");
  CHECK(json::to_json(value(number_set{number("+3")})) == R"({"NS":["3"]})");
  CHECK(json::to_json(value(list{})) == R"({"L":[]})");
  CHECK(json::to_json(value(item{})) == R"({"M":{}})");
}

TEST_CASE("strings are escaped correctly, UTF-8 passes through", "[json]") {
  const std::string tricky = std::string("q\"b\\s/n\nr\rt\tb\bf\f") + '\x01' + '\x1f' + '\x7f' + "é☃😀" +
                             std::string(1, '\0') + "end";
  const std::string text = json::to_json(value(tricky));
  CHECK(text == std::string(R"({"S":"q\"b\\s/n\nr\rt\tb\bf\f\u0001\u001f)") + '\x7f' + "é☃😀\\u0000end\"}");
  auto back = json::parse_value(text);
  REQUIRE(back);
  CHECK(back->as_string() == tricky);
  // Escapes the writer never makes are still read.
  auto esc = json::parse_value(R"({"S":"\u00e9\ud83d\ude00\/"})");
  REQUIRE(esc);
  CHECK(esc->as_string() == "é😀/");
}

TEST_CASE("escapes are found at every position of strings short and long", "[json]") {
  // The writer searches 16 bytes at a time, then 8 (the last 8 padded): put
  // each escapable byte at each position of strings around and across those
  // blocks, next to bytes just outside the escaped ranges (0x20, 0x7f, high
  // bytes), and a second one after it.
  auto expected = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  for (std::size_t n : {1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47}) {
    for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\r', '\t', '\0'}) {
      for (std::size_t at = 0; at < n; ++at) {
        std::string text(n, 'a');
        for (std::size_t i = 0; i < n; i += 5) text[i] = '\x7f';  // next to the control range, not in it
        for (std::size_t i = 1; i < n; i += 7) text[i] = ' ';      // 0x20: the first byte not escaped
        for (std::size_t i = 3; i < n; i += 6) text[i] = '\xff';   // high bytes (not valid UTF-8: the writer's callers check that)
        for (std::size_t i = 2; i < n; i += 9) text[i] = '!';      // 0x21, one past '"' minus one
        text[at] = special;
        if (at + 3 < n) text[at + 3] = '"';
        std::string out;
        json::writer w(out);
        w.string(text);
        INFO("length " << n << ", byte " << int(special) << " at " << at);
        CHECK(out == expected(text));
      }
    }
    std::string plain(n, 'z');
    std::string out;
    json::writer w(out);
    w.string(plain);
    CHECK(out == "\"" + plain + "\"");
  }
}

TEST_CASE("writing refuses what DynamoDB would reject, and leaves the buffer as it was", "[json]") {
  std::string buf = "prefix";
  json::writer w(buf);
  auto expect = [&](const item& it, errc code, std::string_view where) {
    auto r = json::write_item(w, it);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    INFO(r.error().message);
    CHECK(r.error().message.rfind(std::string(where) + ": ", 0) == 0);
    CHECK(buf == "prefix");
  };
  expect(item{{"s", std::string("bad \xff utf8")}}, errc::invalid_utf8, "s");
  expect(item{{"ok", 1}, {std::string("n\xc3"), 1}}, errc::invalid_utf8, "n\xc3");
  expect(item{{"m", item{{"tags", string_set{"a", std::string("\xed\xa0\x80")}}}}}, errc::invalid_utf8, "m.tags[1]");
  expect(item{{"ss", string_set{}}}, errc::empty_set, "ss");
  expect(item{{"ns", number_set{}}}, errc::empty_set, "ns");
  expect(item{{"bs", binary_set{}}}, errc::empty_set, "bs");
  expect(item{{"ss", string_set{"a", "b", "a"}}}, errc::duplicate_in_set, "ss");
  expect(item{{"ns", number_set{number("1"), number("2"), number("1.0")}}}, errc::duplicate_in_set, "ns");
  expect(item{{"bs", binary_set{to_bytes("x"), to_bytes("x")}}}, errc::duplicate_in_set, "bs");
  expect(item{{"l", list{1, list{string_set{}}}}}, errc::empty_set, "l[1][0]");
  CHECK_THROWS_AS(json::to_json(item{{"ss", string_set{}}}), ddb::error);
}

TEST_CASE("nesting is limited to DynamoDB's 32 levels, on both sides", "[json]") {
  const value ok = nested(max_nesting_depth);
  const std::string text = json::to_json(item{{"top", ok}});
  auto back = json::parse_item(text);
  REQUIRE(back);
  CHECK(back->at("top") == ok);

  const item too_deep{{"top", nested(max_nesting_depth + 1)}};
  std::string buf;
  json::writer w(buf);
  auto r = json::write_item(w, too_deep);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::nesting_too_deep);

  // Build the too-deep JSON by hand to test the reader.
  std::string deep = R"({"top":)";
  for (int i = 1; i < max_nesting_depth + 1; ++i) deep += R"({"L":[)";
  deep += R"({"S":"leaf"})";
  for (int i = 1; i < max_nesting_depth + 1; ++i) deep += "]}";
  deep += "}";
  CHECK(parse_code(deep) == errc::nesting_too_deep);

  // Pathological depth far past any limit: an error, not a stack overflow.
  std::string abyss(100000, '[');
  CHECK(parse_code(abyss) != std::error_code{});
  std::string abyss2 = R"({"a":)";
  for (int i = 0; i < 5000; ++i) abyss2 += R"({"M":{"a":)";
  CHECK(parse_code(abyss2) != std::error_code{});
}

TEST_CASE("large items (400 KB) round-trip", "[json]") {
  std::string s(400 * 1024 - 100, 'x');
  for (std::size_t i = 0; i < s.size(); i += 97) s[i] = '"';  // plenty of escapes
  bytes b(300 * 1024);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 7);
  const item it{{"s", s}, {"b", b}};
  auto back = json::parse_item(json::to_json(it));
  REQUIRE(back);
  CHECK(*back == it);
}

TEST_CASE("malformed JSON is an error, never a crash", "[json]") {
  for (const char* bad : {"", " ", "{", "}", "[]", "null", "42", "\"x\"", R"({"a")", R"({"a":})", R"({"a":{"S":"x"},})",
                          R"({"a":{"S":"x"}} trailing)", R"({"a":{"S":"x"}}{})", R"({'a':{"S":"x"}})",
                          R"({"a":{"S":"x\q"}})", R"({"a":{"S":"\ud800"}})", "{\"a\":{\"S\":\"x\x01\"}}",
                          R"({"a":{"S":"x"})", R"({"a":{"L":[{"S":"x"},]}})", R"({a:{"S":"x"}})"}) {
    INFO(bad);
    auto code = parse_code(bad);
    CHECK(code != std::error_code{});
    CHECK_FALSE(parse_message(bad).empty());
  }
}

TEST_CASE("every truncation of a valid document is an error", "[json]") {
  const std::string text = json::to_json(every_type());
  for (std::size_t n = 0; n < text.size(); ++n) {
    INFO(n << ": " << text.substr(0, n));
    CHECK(parse_code(std::string_view(text).substr(0, n)) != std::error_code{});
  }
  CHECK(parse_code(text) == std::error_code{});
}

TEST_CASE("wrong shapes and types name the attribute and the fix", "[json]") {
  struct bad {
    const char* json;
    errc code;
    const char* where;
  };
  for (const bad& b : {
           bad{R"({"a":{"S":5}})", errc::unexpected_json, "a.S: expected a JSON string"},
           bad{R"({"a":{"N":5}})", errc::unexpected_json, "a.N: expected a number as a JSON string"},
           bad{R"({"a":{"BOOL":"true"}})", errc::unexpected_json, "a.BOOL: expected true or false"},
           bad{R"({"a":{"NULL":false}})", errc::invalid_attribute, "a.NULL: NULL must be true"},
           bad{R"({"a":{"SS":"x"}})", errc::unexpected_json, "a.SS: expected a JSON array"},
           bad{R"({"a":{"SS":["x",1]}})", errc::unexpected_json, "a.SS[1]: expected a JSON string"},
           bad{R"({"a":{"M":[]}})", errc::unexpected_json, "a.M: expected a JSON object"},
           bad{R"({"a":{"L":{}}})", errc::unexpected_json, "a.L: expected a JSON array"},
           bad{R"({"a":{}})", errc::invalid_attribute, "a: attribute value has no type"},
           bad{R"({"a":{"S":"x","N":"1"}})", errc::invalid_attribute, "a: attribute value has more than one type"},
           bad{R"({"a":{"X":"1"}})", errc::invalid_attribute, "a: unknown attribute type 'X'"},
           bad{R"({"a":5})", errc::unexpected_json, "a: expected an attribute value object"},
           bad{R"({"a":{"M":{"b":{"L":[{"S":"x"},{"N":"1e999"}]}}}})", errc::number_out_of_range, "a.M.b.L[1].N: "},
           bad{R"({"a":{"N":"123456789012345678901234567890123456789"}})", errc::number_too_precise, "a.N: "},
           bad{R"({"a":{"N":"12abc"}})", errc::invalid_number, "a.N: "},
           bad{R"({"a":{"N":""}})", errc::invalid_number, "a.N: "},
           bad{R"({"a":{"B":"!!!!"}})", errc::invalid_base64, "a.B: "},
           bad{R"({"a":{"B":"YQ"}})", errc::invalid_base64, "a.B: "},
           bad{R"({"a":{"B":"YQ=="} ,"b":{"BS":["YQ==","Y Q="]}})", errc::invalid_base64, "b.BS[1]: "},
           bad{R"({"a":{"SS":[]}})", errc::empty_set, "a.SS: "},
           bad{R"({"a":{"NS":[]}})", errc::empty_set, "a.NS: "},
           bad{R"({"a":{"BS":[]}})", errc::empty_set, "a.BS: "},
           // The reader refuses what the writer would (found by fuzzing: these
           // decoded, then could not be written back; the CLI printed {}).
           bad{R"({"a":{"SS":["x","x"]}})", errc::duplicate_in_set, "a.SS: a SS set holds the same element twice"},
           bad{R"({"a":{"NS":["1","1.0"]}})", errc::duplicate_in_set, "a.NS: "},
           bad{R"({"a":{"NS":["2","1","3","4","5","6","7","8","9","10","0.1e1"]}})", errc::duplicate_in_set, "a.NS: "},
           bad{R"({"a":{"BS":["YQ==","YQ=="]}})", errc::duplicate_in_set, "a.BS: "},
           bad{R"({"a":{"M":{"b":{"L":[{"SS":["p","q","p"]}]}}}})", errc::duplicate_in_set, "a.M.b.L[0].SS: "},
           bad{R"({"a":{"S":"x"},"a":{"S":"y"}})", errc::unexpected_json, "attribute name 'a' appears twice"},
           bad{"{\"a\":{\"S\":\"\xc3\x28\"}}", errc::invalid_utf8, "not valid UTF-8"},
       }) {
    INFO(b.json);
    auto r = json::parse_item(b.json);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == b.code);
    CHECK_THAT(r.error().message, Catch::Contains(b.where));
  }
  CHECK(json::parse_item(R"({"a":{"B":"YQ=="}})")->at("a").as_binary() == to_bytes("a"));
}

// The reader takes strings, names and integers straight from the document
// when they hold no escape; escaped, spaced-out and unusual spellings take
// simdjson's general path and must decode to the same values.
TEST_CASE("every spelling of the same item decodes to the same values", "[json]") {
  const item want{{"name", "Ada \"the\" Countess/\\ \xc3\xa9"},
                  {"n", number("-0042")},
                  {"big", number("12345678901234567890123456789012345678")},
                  {"b", to_bytes("any carnal pleas")},
                  {"ss", string_set{"a/b", "c"}},
                  {"m", item{{"k\"ey", "v"}}}};
  const std::string compact =
      R"({"name":{"S":"Ada \"the\" Countess\/\\ )" "\xc3\xa9" R"("},"n":{"N":"-0042"},)"
      R"("big":{"N":"12345678901234567890123456789012345678"},"b":{"B":"YW55IGNhcm5hbCBwbGVhcw=="},)"
      R"("ss":{"SS":["a\/b","c"]},"m":{"M":{"k\"ey":{"S":"v"}}}})";
  const std::string spaced =
      " {\n \"name\" : { \"S\" : \"Ada \\\"the\\\" Countess/\\\\ \xc3\xa9\" } ,\r\n\t\"n\":{\"N\" :\"-0042\"\t},"
      "\"big\":{\"N\":\"12345678901234567890123456789012345678\"  },\"b\" : {\"B\" : \"YW55IGNhcm5hbCBwbGVhcw==\" },"
      "\"ss\":{\"SS\":[ \"a/b\" , \"c\" ]},\"m\":{\"M\":{ \"k\\\"ey\" :{\"S\":\"v\"} } } }\n";
  const std::string escaped =  // every letter that can be is written as \u00XX
      R"({"\u006eame":{"S":"\u0041da \"the\" Countess\/\\ \u00e9"},"\u006e":{"\u004e":"-0042"},)"
      R"("big":{"N":"12345678901234567890123456789012345678"},"b":{"\u0042":"YW55IGNhcm5hbCBwbGVhcw\u003d\u003d"},)"
      R"("ss":{"SS":["a\u002fb","\u0063"]},"m":{"M":{"k\u0022ey":{"S":"\u0076"}}}})";
  for (const std::string& json : {compact, spaced, escaped}) {
    INFO(json);
    auto r = json::parse_item(json);
    REQUIRE(r);
    CHECK(*r == want);
    CHECK(r->at("n").as_number().text() == "-0042");
    CHECK(r->at("name").as_string() == want.at("name").as_string());
  }
}

TEST_CASE("numbers on the integer fast path keep DynamoDB's rules", "[json]") {
  auto n = [](std::string_view text) { return json::parse_item(R"({"a":{"N":")" + std::string(text) + R"("}})"); };
  for (const char* ok : {"0", "-0", "7", "-7", "0007", "99999999999999999999999999999999999999",
                         "-99999999999999999999999999999999999999", "000000000000000000000000000000000000000001",
                         "1000000000000000000000000000000000000000000000000000000000000"}) {
    INFO(ok);
    auto r = n(ok);
    REQUIRE(r);
    CHECK(r->at("a").as_number().text() == ok);
  }
  CHECK(n("123456789012345678901234567890123456789").error().code == errc::number_too_precise);  // 39 digits
  CHECK(n("-").error().code == errc::invalid_number);
  CHECK(n("--1").error().code == errc::invalid_number);
  CHECK(n("+1"));  // a leading plus sign goes the full check's way, which accepts it
  CHECK(n("1 ").error().code == errc::invalid_number);
  CHECK(n("1" + std::string(126, '0')).error().code == errc::number_out_of_range);
}

TEST_CASE("duplicate attribute names are found in items of every size", "[json]") {
  auto item_json = [](int members, int duplicate_of) {
    std::string j = "{";
    for (int i = 0; i < members; ++i) j += "\"a" + std::to_string(i) + "\":{\"N\":\"1\"},";
    if (duplicate_of >= 0) j += "\"a" + std::to_string(duplicate_of) + "\":{\"N\":\"2\"},";
    j.back() = '}';
    return j;
  };
  for (int members : {1, 2, 15, 31, 32, 40}) {
    INFO(members);
    auto fine = json::parse_item(item_json(members, -1));
    REQUIRE(fine);
    CHECK(fine->size() == static_cast<std::size_t>(members));
    for (int dup : {0, members / 2, members - 1}) {
      INFO(dup);
      CHECK_THAT(parse_message(item_json(members, dup)), Catch::Contains("appears twice"));
    }
  }
  // Same length and first letter, different names: not duplicates.
  CHECK(json::parse_item(R"({"ab":{"S":"1"},"ac":{"S":"2"},"ad":{"S":"3"}})"));
}

TEST_CASE("service errors are decoded from the body", "[json]") {
  SECTION("__type is stripped to the name, message in either case") {
    auto e = json::parse_error(
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})");
    REQUIRE(e);
    CHECK(e->type == "ConditionalCheckFailedException");
    CHECK(e->message == "The conditional request failed");
    auto e2 = json::parse_error(R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"bad"})");
    REQUIRE(e2);
    CHECK(e2->type == "ValidationException");
    CHECK(e2->message == "bad");
    auto e3 = json::parse_error(R"({"__type":"ThrottlingException"})");
    REQUIRE(e3);
    CHECK(e3->type == "ThrottlingException");
    CHECK(e3->message.empty());
  }
  SECTION("CancellationReasons per action, with items") {
    auto e = json::parse_error(R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
      "Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
      "CancellationReasons":[{"Code":"None"},
        {"Code":"ConditionalCheckFailed","Message":"The conditional request failed","Item":{"pk":{"S":"k"},"v":{"N":"2"}}},
        {"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]})");
    REQUIRE(e);
    CHECK(e->type == "TransactionCanceledException");
    REQUIRE(e->cancellation_reasons.size() == 3);
    CHECK(e->cancellation_reasons[0].code == "None");
    CHECK_FALSE(e->cancellation_reasons[0].item);
    CHECK(e->cancellation_reasons[1].code == "ConditionalCheckFailed");
    REQUIRE(e->cancellation_reasons[1].item);
    CHECK(*e->cancellation_reasons[1].item == item{{"pk", "k"}, {"v", 2}});
    CHECK(e->cancellation_reasons[2].code == "TransactionConflict");
  }
  SECTION("a condition failure returning the old item") {
    auto e = json::parse_error(
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"m","Item":{"pk":{"S":"a"}}})");
    REQUIRE(e);
    REQUIRE(e->item);
    CHECK(e->item->at("pk").as_string() == "a");
  }
  SECTION("bodies that are not DynamoDB errors") {
    CHECK_FALSE(json::parse_error("<html>502 Bad Gateway</html>"));
    CHECK_FALSE(json::parse_error(""));
    CHECK_FALSE(json::parse_error(R"({"message":"no type"})"));
    CHECK_FALSE(json::parse_error(R"({"__type":"X","CancellationReasons":[{"Item":{"a":{"S":1}}}]})"));
  }
}

TEST_CASE("base64 decoding agrees with libsodium's strict decoder on valid and broken input", "[json]") {
  std::mt19937 rng(99);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n*";
  auto sodium_decode = [](const std::string& in, ddb::bytes& out) {
    out.assign(in.size(), 0);
    std::size_t written = 0;
    const char* end = nullptr;
    if (in.empty()) {
      out.clear();
      return true;
    }
    const int rc = sodium_base642bin(out.data(), out.size(), in.data(), in.size(), nullptr, &written, &end,
                                     sodium_base64_VARIANT_ORIGINAL);
    out.resize(written);
    return rc == 0 && end == in.data() + in.size() && in.size() % 4 == 0;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    if (round % 2) {
      // Valid: encode random bytes, then maybe damage one character.
      ddb::bytes raw(rng() % 40);
      for (auto& b : raw) b = static_cast<std::uint8_t>(rng());
      ddb::base64::append_encoded(in, raw.data(), raw.size());
      if (round % 4 == 1 && !in.empty()) in[rng() % in.size()] = alphabet[rng() % alphabet.size()];
    } else {
      const std::size_t n = rng() % 12;
      for (std::size_t i = 0; i < n; ++i) in += alphabet[rng() % alphabet.size()];
    }
    ddb::bytes mine, theirs;
    const bool ok_mine = ddb::base64::decode(in, mine);
    const bool ok_theirs = sodium_decode(in, theirs);
    INFO("input [" << in << "]");
    REQUIRE(ok_mine == ok_theirs);
    if (ok_mine) REQUIRE(mine == theirs);
  }
}
