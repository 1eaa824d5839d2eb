// SigV4 canonicalisation (src/core/sigv4.cpp) on arbitrary requests: the
// input is split at NUL bytes into the method, path, query, body and header
// name/value pairs; the first byte holds the options. Signing never throws;
// a header that would break the request (CR, LF, NUL, bad names) is refused,
// never signed; signing is deterministic; and the canonical query string is a
// fixed point (a request whose query is already canonical canonicalises to
// itself), so what is signed is what a server recomputes. With bit 16 of the
// first byte, the DynamoDB hot path instead, against the general signer.
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/sigv4.hpp"

namespace {

std::string_view line(std::string_view text, int n) {
  for (int i = 0; i < n; ++i) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) return {};
    text.remove_prefix(nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

bool breaks_headers(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

// The value of `name: ` in an HTTP head.
std::string_view header_in(std::string_view head, std::string_view name) {
  const auto at = head.find(std::string("\r\n") + std::string(name) + ": ");
  if (at == std::string_view::npos) __builtin_trap();
  head.remove_prefix(at + name.size() + 4);
  return head.substr(0, head.find("\r\n"));
}

bool visible_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  return !s.empty();
}
bool alphanumeric(std::string_view s) {
  for (unsigned char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return !s.empty();
}

// The DynamoDB hot path (write_dynamodb_request: cached templates, one pass)
// against the general signer on the same request: the same signature and
// date, the target, content type and host sent as signed, the body and its
// length as given, nothing after the head but the body; it refuses exactly
// the hosts and targets it documents (by throwing ddb::error, writing
// nothing). Nine targets (one more than the template cache holds: reuse and
// replacement) at two times `later` x 3 hours apart (the second may fall on
// the next day: a new signing key).
void hot_path_matches(ddb::sigv4::signer& s, std::string_view target, std::string_view host, std::string_view body,
                      ddb::sigv4::time_point now, int later, bool token) {
  const bool valid = visible_ascii(host) && alphanumeric(target);
  for (int round = 0; round < 2; ++round) {
    const ddb::sigv4::time_point when = now + std::chrono::hours(3 * later * round);
    for (int n = 0; n < 9; ++n) {
      const std::string t = std::string(target) + (n ? std::string(1, char('A' + n)) : std::string());
      std::string out = "prefix";
      try {
        s.write_dynamodb_request(out, host, t, body, when);
      } catch (const ddb::error&) {
        if (out != "prefix" || valid) __builtin_trap();  // wrote something, or refused a valid request
        return;
      }
      if (!valid) __builtin_trap();  // signed what it documents refusing
      if (out.compare(0, 6, "prefix") != 0) __builtin_trap();
      std::string_view head(out);
      head.remove_prefix(6);
      const auto end = head.find("\r\n\r\n");
      if (end == std::string_view::npos || head.substr(end + 4) != body) __builtin_trap();
      head = head.substr(0, end + 2);
      if (head.rfind("POST / HTTP/1.1\r\n", 0) != 0) __builtin_trap();
      if (header_in(head, "Content-Length") != std::to_string(body.size())) __builtin_trap();
      if (header_in(head, "Host") != host) __builtin_trap();
      if (header_in(head, "Content-Type") != "application/x-amz-json-1.0") __builtin_trap();
      if (header_in(head, "X-Amz-Target") != s.target_prefix() + t) __builtin_trap();
      ddb::sigv4::request req;
      req.method = "POST";
      req.path = "/";
      req.body = body;
      req.headers = {{"Host", std::string(host)},
                     {"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", s.target_prefix() + t}};
      auto general = s.sign(req, when);
      if (!general) __builtin_trap();  // the hot path signed a request the general signer refuses
      if (header_in(head, "Authorization") != general->authorization) __builtin_trap();
      if (header_in(head, "X-Amz-Date") != general->headers_to_add[0].value) __builtin_trap();
      if (token != (head.find("\r\nX-Amz-Security-Token: token\r\n") != std::string_view::npos)) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> parts;
  std::string_view rest(input);
  while (parts.size() < 16) {
    const auto nul = rest.find('\0');
    parts.push_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  while (parts.size() < 4) parts.emplace_back();
  ddb::sigv4::request req;
  req.method = parts[0].empty() ? std::string_view("POST") : parts[0];
  req.path = parts[1].empty() ? std::string_view("/") : parts[1];
  req.query = parts[2];
  req.body = parts[3];
  req.headers.push_back({"Host", "dynamodb.us-east-1.amazonaws.com"});
  bool unsafe = false;
  for (std::size_t i = 4; i + 1 < parts.size(); i += 2) {
    req.headers.push_back({std::string(parts[i]), std::string(parts[i + 1])});
    unsafe = unsafe || breaks_headers(parts[i]) || breaks_headers(parts[i + 1]);
  }
  ddb::sigv4::options opt;
  opt.normalize_path = flags & 1;
  opt.add_content_sha256 = flags & 2;
  opt.sign_session_token = flags & 4;
  ddb::credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = ddb::secret_string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  if (flags & 8) creds.session_token = ddb::secret_string("token");
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  try {
    ddb::sigv4::signer s(creds, "us-east-1", "dynamodb");
    if (flags & 16) {
      hot_path_matches(s, parts[0], parts[1], parts[3], now, flags >> 5, flags & 8);
      return 0;
    }
    auto a = s.sign(req, now, opt);
    if (!a) return 0;
    if (unsafe) __builtin_trap();  // a header with CR, LF or NUL was signed
    auto b = s.sign(req, now, opt);
    if (!b || b->signature != a->signature || b->canonical_request != a->canonical_request) __builtin_trap();
    const std::string canonical_query(line(a->canonical_request, 2));
    ddb::sigv4::request again = req;
    again.query = canonical_query;
    auto c = s.sign(again, now, opt);
    if (!c || line(c->canonical_request, 2) != canonical_query) __builtin_trap();
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
