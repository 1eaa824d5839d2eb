#pragma once
// A string for secret material (secret access keys, session tokens): wiped
// with sodium_memzero when it is released or overwritten, never printed.

#include <string>
#include <string_view>

namespace ddb {

/// Overwrites [p, p+n) so the compiler cannot elide it (sodium_memzero).
void secure_wipe(void* p, std::size_t n) noexcept;

/// A string for secret material (secret access keys, session tokens): its
/// whole buffer is wiped (secure_wipe()) when it is released or overwritten,
/// and it has no stream operator, so it is never printed by accident.
class secret_string {
 public:
  secret_string() = default;  ///< empty
  /// Copies `s` (allocates past the short-string size); the caller's copy is not wiped.
  explicit secret_string(std::string_view s) : s_(s) {}
  /// A second copy of the secret, wiped in its turn.
  secret_string(const secret_string& o) : s_(o.s_) {}
  /// Takes `o`'s text; `o` is wiped and left empty.
  secret_string(secret_string&& o) noexcept : s_(std::move(o.s_)) { o.clear(); }
  /// Wipes the current text, then copies `o`'s.
  secret_string& operator=(const secret_string& o) {
    if (this != &o) { clear(); s_ = o.s_; }
    return *this;
  }
  /// Wipes the current text and takes `o`'s; `o` is wiped and left empty.
  secret_string& operator=(secret_string&& o) noexcept {
    if (this != &o) { clear(); s_ = std::move(o.s_); o.clear(); }
    return *this;
  }
  /// Wipes the text.
  ~secret_string() { clear(); }

  /// Deliberately named: every read of the secret is visible in the code.
  std::string_view reveal() const noexcept { return s_; }
  /// True when it holds no characters.
  bool empty() const noexcept { return s_.empty(); }
  /// The length of the secret in bytes.
  std::size_t size() const noexcept { return s_.size(); }

  /// Wipes the whole buffer (its capacity, not only its size) and empties the
  /// string; the buffer is kept for reuse.
  void clear() noexcept {
    // Wipe the whole capacity: a shorter value may have replaced a longer one.
    if (s_.capacity() > 0) secure_wipe(s_.data(), s_.capacity());
    s_.clear();
  }

  /// Same text. Not constant-time: do not compare against a secret an attacker supplies.
  friend bool operator==(const secret_string& a, const secret_string& b) noexcept { return a.s_ == b.s_; }

 private:
  std::string s_;
};

}  // namespace ddb
