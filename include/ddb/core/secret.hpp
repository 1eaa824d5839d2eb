#pragma once
// A string for secret material (secret access keys, session tokens): wiped
// with sodium_memzero when it is released or overwritten, never printed.

#include <string>
#include <string_view>

namespace ddb {

/// Overwrites [p, p+n) so the compiler cannot elide it (sodium_memzero).
void secure_wipe(void* p, std::size_t n) noexcept;

class secret_string {
 public:
  secret_string() = default;
  explicit secret_string(std::string_view s) : s_(s) {}
  secret_string(const secret_string& o) : s_(o.s_) {}
  secret_string(secret_string&& o) noexcept : s_(std::move(o.s_)) { o.clear(); }
  secret_string& operator=(const secret_string& o) {
    if (this != &o) { clear(); s_ = o.s_; }
    return *this;
  }
  secret_string& operator=(secret_string&& o) noexcept {
    if (this != &o) { clear(); s_ = std::move(o.s_); o.clear(); }
    return *this;
  }
  ~secret_string() { clear(); }

  /// Deliberately named: every read of the secret is visible in the code.
  std::string_view reveal() const noexcept { return s_; }
  bool empty() const noexcept { return s_.empty(); }
  std::size_t size() const noexcept { return s_.size(); }

  void clear() noexcept {
    // Wipe the whole capacity: a shorter value may have replaced a longer one.
    if (s_.capacity() > 0) secure_wipe(s_.data(), s_.capacity());
    s_.clear();
  }

  friend bool operator==(const secret_string& a, const secret_string& b) noexcept { return a.s_ == b.s_; }

 private:
  std::string s_;
};

}  // namespace ddb
