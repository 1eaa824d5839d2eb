#include "credentials/parse.hpp"

#include <cstdio>
#include <ctime>

#include "core/percent.hpp"
#include "core/utf8.hpp"
#include "ddb/core/secret.hpp"

namespace ddb::auth {
namespace {

failure bad(const std::string& what) { return fail(errc::credentials_unavailable, what); }

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// The clock counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. A time
// from before 1970 is refused (no credential expires then, no server's clock
// reads it, and the clock-skew arithmetic must not overflow); one past the
// clock's end is the end (never). secs comes from 4-digit years: no overflow.
constexpr long long max_whole_seconds =
    std::chrono::duration_cast<std::chrono::seconds>(sys_time::duration::max()).count() - 1;
result<sys_time> time_from(long long secs, long long nanos, const char* what) {
  if (secs < 0) return fail(errc::invalid_config, std::string(what) + " is before 1970");
  if (secs > max_whole_seconds) return sys_time::max();
  return sys_time(std::chrono::duration_cast<sys_time::duration>(std::chrono::seconds(secs) +
                                                                 std::chrono::nanoseconds(nanos)));
}

const json_member* member(const std::vector<json_member>& ms, std::string_view name) {
  for (const json_member& m : ms)
    if (m.name == name) return &m;
  return nullptr;
}

// The four fields every JSON source shares; `token_name` is "SessionToken" or "Token".
result<credentials> credentials_from(const std::vector<json_member>& ms, std::string_view token_name) {
  credentials c;
  const json_member* id = member(ms, "AccessKeyId");
  const json_member* secret = member(ms, "SecretAccessKey");
  if (!id || !id->is_string || id->value.empty()) return bad("the answer has no AccessKeyId string");
  if (!secret || !secret->is_string || secret->value.empty()) return bad("the answer has no SecretAccessKey string");
  c.access_key_id = id->value;
  c.secret_access_key = secret_string(secret->value);
  if (const json_member* t = member(ms, token_name); t && t->is_string) c.session_token = secret_string(t->value);
  if (const json_member* e = member(ms, "Expiration"); e && e->is_string && !e->value.empty()) {
    auto when = parse_iso8601(e->value);
    if (!when) return bad("its Expiration '" + e->value + "' is not an ISO 8601 time (" + when.error().message + ")");
    c.expiration = *when;
  }
  return c;
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      unsigned long cp = 0;
      const bool hexa = ent[1] == 'x' || ent[1] == 'X';
      const std::string digits_text(ent.substr(hexa ? 2 : 1));
      char* end = nullptr;
      cp = std::strtoul(digits_text.c_str(), &end, hexa ? 16 : 10);
      if (digits_text.empty() || *end != '\0' || cp == 0 || cp > 0x10FFFF) {
        out.append(s.substr(i, semi - i + 1));
      } else {
        utf8::append(out, static_cast<char32_t>(cp));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

}  // namespace

result<sys_time> parse_iso8601(std::string_view s) {
  int y, mo, d, h, mi, sec;
  auto invalid = [&] { return fail(errc::invalid_config, "expected YYYY-MM-DDThh:mm:ssZ"); };
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, sec))
    return invalid();
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return invalid();
  std::size_t pos = 19;
  long long nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    long long scale = 100000000;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return invalid();
  }
  long long offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size()) return invalid();
    const std::size_t m = s[pos + 3] == ':' ? pos + 4 : pos + 3;
    if (!digits(s, m, 2, om)) return invalid();
    offset_minutes = sign * (oh * 60 + om);
    pos = m + 2;
  } else {
    return fail(errc::invalid_config, "the time has no time zone (expected a Z or +hh:mm at the end)");
  }
  if (pos != s.size()) return invalid();
  const long long secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return time_from(secs, nanos, "the time");
}

std::string format_iso8601(sys_time t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

result<sys_time> parse_http_date(std::string_view s) {
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto invalid = [] { return fail(errc::invalid_response, "not an HTTP date (expected e.g. Sun, 06 Nov 1994 08:49:37 GMT)"); };
  // "Www, DD Mon YYYY hh:mm:ss GMT"
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s.substr(25) != " GMT")
    return invalid();
  int d, y, h, mi, sec, mo = 0;
  if (!digits(s, 5, 2, d) || !digits(s, 12, 4, y) || !digits(s, 17, 2, h) || !digits(s, 20, 2, mi) || !digits(s, 23, 2, sec))
    return invalid();
  while (mo < 12 && months[mo] != s.substr(8, 3)) ++mo;
  if (mo == 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return invalid();
  // A server's clock between 1970 and 2262: anything else is not a clock
  // to correct ours by.
  const long long secs = days_from_civil(y, mo + 1, d) * 86400 + h * 3600 + mi * 60 + sec;
  if (secs < 0 || secs > max_whole_seconds)
    return fail(errc::invalid_response, "the HTTP date " + std::string(s) + " is outside 1970-2262");
  return time_from(secs, 0, "the HTTP date");
}


result<credentials> parse_process_output(std::string_view json) {
  auto ms = parse_flat_object(json);
  if (!ms) return bad("its output is not a JSON object: " + ms.error().message);
  const json_member* version = member(*ms, "Version");
  if (!version) return bad("its output has no \"Version\": 1");
  if (version->is_string || version->value != "1")
    return bad("its output has \"Version\": " + version->value + ", and only version 1 is defined");
  return credentials_from(*ms, "SessionToken");
}

result<credentials> parse_metadata_credentials(std::string_view json) {
  auto ms = parse_flat_object(json);
  if (!ms) return bad("the answer is not a JSON object: " + ms.error().message);
  if (const json_member* code = member(*ms, "Code"); code && code->value != "Success") {
    const json_member* msg = member(*ms, "Message");
    return bad("the answer's Code is '" + code->value + "'" + (msg ? ": " + msg->value : std::string()));
  }
  return credentials_from(*ms, "Token");
}

std::string xml_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const std::size_t a = xml.find(open);
  if (a == std::string_view::npos) return {};
  const std::size_t from = a + open.size();
  const std::size_t b = xml.find(close, from);
  if (b == std::string_view::npos) return {};
  return decode_entities(xml.substr(from, b - from));
}

result<credentials> parse_sts_response(std::string_view xml, unsigned http_status) {
  if (http_status != 200 || xml.find("<ErrorResponse") != std::string_view::npos) {
    std::string code = xml_text(xml, "Code"), message = xml_text(xml, "Message");
    if (code.empty())
      return bad("STS answered HTTP " + std::to_string(http_status) + " without an error document");
    return bad("STS refused: " + code + (message.empty() ? std::string() : ": " + message));
  }
  const std::size_t at = xml.find("<Credentials>");
  if (at == std::string_view::npos) return bad("the STS answer has no <Credentials>");
  const std::string_view block = xml.substr(at);
  credentials c;
  c.access_key_id = xml_text(block, "AccessKeyId");
  std::string secret = xml_text(block, "SecretAccessKey"), token = xml_text(block, "SessionToken");
  c.secret_access_key = secret_string(secret);
  c.session_token = secret_string(token);
  secure_wipe(secret.data(), secret.capacity());
  secure_wipe(token.data(), token.capacity());
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return bad("the STS answer's <Credentials> lack AccessKeyId or SecretAccessKey");
  const std::string exp = xml_text(block, "Expiration");
  if (!exp.empty()) {
    auto when = parse_iso8601(exp);
    if (!when) return bad("the STS answer's Expiration '" + exp + "' is not an ISO 8601 time");
    c.expiration = *when;
  }
  return c;
}

std::string form_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  ddb::detail::uri_encode(out, s, false);
  return out;
}

std::string mask_secret(std::string_view s) {
  if (s.size() <= 4) return std::string(16, '*');
  return std::string(16, '*') + std::string(s.substr(s.size() - 4));
}

}  // namespace ddb::auth
