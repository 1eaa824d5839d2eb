#pragma once
// A PEM bundle of certificates (a CA file such as ca-certificates.crt),
// split into DER certificates with each one's subject found, without
// decoding a certificate: what a trust store needs to decode only the
// certificates a handshake asks for (transport/trust_store.*). Pure.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ddb::pem {

struct certificate {
  std::string der;              // the whole certificate, DER
  std::size_t subject_at = 0;   // the subject Name (tag, length and content) within der
  std::size_t subject_size = 0;
  std::string_view subject() const noexcept { return std::string_view(der).substr(subject_at, subject_size); }
};

struct bundle {
  std::vector<certificate> certificates;
  // Empty when every block was a certificate read whole; otherwise what
  // stopped the reading ("block 3 is a X509 CRL", "block 2 is not base64",
  // ...): the caller then reads the file with a full decoder instead.
  std::string problem;
};

// Splits text into its "-----BEGIN CERTIFICATE-----" blocks. Text outside
// blocks is ignored (as OpenSSL does: bundles carry comments).
bundle read_bundle(std::string_view text);

// The subject Name of a DER certificate as a (start, size) within der, or
// false when der is not a certificate's outline (SEQUENCE { SEQUENCE {
// [0] version?, serial, algorithm, issuer, validity, subject, ... } ... }).
bool find_subject(std::string_view der, std::size_t& at, std::size_t& size);

}  // namespace ddb::pem
