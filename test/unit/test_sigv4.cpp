// SigV4: all 38 header-signing cases of the AWS test suite, byte for byte at
// every stage, DynamoDB-shaped golden cases from an independent Python
// implementation (test/data/dynamodb-sigv4/generate.py), the key cache, and
// header-injection guards.
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <filesystem>

#include "ddb/core/sigv4.hpp"
#include "support/files.hpp"

using namespace ddb;
using ddb::test::data_path;
using ddb::test::read_file;

namespace {

sigv4::time_point parse_iso8601(std::string_view s) {  // "2015-08-30T12:36:00Z"
  using namespace std::chrono;
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
  const sys_days date = year{num(0, 4)} / month{static_cast<unsigned>(num(5, 2))} / day{static_cast<unsigned>(num(8, 2))};
  return date + hours{num(11, 2)} + minutes{num(14, 2)} + seconds{num(17, 2)};
}

sigv4::time_point parse_amz_date(std::string_view s) {  // "20150830T123600Z"
  std::string iso = std::string(s.substr(0, 4)) + "-" + std::string(s.substr(4, 2)) + "-" + std::string(s.substr(6, 2)) +
                    "T" + std::string(s.substr(9, 2)) + ":" + std::string(s.substr(11, 2)) + ":" +
                    std::string(s.substr(13, 2)) + "Z";
  return parse_iso8601(iso);
}

// The raw request of a test case: request line, headers (with folded
// continuation lines), blank line, body.
struct raw_request {
  std::string method, path, query, body;
  std::vector<sigv4::header> headers;
};

raw_request parse_request_txt(const std::string& text) {
  raw_request r;
  std::size_t pos = text.find('\n');
  const std::string line = text.substr(0, pos);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  ++pos;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string h = text.substr(pos, end - pos);
    pos = end + 1;
    if (h.empty()) break;
    if (h[0] == ' ' || h[0] == '\t') {  // obsolete line folding: continues the previous value
      r.headers.back().value += " " + h;
      continue;
    }
    const std::size_t colon = h.find(':');
    r.headers.push_back({h.substr(0, colon), h.substr(colon + 1)});
  }
  if (pos < text.size()) r.body = text.substr(pos);
  return r;
}

std::string authorization_line(const std::string& signed_request) {
  const std::string key = "\nAuthorization:";
  const std::size_t at = signed_request.find(key);
  REQUIRE(at != std::string::npos);
  const std::size_t end = signed_request.find('\n', at + 1);
  return signed_request.substr(at + key.size(), end - at - key.size());
}

std::string get_string(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get(s)) return {};
  return std::string(s);
}

}  // namespace

TEST_CASE("the AWS SigV4 test suite: 38 header-signing cases, every stage byte for byte", "[sigv4]") {
  const std::string root = data_path("sigv4/v4");
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(root))
    if (entry.is_directory()) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() == 38);

  simdjson::dom::parser parser;
  for (const auto& dir : cases) {
    const std::string name = dir.filename().string();
    DYNAMIC_SECTION(name) {
      simdjson::dom::element ctx = parser.load((dir / "context.json").string());
      credentials creds;
      creds.access_key_id = get_string(ctx["credentials"], "access_key_id");
      creds.secret_access_key = secret_string(get_string(ctx["credentials"], "secret_access_key"));
      creds.session_token = secret_string(get_string(ctx["credentials"], "token"));
      sigv4::options opt;
      bool flag = false;
      if (!ctx["normalize"].get(flag)) opt.normalize_path = flag;
      if (!ctx["sign_body"].get(flag)) opt.add_content_sha256 = flag;
      if (!ctx["omit_session_token"].get(flag)) opt.sign_session_token = !flag;

      sigv4::signer signer(std::move(creds), get_string(ctx, "region"), get_string(ctx, "service"));
      const raw_request raw = parse_request_txt(read_file((dir / "request.txt").string()));
      sigv4::request req{raw.method, raw.path, raw.query, raw.headers, raw.body};
      auto parts = signer.sign(req, parse_iso8601(get_string(ctx, "timestamp")), opt);
      REQUIRE(parts);
      CHECK(parts->canonical_request == read_file((dir / "header-canonical-request.txt").string()));
      CHECK(parts->string_to_sign == read_file((dir / "header-string-to-sign.txt").string()));
      CHECK(parts->signature == read_file((dir / "header-signature.txt").string()));
      CHECK(parts->authorization == authorization_line(read_file((dir / "header-signed-request.txt").string())));
    }
  }
}

TEST_CASE("DynamoDB golden cases: generic signer and the request writer agree with an independent implementation",
          "[sigv4]") {
  simdjson::dom::parser parser;
  simdjson::dom::array cases = parser.load(data_path("dynamodb-sigv4/cases.json")).get_array();
  REQUIRE(cases.size() >= 5);
  for (simdjson::dom::element c : cases) {
    DYNAMIC_SECTION(get_string(c, "name")) {
      credentials creds{get_string(c, "access_key_id"), secret_string(get_string(c, "secret_access_key")),
                        secret_string(get_string(c, "session_token"))};
      sigv4::signer signer(creds, get_string(c, "region"), "dynamodb");
      const auto now = parse_amz_date(get_string(c, "amz_date"));
      const std::string host = get_string(c, "host"), target = get_string(c, "target"), body = get_string(c, "body");

      // Generic path.
      sigv4::request req{"POST", "/", "", {{"Host", host}, {"Content-Type", "application/x-amz-json-1.0"},
                                           {"X-Amz-Target", "DynamoDB_20120810." + target}}, body};
      auto parts = signer.sign(req, now);
      REQUIRE(parts);
      CHECK(parts->canonical_request == get_string(c, "canonical_request"));
      CHECK(parts->string_to_sign == get_string(c, "string_to_sign"));
      CHECK(parts->signature == get_string(c, "signature"));
      CHECK(parts->authorization == get_string(c, "authorization"));

      // Hot path: a complete HTTP/1.1 request that an HTTP parser accepts.
      std::string wire = "leftover from a previous request|";
      const std::size_t start = wire.size();
      signer.write_dynamodb_request(wire, host, target, body, now);
      namespace http = boost::beast::http;
      http::request_parser<http::string_body> p;
      p.eager(true);
      boost::beast::error_code ec;
      const std::string_view msg = std::string_view(wire).substr(start);
      const std::size_t used = p.put(boost::asio::buffer(msg.data(), msg.size()), ec);
      REQUIRE_FALSE(ec);
      REQUIRE(p.is_done());
      CHECK(used == msg.size());
      const auto& m = p.get();
      CHECK(m.method() == http::verb::post);
      CHECK(m.target() == "/");
      CHECK(m[http::field::host] == host);
      CHECK(m[http::field::content_type] == "application/x-amz-json-1.0");
      CHECK(m["X-Amz-Target"] == "DynamoDB_20120810." + target);
      CHECK(m["X-Amz-Date"] == get_string(c, "amz_date"));
      CHECK(m[http::field::authorization] == get_string(c, "authorization"));
      CHECK(m["X-Amz-Security-Token"] == get_string(c, "session_token"));
      CHECK(m.body() == body);
    }
  }
}

TEST_CASE("the request writer agrees with the generic signer when every piece is long", "[sigv4]") {
  // Far past the writer's size hints: the grow path must keep every byte.
  const std::string token(3000, 'T'), host = std::string(700, 'h') + ".example", region = std::string(300, 'r');
  for (const std::string& tok : {std::string(), token}) {
    sigv4::signer signer({std::string(400, 'A'), secret_string("secret"), secret_string(tok)}, region, "dynamodb");
    const auto now = parse_amz_date("20261121T101112Z");
    const std::string body(5000, 'b');
    sigv4::request req{"POST", "/", "", {{"Host", host}, {"Content-Type", "application/x-amz-json-1.0"},
                                         {"X-Amz-Target", "DynamoDB_20120810.GetItem"}}, body};
    auto parts = signer.sign(req, now);
    REQUIRE(parts);
    std::string wire;
    signer.write_dynamodb_request(wire, host, "GetItem", body, now);
    namespace http = boost::beast::http;
    http::request_parser<http::string_body> p;
    p.header_limit(64 * 1024);
    p.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = p.put(boost::asio::buffer(wire.data(), wire.size()), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(p.is_done());
    CHECK(used == wire.size());
    CHECK(p.get()[http::field::authorization] == parts->authorization);
    CHECK(p.get()[http::field::host] == host);
    CHECK(p.get()["X-Amz-Security-Token"] == tok);
    CHECK(p.get().body() == body);
  }
}

TEST_CASE("the request writer's per-second templates give what a fresh signer gives", "[sigv4]") {
  // One signer reused across operations, hosts, seconds and days (more
  // operation/host pairs than it keeps templates for) against a new signer
  // per request, which builds everything from scratch.
  using namespace std::chrono;
  const sys_days day = 2026y / November / 21d;
  const std::vector<std::string> targets = {"GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem",
                                            "Scan", "BatchGetItem", "BatchWriteItem", "TransactWriteItems"};
  for (const std::string& tok : {std::string(), std::string(1100, 'T')}) {
    const credentials creds{"AKID", secret_string("secret"), secret_string(tok)};
    sigv4::signer reused(creds, "eu-west-1", "dynamodb");
    int checked = 0;
    for (int step = 0; step < 120; ++step) {
      const auto now = day + hours(23) + minutes(59) + seconds(58) + milliseconds(97 * step);  // crosses midnight
      const std::string& target = targets[static_cast<std::size_t>(step * 7) % targets.size()];
      const std::string host = step % 5 == 0 ? "127.0.0.1:8000" : "dynamodb.eu-west-1.amazonaws.com";
      const std::string body = R"({"TableName":"t","n":)" + std::to_string(step) + "}";
      std::string a = "x", b;
      reused.write_dynamodb_request(a, host, target, body, now);
      sigv4::signer fresh(creds, "eu-west-1", "dynamodb");
      fresh.write_dynamodb_request(b, host, target, body, now);
      INFO("step " << step << " " << target << " " << host);
      CHECK(a.substr(1) == b);
      ++checked;
    }
    CHECK(checked == 120);
    CHECK(reused.key_derivations() == 2);
  }
}

TEST_CASE("the signing key is derived once per date and rederived when the date changes", "[sigv4]") {
  sigv4::signer s({"AKID", secret_string("secret"), {}}, "us-east-1", "dynamodb");
  using namespace std::chrono;
  const sys_days day = 2026y / November / 21d;
  std::string out;
  s.write_dynamodb_request(out, "h", "GetItem", "{}", day + 1h);
  s.write_dynamodb_request(out, "h", "GetItem", "{}", day + 23h + 59min + 59s);
  auto r = s.sign({"POST", "/", "", {{"Host", "h"}}, ""}, day + 2h);
  REQUIRE(r);
  CHECK(s.key_derivations() == 1);
  s.write_dynamodb_request(out, "h", "GetItem", "{}", day + 24h);
  CHECK(s.key_derivations() == 2);
  // Same inputs, same signature: the cached key is the key.
  sigv4::signer fresh({"AKID", secret_string("secret"), {}}, "us-east-1", "dynamodb");
  CHECK(fresh.signature_for("20261122", "x") == s.signature_for("20261122", "x"));
  CHECK(s.key_derivations() == 2);
}

TEST_CASE("amz dates are formatted in UTC without a locale", "[sigv4]") {
  using namespace std::chrono;
  CHECK(sigv4::format_amz_date(sys_days{2015y / August / 30d} + 12h + 36min) == "20150830T123600Z");
  CHECK(sigv4::format_amz_date(sys_days{2024y / February / 29d} + 23h + 59min + 59s + 999ms) == "20240229T235959Z");
  CHECK(sigv4::format_amz_date(sys_days{1970y / January / 1d}) == "19700101T000000Z");
}

TEST_CASE("signing refuses input that would corrupt or split the request", "[sigv4]") {
  SECTION("missing credentials name the fix") {
    try {
      sigv4::signer s({}, "us-east-1", "dynamodb");
      FAIL("expected an error");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::invalid_credentials);
      CHECK(std::string(e.what()).find("AWS_ACCESS_KEY_ID") != std::string::npos);
    }
  }
  SECTION("an access key id with a separator") {
    CHECK_THROWS_AS(sigv4::signer({"AKID/x", secret_string("s"), {}}, "us-east-1", "dynamodb"), ddb::error);
  }
  SECTION("a session token with CR LF") {
    CHECK_THROWS_AS(sigv4::signer({"AKID", secret_string("s"), secret_string("tok\r\nX-Evil: 1")}, "us-east-1",
                                  "dynamodb"),
                    ddb::error);
  }
  SECTION("a region with a slash") {
    CHECK_THROWS_AS(sigv4::signer({"AKID", secret_string("s"), {}}, "us-east-1/x", "dynamodb"), ddb::error);
  }
  sigv4::signer s({"AKID", secret_string("s"), {}}, "us-east-1", "dynamodb");
  SECTION("a header value with LF") {
    auto r = s.sign({"GET", "/", "", {{"Host", "h"}, {"X-A", "a\nb"}}, ""}, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_header);
  }
  SECTION("a header name with a colon") {
    auto r = s.sign({"GET", "/", "", {{"Host", "h"}, {"X:A", "a"}}, ""}, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_header);
  }
  SECTION("a host or target with CR LF") {
    std::string out;
    CHECK_THROWS_AS(s.write_dynamodb_request(out, "h\r\nX: y", "GetItem", "{}", {}), ddb::error);
    CHECK_THROWS_AS(s.write_dynamodb_request(out, "h", "GetItem\r\n", "{}", {}), ddb::error);
  }
  SECTION("an empty host or target, blanks in the host (fuzz_sigv4: an empty view's null data reached memcpy, UB;"
          " a tab run in the host was sent raw but signed as one space)") {
    std::string out;
    CHECK_THROWS_WITH(s.write_dynamodb_request(out, std::string_view(), "GetItem", "{}", {}),
                      Catch::Contains("the endpoint host is empty"));
    CHECK_THROWS_WITH(s.write_dynamodb_request(out, "h", std::string_view(), "{}", {}),
                      Catch::Contains("the operation name is empty"));
    CHECK_THROWS_WITH(s.write_dynamodb_request(out, "a\t\tb", "GetItem", "{}", {}),
                      Catch::Contains("the endpoint host holds a space, tab"));  // fuzz_sigv4: signed "a b"
    CHECK_THROWS_AS(s.write_dynamodb_request(out, "h\xc3\xa9", "GetItem", "{}", {}), ddb::error);
    CHECK(out.empty());
    s.write_dynamodb_request(out, "h", "GetItem", std::string_view(), {});  // an empty body is fine
    CHECK(out.find("\r\nContent-Length: 0\r\n\r\n") != std::string::npos);
  }
}

TEST_CASE("secret strings wipe what they held", "[sigv4]") {
  secret_string s("super-secret-value");
  secret_string moved(std::move(s));
  CHECK(s.empty());
  CHECK(moved.reveal() == "super-secret-value");
  moved.clear();
  CHECK(moved.empty());
  // The wipe primitive itself.
  char buf[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  secure_wipe(buf, sizeof buf);
  for (char c : buf) CHECK(c == 0);
}
