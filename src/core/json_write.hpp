#pragma once
// Pieces shared by the DynamoDB JSON writer (json_writer.cpp) and the plain
// JSON writer (plain_json.cpp). Internal.
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/json_path.hpp"
#include "ddb/core/json.hpp"

namespace ddb::json::detail {

inline located check_text(std::string_view s, const char* what) {
  if (!valid_utf8(s)) return located::make(errc::invalid_utf8, std::string(what) + " is not valid UTF-8");
  return {};
}

// A number's text as JSON has it (no leading '+').
inline std::string_view number_text(const number& n) {
  std::string_view t = n.text();
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  return t;
}

// "base64" of the bytes.
inline void write_base64(writer& w, const bytes& b) {
  w.raw("\"");
  base64::append_encoded(w.buffer(), b.data(), b.size());
  w.buffer() += '"';
}

// Runs a write; on failure the buffer is cut back to where it started, so
// nothing is half-written.
template <class F>
result<void> guarded(writer& w, F&& f) {
  const std::size_t mark = w.buffer().size();
  located e = f();
  if (!e) return {};
  w.buffer().resize(mark);
  return e.to_failure("");
}

}  // namespace ddb::json::detail
