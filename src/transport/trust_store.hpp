#pragma once
// Trusted authorities for a TLS client context, read lazily.
//
// A CA bundle file (ca-certificates.crt: 140 authorities) loaded the usual
// way (SSL_CTX_load_verify_file) is decoded whole before the first
// connection: 40-60 ms of CPU and ~1.5 MB of memory with OpenSSL 3, mostly
// public keys that no handshake will use. Here a bundle is split into DER
// certificates with their subjects found (core/pem_bundle), and a lookup of
// ddb's own in the context's store decodes a certificate only when a chain
// asks for its subject, as OpenSSL's hashed-directory lookup does for
// files. What is trusted is the same: every certificate of the file, found
// before the directory's (a lookup of the file comes first, as the eager
// load's certificates were in the store first).
#include <cstddef>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace ddb::detail {

// Everything a client context trusts: the system's store (when system is
// set), ca_file (lazily; ca_source says where it came from), ca_pem; then
// settle_trust. Throws ddb::error (invalid_config) naming a file or ca_pem
// that holds no certificate that can be read, and how to fix it.
void trust_authorities(SSL_CTX* ctx, bool system, const std::string& ca_file, const std::string& ca_source,
                       const std::string& ca_pem);

// Trusts the certificates of a PEM file in ctx, read lazily; a file that
// holds anything but certificates (a CRL, "TRUSTED CERTIFICATE") or cannot
// be split is loaded by OpenSSL's own decoder instead. False when the file
// cannot be read or holds no certificate (OpenSSL's error queue says why).
bool trust_file(SSL_CTX* ctx, const char* path);

// Loads the system's trust store into ctx as OpenSSL's defaults would
// (SSL_CERT_FILE, SSL_CERT_DIR, then the built-in file and directory), but
// prefers a hashed directory, whose certificates are read only when a chain
// needs them, to the built-in bundle file. SSL_CERT_FILE, when set, is
// trusted as given (lazily, trust_file). The directory is read by ddb's
// lookup as OpenSSL's own reads it (<hash>.0, .1, ... per directory), each
// certificate complete before the store shares it: OpenSSL's lookup leaves
// the extension cache to the first verification, which ThreadSanitizer saw
// race between threads (3 runs of 8). False when no store could be loaded.
bool load_system_trust(SSL_CTX* ctx);

// Lookups run only for names the store holds no certificate of, so a
// certificate added by other means (ca_pem, a file OpenSSL's loader read)
// would hide the lazy files' certificates of its name: call this once every
// trusted certificate is added, and those are decoded now (as an eager load
// would have them all in the store). Also fills the extension cache of every
// certificate in the store, which OpenSSL 3.0 fills on first use, racing
// when connections on several threads verify at once.
void settle_trust(SSL_CTX* ctx);

// How many certificates ctx's lazy files hold and how many of them were
// decoded so far (tests: a handshake decodes only its chain's authorities).
struct trust_counts {
  std::size_t held = 0;
  std::size_t decoded = 0;
};
trust_counts lazy_trust_counts(SSL_CTX* ctx);

}  // namespace ddb::detail
