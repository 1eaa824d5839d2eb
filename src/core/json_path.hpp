#pragma once
// An error that knows where in the document it happened. The path is built
// while unwinding, so the success path pays nothing for it: a success is one
// null pointer (every value a decoder reads returns one of these).
#include <utility>
#include <string>
#include <string_view>

#include "ddb/error.hpp"

namespace ddb::json {

class located {
 public:
  located() noexcept = default;
  located(located&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  located& operator=(located&& o) noexcept {
    std::swap(d_, o.d_);
    return *this;
  }
  // The success path inlines to one test; failures free out of line.
  ~located() {
    if (d_) [[unlikely]] release(d_);
  }
  static located make(errc c, std::string w) {
    located l;
    l.d_ = new details{c, std::move(w), {}};
    return l;
  }
  explicit operator bool() const noexcept { return d_ != nullptr; }

  located&& under_key(std::string_view key) && {
    std::string& path = d_->path;
    path.insert(0, path.empty() || path[0] == '[' ? std::string(key) : std::string(key) + ".");
    return std::move(*this);
  }
  located&& under_index(std::size_t i) && {
    std::string& path = d_->path;
    path.insert(0, "[" + std::to_string(i) + (path.empty() || path[0] == '[' ? "]" : "]."));
    return std::move(*this);
  }
  failure to_failure(std::string_view root) const {
    const std::string& path = d_->path;
    std::string where(root);
    if (!path.empty()) where += where.empty() || path[0] == '[' ? path : "." + path;
    return fail(d_->code, where.empty() ? d_->what : where + ": " + d_->what);
  }

 private:
  struct details {
    errc code;
    std::string what;
    std::string path;  // "profile.tags[2]"
  };
  [[gnu::cold, gnu::noinline]] static void release(details* d) noexcept { delete d; }
  details* d_ = nullptr;
};

}  // namespace ddb::json
