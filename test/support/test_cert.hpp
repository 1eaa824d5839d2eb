#pragma once
// Self-signed certificates made in the test (P-256, one day), so no key or
// certificate file lives in the repository.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

namespace ddb::test {

struct test_identity {
  std::string cert_pem;
  std::string key_pem;
};

// subject_alt_name in OpenSSL's syntax, e.g. "IP:127.0.0.1" or "DNS:wrong.example".
inline test_identity make_self_signed(const std::string& common_name, const std::string& subject_alt_name) {
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
  };
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key, "key generation");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, subject_alt_name},
                                   std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext, "extension");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(x, key, EVP_sha256()) > 0, "signing");
  auto to_pem = [&](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  };
  test_identity id{to_pem([&](BIO* b) { PEM_write_bio_X509(b, x); }),
                   to_pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(x);
  EVP_PKEY_free(key);
  return id;
}

}  // namespace ddb::test
