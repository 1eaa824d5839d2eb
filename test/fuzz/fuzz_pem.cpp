// The CA bundle split (core/pem_bundle): any text either splits into
// certificates or names a problem and keeps nothing; every subject found
// lies inside its certificate and is found again; the certificates written
// back as PEM split into the same bytes. The first byte chooses whether the
// rest is read as a bundle or as one DER certificate.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/pem_bundle.hpp"

namespace {

void check_subject(std::string_view der) {
  std::size_t at = 0, size = 0;
  if (!ddb::pem::find_subject(der, at, size)) return;
  if (at > der.size() || size > der.size() - at || size < 2 || der[at] != 0x30) __builtin_trap();
}

std::string as_pem(const std::string& der) {
  std::string b64;
  ddb::base64::append_encoded(b64, reinterpret_cast<const std::uint8_t*>(der.data()), der.size());
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t at = 0; at < b64.size(); at += 64) out += b64.substr(at, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    check_subject(text);
    return 0;
  }
  const ddb::pem::bundle b = ddb::pem::read_bundle(text);
  if (!b.problem.empty() && !b.certificates.empty()) __builtin_trap();
  std::string again;
  for (const auto& c : b.certificates) {
    std::size_t at = 0, n = 0;
    if (!ddb::pem::find_subject(c.der, at, n) || at != c.subject_at || n != c.subject_size) __builtin_trap();
    check_subject(c.der);
    again += as_pem(c.der);
  }
  const ddb::pem::bundle b2 = ddb::pem::read_bundle(again);
  if (!b2.problem.empty() || b2.certificates.size() != b.certificates.size()) __builtin_trap();
  for (std::size_t i = 0; i < b.certificates.size(); ++i)
    if (b2.certificates[i].der != b.certificates[i].der) __builtin_trap();
  return 0;
}
