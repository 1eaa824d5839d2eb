#include "transport/trust_store.hpp"

#include "core/pem_bundle.hpp"
#include "ddb/error.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ddb::detail {

namespace {

// A bundle file split into certificates, each with the hash OpenSSL gives
// its subject (X509_NAME_hash_ex: of the canonical form, so names that
// differ only in encoding or case meet, as in X509_NAME_cmp). Immutable;
// shared by every context of the process that trusts the same file.
struct split_file {
  std::vector<std::string> ders;
  std::vector<unsigned long> hashes;
};

// A context's lazy files and which of their certificates are in its store.
struct lazy_files {
  struct source {
    std::shared_ptr<const split_file> file;
    std::vector<bool> decoded;
  };
  std::mutex m;  // lookups may run on several threads of one context
  std::vector<source> sources;
  std::unordered_multimap<unsigned long, std::pair<std::size_t, std::size_t>> by_hash;  // source, certificate
  std::atomic<std::size_t> held{0};
  std::size_t decoded = 0;
  // Hashed directories (SSL_CERT_DIR), read as OpenSSL's own lookup reads
  // them: for a name, the files <hash>.0, <hash>.1, ... of each directory
  // until one is missing, every certificate in them added; the next suffix
  // to try kept per directory and hash.
  std::vector<std::string> dirs;
  std::map<std::pair<std::size_t, unsigned long>, int> next_suffix;  // by directory index and hash
  std::atomic<bool> active{false};  // read without m: a store with nothing lazy pays nothing per lookup
};

// Adds x to the store, complete before other threads see it: OpenSSL 3.0
// fills a certificate's extension cache on first use, a race between
// threads verifying with the same store (ThreadSanitizer: ASN1_STRING_cmp).
bool add_complete(X509_STORE* store, X509* x) {
  X509_check_purpose(x, -1, 0);
  return X509_STORE_add_cert(store, x) == 1;
}

// Adds every certificate of the PEM text bio holds (plain or TRUSTED
// CERTIFICATE); how many. What stopped the reading is in OpenSSL's queue.
std::size_t add_pem(X509_STORE* store, BIO* bio) {
  std::size_t n = 0;
  while (X509* x = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr)) {
    if (add_complete(store, x)) ++n;
    X509_free(x);
  }
  return n;
}

// Adds every certificate of a PEM file. False when there is no such file.
bool add_file_certificates(X509_STORE* store, const std::string& path, std::size_t& decoded) {
  // No error left behind: not the missing file that ends a directory's
  // series, not the end of a file (an error queued in a handshake's
  // verification would be reported as the handshake's).
  ERR_set_mark();
  BIO* bio = BIO_new_file(path.c_str(), "r");
  const bool opened = bio != nullptr;
  if (opened) {
    decoded += add_pem(store, bio);
    BIO_free(bio);
  }
  ERR_pop_to_mark();
  return opened;
}

bool store_has(X509_STORE* store, const X509_NAME* name) {
  if (X509_STORE_lock(store) != 1) return false;
  const bool has = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), X509_LU_X509, name) != nullptr;
  X509_STORE_unlock(store);
  return has;
}

// The directories' files for hash, directory by directory, until one of
// them gave a certificate of this name. The caller holds files.m.
void read_dirs(lazy_files& files, X509_STORE* store, unsigned long hash, const X509_NAME* name) {
  char base[16];
  std::snprintf(base, sizeof base, "%08lx.", hash);
  for (std::size_t d = 0; d < files.dirs.size(); ++d) {
    int& next = files.next_suffix[{d, hash}];
    while (add_file_certificates(store, files.dirs[d] + "/" + base + std::to_string(next), files.decoded)) ++next;
    if (store_has(store, name)) return;
  }
}

// Decodes the certificates of files named `name` (of that hash) that are not
// in the store yet and adds them. The caller holds files.m.
void decode_named(lazy_files& files, X509_STORE* store, unsigned long hash, const X509_NAME* name) {
  const auto [first, last] = files.by_hash.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    lazy_files::source& src = files.sources[it->second.first];
    const std::size_t i = it->second.second;
    if (src.decoded[i]) continue;
    const std::string& der = src.file->ders[i];
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ERR_set_mark();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    ERR_pop_to_mark();  // a certificate that does not decode is not trusted, and leaves no error behind
    if (!x) continue;
    // Another name of this hash waits for its own lookup.
    if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0 && add_complete(store, x)) {
      src.decoded[i] = true;
      ++files.decoded;
    }
    X509_free(x);
  }
}

// Decodes the certificates whose subject is name and not yet in the store,
// adds them, and answers with one of them as OpenSSL's lookups do: a
// pointer the store holds (the caller takes its own reference).
int by_subject(X509_LOOKUP* lu, X509_LOOKUP_TYPE type, const X509_NAME* name, X509_OBJECT* ret) {
  auto* files = static_cast<lazy_files*>(X509_LOOKUP_get_method_data(lu));
  if (type != X509_LU_X509 || !files || !files->active) return 0;
  int ok = 0;
  const unsigned long hash = X509_NAME_hash_ex(name, nullptr, nullptr, &ok);
  if (ok != 1) return 0;
  X509_STORE* store = X509_LOOKUP_get_store(lu);
  {
    const std::lock_guard lock(files->m);
    decode_named(*files, store, hash, name);
    // The directories only for a name the files lack, as OpenSSL's
    // directory lookup comes after a file loaded into the store.
    if (!files->dirs.empty() && !store_has(store, name)) read_dirs(*files, store, hash, name);
  }
  if (X509_STORE_lock(store) != 1) return 0;
  X509_OBJECT* held = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), X509_LU_X509, name);
  X509* x = held ? X509_OBJECT_get0_X509(held) : nullptr;
  int found = 0;
  if (x && X509_OBJECT_set1_X509(ret, x) == 1) {
    X509_free(x);  // set1 took a reference; the caller takes its own
    found = 1;
  }
  X509_STORE_unlock(store);
  return found;
}

void free_files(X509_LOOKUP* lu) {
  delete static_cast<lazy_files*>(X509_LOOKUP_get_method_data(lu));
  X509_LOOKUP_set_method_data(lu, nullptr);
}

// One method for the process (a store keeps a pointer to it); one lookup
// of it per store, holding every lazy file trusted there.
X509_LOOKUP_METHOD* lazy_method() {
  static X509_LOOKUP_METHOD* const method = [] {
    X509_LOOKUP_METHOD* m = X509_LOOKUP_meth_new("ddb lazy PEM bundle");
    if (m) {
      X509_LOOKUP_meth_set_get_by_subject(m, by_subject);
      X509_LOOKUP_meth_set_free(m, free_files);
    }
    return m;
  }();
  return method;
}

// Where a context keeps its lazy files (borrowed: the store's lookup owns them).
int files_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// The context's lazy files; with create, made (with the store's lookup,
// added after those present) when there are none yet.
lazy_files* files_of(SSL_CTX* ctx, bool create) {
  if (auto* files = static_cast<lazy_files*>(SSL_CTX_get_ex_data(ctx, files_index()))) return files;
  if (!create) return nullptr;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP_METHOD* method = lazy_method();
  X509_LOOKUP* lu = store && method ? X509_STORE_add_lookup(store, method) : nullptr;
  if (!lu) return nullptr;
  auto* files = new lazy_files;
  X509_LOOKUP_set_method_data(lu, files);
  SSL_CTX_set_ex_data(ctx, files_index(), files);
  return files;
}

bool subject_hash(std::string_view subject, unsigned long& hash) {
  const auto* p = reinterpret_cast<const unsigned char*>(subject.data());
  X509_NAME* name = d2i_X509_NAME(nullptr, &p, static_cast<long>(subject.size()));
  if (!name) return false;
  int ok = 0;
  hash = X509_NAME_hash_ex(name, nullptr, nullptr, &ok);
  X509_NAME_free(name);
  return ok == 1;
}

// The file split, or null when it cannot be read or is not a plain bundle
// of certificates with decodable subjects. Files already split are kept
// for the process (by path, inode, size and modification time): every
// client of a process, and a one-shot fetch's pool, splits a file once.
std::shared_ptr<const split_file> split(const char* path) {
  struct kept {
    struct stat st;
    std::shared_ptr<const split_file> file;
  };
  static std::mutex m;
  static std::unordered_map<std::string, kept> files;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  std::string text;
  bool read_whole = false;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t at = 0;
    for (ssize_t n = 0; at < text.size(); at += static_cast<std::size_t>(n)) {
      n = ::read(fd, text.data() + at, text.size() - at);
      if (n < 0 && errno == EINTR) n = 0;
      else if (n <= 0) break;
    }
    read_whole = at == text.size();
  }
  ::close(fd);
  if (!read_whole) return nullptr;
  // The same file as split before (a rewrite of the same size within one
  // tick of the file system's clock would be missed: bundles are replaced,
  // not edited in place, by update-ca-certificates and the like).
  const auto same = [&](const struct stat& o) {
    return o.st_ino == st.st_ino && o.st_dev == st.st_dev && o.st_size == st.st_size &&
           o.st_mtim.tv_sec == st.st_mtim.tv_sec && o.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
  };
  {
    const std::lock_guard lock(m);
    if (auto it = files.find(path); it != files.end() && same(it->second.st)) return it->second.file;
  }
  pem::bundle b = pem::read_bundle(text);
  if (!b.problem.empty() || b.certificates.empty()) return nullptr;
  auto out = std::make_shared<split_file>();
  out->hashes.resize(b.certificates.size());
  for (std::size_t i = 0; i < b.certificates.size(); ++i) {
    if (!subject_hash(b.certificates[i].subject(), out->hashes[i])) return nullptr;
    out->ders.push_back(std::move(b.certificates[i].der));
  }
  const std::lock_guard lock(m);
  files[path] = kept{st, out};
  return out;
}

// The file's certificates in ctx's lazy lookup; false (nothing added) when
// the file cannot be split.
bool trust_lazily(SSL_CTX* ctx, const char* path) {
  std::shared_ptr<const split_file> file = split(path);
  lazy_files* files = file ? files_of(ctx, true) : nullptr;
  if (!files) return false;
  const std::lock_guard lock(files->m);
  const std::size_t at = files->sources.size();
  for (std::size_t i = 0; i < file->hashes.size(); ++i) files->by_hash.emplace(file->hashes[i], std::pair(at, i));
  files->held += file->hashes.size();
  std::vector<bool> decoded(file->hashes.size(), false);
  files->sources.push_back({std::move(file), std::move(decoded)});
  files->active = true;
  return true;
}

// Whether a directory of the list (':'-separated) holds hashed names
// (8 hex digits, '.', a digit: what c_rehash and update-ca-certificates make).
bool has_hashed_names(std::string_view dirs) {
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    bool found = false;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name(e->d_name);
      if (name.size() >= 10 && name[8] == '.' && name.find_first_not_of("0123456789abcdef") == 8 &&
          name.find_first_not_of("0123456789", 9) == std::string_view::npos) {
        found = true;
        break;
      }
    }
    ::closedir(d);
    if (found) return true;
  }
  return false;
}

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The certificates of PEM text in ctx's store: false when there is none or
// a block cannot be read (OpenSSL's queue says why).
bool trust_pem(SSL_CTX* ctx, const std::string& pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return false;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return false;
  const std::size_t n = add_pem(SSL_CTX_get_cert_store(ctx), bio);
  BIO_free(bio);
  const unsigned long last = ERR_peek_last_error();  // the end of the text, or what stopped the reading
  if (n == 0 || ERR_GET_LIB(last) != ERR_LIB_PEM || ERR_GET_REASON(last) != PEM_R_NO_START_LINE) return false;
  ERR_clear_error();
  return true;
}

// Why OpenSSL refused trusted certificates (its first error: the most
// specific), its error queue emptied.
std::string openssl_reason() {
  const unsigned long e = ERR_peek_error();
  const char* reason = e ? ERR_reason_error_string(e) : nullptr;
  std::string out = reason ? reason : "no certificate in it";
  ERR_clear_error();
  return out;
}

}  // namespace

bool trust_file(SSL_CTX* ctx, const char* path) {
  if (trust_lazily(ctx, path)) return true;
  // Not a plain bundle of certificates, or unreadable: OpenSSL's loader
  // reads what it can and puts the reason in its error queue.
  return SSL_CTX_load_verify_file(ctx, path) == 1;
}

bool load_system_trust(SSL_CTX* ctx) {
  files_of(ctx, true);  // the lazy lookup first: a file's certificates come before the directory's
  const char* file_env = std::getenv(X509_get_default_cert_file_env());
  const char* dir = env_or(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
  bool loaded = false;
  if (file_env && *file_env) loaded = trust_file(ctx, file_env);
  if (has_hashed_names(dir)) {
    // As OpenSSL's directory lookup, but each certificate complete before
    // the store shares it (OpenSSL's leaves that to the first verification:
    // ThreadSanitizer saw threads race on it, see add_complete).
    if (lazy_files* files = files_of(ctx, true)) {
      const std::lock_guard lock(files->m);
      for (std::string_view rest = dir; !rest.empty();) {
        const auto colon = rest.find(':');
        if (colon != 0) files->dirs.emplace_back(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      }
      files->active = true;
      loaded = true;
    }
  }
  else if (!file_env || !*file_env)
    loaded = trust_file(ctx, X509_get_default_cert_file());
  ERR_clear_error();  // a missing default file is not an error of the next call
  return loaded;
}

void trust_authorities(SSL_CTX* ctx, bool system, const std::string& ca_file, const std::string& ca_source,
                       const std::string& ca_pem) {
  if (system) load_system_trust(ctx);
  ERR_clear_error();  // the reasons below are these calls' own
  if (!ca_file.empty() && !trust_file(ctx, ca_file.c_str()))
    throw ddb::error(fail(errc::invalid_config, "the CA bundle " + ca_file + " (from " + ca_source +
                                                    ") holds no certificate that can be read (" + openssl_reason() +
                                                    "): point it at a PEM file of trusted certificates"));
  if (!ca_pem.empty() && !trust_pem(ctx, ca_pem))
    throw ddb::error(fail(errc::invalid_config, "client_config::ca_pem holds no certificate that can be read (" +
                                                    openssl_reason() +
                                                    "): give it PEM text of trusted certificates "
                                                    "(-----BEGIN CERTIFICATE----- ...)"));
  settle_trust(ctx);  // the lazy files' certificates named like ca_pem's join them
}

void settle_trust(SSL_CTX* ctx) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (!store) return;
  std::vector<X509*> held;  // referenced: the store's objects may move meanwhile
  if (X509_STORE_lock(store) != 1) return;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i)
    if (X509* x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i)); x && X509_up_ref(x) == 1) held.push_back(x);
  X509_STORE_unlock(store);
  lazy_files* files = files_of(ctx, false);
  for (X509* x : held) {
    X509_check_purpose(x, -1, 0);  // complete before connections share it (see add_complete)
    int ok = 0;
    const X509_NAME* name = X509_get_subject_name(x);
    const unsigned long hash = X509_NAME_hash_ex(name, nullptr, nullptr, &ok);
    if (files && files->held != 0 && ok == 1) {  // (directories: OpenSSL's own lookup is as lazy)
      const std::lock_guard lock(files->m);
      decode_named(*files, store, hash, name);
    }
    X509_free(x);
  }
}

trust_counts lazy_trust_counts(SSL_CTX* ctx) {
  trust_counts out;
  if (lazy_files* files = files_of(ctx, false)) {
    const std::lock_guard lock(files->m);
    out.held = files->held;
    out.decoded = files->decoded;
  }
  return out;
}

}  // namespace ddb::detail
