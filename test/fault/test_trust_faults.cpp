// Trusted authorities read lazily (transport/trust_store.*): a bundle file's
// certificates are decoded only when a chain asks for their subject, and
// what is trusted is what OpenSSL's own loader trusts. Each verification is
// checked both ways, lazily and with SSL_CTX_load_verify_file, on the same
// certificates; laziness is checked by count (held, decoded), not by time.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/pem_bundle.hpp"
#include "ddb/client.hpp"
#include "support/aws_env.hpp"
#include "support/fault_server.hpp"
#include "support/test_cert.hpp"
#include "support/with_client.hpp"
#include "transport/trust_store.hpp"

using namespace ddb;
namespace asio = boost::asio;
using ddb::test::action;
using ddb::test::fault_server;
using ddb::test::request_info;

namespace {

struct free_key {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct free_cert {
  void operator()(X509* x) const { X509_free(x); }
};
struct free_ctx {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, free_key>;
using cert_ptr = std::unique_ptr<X509, free_cert>;
using ctx_ptr = std::unique_ptr<SSL_CTX, free_ctx>;

struct authority {
  key_ptr key;
  cert_ptr cert;
};

// A certificate for `subject` (a CN) issued under `issuer` (a CN, written
// as given: its bytes may differ from the issuer's own subject) and signed
// by signer's key; self-signed when signer is null.
authority make_cert(const std::string& subject, const std::string& issuer, const authority* signer) {
  authority a;
  a.key.reset(EVP_EC_gen("P-256"));
  REQUIRE(a.key);
  a.cert.reset(X509_new());
  X509* x = a.cert.get();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, a.key.get());
  auto add_cn = [](X509_NAME* n, const std::string& cn) {
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  };
  add_cn(X509_get_subject_name(x), subject);
  X509_NAME* in = X509_NAME_new();
  add_cn(in, issuer);
  X509_set_issuer_name(x, in);
  X509_NAME_free(in);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, signer ? signer->cert.get() : x, x, nullptr, nullptr, 0);
  // Key identifiers, as real authorities carry: how a chain tells two
  // authorities of one name apart.
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_subject_key_identifier, "hash"},
                                   std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    REQUIRE(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, signer ? signer->key.get() : a.key.get(), EVP_sha256()) > 0);
  return a;
}

authority self_signed(const std::string& cn) { return make_cert(cn, cn, nullptr); }

std::string pem_of(X509* x, bool trusted_form = false) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (trusted_form)
    PEM_write_bio_X509_AUX(bio, x);
  else
    PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// A PEM file in a directory of its own (removed with it).
class temp_file {
 public:
  explicit temp_file(const std::string& text) : path_(dir_.write("ca.pem", text)) {}
  void write(const std::string& text) const { dir_.write("ca.pem", text); }
  const char* path() const { return path_.c_str(); }

 private:
  ddb::test::temp_dir dir_;
  std::string path_;
};

ctx_ptr new_ctx() { return ctx_ptr(SSL_CTX_new(TLS_client_method())); }

// X509_V_OK when leaf verifies against ctx's store, else OpenSSL's reason.
int verify(SSL_CTX* ctx, X509* leaf) {
  X509_STORE_CTX* s = X509_STORE_CTX_new();
  X509_STORE_CTX_init(s, SSL_CTX_get_cert_store(ctx), leaf, nullptr);
  const int ok = X509_verify_cert(s);
  const int err = X509_STORE_CTX_get_error(s);
  X509_STORE_CTX_free(s);
  return ok == 1 ? X509_V_OK : err;
}

// The answer lazily and with OpenSSL's own loader, which must agree.
int verify_both_ways(const char* bundle, X509* leaf) {
  ctx_ptr lazy = new_ctx(), eager = new_ctx();
  REQUIRE(detail::trust_file(lazy.get(), bundle));
  REQUIRE(SSL_CTX_load_verify_file(eager.get(), bundle) == 1);
  const int a = verify(lazy.get(), leaf), b = verify(eager.get(), leaf);
  CHECK(a == b);
  return a;
}

class env_var {
 public:
  env_var(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~env_var() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  env_var(const env_var&) = delete;
  env_var& operator=(const env_var&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("trust: a CA bundle is read lazily, only the authorities a chain needs decoded", "[fault][trust]") {
  std::vector<authority> cas;
  std::string bundle = "# a comment line, as bundles carry\n";
  for (int i = 0; i < 40; ++i) {
    cas.push_back(self_signed("ddb bundle " + std::to_string(i)));
    std::string pem = pem_of(cas.back().cert.get());
    if (i % 3 == 0)  // some with CRLF line ends
      for (std::size_t at = pem.find('\n'); at != std::string::npos; at = pem.find('\n', at + 2)) pem.insert(at, "\r");
    bundle += "ddb bundle " + std::to_string(i) + "\n" + pem + "\n";
  }
  temp_file file(bundle);
  ctx_ptr ctx = new_ctx();
  REQUIRE(detail::trust_file(ctx.get(), file.path()));
  CHECK(detail::lazy_trust_counts(ctx.get()).held == 40);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 0);

  CHECK(verify(ctx.get(), cas[17].cert.get()) == X509_V_OK);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 1);
  CHECK(verify(ctx.get(), cas[17].cert.get()) == X509_V_OK);  // now in the store: nothing more decoded
  CHECK(verify(ctx.get(), cas[39].cert.get()) == X509_V_OK);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 2);

  const authority stranger = self_signed("ddb stranger");
  CHECK(verify(ctx.get(), stranger.cert.get()) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 2);

  SECTION("the same answers as OpenSSL's loader") {
    for (int i : {0, 1, 20, 39}) CHECK(verify_both_ways(file.path(), cas[i].cert.get()) == X509_V_OK);
    CHECK(verify_both_ways(file.path(), stranger.cert.get()) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  }
  SECTION("a chain: the leaf's issuer is decoded, and an issuer of another key is refused") {
    const authority leaf = make_cert("ddb leaf", "ddb bundle 5", &cas[5]);
    CHECK(verify_both_ways(file.path(), leaf.cert.get()) == X509_V_OK);
    const authority forged = make_cert("ddb forged", "ddb bundle 6", &cas[7]);  // names 6, signed by 7
    CHECK(verify_both_ways(file.path(), forged.cert.get()) != X509_V_OK);
  }
  SECTION("a file rewritten is read again by the next context") {
    const authority later = self_signed("ddb later");
    file.write(bundle + pem_of(later.cert.get()));
    ctx_ptr next = new_ctx();
    REQUIRE(detail::trust_file(next.get(), file.path()));
    CHECK(detail::lazy_trust_counts(next.get()).held == 41);
    CHECK(verify(next.get(), later.cert.get()) == X509_V_OK);
  }
}

TEST_CASE("trust: lookups from several threads at once share one context's lazy file", "[fault][trust]") {
  std::vector<authority> cas;
  std::string bundle;
  for (int i = 0; i < 24; ++i) {
    cas.push_back(self_signed("ddb shared " + std::to_string(i)));
    bundle += pem_of(cas.back().cert.get());
  }
  temp_file file(bundle);
  ctx_ptr ctx = new_ctx();
  REQUIRE(detail::trust_file(ctx.get(), file.path()));
  // OpenSSL 3.0 fills a certificate's extension cache on first use, which
  // ThreadSanitizer sees as a race between threads verifying the same
  // certificate object (trust_store fills it before its certificates are
  // shared; these leaves are the test's own, shared by its threads).
  for (const auto& ca : cas) X509_check_purpose(ca.cert.get(), -1, 0);
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 24; ++i)  // each thread its own order: the same subjects looked up at once
          if (verify(ctx.get(), cas[(i * (t + 1) + round) % 24].cert.get()) == X509_V_OK) ++verified;
    });
  for (auto& th : threads) th.join();
  CHECK(verified == 4 * 3 * 24);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 24);  // each decoded once
}

TEST_CASE("trust: a certificate added otherwise (ca_pem) does not hide the lazy file's of its name",
          "[fault][trust]") {
  // A renewed root: the same name, a new key. The bundle file holds the new
  // one, ca_pem (added whole, as the pool adds it) the old one.
  const authority old_root = self_signed("ddb renewed"), new_root = self_signed("ddb renewed");
  const authority leaf = make_cert("ddb leaf", "ddb renewed", &new_root);
  temp_file file(pem_of(new_root.cert.get()));
  auto verify_with_pem = [&](bool settle) {
    ctx_ptr ctx = new_ctx();
    REQUIRE(detail::trust_file(ctx.get(), file.path()));
    REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), old_root.cert.get()) == 1);
    if (settle) detail::settle_trust(ctx.get());
    return verify(ctx.get(), leaf.cert.get());
  };
  CHECK(verify_with_pem(false) != X509_V_OK);  // lookups run only for names the store lacks: hidden
  CHECK(verify_with_pem(true) == X509_V_OK);   // settled: both roots there, as loaded eagerly
  ctx_ptr eager = new_ctx();
  REQUIRE(SSL_CTX_load_verify_file(eager.get(), file.path()) == 1);
  REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(eager.get()), old_root.cert.get()) == 1);
  CHECK(verify(eager.get(), leaf.cert.get()) == X509_V_OK);
}

namespace {
// A hashed directory as c_rehash makes it: <subject hash>.<n> per certificate.
void write_hashed(const ddb::test::temp_dir& dir, const std::vector<const authority*>& cas) {
  std::map<unsigned long, int> used;
  for (const authority* a : cas) {
    const unsigned long h = X509_NAME_hash_ex(X509_get_subject_name(a->cert.get()), nullptr, nullptr, nullptr);
    char name[32];
    std::snprintf(name, sizeof name, "%08lx.%d", h, used[h]++);
    dir.write(name, pem_of(a->cert.get()));
  }
}
}  // namespace

TEST_CASE("trust: a hashed directory (SSL_CERT_DIR) is read as OpenSSL reads it, certificates complete before shared",
          "[fault][trust]") {
  std::vector<authority> cas;
  for (int i = 0; i < 12; ++i) cas.push_back(self_signed("ddb dir " + std::to_string(i)));
  cas.push_back(self_signed("ddb dir twin"));
  cas.push_back(self_signed("ddb dir twin"));  // the same name: <hash>.0 and <hash>.1
  std::vector<const authority*> all;
  for (const auto& a : cas) all.push_back(&a);
  const ddb::test::temp_dir hashed;
  write_hashed(hashed, all);
  const std::string& dir = hashed.path();
  const authority stranger = self_signed("ddb dir stranger");
  const authority leaf = make_cert("ddb leaf", "ddb dir twin", &cas[13]);  // the second of the twins
  env_var no_file("SSL_CERT_FILE", ""), dirs("SSL_CERT_DIR", "/nonexistent/ddb-test:" + dir);
  ctx_ptr lazy = new_ctx(), eager = new_ctx();
  REQUIRE(detail::load_system_trust(lazy.get()));
  REQUIRE(SSL_CTX_load_verify_dir(eager.get(), dir.c_str()) == 1);
  for (const authority* a : std::initializer_list<const authority*>{&cas[0], &cas[7], &cas[11], &leaf, &stranger}) {
    const int v = verify(lazy.get(), a->cert.get());
    CHECK(v == verify(eager.get(), a->cert.get()));
    CHECK(v == (a == &stranger ? X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT : X509_V_OK));
  }
  CHECK(detail::lazy_trust_counts(lazy.get()).decoded == 5);  // 0, 7, 11 and both twins: no other file read

  SECTION("four threads at once") {
    ctx_ptr shared = new_ctx();
    REQUIRE(detail::load_system_trust(shared.get()));
    for (const auto& a : cas) X509_check_purpose(a.cert.get(), -1, 0);  // the test's own, shared below
    std::atomic<int> verified{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 12; ++i)
          if (verify(shared.get(), cas[(i * (t + 1) + t) % 12].cert.get()) == X509_V_OK) ++verified;
      });
    for (auto& th : threads) th.join();
    CHECK(verified == 4 * 12);
  }
}

TEST_CASE("trust: names are matched as OpenSSL matches them (case and spaces)", "[fault][trust]") {
  const authority ca = self_signed("DDB  Case   CA");
  const authority leaf = make_cert("ddb leaf", "ddb case ca", &ca);  // the issuer as another encoding writes it
  temp_file file(pem_of(ca.cert.get()));
  CHECK(verify_both_ways(file.path(), leaf.cert.get()) == X509_V_OK);
}

TEST_CASE("trust: two authorities of one name are both there for the chain", "[fault][trust]") {
  const authority first = self_signed("ddb twin"), second = self_signed("ddb twin");
  const authority leaf = make_cert("ddb leaf", "ddb twin", &second);
  temp_file file(pem_of(first.cert.get()) + pem_of(second.cert.get()));
  ctx_ptr ctx = new_ctx();
  REQUIRE(detail::trust_file(ctx.get(), file.path()));
  CHECK(verify(ctx.get(), leaf.cert.get()) == X509_V_OK);
  CHECK(detail::lazy_trust_counts(ctx.get()).decoded == 2);
  CHECK(verify_both_ways(file.path(), leaf.cert.get()) == X509_V_OK);
}

TEST_CASE("trust: a file that is not a plain bundle is read by OpenSSL whole; a missing one is refused",
          "[fault][trust]") {
  const authority ca = self_signed("ddb aux");
  SECTION("a TRUSTED CERTIFICATE block (trust settings): OpenSSL's loader, same trust") {
    temp_file file(pem_of(self_signed("ddb other").cert.get()) + pem_of(ca.cert.get(), true));
    ctx_ptr ctx = new_ctx();
    REQUIRE(detail::trust_file(ctx.get(), file.path()));
    CHECK(detail::lazy_trust_counts(ctx.get()).held == 0);
    CHECK(verify(ctx.get(), ca.cert.get()) == X509_V_OK);
  }
  SECTION("missing, empty, or no certificate in it: false") {
    ctx_ptr ctx = new_ctx();
    CHECK_FALSE(detail::trust_file(ctx.get(), "/nonexistent/ddb-test/ca.pem"));
    temp_file empty(""), junk("no PEM here\n");
    CHECK_FALSE(detail::trust_file(ctx.get(), empty.path()));
    CHECK_FALSE(detail::trust_file(ctx.get(), junk.path()));
    ERR_clear_error();
  }
  SECTION("a certificate block that is cut short: OpenSSL's loader, which refuses it") {
    std::string pem = pem_of(ca.cert.get());
    pem.erase(pem.find("-----END") - 40, 20);
    temp_file file(pem);
    ctx_ptr ctx = new_ctx();
    CHECK_FALSE(detail::trust_file(ctx.get(), file.path()));
    ERR_clear_error();
  }
}

TEST_CASE("trust: the split agrees with OpenSSL's decoder on every certificate of the system bundle",
          "[fault][trust]") {
  const char* path = "/etc/ssl/certs/ca-certificates.crt";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    WARN("no system CA bundle at " << path << ": the generated certificates above cover the split");
    return;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const pem::bundle b = pem::read_bundle(text);
  REQUIRE(b.problem.empty());
  REQUIRE_FALSE(b.certificates.empty());
  for (const pem::certificate& c : b.certificates) {
    const auto* p = reinterpret_cast<const unsigned char*>(c.der.data());
    cert_ptr x(d2i_X509(nullptr, &p, static_cast<long>(c.der.size())));
    REQUIRE(x);
    const unsigned char* der = nullptr;
    std::size_t n = 0;
    REQUIRE(X509_NAME_get0_der(X509_get_subject_name(x.get()), &der, &n) == 1);
    CHECK(c.subject() == std::string_view(reinterpret_cast<const char*>(der), n));
  }
}

TEST_CASE("trust: the client trusts SSL_CERT_FILE and AWS_CA_BUNDLE bundles", "[fault][trust]") {
  const auto id = ddb::test::make_self_signed("ddb test", "IP:127.0.0.1");
  fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
  std::string bundle;
  for (int i = 0; i < 10; ++i) bundle += pem_of(self_signed("ddb filler " + std::to_string(i)).cert.get());
  temp_file file(bundle + id.cert_pem + bundle);
  auto get_works = [&] {
    ddb::test::with_client(ddb::test::config_for(server), [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await c.call("GetItem", R"({"TableName":"t","Key":{"pk":{"S":"a"}}})",
                                     request_safety::idempotent, asio::as_tuple(asio::use_awaitable));
      CHECK_FALSE(ec);
      CHECK(r.body == R"({"Item":{"pk":{"S":"a"}}})");
    });
  };
  SECTION("SSL_CERT_FILE") {
    env_var f("SSL_CERT_FILE", file.path()), d("SSL_CERT_DIR", "/nonexistent/ddb-test");
    get_works();
  }
  SECTION("AWS_CA_BUNDLE") {
    ddb::test::aws_env env({{"AWS_CA_BUNDLE", std::string(file.path())}});
    get_works();
  }
}

TEST_CASE("trust: a CA bundle or ca_pem without a readable certificate is a clear error", "[fault][trust]") {
  fault_server server([](const request_info&) { return action::ok(); });
  auto refused = [&](client_config cfg) {
    try {
      asio::io_context io;
      client c(io.get_executor(), std::move(cfg));
      FAIL("expected an error");
    } catch (const ddb::error& e) {
      CHECK(e.code() == errc::invalid_config);
      return std::string(e.what());
    }
    return std::string();
  };
  const authority ca = self_signed("ddb cut");
  std::string cut = pem_of(ca.cert.get());
  cut.erase(cut.find("-----END"));  // no END line
  temp_file junk("not a certificate\n"), truncated(cut);
  SECTION("AWS_CA_BUNDLE") {
    ddb::test::aws_env env({{"AWS_CA_BUNDLE", std::string(junk.path())}});
    auto cfg = ddb::test::config_for(server);
    cfg.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
    const std::string what = refused(cfg);
    CHECK_THAT(what, Catch::Contains(std::string("the CA bundle ") + junk.path() + " (from AWS_CA_BUNDLE)"));
    CHECK_THAT(what, Catch::Contains("holds no certificate that can be read (no certificate or crl found)"));
    CHECK_THAT(what, Catch::Contains("point it at a PEM file of trusted certificates"));
  }
  SECTION("ca_file, cut short") {
    auto cfg = ddb::test::config_for(server);
    cfg.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
    cfg.ca_file = truncated.path();
    const std::string what = refused(cfg);
    CHECK_THAT(what, Catch::Contains("(from client_config::ca_file) holds no certificate that can be read (bad end line)"));
  }
  SECTION("ca_pem") {
    auto cfg = ddb::test::config_for(server);
    cfg.endpoint = "https://127.0.0.1:" + std::to_string(server.port());
    cfg.ca_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    const std::string what = refused(cfg);
    CHECK_THAT(what, Catch::Contains("client_config::ca_pem holds no certificate that can be read"));
    CHECK_THAT(what, Catch::Contains("-----BEGIN CERTIFICATE-----"));
  }
  CHECK(ERR_peek_error() == 0);  // nothing left in OpenSSL's queue for the next call
}
