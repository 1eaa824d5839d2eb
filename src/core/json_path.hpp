#pragma once
// An error that knows where in the document it happened. The path is built
// while unwinding, so the success path pays nothing for it.
#include <string>
#include <string_view>

#include "ddb/error.hpp"

namespace ddb::json {

struct located {
  errc code{};
  std::string what;
  std::string path;  // "profile.tags[2]"

  static located make(errc c, std::string w) { return located{c, std::move(w), {}}; }
  explicit operator bool() const noexcept { return code != errc{}; }

  located&& under_key(std::string_view key) && {
    path.insert(0, path.empty() || path[0] == '[' ? std::string(key) : std::string(key) + ".");
    return std::move(*this);
  }
  located&& under_index(std::size_t i) && {
    path.insert(0, "[" + std::to_string(i) + (path.empty() || path[0] == '[' ? "]" : "]."));
    return std::move(*this);
  }
  failure to_failure(std::string_view root) const {
    std::string where(root);
    if (!path.empty()) where += where.empty() || path[0] == '[' ? path : "." + path;
    return fail(code, where.empty() ? what : where + ": " + what);
  }
};

}  // namespace ddb::json
