// core/pem_bundle: a PEM bundle split into DER certificates with their
// subjects found, without decoding a certificate. The split is held to
// OpenSSL's decoder on real certificates in the fault tests
// (test_trust_faults.cpp); here, the outline and every way it can be wrong.
#include <catch2/catch.hpp>

#include <string>

#include "core/base64.hpp"
#include "core/pem_bundle.hpp"

using namespace ddb;

namespace {

std::string tlv(unsigned char tag, const std::string& content) {
  std::string out(1, static_cast<char>(tag));
  const std::size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x100) {
    out += '\x81';
    out += static_cast<char>(n);
  } else {
    out += '\x82';
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  }
  return out + content;
}

const std::string subject_name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, "\x55\x04\x03") + tlv(0x0c, "ddb subject"))));

// A certificate's outline: version, serial, algorithm, issuer, validity,
// subject, a key, then the signature algorithm and value.
std::string certificate(bool with_version = true, const std::string& subject = subject_name) {
  const std::string alg = tlv(0x30, tlv(0x06, "\x2a\x86\x48\xce\x3d\x04\x03\x02"));
  std::string tbs = with_version ? tlv(0xa0, tlv(0x02, "\x02")) : "";
  tbs += tlv(0x02, "\x01\x23") + alg + tlv(0x30, tlv(0x31, "issuer")) + tlv(0x30, tlv(0x17, "validity")) + subject +
         tlv(0x30, std::string(200, 'k'));
  return tlv(0x30, tlv(0x30, tbs) + alg + tlv(0x03, std::string(70, 's')));
}

std::string pem_block(const std::string& der, const std::string& label = "CERTIFICATE", std::size_t line = 64) {
  std::string b64;
  base64::append_encoded(b64, reinterpret_cast<const std::uint8_t*>(der.data()), der.size());
  std::string out = "-----BEGIN " + label + "-----\n";
  for (std::size_t at = 0; at < b64.size(); at += line) out += b64.substr(at, line) + "\n";
  return out + "-----END " + label + "-----\n";
}

}  // namespace

TEST_CASE("pem: the subject is found in a certificate's outline", "[pem]") {
  for (bool version : {true, false}) {
    const std::string der = certificate(version);
    std::size_t at = 0, size = 0;
    REQUIRE(pem::find_subject(der, at, size));
    CHECK(der.substr(at, size) == subject_name);
  }
  SECTION("a long subject (two-byte length)") {
    const std::string long_subject = tlv(0x30, tlv(0x31, std::string(300, 'n')));
    const std::string der = certificate(true, long_subject);
    std::size_t at = 0, size = 0;
    REQUIRE(pem::find_subject(der, at, size));
    CHECK(der.substr(at, size) == long_subject);
  }
}

TEST_CASE("pem: an outline cut anywhere or with a wrong length is refused, never read past", "[pem]") {
  const std::string der = certificate();
  std::size_t at = 0, size = 0;
  for (std::size_t n = 0; n < der.size(); ++n) CHECK_FALSE(pem::find_subject(der.substr(0, n), at, size));
  CHECK_FALSE(pem::find_subject(der + "x", at, size));  // bytes after the certificate
  std::string indefinite = der;
  indefinite[1] = '\x80';
  CHECK_FALSE(pem::find_subject(indefinite, at, size));
  std::string five_byte_length = der;
  five_byte_length[1] = '\x85';
  CHECK_FALSE(pem::find_subject(five_byte_length, at, size));
  CHECK_FALSE(pem::find_subject(tlv(0x31, der.substr(2)), at, size));  // a SET, not a SEQUENCE
  std::string multi_byte_tag = der;
  multi_byte_tag[0] = '\x1f';
  CHECK_FALSE(pem::find_subject(multi_byte_tag, at, size));
}

TEST_CASE("pem: a bundle is split into its certificates; text between blocks is skipped", "[pem]") {
  const std::string a = certificate(true), b = certificate(false);
  std::string crlf = pem_block(b, "CERTIFICATE", 76);
  for (std::size_t at = crlf.find('\n'); at != std::string::npos; at = crlf.find('\n', at + 2)) crlf.insert(at, "\r");
  const pem::bundle out = pem::read_bundle("# Issuer: a comment\n" + pem_block(a) + "\nLabel\n" + crlf + "trailing text");
  REQUIRE(out.problem.empty());
  REQUIRE(out.certificates.size() == 2);
  CHECK(out.certificates[0].der == a);
  CHECK(out.certificates[1].der == b);
  CHECK(out.certificates[1].subject() == subject_name);
  CHECK(pem::read_bundle("").certificates.empty());
  CHECK(pem::read_bundle("").problem.empty());
}

TEST_CASE("pem: anything but a plain certificate block is named, and nothing is kept", "[pem]") {
  const std::string good = pem_block(certificate());
  auto problem = [&](const std::string& second) {
    const pem::bundle b = pem::read_bundle(good + second);
    CHECK(b.certificates.empty());
    return b.problem;
  };
  CHECK(problem(pem_block(certificate(), "X509 CRL")) == "block 2 is a X509 CRL");
  CHECK(problem(pem_block(certificate(), "TRUSTED CERTIFICATE")) == "block 2 is a TRUSTED CERTIFICATE");
  CHECK(problem("-----BEGIN CERTIFICATE-----\nAAAA\n") == "block 2 has no END line");
  CHECK(problem("-----BEGIN CERTIFICATE\n") == "block 2 has no complete BEGIN line");
  CHECK(problem("-----BEGIN CERTIFICATE-----\nA*AA\n-----END CERTIFICATE-----\n") == "block 2 is not base64");
  CHECK(problem("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n") == "block 2 is not base64");
  CHECK(problem(pem_block("not DER at all")) == "block 2 is not a certificate");
}
