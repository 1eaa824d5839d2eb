#include "core/pem_bundle.hpp"

#include "core/base64.hpp"

namespace ddb::pem {

namespace {

// One DER element: its tag, where its content starts and how long it is.
struct element {
  unsigned char tag = 0;
  std::size_t content_at = 0;
  std::size_t content_size = 0;
  std::size_t end() const noexcept { return content_at + content_size; }
};

// Reads the element at `at` within der[0, limit); false if it does not fit
// or is not DER (indefinite or over-long lengths, multi-byte tags).
bool read_element(std::string_view der, std::size_t at, std::size_t limit, element& e) {
  if (at + 2 > limit) return false;
  e.tag = static_cast<unsigned char>(der[at]);
  if ((e.tag & 0x1f) == 0x1f) return false;
  std::size_t pos = at + 1;
  const auto first = static_cast<unsigned char>(der[pos++]);
  std::size_t length = first;
  if (first & 0x80) {
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 4 || pos + n > limit) return false;
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = length << 8 | static_cast<unsigned char>(der[pos++]);
  }
  if (length > limit - pos) return false;
  e.content_at = pos;
  e.content_size = length;
  return true;
}

constexpr unsigned char sequence = 0x30, integer = 0x02, version_tag = 0xa0;

}  // namespace

bool find_subject(std::string_view der, std::size_t& at, std::size_t& size) {
  element cert, tbs, e;
  if (!read_element(der, 0, der.size(), cert) || cert.tag != sequence || cert.end() != der.size()) return false;
  if (!read_element(der, cert.content_at, cert.end(), tbs) || tbs.tag != sequence) return false;
  std::size_t pos = tbs.content_at;
  if (!read_element(der, pos, tbs.end(), e)) return false;
  if (e.tag == version_tag) {
    pos = e.end();
    if (!read_element(der, pos, tbs.end(), e)) return false;
  }
  if (e.tag != integer) return false;  // serial number
  // signature algorithm, issuer, validity: three SEQUENCEs; then the subject
  for (int i = 0; i < 4; ++i) {
    pos = e.end();
    if (!read_element(der, pos, tbs.end(), e) || e.tag != sequence) return false;
  }
  at = pos;
  size = e.end() - pos;
  return true;
}

bundle read_bundle(std::string_view text) {
  constexpr std::string_view begin = "-----BEGIN ", dashes = "-----";
  constexpr std::string_view cert_label = "CERTIFICATE", end_cert = "-----END CERTIFICATE-----";
  bundle out;
  std::size_t pos = 0;
  for (std::size_t block = 1;; ++block) {
    const std::size_t b = text.find(begin, pos);
    if (b == std::string_view::npos) break;
    const std::size_t label_at = b + begin.size();
    // Within the line's first 80 bytes: a search to the end of the text for
    // each block would make a file without line breaks quadratic.
    const std::string_view head = text.substr(label_at, 80);
    const std::size_t label_size = head.find(dashes);
    const std::size_t label_end = label_size == std::string_view::npos ? label_size : label_at + label_size;
    if (label_end == std::string_view::npos || head.substr(0, label_size).find('\n') != std::string_view::npos) {
      out.problem = "block " + std::to_string(block) + " has no complete BEGIN line";
      break;
    }
    const std::string_view label = text.substr(label_at, label_end - label_at);
    if (label != cert_label) {
      out.problem = "block " + std::to_string(block) + " is a " + std::string(label);
      break;
    }
    const std::size_t body_at = label_end + dashes.size();
    const std::size_t e = text.find(end_cert, body_at);
    if (e == std::string_view::npos) {
      out.problem = "block " + std::to_string(block) + " has no END line";
      break;
    }
    std::string b64(e - body_at, '\0');
    std::size_t kept = 0;
    for (const char c : text.substr(body_at, e - body_at))  // without the line breaks and white space
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64[kept++] = c;
    b64.resize(kept);
    bytes der;
    if (!base64::decode(b64, der)) {
      out.problem = "block " + std::to_string(block) + " is not base64";
      break;
    }
    certificate c;
    c.der.assign(der.begin(), der.end());
    if (!find_subject(c.der, c.subject_at, c.subject_size)) {
      out.problem = "block " + std::to_string(block) + " is not a certificate";
      break;
    }
    out.certificates.push_back(std::move(c));
    pos = e + end_cert.size();
  }
  if (!out.problem.empty()) out.certificates.clear();
  return out;
}

}  // namespace ddb::pem
