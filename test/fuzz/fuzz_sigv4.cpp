// SigV4 canonicalisation (src/core/sigv4.cpp) on arbitrary requests: the
// input is split at NUL bytes into the method, path, query, body and header
// name/value pairs; the first byte holds the options. Signing never throws;
// a header that would break the request (CR, LF, NUL, bad names) is refused,
// never signed; signing is deterministic; and the canonical query string is a
// fixed point (a request whose query is already canonical canonicalises to
// itself), so what is signed is what a server recomputes.
#include <cstddef>
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
