#include "ddb/core/sigv4.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

#include "core/crypto.hpp"
#include "core/percent.hpp"

namespace ddb::sigv4 {
using namespace std::string_view_literals;
using ddb::detail::hex_value;
using ddb::detail::uri_encode;
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view terminator = "aws4_request";

// Query components arrive possibly %-encoded; decode so that re-encoding is
// canonical whichever form the caller used. A '%' not followed by two hex
// digits is kept literally (and encoded as %25).
std::string uri_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

// Removes "." and ".." segments and empty segments; keeps a trailing slash.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    const std::string_view seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = next + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view piece = query.substr(pos, amp - pos);
    if (!piece.empty()) {
      const std::size_t eq = piece.find('=');
      std::pair<std::string, std::string> p;
      uri_encode(p.first, uri_decode(piece.substr(0, eq)), false);
      if (eq != std::string_view::npos) uri_encode(p.second, uri_decode(piece.substr(eq + 1)), false);
      params.push_back(std::move(p));
    }
    pos = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

// Trim, and collapse runs of blanks (including folded lines) to one space.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_token_char(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

void append_2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Appends to a string with one room check per piece and the copy inlined:
// the signed request is about 50 small pieces, and std::string::append's
// out-of-line call per piece cost about 2,000 instructions per request.
// `expected` is a size hint; more is grown into, unused room cut at the end.
class piece_writer {
 public:
  piece_writer(std::string& s, std::size_t expected) : s_(s) {
    const std::size_t at = s.size();
    s.resize(at + expected);
    p_ = s.data() + at;
  }
  piece_writer(const piece_writer&) = delete;
  piece_writer& operator=(const piece_writer&) = delete;
  ~piece_writer() { s_.resize(static_cast<std::size_t>(p_ - s_.data())); }

  // No piece is empty (template_for refuses an empty host or target), so
  // v.data() is never null here.
  [[gnu::always_inline]] piece_writer& operator<<(std::string_view v) {
    if (static_cast<std::size_t>(s_.data() + s_.size() - p_) < v.size()) grow(v.size());
    std::memcpy(p_, v.data(), v.size());
    p_ += v.size();
    return *this;
  }
  // Lowercase hex of a digest.
  piece_writer& operator<<(const crypto::digest& d) {
    if (static_cast<std::size_t>(s_.data() + s_.size() - p_) < 2 * d.size()) grow(2 * d.size());
    p_ = crypto::write_hex(p_, d.data(), d.size());
    return *this;
  }

 private:
  void grow(std::size_t need) {
    const std::size_t used = static_cast<std::size_t>(p_ - s_.data());
    s_.resize(std::max(2 * s_.size(), used + need));
    p_ = s_.data() + used;
  }
  std::string& s_;
  char* p_;
};

}  // namespace

namespace {
// YYYYMMDDTHHMMSSZ into a buffer: the request path formats it without an
// allocation (16 characters are one past the short-string buffer).
std::string_view write_amz_date(char (&s)[16], time_point t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{floor<seconds>(t - day)};
  std::memset(s, '0', sizeof s);
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return {s, sizeof s};  // outside what AWS accepts; the service will say so
  append_2(s, static_cast<unsigned>(y / 100));
  append_2(s + 2, static_cast<unsigned>(y % 100));
  append_2(s + 4, static_cast<unsigned>(ymd.month()));
  append_2(s + 6, static_cast<unsigned>(ymd.day()));
  s[8] = 'T';
  append_2(s + 9, static_cast<unsigned>(hms.hours().count()));
  append_2(s + 11, static_cast<unsigned>(hms.minutes().count()));
  append_2(s + 13, static_cast<unsigned>(hms.seconds().count()));
  s[15] = 'Z';
  return {s, sizeof s};
}
}  // namespace

std::string format_amz_date(time_point t) {
  char s[16];
  return std::string(write_amz_date(s, t));
}

result<void> check_header(std::string_view name, std::string_view value) {
  if (name.empty()) return fail(errc::invalid_header, "empty header name");
  for (unsigned char c : name)
    if (!is_token_char(c))
      return fail(errc::invalid_header, "header name '" + std::string(name) +
                                            "' holds a character that is not allowed in HTTP header names");
  for (unsigned char c : value)
    if (c == '\r' || c == '\n' || c == 0)
      return fail(errc::invalid_header, "the value of header '" + std::string(name) +
                                            "' holds CR, LF or NUL, which would split the request; remove them");
  return {};
}

// What the DynamoDB requests of one operation to one host share within one
// second: the canonical request hashed up to the payload hash, the string to
// sign hashed (keyed) up to the canonical request's hash, and the HTTP head up
// to the signature. A request then hashes its body and two 64-byte tails: 7
// SHA-256 blocks instead of 10 for a GetItem, and a session token (about a
// kilobyte) is hashed once a second instead of once per request.
struct signer::request_template {
  std::string host, target;
  std::int64_t second = std::numeric_limits<std::int64_t>::min();
  crypto::sha256_state canonical;
  crypto::sha256_state to_sign;  // keyed: wiped with the template
  std::string head;              // holds the session token: wiped with the template
  request_template() = default;
  request_template(const request_template&) = delete;
  request_template& operator=(const request_template&) = delete;
  ~request_template() { secure_wipe(head.data(), head.size()); }
};

struct signer::key_cache {
  char date[8] = {};
  crypto::hmac_key key;
  std::string scope;  // date/region/service/aws4_request, rebuilt with the key
  // One per operation and host in use (a client sends a handful of operations
  // to one host); the oldest is rebuilt for a ninth.
  static constexpr std::size_t max_templates = 8;
  std::vector<std::unique_ptr<request_template>> templates;
  std::size_t next_replaced = 0;
};

signer::signer(credentials creds, std::string region, std::string service)
    : creds_(std::move(creds)), region_(std::move(region)), service_(std::move(service)),
      key_(std::make_unique<key_cache>()) {
  if (creds_.empty())
    throw ddb::error(fail(errc::invalid_credentials,
                          "AWS credentials are missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                          "or pass credentials in the configuration"));
  for (char c : creds_.access_key_id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      throw ddb::error(fail(errc::invalid_credentials,
                            "the access key id holds a character other than letters, digits, '_' and '-'; "
                            "check AWS_ACCESS_KEY_ID"));
  if (auto r = check_header("x-amz-security-token", creds_.session_token.reveal()); !r)
    throw ddb::error(fail(errc::invalid_credentials, "the session token holds CR, LF or NUL; check AWS_SESSION_TOKEN"));
  for (std::string_view part : {std::string_view(region_), std::string_view(service_)})
    for (char c : part)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
        throw ddb::error(fail(errc::invalid_credentials, "region and service may hold only letters, digits and '-', got '" +
                                                             std::string(part) + "'"));
}

signer::signer(signer&&) noexcept = default;
signer& signer::operator=(signer&&) noexcept = default;
signer::~signer() { secure_wipe(scratch_.data(), scratch_.size()); }

signer::key_cache& signer::key_for(std::string_view date) {
  if (key_->key.valid() && std::string_view(key_->date, 8) == date) return *key_;
  secret_string k_secret;
  {
    std::string s;
    s.reserve(4 + creds_.secret_access_key.size());
    s.append("AWS4").append(creds_.secret_access_key.reveal());
    k_secret = secret_string(s);
    secure_wipe(s.data(), s.size());
  }
  crypto::digest k = crypto::hmac_sha256(k_secret.reveal(), date);
  k = crypto::hmac_sha256(crypto::as_view(k), region_);
  k = crypto::hmac_sha256(crypto::as_view(k), service_);
  k = crypto::hmac_sha256(crypto::as_view(k), terminator);
  key_->key = crypto::hmac_key(crypto::as_view(k));
  key_->templates.clear();  // keyed with the old key
  secure_wipe(k.data(), k.size());
  std::memcpy(key_->date, date.data(), 8);
  key_->scope.assign(date).append("/").append(region_).append("/").append(service_).append("/").append(terminator);
  ++key_derivations_;
  return *key_;
}

std::string signer::signature_for(std::string_view date, std::string_view string_to_sign) {
  return crypto::hex(key_for(date).key.sign(string_to_sign));
}

result<signed_parts> signer::sign(const request& req, time_point now, const options& opt) {
  signed_parts out;
  const std::string amz_date = format_amz_date(now);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);
  const std::string payload_hash = crypto::hex(crypto::sha256(req.body));

  // Stage 1: canonical request.
  std::vector<header> hs;
  hs.reserve(req.headers.size() + 3);
  for (const header& h : req.headers) {
    if (auto r = check_header(h.name, h.value); !r) return std::move(r).error();
    hs.push_back({lower(h.name), canonical_header_value(h.value)});
  }
  out.headers_to_add.push_back({"X-Amz-Date", amz_date});
  if (opt.add_content_sha256) out.headers_to_add.push_back({"X-Amz-Content-Sha256", payload_hash});
  const bool has_token = !creds_.session_token.empty();
  for (const header& h : out.headers_to_add) hs.push_back({lower(h.name), h.value});
  if (has_token && opt.sign_session_token)
    hs.push_back({"x-amz-security-token", std::string(creds_.session_token.reveal())});
  std::stable_sort(hs.begin(), hs.end(), [](const header& a, const header& b) { return a.name < b.name; });

  std::string& cr = out.canonical_request;
  cr.append(req.method).append("\n");
  if (opt.normalize_path)
    uri_encode(cr, normalize_path(req.path.empty() ? "/" : req.path), true);
  else
    uri_encode(cr, req.path.empty() ? "/" : req.path, true);
  cr.append("\n").append(canonical_query(req.query)).append("\n");
  std::string signed_headers;
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (i > 0 && hs[i].name == hs[i - 1].name) {  // repeated header: values joined in order
      cr.pop_back();
      cr.append(",").append(hs[i].value).append("\n");
      continue;
    }
    cr.append(hs[i].name).append(":").append(hs[i].value).append("\n");
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += hs[i].name;
  }
  cr.append("\n").append(signed_headers).append("\n").append(payload_hash);

  // Stage 2: string to sign.
  std::string& sts = out.string_to_sign;
  const key_cache& key = key_for(date);
  sts.append(algorithm).append("\n").append(amz_date).append("\n").append(key.scope).append("\n");
  crypto::append_hex(sts, crypto::sha256(cr));

  // Stage 3: signature and Authorization.
  out.signature = crypto::hex(key.key.sign(sts));
  out.authorization.append(algorithm).append(" Credential=").append(creds_.access_key_id).append("/").append(key.scope);
  out.authorization.append(", SignedHeaders=").append(signed_headers).append(", Signature=").append(out.signature);
  if (has_token) out.headers_to_add.push_back({"X-Amz-Security-Token", std::string(creds_.session_token.reveal())});
  return out;
}

namespace {
constexpr std::string_view content_type = "application/x-amz-json-1.0";
}  // namespace

void signer::set_target_prefix(std::string prefix) {
  bool ok = !prefix.empty() && prefix.back() == '.';
  for (std::size_t i = 0; ok && i + 1 < prefix.size(); ++i) {
    const char c = prefix[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!ok)
    throw ddb::error(fail(errc::invalid_header, "the target prefix must be letters, digits and '_' ending in '.'"));
  if (prefix == target_prefix_) return;
  target_prefix_ = std::move(prefix);
  key_->templates.clear();  // they hold the old prefix
}

const signer::request_template& signer::template_for(std::string_view host, std::string_view target,
                                                     std::string_view amz_date, std::int64_t second) {
  key_cache& key = key_for(amz_date.substr(0, 8));
  request_template* t = nullptr;
  for (auto& x : key.templates)
    if (x->target == target && x->host == host) {
      t = x.get();
      break;
    }
  if (t && t->second == second) return *t;

  if (!t) {
    if (host.empty()) throw ddb::error(fail(errc::invalid_header, "the endpoint host is empty"));
    if (target.empty()) throw ddb::error(fail(errc::invalid_header, "the operation name is empty"));
    // Visible ASCII only: the general signer would canonicalise blanks (a
    // tab run becomes one space) and sign another Host than this one sends.
    for (unsigned char c : host)
      if (c <= ' ' || c >= 0x7f)
        throw ddb::error(fail(errc::invalid_header,
                              "the endpoint host holds a space, tab, control character or non-ASCII byte"));
    for (char c : target)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
        throw ddb::error(fail(errc::invalid_header, "the operation name must be alphanumeric"));
    if (key.templates.size() < key_cache::max_templates) {
      t = key.templates.emplace_back(std::make_unique<request_template>()).get();
    } else {
      t = key.templates[key.next_replaced++ % key_cache::max_templates].get();  // its head is wiped below
    }
    t->host.assign(host);
    t->target.assign(target);
  }

  const bool has_token = !creds_.session_token.empty();
  const std::string_view token = has_token ? creds_.session_token.reveal() : std::string_view();
  const std::string_view signed_headers = has_token ? "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
                                                    : "content-type;host;x-amz-date;x-amz-target";
  // Stage 1 up to the payload hash. Header names are already lowercase and in sorted order.
  std::string& s = scratch_;
  s.clear();
  {
    piece_writer w(s, 256 + host.size() + token.size());
    w << "POST\n/\n\ncontent-type:"sv << content_type << "\nhost:"sv << host << "\nx-amz-date:"sv << amz_date;
    if (has_token) w << "\nx-amz-security-token:"sv << token;
    w << "\nx-amz-target:"sv << target_prefix_ << target << "\n\n"sv << signed_headers << "\n"sv;
  }
  t->canonical = crypto::sha256_state();
  t->canonical.update(s);
  secure_wipe(s.data(), s.size());

  // Stage 2 up to the canonical request's hash, keyed for stage 3.
  s.clear();
  {
    piece_writer w(s, 128 + key.scope.size());
    w << algorithm << "\n"sv << amz_date << "\n"sv << key.scope << "\n"sv;
  }
  t->to_sign = key.key.inner();
  t->to_sign.update(s);

  // The HTTP head up to the signature.
  secure_wipe(t->head.data(), t->head.size());
  t->head.clear();
  {
    piece_writer w(t->head, 320 + host.size() + token.size() + creds_.access_key_id.size() + key.scope.size());
    w << "POST / HTTP/1.1\r\nHost: "sv << host << "\r\nContent-Type: "sv << content_type << "\r\nX-Amz-Target: "sv
      << target_prefix_ << target << "\r\nX-Amz-Date: "sv << amz_date;
    if (has_token) w << "\r\nX-Amz-Security-Token: "sv << token;
    w << "\r\nAuthorization: "sv << algorithm << " Credential="sv << creds_.access_key_id << "/"sv << key.scope
      << ", SignedHeaders="sv << signed_headers << ", Signature="sv;
  }
  t->second = second;
  return *t;
}

void signer::write_dynamodb_request(std::string& out, std::string_view host, std::string_view target,
                                    std::string_view body, time_point now) {
  const std::int64_t second = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (second != date_second_) {
    write_amz_date(date_, now);
    date_second_ = second;
  }
  const request_template& t = template_for(host, target, std::string_view(date_, sizeof date_), second);

  char hex[64];
  crypto::sha256_state canonical = t.canonical;
  crypto::write_hex(hex, crypto::sha256(body).data(), 32);
  canonical.update(hex, sizeof hex);
  crypto::write_hex(hex, canonical.finish().data(), 32);
  crypto::sha256_state to_sign = t.to_sign;
  to_sign.update(hex, sizeof hex);
  const crypto::digest sig = key_->key.finish(to_sign);

  // Stage 3 into the request, with room for the body too (appending it does
  // not move what was written).
  char length[24];
  const std::string_view content_length(length, static_cast<std::size_t>(
                                                    std::to_chars(length, length + sizeof length, body.size()).ptr - length));
  const std::size_t head_bytes = t.head.size() + 2 * sig.size() + 48;
  out.reserve(out.size() + head_bytes + body.size());
  {
    piece_writer w(out, head_bytes);
    w << t.head << sig << "\r\nContent-Length: "sv << content_length << "\r\n\r\n"sv;
  }
  out.append(body);
}

}  // namespace ddb::sigv4
